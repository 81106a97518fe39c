import Foundation
import GeoKit

/// What an import writes in one transaction: versions to close and versions to add, under one batch.
public struct RegionChangeSet: Sendable {
    /// Versions (identified by code and valid-from) whose validity now ends at `validTo`.
    public var closing: [(code: RegionCode, validFrom: Date, validTo: Date)]
    public var inserting: [Region]
    public var batch: ImportBatch
    /// The latest import batch the change was computed from (nil: none yet). The store refuses the
    /// change with ``StoreConflict`` when a later batch exists: someone else wrote meanwhile.
    public var basedOnBatch: Int64?

    public init(closing: [(code: RegionCode, validFrom: Date, validTo: Date)], inserting: [Region], batch: ImportBatch, basedOnBatch: Int64?) {
        self.closing = closing
        self.inserting = inserting
        self.batch = batch
        self.basedOnBatch = basedOnBatch
    }
}

/// Data whose writes are checked against each other for conflicts: a write based on an outdated
/// read of its family is refused; writes of other families do not interfere.
public enum ImportFamily: String, Sendable, CaseIterable {
    /// Regions and grid workers.
    case territory
    /// The standard address library.
    case addresses
    case people, houses, enterprises, places

    public var kinds: [String] {
        switch self {
        case .territory: ["regions", "grid workers"]
        default: [rawValue]
        }
    }

    public static func of(_ kind: RegistryKind) -> ImportFamily {
        switch kind {
        case .person: .people
        case .house: .houses
        case .enterprise: .enterprises
        case .place: .places
        }
    }
}

/// Provenance of an import: what was imported, from where, by whom, when.
public struct ImportBatch: Sendable, Hashable {
    public var id: Int64?
    public var kind: String
    public var source: String
    public var actor: String
    public var importedAt: Date
    public var recordCount: Int
    public var note: String

    public var family: ImportFamily? { ImportFamily.allCases.first { $0.kinds.contains(kind) } }

    public init(id: Int64? = nil, kind: String, source: String, actor: String, importedAt: Date, recordCount: Int, note: String = "") {
        self.id = id
        self.kind = kind
        self.source = source
        self.actor = actor
        self.importedAt = importedAt
        self.recordCount = recordCount
        self.note = note
    }
}

/// Storage of region versions. Implementations: SQLiteStore, and later PostgresStore; both must
/// pass the shared suite in StoreTestSupport.
public protocol RegionStore: Sendable {
    /// Every version of every region.
    func loadRegions() async throws -> [Region]
    /// Applies the change set atomically (all or nothing) and returns the stored batch with its id.
    func commit(_ changes: RegionChangeSet) async throws -> ImportBatch
    func importBatches() async throws -> [ImportBatch]
    /// The id of the latest import batch of the family, nil when there is none.
    func latestImportBatchID(_ family: ImportFamily) async throws -> Int64?
}

public protocol GridWorkerStore: Sendable {
    func loadGridWorkers() async throws -> [GridWorker]
    /// Inserts or replaces workers by code, their grid assignments included, atomically, recorded
    /// under `batch`; refused with ``StoreConflict`` when a batch later than `basedOnBatch` exists.
    func saveGridWorkers(_ workers: [GridWorker], batch: ImportBatch, basedOnBatch: Int64?) async throws -> ImportBatch
}

/// Small deployment facts (for example which demo preset generated the data).
public protocol SettingsStore: Sendable {
    func setting(_ key: String) async throws -> String?
    func setSetting(_ key: String, _ value: String) async throws
    func removeSetting(_ key: String) async throws
}

/// The standard address library.
public protocol AddressStore: Sendable {
    func loadAddresses() async throws -> [StandardAddress]
    func loadPlaceAliases() async throws -> [PlaceAlias]
    /// Inserts or updates addresses by code, and adds aliases, atomically under `batch`; refused
    /// with ``StoreConflict`` when an address batch later than `basedOnBatch` exists.
    func saveAddresses(_ addresses: [StandardAddress], aliases: [PlaceAlias], batch: ImportBatch, basedOnBatch: Int64?) async throws -> ImportBatch
    /// Sets the grid of the given addresses (after boundaries changed), atomically.
    func updateAddressGrids(_ assignments: [(code: String, grid: RegionCode?)]) async throws
}

/// The registries of people, houses, enterprises and places, with the provenance of their values.
public protocol RegistryStore: Sendable {
    /// The records with these keys (those that exist).
    func registryEntries(_ kind: RegistryKind, keys: [String]) async throws -> [RegistryEntry]
    /// The records at these addresses.
    func registryEntries(_ kind: RegistryKind, addressCodes: [String]) async throws -> [RegistryEntry]
    /// Writes the records of `feed` under `batch` in one transaction, pulling chunks as it goes:
    /// new keys are inserted, known keys (stored before, or earlier in the feed) merged by
    /// ``ProvenanceMerge/resolve(stored:incoming:recordedClaims:)`` with their claims recorded. Every
    /// record written carries the batch and its time. All or nothing: when the feed throws, nothing
    /// is written. Refused with ``StoreConflict`` when a batch of the same registry later than
    /// `basedOnBatch` exists. When nothing changed, no batch is recorded.
    func writeRegistry(_ kind: RegistryKind, feed: RegistryFeed, batch: ImportBatch, basedOnBatch: Int64?) async throws -> RegistryWriteResult
    func registryCount(_ kind: RegistryKind) async throws -> Int
    /// The claims recorded for a record, oldest first.
    func fieldConflicts(_ kind: RegistryKind, key: String) async throws -> [FieldConflict]
    /// Records flagged for review, by key.
    func entriesNeedingReview(_ kind: RegistryKind, limit: Int) async throws -> [RegistryEntry]
    /// Per address: people, households, people with a tag (the vulnerable), enterprises and places.
    func addressCensus() async throws -> [AddressCensus]
    /// Rewrites every record as stored (key, fields, tags column) and every recorded claim through
    /// the closures, with the audit record, in one transaction; returns the records rewritten. A
    /// record whose key changes takes its claims along. For re-encrypting personal data under a
    /// new key.
    /// The houses whose owner's ID number is stored as `sealedOwnerID` (sealing is deterministic,
    /// so an erasure finds a person's houses without opening every house).
    func houses(ownedBy sealedOwnerID: String) async throws -> [RegistryEntry]
    /// Records of a category not written by any import since `before`, oldest first, without the
    /// erased ones (keys starting with ``RegistryEntry/erasedKeyPrefix``).
    func registryEntries(_ kind: RegistryKind, category: String, updatedBefore before: Date, limit: Int) async throws -> [RegistryEntry]
    /// How many records the query above would find without a limit.
    func registryCount(_ kind: RegistryKind, category: String, updatedBefore before: Date) async throws -> Int
    /// Replaces records (found by kind and stored key) with the given ones, drops the claims filed
    /// under their old keys, and appends the audit records, all in one transaction. For erasure.
    func replaceRegistryEntries(_ replacements: [RegistryReplacement], audit: [AuditRecord]) async throws
    func rewriteRegistries(audit: AuditRecord,
                           record: @escaping @Sendable (RegistryEntry, _ tagsColumn: String?) throws -> (RegistryEntry, String?),
                           claim: @escaping @Sendable (FieldConflict) throws -> FieldConflict) async throws -> Int
}

/// A stored record to replace (erasure): the record as it is to be kept, under a new key.
public struct RegistryReplacement: Sendable {
    public var kind: RegistryKind
    public var storedKey: String
    public var replacement: RegistryEntry
    public var tagsColumn: String?

    public init(kind: RegistryKind, storedKey: String, replacement: RegistryEntry, tagsColumn: String?) {
        self.kind = kind
        self.storedKey = storedKey
        self.replacement = replacement
        self.tagsColumn = tagsColumn
    }
}

/// What the registries hold at one address.
public struct AddressCensus: Sendable, Hashable {
    public var addressCode: String
    public var people = 0
    public var households = 0
    public var vulnerable = 0
    public var enterprises = 0
    public var places = 0

    public init(addressCode: String) { self.addressCode = addressCode }
}

/// Layers defined by administrators, and the aggregates layers are drawn from.
public protocol LayerStore: Sendable {
    func loadLayers() async throws -> [LayerDefinition]
    /// Adds or replaces a layer by id, with its audit entry in the same transaction.
    func saveLayer(_ layer: LayerDefinition, audit: AuditRecord) async throws
    /// Returns whether a layer was removed (and audited).
    func deleteLayer(_ id: String, audit: AuditRecord) async throws -> Bool
    /// How many records of the registry match the rule at each address.
    func registryAddressCounts(_ kind: RegistryKind, rule: LayerRule) async throws -> [(addressCode: String, count: Int)]
}

/// Everything CityBrain keeps, behind one value handed to the services at start-up.
/// The audit trail: appended to, read, never changed.
public protocol AuditStore: Sendable {
    /// Appends entries to the hash chain, atomically.
    func appendAudit(_ records: [AuditRecord]) async throws -> [AuditEntry]
    /// Entries in sequence order, from `sequence` on.
    func auditEntries(from sequence: Int64, limit: Int) async throws -> [AuditEntry]
    /// Entries matching the query, newest first.
    func auditEntries(matching query: AuditQuery) async throws -> [AuditEntry]
}

/// What an auditor looks for in the trail. Every condition given must hold.
public struct AuditQuery: Sendable, Hashable {
    public var actor: String?
    /// `login` finds `login`, `login.failed`, `login.lockout` …
    public var actionPrefix: String?
    public var target: String?
    public var from: Date?
    public var to: Date?
    /// Entries with a smaller sequence than this (the next page, newest first).
    public var before: Int64?
    public var limit: Int

    public init(actor: String? = nil, actionPrefix: String? = nil, target: String? = nil, from: Date? = nil, to: Date? = nil, before: Int64? = nil, limit: Int = 100) {
        self.actor = actor
        self.actionPrefix = actionPrefix
        self.target = target
        self.from = from
        self.to = to
        self.before = before
        self.limit = limit
    }
}

/// Accounts, administrators' roles, browser sessions and API tokens. Every change is stored together
/// with its audit record (logins and permission changes are on the trail).
public protocol AccountStore: Sendable {
    func account(username: String) async throws -> Account?
    func account(id: Int64) async throws -> Account?
    func accounts() async throws -> [Account]
    /// Inserts (id nil) or updates the account by id; refused with ``StoreConflict`` when the user
    /// name is taken. Returns the stored account.
    func saveAccount(_ account: Account, audit: AuditRecord) async throws -> Account
    /// Records a login attempt's outcome on the account (failure count, lock) with its audit entry.
    func recordLogin(accountID: Int64, failedLogins: Int, lockedUntil: Date?, audit: AuditRecord) async throws
    /// One more failed login (or check of the password) on the account: reads the stored failure
    /// state, applies `rule` and writes the result in one transaction that holds the account's
    /// row, so concurrent failures each count. The audit entry is made from the outcome.
    func recordLoginFailure(accountID: Int64, rule: LockoutRule, at time: Date,
                            audit: @Sendable (LoginFailureState) -> AuditRecord) async throws -> LoginFailureState
    func storedRoles() async throws -> [Role]
    func saveRole(_ role: Role, audit: AuditRecord) async throws
    func createSession(_ session: Session, audit: AuditRecord) async throws
    func session(tokenHash: String) async throws -> Session?
    func touchSession(tokenHash: String, at time: Date) async throws
    /// Ends one session (`tokenHash`) or all of an account's (`accountID`), audited when `audit` is given.
    func deleteSessions(tokenHash: String?, accountID: Int64?, audit: AuditRecord?) async throws
    func createToken(_ token: APIToken, audit: AuditRecord) async throws -> APIToken
    func token(hash: String) async throws -> APIToken?
    func token(id: Int64) async throws -> APIToken?
    func tokens() async throws -> [APIToken]
    func revokeToken(id: Int64, at time: Date, audit: AuditRecord) async throws
    /// Deletes sessions that expired and tokens that expired or were revoked before `endedBefore`,
    /// with the audit record; returns how many of each.
    func purgeCredentials(endedBefore: Date, audit: AuditRecord) async throws -> (sessions: Int, tokens: Int)
}

/// A store with a schema of its own.
public protocol MigratingStore: Sendable {
    /// Applies pending migrations (harmless when there are none).
    func migrate() async throws
}

/// Leases of the scheduled jobs (supervision): with several server instances on one database, each
/// run of a job happens in exactly one of them. A holder renews its lease on every run; when it
/// stops, the lease runs out and another instance takes the job over.
public protocol JobLeaseStore: Sendable {
    /// Takes or renews the lease of `job` for `holder` until `until`, when nobody holds it, its lease
    /// ran out by `now`, or `holder` holds it already. True when `holder` holds the lease afterwards.
    func acquireLease(_ job: String, holder: String, now: Date, until: Date) async throws -> Bool
    /// Gives the lease up (a holder shutting down), so that another instance need not wait it out.
    func releaseLease(_ job: String, holder: String) async throws
    /// Who holds the lease of `job` at `now` (nil: nobody, or it ran out).
    func leaseHolder(_ job: String, at now: Date) async throws -> String?
}

/// The territory, the deployment's settings, the audit trail and the jobs' leases: what every other
/// part hangs on, and the first part a new backend implements (the shared suite checks it on its own).
public typealias TerritoryStore = RegionStore & GridWorkerStore & SettingsStore & AuditStore & JobLeaseStore & MigratingStore

public protocol CityBrainStore: RegionStore, GridWorkerStore, AddressStore, RegistryStore, LayerStore, SettingsStore, AuditStore, AccountStore, CaseStore,
                                JobLeaseStore, MigratingStore, ReadHealthStore, AuditCheckpointStore, TimedStore {}

/// A conflict the caller can act upon (e.g. two imports at once).
public struct StoreConflict: Error, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// A change to one case, applied only if the stored case is still `previous` (same version). The
/// store moves the KPI read model from `previous`'s contribution to `updated`'s.
public struct CaseChange: Sendable {
    public var previous: Case
    public var updated: Case
    public var event: CaseEvent

    public init(previous: Case, updated: Case, event: CaseEvent) {
        self.previous = previous
        self.updated = updated
        self.event = event
    }

    public var expectedVersion: Int { previous.version }
}

/// Whose KPIs: a region (and everything in it), a department (as lead), or a grid worker's grids.
public enum KPIScope: Sendable, Hashable {
    case region(RegionCode)
    case department(String)
    case grids([RegionCode])

    /// The read model's scope keys to add up.
    public var keys: [String] {
        switch self {
        case .region(let r): [CaseKPI.regionScope(r)]
        case .department(let d): [CaseKPI.departmentScope(d)]
        case .grids(let g): g.map(CaseKPI.regionScope)
        }
    }
}

/// Which cases a list shows. Every condition given must hold; newest first.
public struct CaseQuery: Sendable, Hashable {
    public var statuses: [CaseStatus] = []
    /// A minor class (`E0102`) or a major class (`E01`).
    public var classPrefix: String?
    /// Cases in this region (and below).
    public var territory: RegionCode?
    /// Cases the department leads or assists in.
    public var department: String?
    public var source: CaseSource?
    /// Cases reported by this account (``Case/reporterKey(account:)``).
    public var reporterAccount: Int64?
    /// Open cases whose running step is past its deadline at `overdueAt`.
    public var overdueAt: Date?
    /// Open cases whose running step is past its warning mark (yellow or red) at `warnedAt`.
    public var warnedAt: Date?
    /// Earliest running deadline first (a supervision queue) instead of newest first; no cursor.
    public var byDeadline = false
    /// Reported at or after / before.
    public var from: Date?
    public var to: Date?
    /// Cases with a smaller id (the next page).
    public var before: Int64?
    public var limit: Int = 50

    public init() {}
}

/// A case as a map marker: no description, no personal data.
public struct CasePoint: Sendable, Hashable {
    public var number: String
    public var status: CaseStatus
    public var classCode: String?
    public var gridCode: String
    public var location: Coordinate
    /// The running step's deadline (nil when no clock runs).
    public var runningDue: Date?

    public init(number: String, status: CaseStatus, classCode: String?, gridCode: String, location: Coordinate, runningDue: Date?) {
        self.number = number
        self.status = status
        self.classCode = classCode
        self.gridCode = gridCode
        self.location = location
        self.runningDue = runningDue
    }
}

/// How ``CaseStore/caseTally(_:classes:by:)`` groups: not at all, by local month (`2026-11`), or by
/// the leading characters of the grid code (a region level's short form: 6 district, 9 street, 12 community).
public enum CaseTallyGroup: Sendable, Hashable {
    case none
    case month
    case regionPrefix(length: Int)
}

/// Cases reported, and of those the closed ones (closed or rated).
public struct CaseTally: Sendable, Hashable {
    public var reported = 0
    public var closed = 0
    public init(reported: Int = 0, closed: Int = 0) {
        self.reported = reported
        self.closed = closed
    }
}

public enum CaseBreakdown: String, Sendable, CaseIterable {
    case classCode = "class"
    case source
}

/// Cases, their timelines, and what the loop runs on: classes, calendar, departments, routes.
public protocol CaseStore: Sendable {
    /// Classes saved by administrators (added, or replacing seed classes).
    func storedCaseClasses() async throws -> [CaseClass]
    func saveCaseClass(_ caseClass: CaseClass, audit: AuditRecord) async throws
    /// Calendar days saved by administrators (added to, or replacing, the official calendar).
    func storedCalendarDays() async throws -> [CalendarDay]
    func saveCalendarDay(_ day: CalendarDay, audit: AuditRecord) async throws
    func departments() async throws -> [Department]
    func saveDepartment(_ department: Department, audit: AuditRecord) async throws
    func dispatchRoutes() async throws -> [DispatchRoute]
    /// Replaces the whole routing table.
    func saveDispatchRoutes(_ routes: [DispatchRoute], audit: AuditRecord) async throws

    /// Stores a new case with its first timeline entry, its KPI contribution and audit record, numbering it
    /// `<prefix>-<serial of 6 digits>` (`prefix`: district and local day). With an idempotency
    /// key already used by the same reporter, nothing is written and the stored case is returned
    /// with `created` false.
    func createCase(_ draft: Case, numberPrefix: String, event: CaseEvent, idempotencyKey: String?, audit: AuditRecord) async throws -> (case: Case, created: Bool)
    /// Applies the changes (each with its timeline entry) and the audit records in one transaction;
    /// throws ``CaseVersionConflict`` (and writes nothing) when a case is no longer at its expected version.
    func updateCases(_ changes: [CaseChange], audit: [AuditRecord]) async throws
    func storedCase(number: String) async throws -> Case?
    func storedCase(trackingHash: String) async throws -> Case?
    func cases(_ query: CaseQuery) async throws -> [Case]
    func caseCount(_ query: CaseQuery) async throws -> Int
    /// The timeline, oldest first.
    func caseEvents(number: String) async throws -> [CaseEvent]
    /// Open cases of the class reported since `since` inside the box (duplicate candidates): their
    /// numbers and positions, oldest first.
    func openCases(classCode: CaseClassCode, within box: BoundingBox, reportedSince since: Date) async throws -> [(number: String, location: Coordinate)]
    /// The map's markers: cases matching the query (newest first, up to its limit) inside the box, read
    /// from indexed columns without decoding whole cases.
    func casePoints(_ query: CaseQuery, within box: BoundingBox?) async throws -> [CasePoint]
    /// How many cases match the query, by class (unclassified ones under "") or by source.
    func caseBreakdown(_ query: CaseQuery, by dimension: CaseBreakdown) async throws -> [String: Int]
    /// Reported and closed counts of the cases matching the query and any of `classes` (minor or
    /// major codes; none: every class), in one pass, grouped as asked ("" for `.none`).
    func caseTally(_ query: CaseQuery, classes: [String], by group: CaseTallyGroup) async throws -> [String: CaseTally]
    /// Cases whose ``Case/nextAlertAt`` has come, earliest first.
    func casesNeedingSupervision(at time: Date, limit: Int) async throws -> [Case]
    /// Cases whose reporter's phone is stored as `sealed` (sealing is deterministic).
    func cases(withContact sealed: String) async throws -> [Case]
    /// Cases whose timeline shows the attachment.
    func cases(withAttachment hash: String) async throws -> [Case]
    /// The read model summed over the scope keys and the days `from` ..< `to`.
    func kpiCounters(scopes: [String], from: CivilDay, to: CivilDay) async throws -> KPICounters
    /// What the read model counts as due in `from` ..< `to` but is not due yet at `now`: open
    /// cases whose handling or closing deadline is still ahead (handleDue, closeDue, reworked, extended).
    func kpiNotYetDue(_ scope: KPIScope, from: Date, to: Date, now: Date) async throws -> KPICounters
    /// Recomputes the read model from every case (after a bulk load); returns the cases counted.
    func rebuildCaseKPIs() async throws -> Int
    /// Loads numbered cases with their timelines (history from another system, the demo), pulled
    /// from `next` until it returns nil, in one transaction with one audit record; the read model
    /// and the day counters of case numbers follow. Returns the cases written.
    func importCaseHistory(audit: AuditRecord, next: @escaping @Sendable () throws -> [(Case, [CaseEvent])]?) async throws -> Int
    /// Rewrites every sealed reporter phone through `transform` (key rotation), with the audit
    /// record, in one transaction; returns the cases rewritten.
    func rewriteCaseContacts(audit: AuditRecord, transform: @escaping @Sendable (String) throws -> String) async throws -> Int
}
