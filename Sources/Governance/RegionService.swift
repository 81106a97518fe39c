import Foundation
import GeoKit
import Synchronization

/// The regions and grid workers of the deployment: imports (validated, all-or-nothing, versioned)
/// and the lookups every other capability uses.
///
/// Reads take the current catalogue without waiting. Writes (imports, grid workers, reloads) are
/// serialised in this process, and across processes by optimistic concurrency: a write states the
/// latest import batch it was based on, and the store refuses it if another write came first.
public final class RegionService: Sendable {
    public let store: any CityBrainStore
    private let state: Mutex<Snapshot>
    private let gate = WriteGate()
    private let observers = Mutex<[@Sendable () async throws -> Void]>([])

    struct Snapshot {
        var catalog: RegionCatalog
        var workers: GridWorkerDirectory
        /// The latest import batch when the snapshot was read.
        var batch: Int64?
    }

    public init(store: any CityBrainStore) {
        self.store = store
        self.state = Mutex(Snapshot(catalog: .empty, workers: GridWorkerDirectory(workers: []), batch: nil))
    }

    /// Registers work to do whenever the boundaries in force may have changed (an import here, or
    /// one by another process picked up by ``reloadIfChanged()``): the address library re-assigns
    /// grids this way.
    public func onTerritoryChange(_ observer: @escaping @Sendable () async throws -> Void) {
        observers.withLock { $0.append(observer) }
    }

    private func notifyObservers() async throws {
        for observer in observers.withLock({ $0 }) { try await observer() }
    }

    /// Loads the catalogue from the store and builds today's territory (the spatial indexes).
    public func load() async throws {
        try await gate.run { try await self.loadNow() }
    }

    /// Reloads when another process has imported since the last load (the server calls this on a
    /// timer, so that a `citybrain import` shows on a running map). Returns whether it reloaded.
    @discardableResult
    public func reloadIfChanged() async throws -> Bool {
        try await gate.run {
            guard try await self.store.latestImportBatchID(.territory) != self.state.withLock({ $0.batch }) else { return false }
            try await self.loadNow()
            try await self.notifyObservers()
            return true
        }
    }

    private func loadNow() async throws {
        // The batch id first: an import committing in between makes the snapshot look older than
        // it is, which can only cause a refused write, never a lost one.
        let batch = try await store.latestImportBatchID(.territory)
        let versions = try await store.loadRegions()
        let workers = try await store.loadGridWorkers()
        let catalog = RegionCatalog(versions: versions)
        _ = catalog.territory()
        state.withLock { $0 = Snapshot(catalog: catalog, workers: GridWorkerDirectory(workers: workers), batch: batch) }
    }

    public var catalog: RegionCatalog { state.withLock { $0.catalog } }
    public var gridWorkers: GridWorkerDirectory { state.withLock { $0.workers } }

    public func territory(at instant: Date? = nil) -> Territory { catalog.territory(at: instant) }

    /// Validates and, when there are no errors and `dryRun` is false, stores the drafts as new
    /// versions in one transaction. Throws ``RegionImportRejected`` (nothing written) on errors.
    public func importRegions(
        _ drafts: [RegionDraft], readIssues: [RegionValidationIssue] = [], options: RegionImportOptions,
        dryRun: Bool = false, progress: (@Sendable (String) -> Void)? = nil
    ) async throws -> RegionImportResult {
        // One orientation and no repeated positions, so that content comparison is meaningful.
        let drafts = drafts.map { d -> RegionDraft in
            var d = d
            d.geometry = d.geometry.normalized
            return d
        }
        return try await gate.run {
            let snapshot = self.state.withLock { $0 }
            let catalog = snapshot.catalog
            let current = catalog.territory(at: options.validFrom)
            let fileCodes = Set(drafts.map(\.code))
            let retiring = options.retireMissing ? Self.retired(by: drafts, in: current) : []
            var report = RegionValidator(tolerances: options.tolerances)
                .validate(drafts, against: current, retiring: Set(retiring.map(\.code)), progress: progress)
            report.issues = readIssues + report.issues
            report.featureCount = drafts.count + Set(readIssues.compactMap(\.featureIndex)).count

            var closing: [(code: RegionCode, validFrom: Date, validTo: Date)] = []
            var inserting: [Region] = []
            var unchanged = 0
            for d in drafts {
                // A district imported without its city keeps no dangling parent code.
                let parent = d.parentCode.flatMap { fileCodes.contains($0) || current.region($0) != nil ? $0 : nil }
                let region = Region(code: d.code, name: d.name, parentCode: parent, geometry: d.geometry,
                                    validFrom: options.validFrom, sourceCoordinateSystem: options.coordinateSystem)
                if let previous = catalog.history(of: d.code).last {
                    if previous.validTo == nil && previous.hasSameContent(as: region) {
                        unchanged += 1
                        continue
                    }
                    // New versions must start after the ones they replace.
                    guard previous.validFrom < options.validFrom else {
                        report.issues.append(RegionValidationIssue(.error, .versionOrder, featureIndex: d.featureIndex, code: d.code.rawValue,
                            message: "a version valid from \(isoTimestamp(previous.validFrom)) exists; a new version must start later"))
                        continue
                    }
                    if previous.validTo.map({ $0 > options.validFrom }) ?? true {
                        closing.append((d.code, previous.validFrom, options.validFrom))
                    }
                }
                inserting.append(region)
            }
            for r in retiring {
                guard catalog.history(of: r.code).last?.validFrom ?? .distantFuture < options.validFrom else {
                    report.issues.append(RegionValidationIssue(.error, .versionOrder, featureIndex: nil, code: r.code.rawValue,
                        message: "cannot be retired at \(isoTimestamp(options.validFrom)): it has a version starting then or later"))
                    continue
                }
                closing.append((r.code, r.validFrom, options.validFrom))
            }
            guard report.isAcceptable else { throw RegionImportRejected(report: report) }
            if dryRun || (inserting.isEmpty && closing.isEmpty) {
                return RegionImportResult(report: report, batch: nil, inserted: inserting.count, closed: closing.count, unchanged: unchanged)
            }
            let batch = ImportBatch(kind: "regions", source: options.source, actor: options.actor, importedAt: Date(),
                                    recordCount: inserting.count, note: "\(closing.count) versions closed")
            let stored = try await self.store.commit(RegionChangeSet(closing: closing, inserting: inserting, batch: batch, basedOnBatch: snapshot.batch))
            do {
                try await self.loadNow()
                try await self.notifyObservers()
            } catch {
                throw WrittenButNotReloaded(batch: stored, underlying: error)
            }
            return RegionImportResult(report: report, batch: stored, inserted: inserting.count, closed: closing.count, unchanged: unchanged)
        }
    }

    /// With --retire-missing: the regions in force under a parent the drafts give children for,
    /// but absent from the drafts — and everything below them.
    static func retired(by drafts: [RegionDraft], in territory: Territory) -> [Region] {
        let fileCodes = Set(drafts.map(\.code))
        var result: [Region] = []
        var pending = Set(drafts.compactMap(\.parentCode)).flatMap { territory.children(of: $0) }.filter { !fileCodes.contains($0.code) }
        var seen = Set<RegionCode>()
        while let r = pending.popLast() {
            guard seen.insert(r.code).inserted else { continue }
            result.append(r)
            pending += territory.children(of: r.code).filter { !fileCodes.contains($0.code) }
        }
        return result.sorted { $0.code < $1.code }
    }

    /// Replaces or adds grid workers; every grid they name must be a grid in force. Recorded as an
    /// import batch (kind "grid workers") for provenance.
    public func saveGridWorkers(_ workers: [GridWorker], source: String = "", actor: String = "cli") async throws {
        try await gate.run {
            let snapshot = self.state.withLock { $0 }
            let territory = snapshot.catalog.territory()
            for w in workers {
                guard !w.gridCodes.isEmpty else { throw GridWorkerRejected(worker: w.code, reason: "is assigned to no grid") }
                for g in w.gridCodes where territory.region(g)?.level != .grid {
                    throw GridWorkerRejected(worker: w.code, reason: "grid \(g) is not a grid in force")
                }
            }
            let batch = ImportBatch(kind: "grid workers", source: source, actor: actor, importedAt: Date(), recordCount: workers.count)
            let stored = try await self.store.saveGridWorkers(workers, batch: batch, basedOnBatch: snapshot.batch)
            do {
                try await self.loadNow()
            } catch {
                throw WrittenButNotReloaded(batch: stored, underlying: error)
            }
        }
    }
}

public struct GridWorkerRejected: Error, CustomStringConvertible {
    public var worker: String
    public var reason: String
    public var description: String { "grid worker \(worker) \(reason)" }
}

/// The write is committed, but reading it back failed; restarting the server shows it.
public struct WrittenButNotReloaded: Error, CustomStringConvertible {
    public var batch: ImportBatch
    public var underlying: any Error
    public var description: String { "batch \(batch.id ?? 0) was written, but reloading the regions failed: \(underlying)" }
}

/// Grid workers by grid.
public struct GridWorkerDirectory: Sendable {
    public let workers: [GridWorker]
    private let byGrid: [RegionCode: [Int]]

    public init(workers: [GridWorker]) {
        self.workers = workers.sorted { $0.code < $1.code }
        var map: [RegionCode: [Int]] = [:]
        for (i, w) in self.workers.enumerated() { for g in w.gridCodes { map[g, default: []].append(i) } }
        self.byGrid = map
    }

    public func workers(of grid: RegionCode) -> [GridWorker] { (byGrid[grid] ?? []).map { workers[$0] } }
}

/// Runs one write at a time. (An actor alone would not: it lets a second call in while the first
/// awaits the store.)
actor WriteGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        while busy { await withCheckedContinuation { waiting.append($0) } }
        busy = true
        defer {
            busy = false
            if !waiting.isEmpty { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}
