import Foundation

extension RegistryEntry {
    /// Keys of records whose person was erased: random, never an ID number.
    public static let erasedKeyPrefix = "erased-"

    public var isErased: Bool { key.hasPrefix(Self.erasedKeyPrefix) }
}

/// What an erasure or a retention run changed.
public struct ErasureResult: Sendable, Equatable {
    public var people = 0
    /// Houses whose owner was the person: the owner's name and ID number removed.
    public var houses = 0
    /// Cases he reported with his phone: the phone removed, the case kept.
    public var cases = 0

    public init(people: Int = 0, houses: Int = 0, cases: Int = 0) {
        self.people = people
        self.houses = houses
        self.cases = cases
    }
}

/// The right to erasure (PIPL art. 47) and retention limits: a person's identifying data goes,
/// the statistics stay — the record remains at its address as an anonymous resident (household,
/// residence type, sex, birth year, tags), so counts, households and layers do not change.
public struct PersonalDataErasure: Sendable {
    public let registries: RegistryService

    public init(registries: RegistryService) { self.registries = registries }

    var store: any CityBrainStore { registries.store }
    var vault: PersonalDataVault { registries.vault }

    /// The anonymous remainder of a person's record (in clear; sealed by the caller).
    public static func anonymized(_ person: RegistryEntry) -> RegistryEntry {
        var kept: [String: String] = [:]
        for name in ["household", "relation", "residence_type", "sex", "tags"] { kept[name] = person.fields[name] }
        if let birth = person.fields["birth_date"] { kept["birth_year"] = String(birth.prefix(4)) }
        var e = person
        e.key = RegistryEntry.erasedKeyPrefix + SecretToken.generate(bytes: 12)
        e.fields = kept
        e.fieldSources = e.fieldSources.filter { kept[$0.key] != nil || $0.key == "address" }
        e.needsReview = false
        return e
    }

    /// Erases one person (and him as the owner of houses), on request with a reason.
    public func erase(person key: String, reason: String, by principal: Principal, requestID: String? = nil) async throws -> ErasureResult {
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard why.count >= 4 else { throw AccountChangeRefused("reason", "say why the data is erased (at least 4 characters)") }
        let person = try await registries.scopedEntry(.person, key: key, permission: .personalDataErase, for: principal)
        return try await erase([person], audit: { result in
            [AuditRecord(actor: principal.auditName, action: "erase.person", target: "person:\(vault.storageKey(.person, key: key))",
                         purpose: why + (result.houses > 0 ? " (and as owner of \(result.houses) houses)" : "")
                            + (result.cases > 0 ? " (phone removed from \(result.cases) cases)" : ""), requestID: requestID)]
        })
    }

    /// Removes the person's phone from the cases he reported with it (found through deterministic
    /// sealing), each change a versioned step of the case; the cases and their statistics stay.
    /// Done before the registry record changes: when that fails, running the erasure again finds
    /// no phone left to remove and completes it.
    func redactCases(reportedBy person: RegistryEntry, at time: Date) async throws -> Int {
        guard let phone = person.fields["phone"], !phone.isEmpty else { return 0 }
        let workflow = CaseWorkflow(classes: CaseClassDictionary(), calendar: WorkingCalendar())
        var count = 0
        for c in try await store.cases(withContact: vault.seal(phone, field: CaseService.contactField)) {
            let (updated, event) = workflow.redacted(c, at: time, reason: "erasure of the reporter's personal data")
            try await store.updateCases([CaseChange(previous: c, updated: updated, event: event)],
                                        audit: [AuditRecord(time: time, actor: "erasure", action: "case.redact", target: "case:" + c.number)])
            count += 1
        }
        return count
    }

    /// Replaces the people's records by their anonymous remainders and removes them as house
    /// owners, in one transaction with the audit records `audit` makes of the result.
    func erase(_ people: [RegistryEntry], audit: (ErasureResult) -> [AuditRecord]) async throws -> ErasureResult {
        var replacements: [RegistryReplacement] = []
        var result = ErasureResult()
        for person in people where !person.isErased {
            result.cases += try await redactCases(reportedBy: person, at: Date())
            let anonymous = Self.anonymized(person)
            replacements.append(RegistryReplacement(kind: .person, storedKey: vault.storageKey(.person, key: person.key),
                                                    replacement: vault.sealed(anonymous), tagsColumn: vault.sealedTagsColumn(anonymous)))
            result.people += 1
            // Deterministic sealing finds the houses he owns without opening every house.
            for sealedHouse in try await store.houses(ownedBy: vault.seal(person.key, field: "owner_id_number")) {
                var house = try vault.opened(sealedHouse)
                house.fields["owner_name"] = nil
                house.fields["owner_id_number"] = nil
                house.fieldSources["owner_name"] = nil
                house.fieldSources["owner_id_number"] = nil
                replacements.append(RegistryReplacement(kind: .house, storedKey: sealedHouse.key, replacement: vault.sealed(house), tagsColumn: vault.sealedTagsColumn(house)))
                result.houses += 1
            }
        }
        guard !replacements.isEmpty else { return result }
        try await store.replaceRegistryEntries(replacements, audit: audit(result))
        return result
    }
}

/// How long personal data is kept when no source confirms it any more, per class of data.
public struct RetentionPolicy: Sendable, Equatable {
    /// People by residence type (floating, overseas …) → years after the last import that named them.
    public var peopleYears: [String: Int]
    /// Expired or revoked API tokens and ended sessions are deleted after this many days.
    public var credentialDays: Int

    /// Floating and overseas residents are confirmed by their registrations: two years without
    /// one, and the data goes. Registered residents stay until their registration ends (a
    /// department's deletion or an erasure request).
    public static let standard = RetentionPolicy(peopleYears: ["floating": 2, "overseas": 2], credentialDays: 90)

    public init(peopleYears: [String: Int], credentialDays: Int) {
        self.peopleYears = peopleYears
        self.credentialDays = credentialDays
    }
}

/// Enforces a retention policy: run it on a schedule (`citybrain retention enforce`).
public struct RetentionEnforcement: Sendable {
    public let erasure: PersonalDataErasure
    public let policy: RetentionPolicy

    public init(registries: RegistryService, policy: RetentionPolicy = .standard) {
        erasure = PersonalDataErasure(registries: registries)
        self.policy = policy
    }

    public struct Report: Sendable, Equatable {
        public var erased: [String: Int] = [:]
        public var houses = 0
        public var sessions = 0
        public var tokens = 0
    }

    /// Erases what is past its time (or only counts it, `dryRun`); every batch is audited.
    public func enforce(at now: Date, dryRun: Bool, actor: String) async throws -> Report {
        var report = Report()
        let store = erasure.store
        for (category, years) in policy.peopleYears.sorted(by: { $0.key < $1.key }) {
            let limit = Calendar(identifier: .gregorian).date(byAdding: .year, value: -years, to: now)!
            if dryRun {
                report.erased[category] = try await store.registryCount(.person, category: category, updatedBefore: limit)
                continue
            }
            while true {
                let batch = try await store.registryEntries(.person, category: category, updatedBefore: limit, limit: 1000)
                guard !batch.isEmpty else { break }
                let people = try batch.map { try erasure.vault.opened($0) }
                let result = try await erasure.erase(people) { result in
                    [AuditRecord(actor: actor, action: "retention.erase", target: "person:\(result.people) records",
                                 purpose: "\(category) residents not confirmed since \(isoTimestamp(limit)) (\(years) years)")]
                }
                report.erased[category, default: 0] += result.people
                report.houses += result.houses
                // The store leaves erased records out; should one come back, stop rather than loop.
                if result.people == 0 { break }
            }
        }
        if !dryRun {
            let cutoff = now.addingTimeInterval(-Double(policy.credentialDays) * 86400)
            (report.sessions, report.tokens) = try await store.purgeCredentials(endedBefore: cutoff, audit: AuditRecord(
                actor: actor, action: "retention.credentials", target: "sessions and tokens", purpose: "ended before \(isoTimestamp(cutoff))"))
        }
        return report
    }
}
