import Foundation

/// Weighted points aggregated into square cells at every zoom level of the web map, so that a layer
/// of millions of points is drawn at low zoom from a few hundred clusters, in milliseconds.
///
/// Cells follow Web Mercator tiles: at zoom z the world is 2^z tiles wide, each cut into
/// `cellsPerTile` × `cellsPerTile` cells (4 × 4: 64-pixel cells on 256-pixel tiles). A cluster is
/// placed at the weighted mean of its points, so it sits where the points are rather than at a cell
/// corner — or, for layers of people, at the centre of its cell (``Placement/cellCentre``): a cluster
/// of one must not sit on that one person's door.
public struct ClusterPyramid: Sendable {
    public enum Placement: Sendable {
        case mean
        case cellCentre
    }

    public struct Cluster: Sendable, Equatable {
        public var coordinate: Coordinate
        public var count: Int
        /// The points' bounding box: a click may zoom to it.
        public var box: BoundingBox
    }

    public let maximumZoom: Int
    public static let cellsPerTile = 4
    /// Per zoom, cells sorted by key (x << 32 | y), with their aggregates.
    private let levels: [[(key: UInt64, cluster: Cluster)]]

    public init(points: [(coordinate: Coordinate, weight: Int)], maximumZoom: Int = 15, placement: Placement = .mean) {
        self.maximumZoom = maximumZoom
        typealias Sum = (x: Double, y: Double, n: Int, box: BoundingBox)
        func add(_ s: inout Sum?, _ t: Sum) {
            guard let current = s else { s = t; return }
            s = (current.x + t.x, current.y + t.y, current.n + t.n, current.box.union(t.box))
        }
        // The finest level from the points, then each coarser one from the level below (a cell's
        // parent is (x/2, y/2)): the points are visited once.
        var finest: [UInt64: Sum] = [:]
        for p in points where p.weight > 0 && p.coordinate.isFinite {
            let w = Double(p.weight)
            let box = BoundingBox(minLongitude: p.coordinate.longitude, minLatitude: p.coordinate.latitude,
                                  maxLongitude: p.coordinate.longitude, maxLatitude: p.coordinate.latitude)
            var s = finest[Self.cell(p.coordinate, zoom: maximumZoom)]
            add(&s, (p.coordinate.longitude * w, p.coordinate.latitude * w, p.weight, box))
            finest[Self.cell(p.coordinate, zoom: maximumZoom)] = s
        }
        var sums = finest
        var levels: [[(key: UInt64, cluster: Cluster)]] = []
        for zoom in stride(from: maximumZoom, through: 0, by: -1) {
            levels.append(sums.map { key, s in
                switch placement {
                case .mean:
                    return (key, Cluster(coordinate: Coordinate(longitude: s.x / Double(s.n), latitude: s.y / Double(s.n)), count: s.n, box: s.box))
                case .cellCentre:
                    // The box is the cell's too: the points' own box would narrow them down again.
                    let cell = Self.cellBox(key, zoom: zoom)
                    return (key, Cluster(coordinate: Coordinate(longitude: (cell.minLongitude + cell.maxLongitude) / 2,
                                                                latitude: (cell.minLatitude + cell.maxLatitude) / 2), count: s.n, box: cell))
                }
            }.sorted { $0.key < $1.key })
            guard zoom > 0 else { break }
            var parents: [UInt64: Sum] = [:]
            for (key, s) in sums {
                let parent = (key >> 33) << 32 | ((key & 0xFFFF_FFFF) >> 1)
                var p = parents[parent]
                add(&p, s)
                parents[parent] = p
            }
            sums = parents
        }
        self.levels = levels.reversed()
    }

    /// The clusters whose cell meets the box, at `zoom` (clamped to the pyramid's range).
    public func clusters(in box: BoundingBox, zoom: Int) -> [Cluster] {
        let z = max(0, min(maximumZoom, zoom))
        let level = levels[z]
        let (x0, y0) = Self.cellXY(Coordinate(longitude: box.minLongitude, latitude: box.maxLatitude), zoom: z)
        let (x1, y1) = Self.cellXY(Coordinate(longitude: box.maxLongitude, latitude: box.minLatitude), zoom: z)
        var result: [Cluster] = []
        // Rows of x are contiguous in key order: binary search each column's range.
        for x in x0...x1 {
            let low = UInt64(x) << 32 | UInt64(y0)
            let high = UInt64(x) << 32 | UInt64(y1)
            var lo = 0, hi = level.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if level[mid].key < low { lo = mid + 1 } else { hi = mid }
            }
            while lo < level.count, level[lo].key <= high {
                result.append(level[lo].cluster)
                lo += 1
            }
        }
        return result
    }

    /// Number of points in the whole pyramid.
    public var total: Int { levels.first?.reduce(0) { $0 + $1.cluster.count } ?? 0 }

    static func cellXY(_ c: Coordinate, zoom: Int) -> (UInt32, UInt32) {
        let n = Double(1 << zoom) * Double(cellsPerTile)
        let lat = max(-85.0511, min(85.0511, c.latitude)) * .pi / 180
        let x = (c.longitude + 180) / 360 * n
        let y = (1 - log(tan(lat) + 1 / cos(lat)) / .pi) / 2 * n
        let limit = n - 1
        return (UInt32(max(0, min(limit, x.rounded(.down)))), UInt32(max(0, min(limit, y.rounded(.down)))))
    }

    /// The area of a cell (its edges from the Web Mercator tiling; the middle of the box lies inside it).
    public static func cellBox(_ key: UInt64, zoom: Int) -> BoundingBox {
        let n = Double(1 << zoom) * Double(cellsPerTile)
        let x = Double(key >> 32), y = Double(key & 0xFFFF_FFFF)
        func longitude(_ x: Double) -> Double { x / n * 360 - 180 }
        func latitude(_ y: Double) -> Double { atan(sinh(.pi * (1 - 2 * y / n))) * 180 / .pi }
        return BoundingBox(minLongitude: longitude(x), minLatitude: latitude(y + 1), maxLongitude: longitude(x + 1), maxLatitude: latitude(y))
    }

    /// The cells of one zoom with their counts.
    public func cells(zoom: Int) -> [(key: UInt64, count: Int)] {
        levels[max(0, min(maximumZoom, zoom))].map { ($0.key, $0.cluster.count) }
    }

    static func cell(_ c: Coordinate, zoom: Int) -> UInt64 {
        let (x, y) = cellXY(c, zoom: zoom)
        return UInt64(x) << 32 | UInt64(y)
    }
}
