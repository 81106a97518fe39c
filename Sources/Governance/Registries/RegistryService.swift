import Foundation
import Synchronization

/// The registries: imports that merge records by key and keep disagreeing values for review, and
/// reads by key and by address.
public final class RegistryService: Sendable {
    public let store: any CityBrainStore
    public let addresses: AddressService
    /// Personal data goes to the store sealed and comes back opened through it.
    public let vault: PersonalDataVault
    private let gate = WriteGate()
    /// Look-ups by a personal key (a full ID number) per account and hour: each answer, found or
    /// not, confirms or rules out one number, so an account may not try them by the thousand.
    let keyLookups: RateLimiter

    public init(store: any CityBrainStore, addresses: AddressService, vault: PersonalDataVault, keyLookupsPerHour: Int = 60) {
        self.store = store
        self.addresses = addresses
        self.vault = vault
        self.keyLookups = RateLimiter(limit: keyLookupsPerHour)
    }

    /// The address of a code or a text, as registry rows give it.
    public func resolveAddress(code: String?, text: String?, minimumScore: Double = 0.75) -> (address: AddressReference?, reason: String?) {
        Self.resolve(code: code, text: text, in: addresses.lookup(), minimumScore: minimumScore)
    }

    /// Resolves the addresses of many rows against one snapshot of the library.
    public func addressResolver(minimumScore: Double = 0.75) -> @Sendable (String?, String?) -> (address: AddressReference?, reason: String?) {
        let lookup = addresses.lookup()
        return { code, text in Self.resolve(code: code, text: text, in: lookup, minimumScore: minimumScore) }
    }

    static func resolve(code: String?, text: String?, in lookup: AddressLookup, minimumScore: Double) -> (address: AddressReference?, reason: String?) {
        if let code {
            guard let (reference, status) = lookup.reference(code) else { return (nil, "no standard address has the code \(code)") }
            guard status == .inUse else { return (nil, "the address \(code) is retired") }
            return (reference, nil)
        }
        guard let text else { return (nil, "no address: give an address code or an address text") }
        let m = lookup.match(text)
        guard let best = m.best else { return (nil, "the address was not found in the library: \(m.reason ?? "no match")") }
        if m.reason?.hasPrefix("ambiguous") == true { return (nil, "the address is ambiguous: \(m.reason!)") }
        guard best.score >= minimumScore else { return (nil, "the closest standard address scores only \(best.score): \(best.address.elements.localText)") }
        return (AddressReference(code: best.address.code, gridCode: best.address.gridCode), nil)
    }

    /// Stores rows already read: new keys are added, known keys merged (``ProvenanceMerge``),
    /// duplicates in the file merged too. All or nothing unless `keepGoing`.
    public func importEntries(_ kind: RegistryKind, rows: [(line: Int, entry: RegistryEntry?, issues: [ImportIssue])],
                              options: RegistryImportOptions) async throws -> RegistryImportResult {
        let issues = rows.flatMap(\.issues)
        let rejected = Set(issues.filter { $0.severity == .error }.map(\.line))
        if !rejected.isEmpty && !options.keepGoing { throw RegistryImportRejected(issues: issues) }
        let feed = RegistryFeed(rows.compactMap { r in r.entry.map { RegistryRow(line: r.line, sealing: $0, with: vault) } },
                                note: rejected.isEmpty ? "" : "\(rejected.count) rows rejected")
        return try await write(kind, feed: feed, options: options) { issues }
    }

    /// Reads, checks and stores the rows of a file as a stream: `nextRows` hands over raw rows a
    /// chunk at a time (nil at the end); they are checked on every core while the store writes the
    /// previous chunks, all in one transaction. All or nothing unless `keepGoing`: with errors the
    /// reading goes on to report every bad row, and nothing is written. An error thrown by
    /// `nextRows` (a broken file) ends the import with nothing written.
    public func importRows(_ kind: RegistryKind, reader: RegistryRowReader, at time: Date,
                           nextRows: @escaping @Sendable () throws -> [(fields: [String], line: Int)]?) async throws -> RegistryImportResult {
        let feed = RegistryFeed()
        let findings = Mutex<[ImportIssue]>([])
        let keepGoing = reader.options.keepGoing
        // The file is read on one thread while the rows read before are checked on the others.
        let raws = HandOff<[(fields: [String], line: Int)]>(capacity: 2)
        Thread.detachNewThread {
            do {
                while let raw = try nextRows() { guard raws.send(raw) else { return } }
                raws.finish()
            } catch {
                raws.finish(throwing: error)
            }
        }
        Thread.detachNewThread {
            defer { raws.close() }
            var issues: [ImportIssue] = []
            var rejected = 0
            do {
                while let raw = try raws.next() {
                    var rows: [RegistryRow] = []
                    rows.reserveCapacity(raw.count)
                    for (_, row, rowIssues) in reader.read(raw, at: time) {
                        issues += rowIssues
                        if let row { rows.append(row) } else { rejected += 1 }
                    }
                    // Once a row is bad nothing will be written, but every bad row is still reported.
                    if rejected > 0 && !keepGoing { continue }
                    if !feed.send(rows) { break }
                }
                findings.withLock { $0 = issues }
                if rejected > 0 && !keepGoing {
                    feed.finish(throwing: RegistryImportRejected(issues: issues))
                } else {
                    feed.finish(note: rejected == 0 ? "" : "\(rejected) rows rejected")
                }
            } catch {
                feed.finish(throwing: error)
            }
        }
        return try await write(kind, feed: feed, options: reader.options) { findings.withLock { $0 } }
    }

    /// Stores a feed of checked records (generated ones, say) as one import.
    public func importFeed(_ kind: RegistryKind, feed: RegistryFeed, options: RegistryImportOptions) async throws -> RegistryImportResult {
        try await write(kind, feed: feed, options: options) { [] }
    }

    private func write(_ kind: RegistryKind, feed: RegistryFeed, options: RegistryImportOptions,
                       issues: @escaping @Sendable () -> [ImportIssue]) async throws -> RegistryImportResult {
        // However this ends, a producer waiting to hand over rows is released.
        defer { feed.close() }
        return try await gate.run {
            let family = ImportFamily.of(kind)
            let basedOn = try await self.store.latestImportBatchID(family)
            let batch = ImportBatch(kind: family.kinds[0], source: options.source + (options.fileName.isEmpty ? "" : " (\(options.fileName))"),
                                    actor: options.actor, importedAt: Date(), recordCount: 0)
            let written = try await self.store.writeRegistry(kind, feed: feed, batch: batch, basedOnBatch: basedOn)
            var all = issues()
            let keyColumn = options.column(RegistrySchema.of(kind).keyField)
            let keyIsPersonal = RegistrySchema.keyIsPersonal(kind)
            for f in written.flagged {
                // The store knows a personal key only by its blind index; the line says which record.
                all.append(ImportIssue(.warning, line: f.line, column: keyColumn, value: keyIsPersonal ? nil : f.key,
                                       reason: "sources disagree on \(f.fields.joined(separator: ", ")): both values kept, flagged for review"))
            }
            return RegistryImportResult(inserted: written.inserted, merged: written.merged, unchanged: written.unchanged,
                                        flagged: written.flagged.count, issues: all, batch: written.batch, waits: feed.waits,
                                        indexing: written.indexing)
        }
    }

    /// The record with this key, in clear (callers mask it unless the reader may and did reveal).
    public func entry(_ kind: RegistryKind, key: String) async throws -> RegistryEntry? {
        try await store.registryEntries(kind, keys: [vault.storageKey(kind, key: key)]).first.map { withCurrentGrid(try vault.opened($0)) }
    }

    public func entries(_ kind: RegistryKind, atAddresses codes: [String]) async throws -> [RegistryEntry] {
        try await store.registryEntries(kind, addressCodes: codes).map { withCurrentGrid(try vault.opened($0)) }
    }

    /// The claims recorded for a record, in clear.
    public func fieldConflicts(_ kind: RegistryKind, key: String) async throws -> [FieldConflict] {
        try await store.fieldConflicts(kind, key: vault.storageKey(kind, key: key)).map { try vault.opened($0, kind: kind) }
    }

    /// Records flagged for review, in clear.
    public func entriesNeedingReview(_ kind: RegistryKind, limit: Int) async throws -> [RegistryEntry] {
        try await store.entriesNeedingReview(kind, limit: limit).map { withCurrentGrid(try vault.opened($0)) }
    }

    // MARK: reads of personal data, as the law wants them: scoped, masked, purposeful, audited

    /// A record as a principal may see it: masked, only inside his territory ("not found" outside,
    /// as for a record that does not exist). The read is on the audit trail.
    ///
    /// Where the key itself is personal (a person's ID number) the answer, even "not found",
    /// tells whether that number lives here: a purpose is required, the account is throttled, and
    /// every attempt, found or not, is on the trail with its purpose.
    public func lookUp(_ kind: RegistryKind, key: String, purpose: String? = nil, for principal: Principal, requestID: String? = nil) async throws -> (RegistryEntry, [FieldConflict]) {
        try principal.require(.registryRead)
        var stated: String?
        if RegistrySchema.keyIsPersonal(kind) {
            let reason = (purpose ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard reason.count >= 4 else { throw AccountChangeRefused("purpose", "say why you look this person up (at least 4 characters)") }
            guard keyLookups.allow("account:\(principal.accountID):\(principal.auditName)") else { throw LookupThrottled(limit: keyLookups.limit) }
            stated = reason
        }
        let entry: RegistryEntry
        do {
            entry = try await scopedEntry(kind, key: key, permission: .registryRead, for: principal)
        } catch AccessDenied.outsideTerritory {
            if let stated {
                _ = try await store.appendAudit([AuditRecord(actor: principal.auditName, action: "read.\(kind.rawValue).miss", target: auditTarget(kind, key: key),
                                                             purpose: stated, requestID: requestID)])
            }
            throw AccessDenied.outsideTerritory
        }
        let claims = try await fieldConflicts(kind, key: key).map { c in
            var masked = c
            if let fieldClass = RegistrySchema.personalFields[kind]?[c.field] { masked.value = fieldClass.mask(c.value) }
            masked.key = RegistrySchema.masked(entry).key
            return masked
        }
        _ = try await store.appendAudit([AuditRecord(actor: principal.auditName, action: "read.\(kind.rawValue)", target: auditTarget(kind, key: key),
                                                     purpose: stated, requestID: requestID)])
        return (RegistrySchema.masked(entry), claims)
    }

    /// A record in clear, for a principal who may reveal personal data and says why. The purpose
    /// goes on the audit trail with the read.
    public func reveal(_ kind: RegistryKind, key: String, purpose: String, for principal: Principal, requestID: String? = nil) async throws -> RegistryEntry {
        let reason = purpose.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count >= 4 else { throw AccountChangeRefused("purpose", "say why the data is needed (at least 4 characters)") }
        let entry = try await scopedEntry(kind, key: key, permission: .personalDataReveal, for: principal)
        _ = try await store.appendAudit([AuditRecord(actor: principal.auditName, action: "reveal.\(kind.rawValue)", target: auditTarget(kind, key: key),
                                                     purpose: reason, requestID: requestID)])
        return entry
    }

    /// The record in clear when the principal holds the permission and the record lies in his
    /// territory; "not found" otherwise, as for a record that does not exist.
    func scopedEntry(_ kind: RegistryKind, key: String, permission: Permission, for principal: Principal) async throws -> RegistryEntry {
        try principal.require(permission)
        guard let entry = try await entry(kind, key: key) else { throw AccessDenied.outsideTerritory }
        let inside = entry.gridCode.map(principal.territory.contains) ?? principal.territory.includesAll
        guard inside else { throw AccessDenied.outsideTerritory }
        return entry
    }

    /// How the trail names a record: by the key's blind index when the key is personal, so that the
    /// trail itself holds no ID number.
    private func auditTarget(_ kind: RegistryKind, key: String) -> String { "\(kind.rawValue):\(vault.storageKey(kind, key: key))" }

    /// The grid of a record is its address's, under today's boundaries.
    private func withCurrentGrid(_ e: RegistryEntry) -> RegistryEntry {
        var e = e
        e.gridCode = addresses.address(e.addressCode)?.gridCode
        return e
    }
}

/// Too many look-ups by personal key from one account within the hour.
public struct LookupThrottled: Error, CustomStringConvertible {
    public var limit: Int
    public var description: String { "at most \(limit) look-ups by ID number an hour per account; try again later" }
}
