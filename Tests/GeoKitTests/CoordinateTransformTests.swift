import Testing
import GeoKit

@Suite("Datum transforms")
struct CoordinateTransformTests {
    let beijing = Coordinate(longitude: 116.404, latitude: 39.915)

    @Test("WGS-84 → GCJ-02 reproduces the check value of DOMAIN.md")
    func gcjCheckValue() {
        let g = CoordinateTransform.wgs84ToGCJ02(beijing)
        #expect(abs(g.longitude - 116.41024449916938) < 1e-12)
        #expect(abs(g.latitude - 39.91640428150164) < 1e-12)
    }

    @Test("GCJ-02 → BD-09 reproduces the check value of DOMAIN.md")
    func bdCheckValue() {
        let b = CoordinateTransform.gcj02ToBD09(beijing)
        #expect(abs(b.longitude - 116.41036949371029) < 1e-12)
        #expect(abs(b.latitude - 39.92133699351021) < 1e-12)
    }

    @Test("inverse transforms return to the original within a centimetre", arguments: [
        CoordinateSystem.gcj02, .bd09,
    ])
    func inverses(system: CoordinateSystem) {
        var g = SeededGenerator(seed: 11)
        for _ in 0..<2000 {
            let original = Coordinate(longitude: Double.random(in: 73...135, using: &g), latitude: Double.random(in: 18...53, using: &g))
            let there = CoordinateTransform.fromWGS84(original, to: system)
            let back = CoordinateTransform.toWGS84(there, from: system)
            #expect(GreatCircle.distance(original, back) < 0.01, "\(original) via \(system)")
        }
    }

    @Test("outside China the GCJ-02 offset is not applied")
    func outsideChina() {
        let tokyo = Coordinate(longitude: 139.69, latitude: 35.68)
        #expect(CoordinateTransform.wgs84ToGCJ02(tokyo) == tokyo)
        #expect(CoordinateTransform.gcj02ToWGS84(tokyo) == tokyo)
    }

    @Test("CGCS2000 is taken as WGS-84")
    func cgcs() {
        #expect(CoordinateTransform.toWGS84(beijing, from: .cgcs2000) == beijing)
    }

    @Test("great-circle distance")
    func distance() {
        // One degree of latitude on the mean sphere.
        let d = GreatCircle.distance(Coordinate(longitude: 120, latitude: 30), Coordinate(longitude: 120, latitude: 31))
        #expect(abs(d - 111_195.08) < 0.1)
        let back = GreatCircle.destination(from: Coordinate(longitude: 120, latitude: 30), metres: 500, bearing: 45)
        #expect(abs(GreatCircle.distance(Coordinate(longitude: 120, latitude: 30), back) - 500) < 1e-6)
    }
}
