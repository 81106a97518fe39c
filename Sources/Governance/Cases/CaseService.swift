import Foundation
import GeoKit
import Synchronization

/// What a reporter sends: what, where, how urgent, from which source.
public struct CaseIntake: Sendable, Hashable {
    public var source: CaseSource
    public var classCode: CaseClassCode?
    public var urgency: Urgency
    public var description: String
    /// WGS-84; with none, the address decides the place.
    public var location: Coordinate?
    public var addressCode: String?
    public var addressText: String?
    /// The reporter's phone for call-backs (sealed when stored).
    public var contactPhone: String?
    public var externalReference: String?
    public var attachments: [String]

    public init(source: CaseSource, classCode: CaseClassCode? = nil, urgency: Urgency = .normal, description: String, location: Coordinate? = nil,
                addressCode: String? = nil, addressText: String? = nil, contactPhone: String? = nil, externalReference: String? = nil,
                attachments: [String] = []) {
        self.source = source
        self.classCode = classCode
        self.urgency = urgency
        self.description = description
        self.location = location
        self.addressCode = addressCode
        self.addressText = addressText
        self.contactPhone = contactPhone
        self.externalReference = externalReference
        self.attachments = attachments
    }
}

/// The answer to a report.
public struct CaseReceipt: Sendable {
    public var `case`: Case
    /// false when the idempotency key had been used: the case is the one stored the first time.
    public var created: Bool
    /// Given once, to the reporter (the store keeps only its hash).
    public var trackingCode: String?
}

/// The closed loop as people use it: reports come in, steps are taken by those whose role,
/// territory and department allow them, every step lands in the timeline, the audit trail and
/// the store in one transaction.
public final class CaseService: Sendable {
    public let store: any CityBrainStore
    public let regions: RegionService
    public let addresses: AddressService
    public let vault: PersonalDataVault
    /// Photos and documents of the steps.
    public let attachments: AttachmentVault
    /// Every committed change, for the live views.
    public let notices = CaseNoticeHub()
    private let state: Mutex<Dictionaries>

    struct Dictionaries {
        var workflow: CaseWorkflow
        var departments: [String: Department]
        var router: DispatchRouter
        var settings: CaseSettings
    }

    public init(store: any CityBrainStore, regions: RegionService, addresses: AddressService, vault: PersonalDataVault, attachments: AttachmentVault) {
        self.store = store
        self.attachments = attachments
        self.regions = regions
        self.addresses = addresses
        self.vault = vault
        state = Mutex(Dictionaries(workflow: CaseWorkflow(classes: CaseClassDictionary(), calendar: WorkingCalendar()), departments: [:],
                                   router: DispatchRouter(routes: []), settings: CaseSettings()))
    }

    public var settings: CaseSettings { state.withLock { $0.settings } }
    /// A new case of the same class within this distance and time of an open one is proposed for merging.
    public var duplicateRadius: Double { settings.duplicateMetres }
    public var duplicateWindow: TimeInterval { settings.duplicateHours * 3600 }

    /// Reads classes, calendar, departments and routes from the store.
    public func load() async throws {
        let settings = try await CaseSettings.load(from: store)
        let classes = CaseClassDictionary(stored: try await store.storedCaseClasses())
        let calendar = WorkingCalendar(periods: settings.workingHours).with(try await store.storedCalendarDays())
        let departments = Dictionary(try await store.departments().map { ($0.code, $0) }, uniquingKeysWith: { $1 })
        let router = DispatchRouter(routes: try await store.dispatchRoutes())
        state.withLock {
            $0.workflow.classes = classes
            $0.workflow.calendar = calendar
            $0.workflow.warningShare = settings.warningShare
            $0.settings = settings
            $0.departments = departments
            $0.router = router
        }
    }

    public var workflow: CaseWorkflow { state.withLock { $0.workflow } }
    public var classes: CaseClassDictionary { workflow.classes }
    public var calendar: WorkingCalendar { workflow.calendar }
    public var departments: [Department] { state.withLock { $0.departments.values.sorted { $0.code < $1.code } } }
    public func department(_ code: String) -> Department? { state.withLock { $0.departments[code] } }

    /// The name the reporter's phone is sealed under.
    public static let contactField = "case.reporter_phone"

    /// Times are kept to the millisecond, as the stores keep them.
    public static func now() -> Date { Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded() / 1000) }

    // MARK: intake

    /// Takes a report: places it (grid from the position, or the address matched to the library),
    /// numbers it, starts the register clock and proposes open cases of the same class nearby for
    /// merging. `idempotencyKey`: a retried report with the same key returns the first one.
    public func report(_ intake: CaseIntake, by principal: Principal, idempotencyKey: String? = nil, at time: Date = now(),
                       requestID: String? = nil) async throws -> CaseReceipt {
        try principal.require(.caseReport)
        let description = intake.description.trimmingWhitespace
        guard !description.isEmpty else { throw CaseRefused(field: "description", reason: "say what the problem is") }
        guard description.count <= 2000 else { throw CaseRefused(field: "description", reason: "is longer than 2000 characters") }
        if let key = idempotencyKey, key.isEmpty || key.utf8.count > 100 {
            throw CaseRefused(field: "Idempotency-Key", reason: "from 1 to 100 characters")
        }
        let workflow = self.workflow
        if let code = intake.classCode, case .failure(let refused) = workflow.classes.selectable(code) { throw refused }
        try checkAttachments(intake.attachments)
        let place = try locate(intake)
        guard principal.territory.contains(place.grid) else {
            throw CaseRefused(field: intake.location == nil ? "address" : "location", reason: "lies outside the territory of your account")
        }
        var draft = Case(source: intake.source, classCode: intake.classCode, urgency: intake.urgency, description: description, location: place.location,
                         addressText: intake.addressText?.trimmingWhitespace.nilIfEmpty, addressCode: place.addressCode, gridCode: place.grid,
                         reporter: principal.username, reportedAt: time)
        draft.reporterAccount = principal.reportingAccount
        if let phone = intake.contactPhone?.trimmingWhitespace.nilIfEmpty {
            do {
                draft.reporterContact = vault.seal(try PhoneNumber(phone).digits, field: Self.contactField)
            } catch {
                throw CaseRefused(field: "contactPhone", reason: "\(error)")
            }
        }
        draft.externalReference = intake.externalReference?.trimmingWhitespace.nilIfEmpty
        var trackingCode: String?
        if intake.source == .citizen {
            let code = TrackingCode.generate()
            trackingCode = code
            draft.trackingHash = TrackingCode.hash(code)
        }
        if let code = intake.classCode { draft.possibleDuplicates = try await duplicates(of: draft, classCode: code).map(\.number) }
        var (reported, event) = workflow.report(draft)
        event.attachments = intake.attachments
        let prefix = Self.numberPrefix(grid: place.grid, at: time)
        let audit = AuditRecord(time: time, actor: principal.auditName, action: "case.report", target: "", requestID: requestID)
        let (stored, created) = try await store.createCase(reported, numberPrefix: prefix, event: event, idempotencyKey: idempotencyKey, audit: audit)
        if created { notices.publish(CaseNotice(stored, action: .report, at: time)) }
        return CaseReceipt(case: stored, created: created, trackingCode: created ? trackingCode : nil)
    }

    /// `330110-20261129`: the district's code and the local day; the store appends the day's serial.
    public static func numberPrefix(grid: RegionCode, at time: Date) -> String {
        String(grid.rawValue.prefix(6)) + "-" + CivilDay(time).description.replacingOccurrences(of: "-", with: "")
    }

    struct Place {
        var location: Coordinate
        var grid: RegionCode
        var addressCode: String?
    }

    /// The grid comes from the position when there is one (the address text is then matched only
    /// to link the library), else from the address.
    func locate(_ intake: CaseIntake) throws -> Place {
        let lookup = addresses.lookup()
        var address: StandardAddress?
        var addressProblem: String?
        if let code = intake.addressCode?.trimmingWhitespace.nilIfEmpty {
            guard let a = lookup.address(code) else { throw CaseRefused(field: "addressCode", reason: "no standard address has the code \(code)") }
            address = a
        } else if let text = intake.addressText?.trimmingWhitespace.nilIfEmpty {
            let m = lookup.match(text)
            if let best = m.best, best.score >= 0.75, m.reason?.hasPrefix("ambiguous") != true {
                address = best.address
            } else {
                addressProblem = m.reason ?? "no standard address is close enough"
            }
        }
        if let location = intake.location {
            guard location.isFinite, (-180...180).contains(location.longitude), (-90...90).contains(location.latitude) else {
                throw CaseRefused(field: "location", reason: "longitude and latitude in degrees (WGS-84)")
            }
            guard let grid = regions.territory().grid(at: location)?.code else {
                throw CaseRefused(field: "location", reason: "lies outside every grid of the territory")
            }
            return Place(location: location, grid: grid, addressCode: address?.code)
        }
        if let address {
            guard let grid = address.gridCode ?? regions.territory().grid(at: address.coordinate)?.code else {
                throw CaseRefused(field: "address", reason: "the address \(address.code) lies in no grid")
            }
            return Place(location: address.coordinate, grid: grid, addressCode: address.code)
        }
        if let addressProblem { throw CaseRefused(field: "addressText", reason: "was not found in the address library: \(addressProblem)") }
        throw CaseRefused(field: "location", reason: "give a position, an address code or an address text")
    }

    /// Open cases of the class within the duplicate radius reported in the window before.
    func duplicates(of c: Case, classCode: CaseClassCode) async throws -> [(number: String, location: Coordinate)] {
        let dLat = duplicateRadius / 111_320
        let dLon = duplicateRadius / GreatCircle.metresPerDegreeLongitude(atLatitude: c.location.latitude)
        let box = BoundingBox(minLongitude: c.location.longitude - dLon, minLatitude: c.location.latitude - dLat,
                              maxLongitude: c.location.longitude + dLon, maxLatitude: c.location.latitude + dLat)
        return try await store.openCases(classCode: classCode, within: box, reportedSince: c.reportedAt.addingTimeInterval(-duplicateWindow))
            .filter { $0.number != c.number && GreatCircle.distance($0.location, c.location) <= duplicateRadius }
    }

    // MARK: steps

    /// Takes one step on a case stored at `version`. Checks the permission of the step, the
    /// territory (or, for department steps, the department), the status (``CaseTransitionRefused``)
    /// and the version (``CaseVersionConflict``).
    public func perform(_ command: CaseCommand, on number: String, version: Int, note: String? = nil, attachments: [String] = [],
                        by principal: Principal, at time: Date = now(), requestID: String? = nil) async throws -> Case {
        let action = command.action
        try principal.require(action.permission)
        guard let stored = try await store.storedCase(number: number), mayRead(stored, principal) else { throw AccessDenied.outsideTerritory }
        try authorize(command, on: stored, by: principal)
        if stored.version != version { throw CaseVersionConflict(number: number, expected: version, current: stored.version) }
        try checkAttachments(attachments)
        let workflow = self.workflow
        var command = command
        if case .completeTask = command, let department = principal.department { command = .completeTask(department: department) }
        if case .dispatch(let lead, let assisting, _) = command {
            for (field, code) in [("department", lead)] + assisting.map({ ("assisting", $0) }) {
                guard let d = department(code.trimmingWhitespace), d.active else { throw CaseRefused(field: field, reason: "no active department \(code)") }
            }
        }
        let applied = try workflow.apply(command, to: stored, actor: principal.auditName, at: time, note: note, attachments: attachments)
        var updated = applied.0
        let event = applied.1
        if case .register = command, stored.classCode == nil, let code = updated.classCode {
            updated.possibleDuplicates = try await duplicates(of: updated, classCode: code).map(\.number)
        }
        var changes = [CaseChange(previous: stored, updated: updated, event: event)]
        var audit = [AuditRecord(time: time, actor: principal.auditName, action: "case." + action.rawValue, target: "case:" + number, requestID: requestID)]
        switch command {
        case .merge(let into):
            guard let target = try await store.storedCase(number: into), mayRead(target, principal) else {
                throw CaseRefused(field: "into", reason: "no case \(into)")
            }
            guard target.classCode == nil || stored.classCode == nil || target.classCode == stored.classCode else {
                throw CaseRefused(field: "into", reason: "case \(into) is of another class (\(target.classCode!.rawValue))")
            }
            let (absorbing, absorbed) = try workflow.apply(.absorb(duplicate: number), to: target, actor: principal.auditName, at: time, note: note)
            changes.append(CaseChange(previous: target, updated: absorbing, event: absorbed))
            audit.append(AuditRecord(time: time, actor: principal.auditName, action: "case.absorb", target: "case:" + into, requestID: requestID))
        default:
            break
        }
        try await store.updateCases(changes, audit: audit)
        announce(changes, at: time)
        return updated
    }

    func announce(_ changes: [CaseChange], at time: Date) {
        for change in changes { notices.publish(CaseNotice(change.updated, action: change.event.action, at: time)) }
    }

    /// Attachments are uploaded first and referred to by their hash.
    func checkAttachments(_ hashes: [String]) throws {
        guard hashes.count <= 9 else { throw CaseRefused(field: "attachments", reason: "at most 9 attachments per step") }
        for (i, h) in hashes.enumerated() where !attachments.exists(h) {
            throw CaseRefused(field: "attachments[\(i)]", reason: "no uploaded attachment has the hash \(h): upload it first")
        }
    }

    /// Stores an upload (audited with its hash).
    public func upload(_ bytes: [UInt8], declaredType: String?, by principal: Principal, requestID: String? = nil) async throws -> Attachment {
        try principal.require(.attachmentUpload)
        let attachment = try attachments.store(bytes, declaredType: declaredType)
        _ = try await store.appendAudit([AuditRecord(actor: principal.auditName, action: "attachment.upload", target: "attachment:" + attachment.hash,
                                                     requestID: requestID)])
        return attachment
    }

    /// How long an upload waits for the report or step that cites it (a resident uploads his photo,
    /// then sends the report; one who never sends it leaves a photo no one may ever read).
    public static let uncitedUploadLifetime: TimeInterval = 24 * 3600

    /// Removes the uploads no case cites that are older than ``uncitedUploadLifetime``; audited
    /// as one batch. Returns how many (would) go.
    public func expireUncitedUploads(at time: Date = now(), dryRun: Bool, actor: String) async throws -> Int {
        var uncited: [String] = []
        for hash in attachments.stored(before: time.addingTimeInterval(-Self.uncitedUploadLifetime)) where try await store.cases(withAttachment: hash).isEmpty {
            uncited.append(hash)
        }
        guard !dryRun, !uncited.isEmpty else { return uncited.count }
        // Checked once more just before each removal: a report may have cited it meanwhile.
        var removed = 0
        for hash in uncited where try await store.cases(withAttachment: hash).isEmpty {
            try attachments.remove(hash)
            removed += 1
        }
        _ = try await store.appendAudit([AuditRecord(time: time, actor: actor, action: "retention.uploads", target: "attachments:\(removed)",
                                                     purpose: "uploads no case cited within \(Int(Self.uncitedUploadLifetime / 3600)) h")])
        return removed
    }

    /// An attachment, for someone who may read a case that shows it.
    public func attachment(_ hash: String, for principal: Principal) async throws -> (bytes: [UInt8], type: String) {
        try principal.require(.caseRead)
        guard AttachmentVault.isHash(hash), try await store.cases(withAttachment: hash).contains(where: { mayRead($0, principal) }),
              let content = try attachments.read(hash) else { throw AccessDenied.outsideTerritory }
        return content
    }

    // MARK: the public pages (no account)

    /// A resident's report without an account: a tracking code comes back.
    public func publicReport(_ intake: CaseIntake, idempotencyKey: String? = nil, at time: Date = now(), requestID: String? = nil) async throws -> CaseReceipt {
        var intake = intake
        intake.source = .citizen
        return try await report(intake, by: .anonymousCitizen, idempotencyKey: idempotencyKey, at: time, requestID: requestID)
    }

    /// The case a tracking code follows, or nil.
    public func tracked(_ code: String) async throws -> Case? {
        guard TrackingCode.normalized(code).count == 12 else { return nil }
        return try await store.storedCase(trackingHash: TrackingCode.hash(code))
    }

    /// The resident rates the handling with the tracking code.
    public func evaluate(trackingCode: String, satisfaction: Int, comment: String?, at time: Date = now(), requestID: String? = nil) async throws -> Case {
        guard let c = try await tracked(trackingCode) else { throw AccessDenied.outsideTerritory }
        let (updated, event) = try workflow.apply(.evaluate(satisfaction: satisfaction), to: c, actor: "citizen:tracking", at: time, note: comment)
        let change = CaseChange(previous: c, updated: updated, event: event)
        try await store.updateCases([change], audit: [AuditRecord(time: time, actor: "anonymous", action: "case.evaluate", target: "case:" + c.number, requestID: requestID)])
        announce([change], at: time)
        return updated
    }

    /// Department steps belong to the department; the lead's steps to the lead.
    func authorize(_ command: CaseCommand, on c: Case, by principal: Principal) throws {
        switch command.action {
        case .accept, .return, .requestExtension, .reportHandled:
            if let department = principal.department, c.department != department {
                throw CaseRefused(field: "department", reason: "the case is led by \(c.department ?? "no department"), not \(department)")
            }
        case .completeTask:
            guard let department = principal.department ?? {
                if case .completeTask(let d) = command { return d } else { return nil }
            }() else { throw CaseRefused(field: "department", reason: "name the assisting department") }
            guard c.tasks.contains(where: { $0.department == department }) else {
                throw CaseRefused(field: "department", reason: "\(department) has no task in case \(c.number)")
            }
        case .evaluate:
            // The reporter rates; the hotline operator records a call-back's rating.
            if !isOwnReport(c, principal) && !principal.may(.caseRegister) {
                throw AccessDenied.missingPermission(.caseRegister)
            }
        default:
            break
        }
    }

    /// Whether the principal may see the case: in their territory, their department's, or their own report.
    public func mayRead(_ c: Case, _ principal: Principal) -> Bool {
        if isOwnReport(c, principal) { return true }
        guard principal.may(.caseRead) else { return false }
        if let department = principal.department { return c.involves(department: department) }
        return principal.territory.contains(c.gridCode)
    }

    /// Reporters see and rate their own reports, matched by account id: a report without an
    /// account (a resident's, the console's, a device's) is nobody's own.
    func isOwnReport(_ c: Case, _ principal: Principal) -> Bool {
        guard let mine = principal.reportingAccount else { return false }
        return c.reporterAccount == mine
    }

    public func `case`(_ number: String, for principal: Principal) async throws -> Case {
        guard let c = try await store.storedCase(number: number), mayRead(c, principal) else { throw AccessDenied.outsideTerritory }
        return c
    }

    public func timeline(_ number: String, for principal: Principal) async throws -> [CaseEvent] {
        _ = try await self.case(number, for: principal)
        return try await store.caseEvents(number: number)
    }

    /// A page of cases the principal may see, narrowed to the query.
    public func list(_ query: CaseQuery, for principal: Principal) async throws -> [Case] {
        try await store.cases(scoped(query, for: principal))
    }

    /// Map markers of the cases the principal may see, narrowed to the query and the box.
    public func points(_ query: CaseQuery, within box: BoundingBox?, for principal: Principal) async throws -> [CasePoint] {
        try await store.casePoints(scoped(query, for: principal), within: box)
    }

    public func count(_ query: CaseQuery, for principal: Principal) async throws -> Int {
        try await store.caseCount(scoped(query, for: principal))
    }

    func scoped(_ query: CaseQuery, for principal: Principal) throws -> CaseQuery {
        var q = query
        guard principal.may(.caseRead) else {
            // Without case.read: one's own reports only (none without an account).
            guard let mine = principal.reportingAccount else { throw AccessDenied.missingPermission(.caseRead) }
            q.reporterAccount = mine
            return q
        }
        if let department = principal.department {
            if let asked = q.department, asked != department { throw AccessDenied.outsideTerritory }
            q.department = department
        } else if let root = principal.territory.root {
            if let asked = q.territory {
                guard principal.territory.contains(asked) else { throw AccessDenied.outsideTerritory }
            } else {
                q.territory = root
            }
        }
        return q
    }

    /// Reporter's phone in clear, with a purpose (audited): for the hotline's call-back.
    public func revealContact(_ number: String, purpose: String, by principal: Principal, requestID: String? = nil) async throws -> String? {
        try principal.require(.personalDataReveal)
        guard !purpose.trimmingWhitespace.isEmpty else { throw CaseRefused(field: "purpose", reason: "say why the phone number is needed") }
        let c = try await self.case(number, for: principal)
        guard let sealed = c.reporterContact else { return nil }
        _ = try await store.appendAudit([AuditRecord(actor: principal.auditName, action: "reveal.case-contact", target: "case:" + number,
                                                     purpose: purpose.trimmingWhitespace, requestID: requestID)])
        return try vault.open(sealed, field: Self.contactField)
    }

    /// Departments proposed by the routing table for a case (best first).
    public func proposedDepartments(for c: Case) -> [String] {
        guard let code = c.classCode else { return [] }
        return state.withLock { $0.router.proposals(for: code, in: c.gridCode) }
    }

    // MARK: dictionaries

    public func saveClass(_ caseClass: CaseClass, by principal: Principal) async throws {
        try principal.require(.caseConfigure)
        if let problem = caseClass.problem { throw CaseRefused(field: "class", reason: problem) }
        if !caseClass.code.isMajor, classes.major(of: caseClass.code) == nil {
            throw CaseRefused(field: "code", reason: "the major class \(caseClass.code.majorCode) does not exist: add it first (minor 00)")
        }
        try await store.saveCaseClass(caseClass, audit: AuditRecord(actor: principal.auditName, action: "case-class.save", target: "case-class:" + caseClass.code.rawValue))
        try await load()
    }

    /// Changes the loop's settings (all instances read them from the store).
    public func saveSettings(_ settings: CaseSettings, by principal: Principal) async throws {
        try principal.require(.caseConfigure)
        if let problem = settings.problem { throw CaseRefused(field: problem.field, reason: problem.reason) }
        try await settings.save(to: store)
        _ = try await store.appendAudit([AuditRecord(actor: principal.auditName, action: "case-settings.save", target: "settings",
                                                     purpose: settings.description)])
        try await load()
    }

    public func saveCalendarDay(_ day: CalendarDay, by principal: Principal) async throws {
        try principal.require(.caseConfigure)
        guard day.day.isSupported else {
            throw CaseRefused(field: "day", reason: "a date from \(CivilDay.supportedYears.lowerBound) to \(CivilDay.supportedYears.upperBound)")
        }
        guard !day.name.trimmingWhitespace.isEmpty else { throw CaseRefused(field: "name", reason: "name the day (国庆节, 调休上班 …)") }
        if let problem = StoredText.problem(day.name, maxLength: 100) { throw CaseRefused(field: "name", reason: problem) }
        try await store.saveCalendarDay(day, audit: AuditRecord(actor: principal.auditName, action: "calendar.save", target: "day:" + day.day.description))
        try await load()
    }

    public func saveDepartment(_ department: Department, by principal: Principal) async throws {
        try principal.require(.caseConfigure)
        guard Department.isValidCode(department.code) else { throw CaseRefused(field: "code", reason: "lower-case letters, digits and hyphens, 2–40 characters") }
        guard !department.name.trimmingWhitespace.isEmpty else { throw CaseRefused(field: "name", reason: "is required") }
        if let problem = StoredText.problem(department.name, maxLength: 200) { throw CaseRefused(field: "name", reason: problem) }
        if let t = department.territory, regions.territory().region(t) == nil { throw CaseRefused(field: "territory", reason: "no region \(t)") }
        try await store.saveDepartment(department, audit: AuditRecord(actor: principal.auditName, action: "department.save", target: "department:" + department.code))
        try await load()
    }

    public func saveRoutes(_ routes: [DispatchRoute], by principal: Principal) async throws {
        try principal.require(.caseConfigure)
        var seen: Set<String> = []
        for (i, r) in routes.enumerated() {
            if let problem = r.patternProblem { throw CaseRefused(field: "routes[\(i)].classPattern", reason: problem) }
            guard department(r.department) != nil else { throw CaseRefused(field: "routes[\(i)].department", reason: "no department \(r.department)") }
            guard seen.insert(r.classPattern + "@" + r.territory.rawValue).inserted else {
                throw CaseRefused(field: "routes[\(i)]", reason: "a second route for \(r.classPattern) in \(r.territory)")
            }
        }
        try await store.saveDispatchRoutes(routes, audit: AuditRecord(actor: principal.auditName, action: "dispatch-routes.save", target: "routes:\(routes.count)"))
        try await load()
    }
}

/// The code a reporter without an account follows the case with: 12 characters from an alphabet
/// without look-alikes (60 bits), grouped by four.
public enum TrackingCode {
    static let alphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let chars = (0..<12).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return String(chars[0..<4]) + "-" + String(chars[4..<8]) + "-" + String(chars[8..<12])
    }

    /// Case and separators do not matter when it is typed back.
    public static func normalized(_ code: String) -> String {
        String(code.uppercased().filter { alphabet.contains($0) })
    }

    public static func hash(_ code: String) -> String { SecretToken.hash("tracking:" + normalized(code)) }
}

// MARK: KPIs

/// The KPIs of one scope over days `from` ..< `to`, beside the period before and the same period a year earlier.
public struct KPIComparison: Sendable {
    public var scope: KPIScope
    public var from: CivilDay
    public var to: CivilDay
    public var current: KPIReport
    /// 环比: the preceding period of the same length (the month before, for a month).
    public var previousPeriod: KPIReport
    public var previousFrom: CivilDay
    /// 同比: the same days one year earlier.
    public var lastYear: KPIReport
    public var lastYearFrom: CivilDay
    public var lastYearTo: CivilDay
}

extension CaseService {
    /// KPIs from the read model, leaving out what is not due yet at `now`.
    public func kpiReport(_ scope: KPIScope, from: CivilDay, to: CivilDay, now: Date = now()) async throws -> KPIReport {
        let counted = try await store.kpiCounters(scopes: scope.keys, from: from, to: to)
        let pending = try await store.kpiNotYetDue(scope, from: from.start, to: to.start, now: now)
        return KPIReport(counters: counted - pending)
    }

    /// The scope a principal asks for (nil: their own territory, or their department), checked.
    public func kpiScope(territory: RegionCode?, department: String?, worker: String?, for principal: Principal) throws -> KPIScope {
        try principal.require(.kpiRead)
        if let department {
            if let own = principal.department, own != department { throw AccessDenied.outsideTerritory }
            guard let d = self.department(department) else { throw CaseRefused(field: "department", reason: "no department \(department)") }
            // A department's figures cover all its work: only for its own people, the whole district,
            // or a territory that holds all of the department's (a street's own office).
            if principal.department == nil {
                guard principal.territory.includesAll || d.territory.map(principal.territory.contains) == true else { throw AccessDenied.outsideTerritory }
            }
            return .department(department)
        }
        if let worker {
            guard let w = regions.gridWorkers.workers.first(where: { $0.code == worker }) else { throw CaseRefused(field: "worker", reason: "no grid worker \(worker)") }
            guard principal.department == nil, w.gridCodes.allSatisfy(principal.territory.contains) else { throw AccessDenied.outsideTerritory }
            return .grids(w.gridCodes)
        }
        if let territory {
            guard principal.department == nil, principal.territory.contains(territory) else { throw AccessDenied.outsideTerritory }
            guard territory.level >= .district else { throw CaseRefused(field: "territory", reason: "a district or a region within it") }
            return .region(territory)
        }
        if let own = principal.department { return .department(own) }
        if let root = principal.territory.root, root.level >= .district { return .region(root) }
        guard let district = regions.territory().regions(level: .district, under: nil).first?.code else {
            throw CaseRefused(field: "territory", reason: "no district is loaded")
        }
        return .region(district)
    }

    public func kpis(_ scope: KPIScope, from: CivilDay, to: CivilDay, now: Date = now()) async throws -> KPIComparison {
        let length = to.daysSinceEpoch - from.daysSinceEpoch
        // A whole calendar month compares with the whole month before; other periods with the same number of days before.
        let (f, t) = (from.components, to.components)
        let isMonth = f.day == 1 && t.day == 1 && (t.year * 12 + t.month) - (f.year * 12 + f.month) == 1
        let previousFrom = isMonth ? from.firstOfPreviousMonth : from.adding(days: -length)
        let lastYearFrom = CivilDay(year: f.year - 1, month: f.month, day: min(f.day, f.month == 2 ? 28 : f.day))!
        let lastYearTo = CivilDay(year: t.year - 1, month: t.month, day: min(t.day, t.month == 2 ? 28 : t.day))!
        return KPIComparison(scope: scope, from: from, to: to,
                             current: try await kpiReport(scope, from: from, to: to, now: now),
                             previousPeriod: try await kpiReport(scope, from: previousFrom, to: from, now: now), previousFrom: previousFrom,
                             lastYear: try await kpiReport(scope, from: lastYearFrom, to: lastYearTo, now: now), lastYearFrom: lastYearFrom,
                             lastYearTo: lastYearTo)
    }

    /// The supervision queue of the principal's territory (or department): open steps past their
    /// warning mark, the most urgent first.
    public func supervisionQueue(territory: RegionCode?, onlyOverdue: Bool, limit: Int, for principal: Principal, at time: Date = now()) async throws -> [Case] {
        try principal.require(.caseSupervise)
        var q = CaseQuery()
        q.territory = territory
        if onlyOverdue { q.overdueAt = time } else { q.warnedAt = time }
        q.byDeadline = true
        q.limit = limit
        return try await store.cases(scoped(q, for: principal))
    }
}
