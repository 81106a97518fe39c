import Testing
import GeoKit

@Suite("Point in polygon")
struct PointInPolygonTests {
    @Test("matches the perturbation reference on random concave polygons with holes, including every vertex and edge point")
    func randomPolygonsAgainstReference() {
        var g = SeededGenerator(seed: 42)
        for _ in 0..<200 {
            let outer = LatticeShapes.star(cx: 200, cy: 200, vertices: Int.random(in: 8...24, using: &g), radius: 50...150, using: &g)
            var rings = [outer]
            if Bool.random(using: &g) {
                rings.append(LatticeShapes.star(cx: 200, cy: 200, vertices: 8, radius: 10...40, using: &g).reversed())
            }
            let prepared = PreparedPolygon(LatticeShapes.polygon(rings[0], holes: Array(rings.dropFirst())))
            var probes: [(Int64, Int64)] = []
            for _ in 0..<300 { probes.append((Int64.random(in: 40...360, using: &g), Int64.random(in: 40...360, using: &g))) }
            for ring in rings {
                for i in 0..<ring.count {
                    let a = ring[i], b = ring[(i + 1) % ring.count]
                    probes.append(a)
                    // Lattice points exactly on the edge, when the edge has any besides its ends.
                    let dx = b.0 - a.0, dy = b.1 - a.1
                    let k = gcd(abs(dx), abs(dy))
                    if k > 1 { probes.append((a.0 + dx / k, a.1 + dy / k)) }
                    // Points on the horizontal and vertical lines through the vertex.
                    probes.append((a.0 + 1, a.1))
                    probes.append((a.0 - 1, a.1))
                    probes.append((a.0, a.1 + 1))
                }
            }
            for p in probes {
                let c = LatticeShapes.coordinate(p.0, p.1)
                #expect(prepared.contains(c) == ReferencePointInPolygon.contains(rings, p), "point \(p)")
                let expected: PointLocation =
                    ReferencePointInPolygon.onBoundary(rings, p) ? .boundary : (ReferencePointInPolygon.contains(rings, p) ? .interior : .exterior)
                #expect(prepared.locate(c) == expected, "point \(p)")
            }
        }
    }

    @Test("every point of a tiling, edges and corners included, belongs to exactly one tile")
    func tilingPartition() {
        var g = SeededGenerator(seed: 7)
        // A 6×6 mesh of jittered lattice points; each quad is a tile, split into two triangles half the time.
        let n = 6
        var mesh = [[(Int64, Int64)]]()
        for j in 0...n {
            var row: [(Int64, Int64)] = []
            for i in 0...n {
                let jitter = (i == 0 || i == n || j == 0 || j == n) ? 0 : Int64.random(in: -15...15, using: &g)
                let jitter2 = (i == 0 || i == n || j == 0 || j == n) ? 0 : Int64.random(in: -15...15, using: &g)
                row.append((Int64(i) * 60 + jitter, Int64(j) * 60 + jitter2))
            }
            mesh.append(row)
        }
        var tiles: [[(Int64, Int64)]] = []
        for j in 0..<n {
            for i in 0..<n {
                let a = mesh[j][i], b = mesh[j][i + 1], c = mesh[j + 1][i + 1], d = mesh[j + 1][i]
                if Bool.random(using: &g) {
                    tiles.append([a, b, c])
                    tiles.append([a, c, d])
                } else {
                    tiles.append([a, b, c, d])
                }
            }
        }
        let prepared = tiles.map { PreparedPolygon(LatticeShapes.polygon($0)) }
        var probes: [(Int64, Int64)] = []
        for row in mesh.dropFirst().dropLast() { for p in row.dropFirst().dropLast() { probes.append(p) } }
        for tile in tiles {
            for i in 0..<tile.count {
                let a = tile[i], b = tile[(i + 1) % tile.count]
                let k = gcd(abs(b.0 - a.0), abs(b.1 - a.1))
                if k > 1 { for s in 1..<k { probes.append((a.0 + (b.0 - a.0) / k * s, a.1 + (b.1 - a.1) / k * s)) } }
            }
        }
        for _ in 0..<2000 { probes.append((Int64.random(in: 1...359, using: &g), Int64.random(in: 1...359, using: &g))) }
        for p in probes where p.0 > 0 && p.0 < 360 && p.1 > 0 && p.1 < 360 {
            let c = LatticeShapes.coordinate(p.0, p.1)
            let owners = prepared.indices.filter { prepared[$0].contains(c) }
            #expect(owners.count == 1, "point \(p) is claimed by \(owners.count) tiles")
        }
    }

    @Test("the boundary rule: left and bottom edges are inside, right and top edges outside")
    func boundaryRule() {
        let square = PreparedPolygon(LatticeShapes.polygon([(0, 0), (10, 0), (10, 10), (0, 10)]))
        #expect(square.contains(LatticeShapes.coordinate(0, 5)))  // west edge
        #expect(square.contains(LatticeShapes.coordinate(5, 0)))  // south edge
        #expect(!square.contains(LatticeShapes.coordinate(10, 5)))  // east edge
        #expect(!square.contains(LatticeShapes.coordinate(5, 10)))  // north edge
        #expect(square.contains(LatticeShapes.coordinate(0, 0)))  // south-west corner
        #expect(!square.contains(LatticeShapes.coordinate(10, 10)))
        #expect(!square.contains(LatticeShapes.coordinate(10, 0)))
        #expect(!square.contains(LatticeShapes.coordinate(0, 10)))
        #expect(square.locate(LatticeShapes.coordinate(10, 5)) == .boundary)
        #expect(square.locate(LatticeShapes.coordinate(5, 5)) == .interior)
        #expect(square.locate(LatticeShapes.coordinate(11, 5)) == .exterior)
    }

    @Test("slivers and spikes one lattice unit wide are decided exactly")
    func slivers() {
        // A needle: 1,000 units long, 1 unit high at its base.
        let needle = [(Int64(0), Int64(0)), (1000, 0), (0, 1)]
        let p = PreparedPolygon(LatticeShapes.polygon(needle))
        for x in stride(from: Int64(-2), through: 1002, by: 7) {
            for y in Int64(-1)...2 {
                #expect(p.contains(LatticeShapes.coordinate(x, y)) == ReferencePointInPolygon.contains([needle], (x, y)), "\(x),\(y)")
            }
        }
    }

    @Test("orientation of the ring does not change the answer")
    func orientationIndependent() {
        var g = SeededGenerator(seed: 3)
        let ring = LatticeShapes.star(cx: 0, cy: 0, vertices: 12, radius: 20...80, using: &g)
        let ccw = PreparedPolygon(LatticeShapes.polygon(ring))
        let cw = PreparedPolygon(LatticeShapes.polygon(ring.reversed()))
        for x in Int64(-90)...90 {
            for y in stride(from: Int64(-90), through: 90, by: 3) {
                let c = LatticeShapes.coordinate(x, y)
                #expect(ccw.contains(c) == cw.contains(c))
            }
        }
    }
}

func gcd(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? a : gcd(b, a % b) }
