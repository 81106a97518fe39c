import Foundation
import GeoKit
import Governance

/// A generated demo district: regions (as drafts, to go through the normal validated import) and
/// grid workers. Later parts of the demo (addresses, people, enterprises, cases) extend it from
/// their own ``DemoRandom`` substreams.
public struct DemoDistrict: Sendable {
    public let preset: DemoPreset
    public let seed: UInt64
    /// When the demo boundaries take effect: 2019-01-01 00:00 in Hangzhou.
    public let validFrom: Date
    public let regions: [RegionDraft]
    public let gridWorkers: [GridWorker]

    public var districtCode: RegionCode { regions.first { $0.code.level == .district }!.code }

    public func count(_ level: RegionLevel) -> Int { regions.filter { $0.code.level == level }.count }

    /// The import options that store this district as it was generated.
    public var importOptions: RegionImportOptions {
        var o = RegionImportOptions()
        o.coordinateSystem = .cgcs2000
        o.validFrom = validFrom
        o.source = "demo preset \(preset.rawValue), seed \(seed)"
        o.actor = "demo"
        return o
    }
}

/// Builds the demo district: the real 2019 outline of 余杭区 and the real names of its 20 streets/
/// towns and 344 communities/villages, with synthetic boundaries below the district, codes that
/// follow the national rules, and synthetic grid workers.
public struct DemoDistrictGenerator: Sendable {
    public var preset: DemoPreset
    public var seed: UInt64

    public init(preset: DemoPreset, seed: UInt64 = 20_190_101) {
        self.preset = preset
        self.seed = seed
    }

    /// The streets that went to the new 临平区 in 2021: generated inside the 330113 outline, the
    /// others inside 330110, so the layout echoes the real geography.
    static let linpingStreets: Set<String> = ["临平街道", "南苑街道", "东湖街道", "星桥街道", "乔司街道", "运河街道", "崇贤街道", "塘栖镇"]

    public func generate(progress: ((String) -> Void)? = nil) throws -> DemoDistrict {
        let source = try DemoSourceData.load()
        let root = DemoRandom(seed: seed)
        var layoutRandom = root.substream("regions")
        let validFrom = Date(timeIntervalSince1970: 1_546_272_000)  // 2019-01-01T00:00:00+08:00
        let districtCode = try RegionCode(source.districtCode)

        // Street codes: 街道 001…, 镇 100…, in the order of the source list.
        var streetCodes: [RegionCode] = []
        var nextStreet = 1, nextTown = 100
        for s in source.streets {
            let isTown = s.name.hasSuffix("镇")
            let n = isTown ? nextTown : nextStreet
            if isTown { nextTown += 1 } else { nextStreet += 1 }
            streetCodes.append(try RegionCode(source.districtCode + String(format: "%03d", n)))
        }

        // Communities of the populated streets, and the number of grids of each.
        let populated = source.streets.indices.prefix(preset.populatedStreets ?? source.streets.count)
        var communities: [(street: Int, code: RegionCode, name: String, grids: Int)] = []
        var gridRandom = root.substream("grid counts")
        for s in populated {
            let names = source.streets[s].communities.prefix(preset.communitiesPerStreet ?? .max)
            for (j, name) in names.enumerated() {
                let code = try RegionCode(streetCodes[s].shortForm + String(format: "%03d", j + 1))
                communities.append((s, code, name, Int.random(in: preset.gridsPerCommunity, using: &gridRandom)))
            }
        }
        if let total = preset.totalGrids {
            var sum = communities.reduce(0) { $0 + $1.grids }
            while sum != total {
                let i = Int.random(in: communities.indices, using: &gridRandom)
                if sum > total, communities[i].grids > 2 { communities[i].grids -= 1; sum -= 1 }
                if sum < total, communities[i].grids < 8 { communities[i].grids += 1; sum += 1 }
            }
        }

        // Geometry: the district, then streets in each of the two historical parts, then communities, then grids.
        progress?("cutting \(source.streets.count) streets")
        let district = PolygonOverlay.dissolve(source.outlines.map { $0.outline })
        var partitioner = TerritoryPartitioner(random: layoutRandom)
        var streetPieces = [TerritoryPartitioner.Pieces](repeating: [], count: source.streets.count)
        for part in source.outlines {
            let members = source.streets.indices.filter { (Self.linpingStreets.contains(source.streets[$0].name)) == (part.code == "330113") }
            let weights = members.map { streetWeight(source.streets[$0]) }
            let pieces = part.outline.polygons.map { Array($0.rightHandOriented.exterior.openCoordinates) }
            for (m, p) in zip(members, partitioner.partition(pieces, weights: weights)) { streetPieces[m] = p }
        }
        progress?("cutting \(communities.count) communities")
        var communityPieces: [RegionCode: TerritoryPartitioner.Pieces] = [:]
        for s in populated {
            let members = communities.filter { $0.street == s }
            let weights = members.map { communityWeight($0.name) }
            for (c, p) in zip(members, partitioner.partition(streetPieces[s], weights: weights)) { communityPieces[c.code] = p }
        }
        progress?("cutting \(communities.reduce(0) { $0 + $1.grids }) grids")
        var gridPieces: [(community: RegionCode, name: String, pieces: TerritoryPartitioner.Pieces)] = []
        for c in communities {
            let weights = (0..<c.grids).map { _ in Double.random(in: 0.7...1.3, using: &layoutRandom) }
            for p in partitioner.partition(communityPieces[c.code]!, weights: weights) { gridPieces.append((c.code, c.name, p)) }
        }

        // Shared boundaries get shared vertices; then everything is rounded to 1e-7° (≈ 1 cm).
        progress?("noding shared boundaries")
        var allRings: [[Coordinate]] = district.polygons.map { Array($0.exterior.openCoordinates) }
        var owners: [Int] = Array(repeating: -1, count: allRings.count)
        var shapes: [TerritoryPartitioner.Pieces] = []
        func register(_ pieces: TerritoryPartitioner.Pieces) {
            let id = shapes.count
            shapes.append(pieces)
            for r in pieces { allRings.append(r); owners.append(id) }
        }
        for s in source.streets.indices { register(streetPieces[s]) }
        for c in communities { register(communityPieces[c.code]!) }
        for g in gridPieces { register(g.pieces) }
        let noded = Noding.insertSharedVertices(into: allRings).map(Self.rounded)
        var nodedShapes = [[[Coordinate]]](repeating: [], count: shapes.count)
        var districtRings: [[Coordinate]] = []
        for (ring, owner) in zip(noded, owners) {
            if owner < 0 { districtRings.append(ring) } else { nodedShapes[owner].append(ring) }
        }
        func multiPolygon(_ rings: [[Coordinate]]) -> MultiPolygon { MultiPolygon(rings.map { Polygon($0) }) }

        var drafts: [RegionDraft] = []
        drafts.append(RegionDraft(featureIndex: nil, code: districtCode, name: source.districtName, geometry: multiPolygon(districtRings)))
        for (s, street) in source.streets.enumerated() {
            drafts.append(RegionDraft(featureIndex: nil, code: streetCodes[s], name: street.name, geometry: multiPolygon(nodedShapes[s])))
        }
        for (i, c) in communities.enumerated() {
            drafts.append(RegionDraft(featureIndex: nil, code: c.code, name: c.name, geometry: multiPolygon(nodedShapes[source.streets.count + i])))
        }
        // Grids numbered west→east in rows from north to south inside their community (DOMAIN.md §2).
        let gridOffset = source.streets.count + communities.count
        var gridDrafts: [RegionDraft] = []
        var byCommunity: [RegionCode: [(geometry: MultiPolygon, name: String)]] = [:]
        for (i, g) in gridPieces.enumerated() {
            byCommunity[g.community, default: []].append((multiPolygon(nodedShapes[gridOffset + i]), g.name))
        }
        for c in communities {
            let grids = byCommunity[c.code]!
            let box = grids.compactMap(\.geometry.boundingBox).reduce(grids[0].geometry.boundingBox!) { $0.union($1) }
            let rows = max(1, Int(Double(grids.count).squareRoot().rounded()))
            let band = box.height / Double(rows)
            let ordered = grids.map { g -> (row: Int, x: Double, g: (geometry: MultiPolygon, name: String)) in
                let p = g.geometry.representativePoint ?? box.center
                return (min(rows - 1, Int((box.maxLatitude - p.latitude) / band)), p.longitude, g)
            }.sorted { ($0.row, $0.x) < ($1.row, $1.x) }
            for (n, entry) in ordered.enumerated() {
                let code = try RegionCode(c.code.rawValue + String(format: "%02d", n + 1))
                gridDrafts.append(RegionDraft(featureIndex: nil, code: code, name: "\(c.name)第\(chineseNumeral(n + 1))网格", geometry: entry.g.geometry))
            }
        }
        drafts += gridDrafts

        progress?("assigning grid workers")
        var workerRandom = root.substream("grid workers")
        let workers = try GridWorkerRoster.make(
            grids: gridDrafts.map { ($0.code, $0.geometry.area) }, count: preset.workerCount(grids: gridDrafts.count), random: &workerRandom)
        return DemoDistrict(preset: preset, seed: seed, validFrom: validFrom, regions: drafts, gridWorkers: workers)
    }

    /// Towns and villages cover more land than urban streets and communities.
    private func streetWeight(_ s: DemoSourceData.Street) -> Double {
        s.communities.reduce(0) { $0 + communityWeight($1) }
    }

    private func communityWeight(_ name: String) -> Double { name.hasSuffix("村") ? 2.5 : 1 }

    static func rounded(_ ring: [Coordinate]) -> [Coordinate] {
        var out: [Coordinate] = []
        for c in ring {
            let r = Coordinate(longitude: (c.longitude * 1e7).rounded() / 1e7, latitude: (c.latitude * 1e7).rounded() / 1e7)
            if out.last != r { out.append(r) }
        }
        while out.count > 1, out.first == out.last { out.removeLast() }
        return out
    }
}

/// 1 → 一, 12 → 十二, 20 → 二十, 35 → 三十五 (enough for grid and unit numbers).
public func chineseNumeral(_ n: Int) -> String {
    let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
    guard n > 0, n < 100 else { return String(n) }
    if n < 10 { return digits[n] }
    let tens = n / 10, ones = n % 10
    return (tens == 1 ? "" : digits[tens]) + "十" + (ones == 0 ? "" : digits[ones])
}
