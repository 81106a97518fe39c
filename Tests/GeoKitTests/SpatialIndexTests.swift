import Testing
@testable import GeoKit

@Suite("Spatial indexes")
struct SpatialIndexTests {
    /// A jittered mesh of quads over a 0.2° × 0.2° area near Hangzhou, with one hole-carrying tile.
    func tiling(seed: UInt64, n: Int = 12) -> [MultiPolygon] {
        var g = SeededGenerator(seed: seed)
        let step = 0.2 / Double(n)
        var mesh: [[Coordinate]] = []
        for j in 0...n {
            mesh.append((0...n).map { i in
                let edge = i == 0 || i == n || j == 0 || j == n
                let jx = edge ? 0 : Double.random(in: -0.3...0.3, using: &g) * step
                let jy = edge ? 0 : Double.random(in: -0.3...0.3, using: &g) * step
                return Coordinate(longitude: 120 + Double(i) * step + jx, latitude: 30 + Double(j) * step + jy)
            })
        }
        var tiles: [MultiPolygon] = []
        for j in 0..<n {
            for i in 0..<n {
                tiles.append(MultiPolygon([Polygon([mesh[j][i], mesh[j][i + 1], mesh[j + 1][i + 1], mesh[j + 1][i]])]))
            }
        }
        return tiles
    }

    @Test("the raster grid index gives the same answer as testing every polygon", arguments: [64, 1024])
    func rasterMatchesBruteForce(cellsPerPolygon: Int) {
        let tiles = tiling(seed: 5)
        let prepared = tiles.map { PreparedPolygon($0) }
        let index = PolygonRasterIndex(prepared, cellsPerPolygon: cellsPerPolygon)
        var g = SeededGenerator(seed: 9)
        var probes: [Coordinate] = []
        for _ in 0..<20_000 { probes.append(Coordinate(longitude: Double.random(in: 119.99...120.21, using: &g), latitude: Double.random(in: 29.99...30.21, using: &g))) }
        // Every vertex and edge midpoint: the adversarial cases.
        for t in tiles {
            let ring = Array(t.polygons[0].exterior.openCoordinates)
            for i in 0..<ring.count {
                probes.append(ring[i])
                let b = ring[(i + 1) % ring.count]
                probes.append(Coordinate(longitude: (ring[i].longitude + b.longitude) / 2, latitude: (ring[i].latitude + b.latitude) / 2))
            }
        }
        for p in probes {
            let brute = prepared.indices.first { prepared[$0].contains(p) }
            #expect(index.slot(containing: p) == brute, "\(p)")
        }
        let stats = index.statistics
        #expect(stats.boundaryCells < stats.cells)
    }

    @Test("overlapping polygons resolve to the lowest slot")
    func overlaps() {
        let a = PreparedPolygon(Polygon([Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 2, latitude: 0), Coordinate(longitude: 2, latitude: 2), Coordinate(longitude: 0, latitude: 2)]))
        let b = PreparedPolygon(Polygon([Coordinate(longitude: 1, latitude: 1), Coordinate(longitude: 3, latitude: 1), Coordinate(longitude: 3, latitude: 3), Coordinate(longitude: 1, latitude: 3)]))
        let index = PolygonRasterIndex([a, b], cellsPerPolygon: 4096)
        #expect(index.slot(containing: Coordinate(longitude: 1.5, latitude: 1.5)) == 0)
        #expect(index.slot(containing: Coordinate(longitude: 2.5, latitude: 2.5)) == 1)
        #expect(index.slot(containing: Coordinate(longitude: 0.5, latitude: 2.5)) == nil)
    }

    @Test("an empty index answers nil")
    func empty() {
        #expect(PolygonRasterIndex([]).slot(containing: Coordinate(longitude: 120, latitude: 30)) == nil)
    }

    @Test("the packed point index finds exactly what a scan finds")
    func packedPointIndex() {
        var g = SeededGenerator(seed: 21)
        var points: [(id: Int64, coordinate: Coordinate)] = []
        for i in 0..<50_000 {
            points.append((Int64(i), Coordinate(longitude: Double.random(in: 119.9...120.3, using: &g), latitude: Double.random(in: 30.1...30.5, using: &g))))
        }
        // Duplicated positions, as many households share one building.
        for i in 0..<500 { points.append((Int64(50_000 + i), points[i].coordinate)) }
        let index = PackedPointIndex(points)
        #expect(index.count == points.count)
        for _ in 0..<40 {
            let centre = Coordinate(longitude: Double.random(in: 119.9...120.3, using: &g), latitude: Double.random(in: 30.1...30.5, using: &g))
            let radius = Double.random(in: 10...3000, using: &g)
            let expected = Set(points.filter { GreatCircle.distance(centre, $0.coordinate) <= radius }.map(\.id))
            #expect(Set(index.identifiers(within: radius, of: centre)) == expected)

            let box = BoundingBox(minLongitude: centre.longitude - 0.01, minLatitude: centre.latitude - 0.02, maxLongitude: centre.longitude + 0.02, maxLatitude: centre.latitude + 0.01)
            #expect(Set(index.identifiers(in: box)) == Set(points.filter { box.contains($0.coordinate) }.map(\.id)))
        }
        let triangle = PreparedPolygon(Polygon([Coordinate(longitude: 120, latitude: 30.2), Coordinate(longitude: 120.2, latitude: 30.2), Coordinate(longitude: 120.1, latitude: 30.4)]))
        #expect(Set(index.identifiers(in: triangle)) == Set(points.filter { triangle.locate($0.coordinate) != .exterior }.map(\.id)))
        #expect(PackedPointIndex([]).identifiers(within: 100, of: Coordinate(longitude: 0, latitude: 0)).isEmpty)
    }
}

@Suite("Cluster pyramid")
struct ClusterPyramidTests {
    @Test("every zoom holds every point once, the same as aggregating that zoom directly; a box finds the points in it")
    func pyramid() {
        var g = SeededGenerator(seed: 31)
        let points = (0..<20_000).map { _ in
            (coordinate: Coordinate(longitude: Double.random(in: 119.7...120.35, using: &g), latitude: Double.random(in: 30.15...30.57, using: &g)),
             weight: Int.random(in: 1...4, using: &g))
        }
        let total = points.reduce(0) { $0 + $1.weight }
        let pyramid = ClusterPyramid(points: points, maximumZoom: 15)
        #expect(pyramid.total == total)
        let world = BoundingBox(minLongitude: -180, minLatitude: -85, maxLongitude: 180, maxLatitude: 85)
        for zoom in [0, 5, 9, 12, 15] {
            let clusters = pyramid.clusters(in: world, zoom: zoom)
            #expect(clusters.reduce(0) { $0 + $1.count } == total, "zoom \(zoom)")
            var direct: [UInt64: Int] = [:]
            for p in points { direct[ClusterPyramid.cell(p.coordinate, zoom: zoom), default: 0] += p.weight }
            #expect(clusters.count == direct.count)
            #expect(Set(clusters.map(\.count)) == Set(direct.values))
        }
        // A view: every point inside it is in one of the clusters returned.
        let view = BoundingBox(minLongitude: 120.0, minLatitude: 30.3, maxLongitude: 120.1, maxLatitude: 30.4)
        for zoom in [10, 13, 15] {
            let clusters = pyramid.clusters(in: view, zoom: zoom)
            let inside = points.filter { view.contains($0.coordinate) }.reduce(0) { $0 + $1.weight }
            let covered = clusters.reduce(0) { $0 + $1.count }
            #expect(covered >= inside)
            // And not much more: only the cells cut by the view's edges add points from outside.
            #expect(covered <= total)
            for c in clusters { #expect(c.box.intersects(view.expanded(byMetres: 20_000))) }
        }
        #expect(ClusterPyramid(points: [], maximumZoom: 15).clusters(in: world, zoom: 3).isEmpty)
    }
}
