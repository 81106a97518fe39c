import Foundation
import GeoKit
import Synchronization

/// Every version of every region, and the territory as it stood at any instant.
///
/// The catalogue is immutable; an import builds a new one. Boundaries change rarely, so the
/// versions divide time into a few epochs (between consecutive valid-from/valid-to instants); the
/// territory of an epoch — its tree and its spatial indexes — is built once, when first asked for,
/// and kept.
public final class RegionCatalog: Sendable {
    public let versions: [Region]
    /// Indexes into `versions` by code, oldest first.
    private let versionsByCode: [RegionCode: [Int]]
    /// Sorted distinct instants at which some version starts or ends.
    let instants: [Date]
    private let territories: Mutex<[Int: Territory]>

    public init(versions: [Region]) {
        let sorted = versions.sorted { ($0.code, $0.validFrom) < ($1.code, $1.validFrom) }
        self.versions = sorted
        var set = Set<Date>()
        for v in versions {
            set.insert(v.validFrom)
            if let to = v.validTo { set.insert(to) }
        }
        self.instants = set.sorted()
        self.versionsByCode = Dictionary(grouping: sorted.indices, by: { sorted[$0].code })
        self.territories = Mutex([:])
    }

    public static let empty = RegionCatalog(versions: [])
    static let cachedEpochs = 16

    /// The epoch holding the present moment (kept in the cache).
    private var currentEpoch: Int { instants.lastIndex(where: { $0 <= Date() }) ?? -1 }

    /// The territory in force at `instant` (now when nil).
    public func territory(at instant: Date? = nil) -> Territory {
        let t = instant ?? Date()
        // Epoch k covers [instants[k], instants[k+1]); -1 is before any version.
        var lo = 0, hi = instants.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if instants[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        let epoch = lo - 1
        if let cached = territories.withLock({ $0[epoch] }) { return cached }
        // Built outside the lock: two first requests for one epoch may both build it; one wins.
        let start = epoch >= 0 ? instants[epoch] : Date.distantPast
        let end = epoch + 1 < instants.count ? instants[epoch + 1] : nil
        let built = Territory(regions: epoch >= 0 ? versions.filter { $0.isInForce(at: start) } : [], from: start, until: end)
        let current = self.currentEpoch
        return territories.withLock { cache in
            if let raced = cache[epoch] { return raced }
            // Past epochs asked for with ?at= are kept, but not without bound.
            if cache.count >= Self.cachedEpochs, let evict = cache.keys.first(where: { $0 != current }) { cache[evict] = nil }
            cache[epoch] = built
            return built
        }
    }

    /// All versions of one code, oldest first.
    public func history(of code: RegionCode) -> [Region] {
        (versionsByCode[code] ?? []).map { versions[$0] }
    }
}

/// The regions in force during one epoch: the tree and the point lookup.
public final class Territory: Sendable {
    public let regions: [Region]
    /// The epoch this territory is valid for.
    public let validFrom: Date
    public let validUntil: Date?
    private let indexByCode: [RegionCode: Int]
    private let childIndexes: [RegionCode: [Int]]
    private let roots: [Int]
    /// For every region, the indexes of its ancestors and itself, top first (precomputed so that a
    /// point lookup allocates nothing).
    private let lineages: [[Int]]
    /// Grids first; the upper levels answer only when a point falls in no grid.
    private let gridIndex: LevelIndex
    private let upperIndexes: [LevelIndex]

    struct LevelIndex: Sendable {
        let slots: [Int]
        let raster: PolygonRasterIndex

        init(_ regions: [Region], level: RegionLevel) {
            slots = regions.indices.filter { regions[$0].level == level }
            raster = PolygonRasterIndex(slots.map { PreparedPolygon(regions[$0].geometry) })
        }

        func region(at c: Coordinate) -> Int? { raster.slot(containing: c).map { slots[$0] } }
    }

    init(regions: [Region], from: Date, until: Date?) {
        let sorted = regions.sorted { $0.code < $1.code }
        self.regions = sorted
        self.validFrom = from
        self.validUntil = until
        var byCode: [RegionCode: Int] = [:]
        for (i, r) in sorted.enumerated() { byCode[r.code] = i }
        var children: [RegionCode: [Int]] = [:]
        var roots: [Int] = []
        for (i, r) in sorted.enumerated() {
            if let p = r.parentCode, byCode[p] != nil { children[p, default: []].append(i) } else { roots.append(i) }
        }
        self.indexByCode = byCode
        self.childIndexes = children
        self.roots = roots
        self.lineages = sorted.indices.map { i in
            var chain = [i]
            var seen: Set<Int> = [i]
            while let p = sorted[chain[chain.count - 1]].parentCode, let j = byCode[p], seen.insert(j).inserted { chain.append(j) }
            return chain.reversed()
        }
        self.gridIndex = LevelIndex(sorted, level: .grid)
        self.upperIndexes = [RegionLevel.community, .street, .district, .city, .province].map { LevelIndex(sorted, level: $0) }
    }

    public func region(_ code: RegionCode) -> Region? { indexByCode[code].map { regions[$0] } }

    public func children(of code: RegionCode) -> [Region] { (childIndexes[code] ?? []).map { regions[$0] } }

    /// Regions without a parent in this territory (normally the district or city).
    public var topLevel: [Region] { roots.map { regions[$0] } }

    /// The region and its ancestors, from the top down to the region itself.
    public func lineage(of code: RegionCode) -> [Region] {
        guard let i = indexByCode[code] else { return [] }
        return lineages[i].map { regions[$0] }
    }

    /// Regions of a level, optionally strictly under an ancestor (at any depth).
    public func regions(level: RegionLevel?, under ancestor: RegionCode?) -> [Region] {
        regions.filter { r in
            (level == nil || r.level == level!) && (ancestor == nil || (r.code != ancestor! && isWithin(r.code, ancestor!)))
        }
    }

    /// Whether `code` is `ancestor` or lies below it in the tree.
    public func isWithin(_ code: RegionCode, _ ancestor: RegionCode) -> Bool {
        var next: RegionCode? = code
        var steps = 0
        while let c = next, steps < 8 {
            if c == ancestor { return true }
            next = region(c)?.parentCode
            steps += 1
        }
        return false
    }

    /// The grid containing the point (WGS-84), under the half-open boundary rule.
    public func grid(at c: Coordinate) -> Region? { gridIndex.region(at: c).map { regions[$0] } }

    /// The deepest region containing the point and all its ancestors, top first (MapIt's point
    /// lookup). Empty when the point is outside the territory.
    public func locate(_ c: Coordinate) -> [Region] {
        locateIndexes(c).map { regions[$0] }
    }

    /// ``locate(_:)`` as indexes into ``regions``, without allocating: for bulk lookups.
    public func locateIndexes(_ c: Coordinate) -> [Int] {
        if let g = gridIndex.region(at: c) { return lineages[g] }
        for index in upperIndexes {
            if let r = index.region(at: c) { return lineages[r] }
        }
        return []
    }
}
