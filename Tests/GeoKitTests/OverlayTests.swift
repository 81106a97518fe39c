import Testing
import GeoKit

@Suite("Overlay, validation and splitting")
struct OverlayTests {
    func square(_ x: Double, _ y: Double, _ s: Double, clockwise: Bool = false) -> MultiPolygon {
        var ring = [Coordinate(longitude: x, latitude: y), Coordinate(longitude: x + s, latitude: y), Coordinate(longitude: x + s, latitude: y + s), Coordinate(longitude: x, latitude: y + s)]
        if clockwise { ring.reverse() }
        return MultiPolygon([Polygon(ring)])
    }

    @Test("intersection areas of overlapping, adjacent, identical and nested squares")
    func intersectionAreas() {
        let a = square(120, 30, 0.01)
        let area = a.area
        #expect(abs(area - 1_068_000) < 20_000)  // ~1.03 km × 1.11 km at 30°N
        #expect(abs(PolygonOverlay.intersectionArea(a, a) - area) < 1e-6 * area)
        #expect(abs(PolygonOverlay.intersectionArea(a, square(120, 30, 0.01, clockwise: true)) - area) < 1e-6 * area)
        #expect(PolygonOverlay.intersectionArea(a, square(120.01, 30, 0.01)) < 1e-6 * area)  // shares an edge
        #expect(PolygonOverlay.intersectionArea(a, square(120.02, 30, 0.01)) == 0)
        let quarter = PolygonOverlay.intersectionArea(a, square(120.005, 30.005, 0.01))
        #expect(abs(quarter - area / 4) < 0.01 * area)
        let inner = square(120.002, 30.002, 0.004)
        #expect(abs(PolygonOverlay.intersectionArea(a, inner) - inner.area) < 1e-6 * area)
        #expect(abs(PolygonOverlay.differenceArea(inner, a)) < 1e-6 * area)
        #expect(abs(PolygonOverlay.differenceArea(a, inner) - (area - inner.area)) < 1e-6 * area)
    }

    @Test("a polygon with a hole overlaps only its ring")
    func holes() {
        let outer = square(120, 30, 0.01).polygons[0]
        let hole = square(120.0025, 30.0025, 0.005).polygons[0].exterior
        let donut = MultiPolygon([Polygon(exterior: outer.exterior, holes: [hole])])
        let inHole = square(120.003, 30.003, 0.002)
        #expect(PolygonOverlay.intersectionArea(donut, inHole) < 1e-6 * inHole.area)
        let whole = square(120, 30, 0.01)
        #expect(abs(PolygonOverlay.intersectionArea(donut, whole) - donut.area) < 1e-6 * whole.area)
    }

    @Test("splitting by lines and dissolving again gives back the area; pieces tile exactly")
    func splitAndDissolve() {
        // A U shape: a vertical cut through both arms gives three pieces.
        let u = [
            Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 3, latitude: 0), Coordinate(longitude: 3, latitude: 3),
            Coordinate(longitude: 2, latitude: 3), Coordinate(longitude: 2, latitude: 1), Coordinate(longitude: 1, latitude: 1),
            Coordinate(longitude: 1, latitude: 3), Coordinate(longitude: 0, latitude: 3),
        ]
        let pieces = PolygonSplitter.split(ring: u, origin: Coordinate(longitude: 0, latitude: 2.1), dx: 1, dy: 0.01)!
        #expect(pieces.count == 3)
        #expect(pieces.filter { $0.side == .left }.count == 2)
        let original = MultiPolygon([Polygon(u)])
        let parts = pieces.map { MultiPolygon([Polygon($0.ring)]) }
        let total = parts.reduce(0) { $0 + $1.area }
        #expect(abs(total - original.area) < 1e-9 * original.area)
        // Shared chord vertices: after noding, the dissolve gives the U back.
        let noded = Noding.insertSharedVertices(into: [u] + pieces.map(\.ring))
        let dissolved = PolygonOverlay.dissolve(noded.dropFirst().map { MultiPolygon([Polygon($0)]) })
        #expect(dissolved.polygons.count == 1)
        #expect(abs(dissolved.area - original.area) < 1e-9 * original.area)
        // A line through a vertex is refused.
        #expect(PolygonSplitter.split(ring: u, origin: Coordinate(longitude: 1, latitude: 1), dx: 1, dy: 0) == nil)
    }

    @Test("defects: unclosed, self-intersecting, spikes, crossing holes, too few positions")
    func defects() {
        let bowtie = Polygon(exterior: LinearRing(closing: [Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 1, latitude: 1), Coordinate(longitude: 1, latitude: 0), Coordinate(longitude: 0, latitude: 1)]))
        #expect(PolygonValidation.defects(of: bowtie).contains { if case .selfIntersection = $0 { true } else { false } })

        let unclosed = Polygon(exterior: LinearRing([Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 1, latitude: 0), Coordinate(longitude: 1, latitude: 1), Coordinate(longitude: 0, latitude: 1)]))
        #expect(PolygonValidation.defects(of: unclosed).contains(.notClosed(ring: 0)))

        let spike = Polygon(exterior: LinearRing(closing: [Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 2, latitude: 0), Coordinate(longitude: 3, latitude: 0), Coordinate(longitude: 2, latitude: 0), Coordinate(longitude: 2, latitude: 2)]))
        #expect(PolygonValidation.defects(of: spike).contains { if case .selfIntersection = $0 { true } else { false } })

        let crossingHole = Polygon(
            exterior: LinearRing(closing: [Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 4, latitude: 0), Coordinate(longitude: 4, latitude: 4), Coordinate(longitude: 0, latitude: 4)]),
            holes: [LinearRing(closing: [Coordinate(longitude: 3, latitude: 1), Coordinate(longitude: 5, latitude: 1), Coordinate(longitude: 5, latitude: 2)])])
        #expect(PolygonValidation.defects(of: crossingHole).contains { if case .ringsIntersect = $0 { true } else { false } })

        let outsideHole = Polygon(
            exterior: LinearRing(closing: [Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 4, latitude: 0), Coordinate(longitude: 4, latitude: 4), Coordinate(longitude: 0, latitude: 4)]),
            holes: [LinearRing(closing: [Coordinate(longitude: 5, latitude: 1), Coordinate(longitude: 6, latitude: 1), Coordinate(longitude: 6, latitude: 2)])])
        #expect(PolygonValidation.defects(of: outsideHole) == [.holeOutsideExterior(ring: 1)])

        let line = Polygon(exterior: LinearRing(closing: [Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 1, latitude: 0)]))
        #expect(PolygonValidation.defects(of: line).contains { if case .tooFewPositions = $0 { true } else { false } })

        let good = square(120, 30, 0.01).polygons[0]
        #expect(PolygonValidation.defects(of: good).isEmpty)
        // A repeated position is tolerated.
        var repeated = good
        repeated.exterior.coordinates.insert(repeated.exterior.coordinates[1], at: 1)
        #expect(PolygonValidation.defects(of: repeated).isEmpty)
    }

    @Test("centroid and representative point of a concave shape")
    func representativePoint() {
        let u = MultiPolygon([Polygon([
            Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 3, latitude: 0), Coordinate(longitude: 3, latitude: 3),
            Coordinate(longitude: 2, latitude: 3), Coordinate(longitude: 2, latitude: 1), Coordinate(longitude: 1, latitude: 1),
            Coordinate(longitude: 1, latitude: 3), Coordinate(longitude: 0, latitude: 3),
        ])])
        let p = u.representativePoint!
        #expect(PreparedPolygon(u).locate(p) == .interior)
        let c = square(0, 0, 2).centroid!
        #expect(abs(c.longitude - 1) < 1e-12 && abs(c.latitude - 1) < 1e-12)
    }
}

@Suite("Validation and dissolve: what the review found")
struct GeometryReviewTests {
    func c(_ x: Double, _ y: Double) -> Coordinate { Coordinate(longitude: x, latitude: y) }

    @Test("two squares meeting at a corner dissolve into two valid polygons")
    func cornerTouch() {
        let a = MultiPolygon([Polygon([c(0, 0), c(1, 0), c(1, 1), c(0, 1)])])
        let b = MultiPolygon([Polygon([c(1, 1), c(2, 1), c(2, 2), c(1, 2)])])
        let d = PolygonOverlay.dissolve([a, b])
        #expect(d.polygons.count == 2)
        #expect(PolygonValidation.defects(of: d).isEmpty)
        #expect(abs(d.area - a.area - b.area) < 1e-6 * d.area)
    }

    @Test("holes inside holes, holes through a notch, parts that overlap, parts that only touch")
    func holesAndParts() {
        let shell = [c(0, 0), c(10, 0), c(10, 10), c(0, 10)]
        let nested = Polygon(shell, holes: [[c(2, 2), c(2, 8), c(8, 8), c(8, 2)], [c(4, 4), c(4, 6), c(6, 6), c(6, 4)]])
        #expect(PolygonValidation.defects(of: nested).contains(.holeOutsideExterior(ring: 2)))
        // A U-shaped shell with a hole whose corners sit on the shell but which spans the notch.
        let u = [c(0, 0), c(3, 0), c(3, 3), c(2, 3), c(2, 1), c(1, 1), c(1, 3), c(0, 3)]
        let acrossNotch = Polygon(u, holes: [[c(1, 2), c(2, 2), c(2, 2.5), c(1, 2.5)].reversed()])
        #expect(!PolygonValidation.defects(of: acrossNotch).isEmpty)
        let overlapping = MultiPolygon([Polygon(shell), Polygon([c(5, 5), c(15, 5), c(15, 15), c(5, 15)])])
        #expect(PolygonValidation.defects(of: overlapping).contains { if case .partsOverlap = $0.defect { true } else { false } })
        let touching = MultiPolygon([Polygon(shell), Polygon([c(10, 10), c(20, 10), c(20, 20), c(10, 20)])])
        #expect(PolygonValidation.defects(of: touching).isEmpty)
        #expect(PolygonValidation.defects(of: MultiPolygon([])).map(\.defect) == [.empty])
        // Positions that are no longitude/latitude at all.
        #expect(PolygonValidation.defects(of: Polygon([c(1e10, 0), c(1, 0), c(1, 1)])) == [.invalidNumber(ring: 0)])
    }

    @Test("non-finite numbers: the point index skips them, the writer writes null")
    func nonFinite() {
        let index = PackedPointIndex([(1, c(120, 30)), (2, c(.nan, 30)), (3, c(120, .infinity))])
        #expect(index.count == 1)
        var w = JSONWriter()
        w.number(.nan)
        #expect(w.string == "null")
    }
}
