import Foundation

/// Distances on the sphere of mean earth radius (IUGG R1). Good to ~0.3 % against the ellipsoid,
/// which is far inside what grid governance needs (radius searches of tens of metres to kilometres).
public enum GreatCircle {
    public static let meanEarthRadius: Double = 6_371_008.8
    public static let metresPerDegreeLatitude: Double = meanEarthRadius * .pi / 180

    @inlinable
    public static func metresPerDegreeLongitude(atLatitude latitude: Double) -> Double {
        metresPerDegreeLatitude * cos(latitude * .pi / 180)
    }

    /// Haversine distance in metres.
    public static func distance(_ a: Coordinate, _ b: Coordinate) -> Double {
        let φ1 = a.latitude * .pi / 180, φ2 = b.latitude * .pi / 180
        let dφ = φ2 - φ1
        let dλ = (b.longitude - a.longitude) * .pi / 180
        let s = sin(dφ / 2), t = sin(dλ / 2)
        let h = s * s + cos(φ1) * cos(φ2) * t * t
        return 2 * meanEarthRadius * asin(min(1, sqrt(h)))
    }

    /// The point reached from `start` after `metres` along the initial `bearing` (degrees clockwise from north).
    public static func destination(from start: Coordinate, metres: Double, bearing: Double) -> Coordinate {
        let δ = metres / meanEarthRadius
        let θ = bearing * .pi / 180
        let φ1 = start.latitude * .pi / 180, λ1 = start.longitude * .pi / 180
        let φ2 = asin(sin(φ1) * cos(δ) + cos(φ1) * sin(δ) * cos(θ))
        let λ2 = λ1 + atan2(sin(θ) * sin(δ) * cos(φ1), cos(δ) - sin(φ1) * sin(φ2))
        return Coordinate(longitude: λ2 * 180 / .pi, latitude: φ2 * 180 / .pi)
    }
}
