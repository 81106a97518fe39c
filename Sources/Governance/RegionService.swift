import Foundation
import GeoKit
import Synchronization

/// The regions and grid workers of the deployment: imports (validated, all-or-nothing, versioned)
/// and the lookups every other capability uses.
///
/// Reads take the current catalogue without waiting; imports are serialised and replace the
/// catalogue only after the store has committed.
public final class RegionService: Sendable {
    public let store: any CityBrainStore
    private let state: Mutex<(catalog: RegionCatalog, workers: GridWorkerDirectory)>
    private let importGate = ImportGate()

    public init(store: any CityBrainStore) {
        self.store = store
        self.state = Mutex((RegionCatalog.empty, GridWorkerDirectory(workers: [])))
    }

    /// Loads the catalogue from the store and builds today's territory (the spatial indexes).
    public func load() async throws {
        let versions = try await store.loadRegions()
        let workers = try await store.loadGridWorkers()
        let catalog = RegionCatalog(versions: versions)
        _ = catalog.territory()
        state.withLock { $0 = (catalog, GridWorkerDirectory(workers: workers)) }
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
        try await importGate.run {
            let catalog = self.catalog
            let current = catalog.territory(at: options.validFrom)
            let fileCodes = Set(drafts.map(\.code))
            var retiring: [Region] = []
            if options.retireMissing {
                for parent in Set(drafts.compactMap(\.parentCode)) {
                    retiring += current.children(of: parent).filter { !fileCodes.contains($0.code) }
                }
            }
            var report = RegionValidator(tolerances: options.tolerances)
                .validate(drafts, against: current, retiring: Set(retiring.map(\.code)), progress: progress)
            report.issues = readIssues + report.issues
            report.featureCount = drafts.count + Set(readIssues.compactMap(\.featureIndex)).count

            // New versions must start after the ones they replace.
            let latest = Dictionary(grouping: catalog.versions, by: \.code).compactMapValues { $0.last }
            var closing: [(code: RegionCode, validFrom: Date, validTo: Date)] = []
            var inserting: [Region] = []
            var unchanged = 0
            for d in drafts {
                // A district imported without its city keeps no dangling parent code.
                let parent = d.parentCode.flatMap { fileCodes.contains($0) || current.region($0) != nil ? $0 : nil }
                let region = Region(code: d.code, name: d.name, parentCode: parent, geometry: d.geometry,
                                    validFrom: options.validFrom, sourceCoordinateSystem: options.coordinateSystem)
                if let previous = latest[d.code] {
                    if previous.validTo == nil && previous.hasSameContent(as: region) {
                        unchanged += 1
                        continue
                    }
                    guard previous.validFrom < options.validFrom else {
                        report.issues.append(RegionValidationIssue(.error, .versionOrder, featureIndex: d.featureIndex, code: d.code.rawValue,
                            message: "a version valid from \(ISO8601DateFormatter().string(from: previous.validFrom)) exists; a new version must start later"))
                        continue
                    }
                    if previous.validTo == nil || previous.validTo! > options.validFrom {
                        closing.append((d.code, previous.validFrom, options.validFrom))
                    }
                }
                inserting.append(region)
            }
            for r in retiring {
                guard r.validFrom < options.validFrom else {
                    report.issues.append(RegionValidationIssue(.error, .versionOrder, featureIndex: nil, code: r.code.rawValue,
                        message: "cannot be retired at \(isoTimestamp(options.validFrom)): its version only starts then"))
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
            let stored = try await self.store.commit(RegionChangeSet(closing: closing, inserting: inserting, batch: batch))
            try await self.load()
            return RegionImportResult(report: report, batch: stored, inserted: inserting.count, closed: closing.count, unchanged: unchanged)
        }
    }

    /// Replaces or adds grid workers; every grid they name must be a grid in force.
    public func saveGridWorkers(_ workers: [GridWorker]) async throws {
        let territory = self.territory()
        for w in workers {
            guard !w.gridCodes.isEmpty else { throw GridWorkerRejected(worker: w.code, reason: "is assigned to no grid") }
            for g in w.gridCodes where territory.region(g)?.level != .grid {
                throw GridWorkerRejected(worker: w.code, reason: "grid \(g) is not a grid in force")
            }
        }
        try await store.saveGridWorkers(workers)
        let all = try await store.loadGridWorkers()
        state.withLock { $0.workers = GridWorkerDirectory(workers: all) }
    }
}

public struct GridWorkerRejected: Error, CustomStringConvertible {
    public var worker: String
    public var reason: String
    public var description: String { "grid worker \(worker) \(reason)" }
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

/// Runs one import at a time. (An actor alone would not: it lets a second call in while the
/// first awaits the store.)
actor ImportGate {
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
