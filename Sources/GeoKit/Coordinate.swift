/// A position on the earth in degrees: longitude (x, east positive) and latitude (y, north positive).
///
/// CityBrain stores WGS-84/CGCS2000 coordinates; other datums (GCJ-02, BD-09) are converted at the
/// edges with ``CoordinateTransform``.
public struct Coordinate: Hashable, Sendable, Codable, CustomStringConvertible {
    public var longitude: Double
    public var latitude: Double

    @inlinable
    public init(longitude: Double, latitude: Double) {
        self.longitude = longitude
        self.latitude = latitude
    }

    public var isFinite: Bool { longitude.isFinite && latitude.isFinite }

    public var description: String { "(\(longitude), \(latitude))" }
}

/// An axis-aligned box in longitude/latitude. The antimeridian is not supported: CityBrain's territory is China.
public struct BoundingBox: Hashable, Sendable, CustomStringConvertible {
    public var minLongitude: Double
    public var minLatitude: Double
    public var maxLongitude: Double
    public var maxLatitude: Double

    @inlinable
    public init(minLongitude: Double, minLatitude: Double, maxLongitude: Double, maxLatitude: Double) {
        self.minLongitude = minLongitude
        self.minLatitude = minLatitude
        self.maxLongitude = maxLongitude
        self.maxLatitude = maxLatitude
    }

    /// The smallest box holding every coordinate, or `nil` for an empty sequence.
    public init?<S: Sequence>(covering coordinates: S) where S.Element == Coordinate {
        var iterator = coordinates.makeIterator()
        guard let first = iterator.next() else { return nil }
        var box = BoundingBox(
            minLongitude: first.longitude, minLatitude: first.latitude,
            maxLongitude: first.longitude, maxLatitude: first.latitude)
        while let c = iterator.next() { box.expand(toInclude: c) }
        self = box
    }

    public var width: Double { maxLongitude - minLongitude }
    public var height: Double { maxLatitude - minLatitude }
    public var center: Coordinate {
        Coordinate(longitude: (minLongitude + maxLongitude) / 2, latitude: (minLatitude + maxLatitude) / 2)
    }

    @inlinable
    public func contains(_ c: Coordinate) -> Bool {
        c.longitude >= minLongitude && c.longitude <= maxLongitude
            && c.latitude >= minLatitude && c.latitude <= maxLatitude
    }

    @inlinable
    public func intersects(_ other: BoundingBox) -> Bool {
        other.minLongitude <= maxLongitude && other.maxLongitude >= minLongitude
            && other.minLatitude <= maxLatitude && other.maxLatitude >= minLatitude
    }

    public func contains(_ other: BoundingBox) -> Bool {
        other.minLongitude >= minLongitude && other.maxLongitude <= maxLongitude
            && other.minLatitude >= minLatitude && other.maxLatitude <= maxLatitude
    }

    public mutating func expand(toInclude c: Coordinate) {
        minLongitude = Swift.min(minLongitude, c.longitude)
        maxLongitude = Swift.max(maxLongitude, c.longitude)
        minLatitude = Swift.min(minLatitude, c.latitude)
        maxLatitude = Swift.max(maxLatitude, c.latitude)
    }

    /// The common part, or nil when the boxes do not meet.
    public func intersection(_ other: BoundingBox) -> BoundingBox? {
        guard intersects(other) else { return nil }
        return BoundingBox(
            minLongitude: Swift.max(minLongitude, other.minLongitude), minLatitude: Swift.max(minLatitude, other.minLatitude),
            maxLongitude: Swift.min(maxLongitude, other.maxLongitude), maxLatitude: Swift.min(maxLatitude, other.maxLatitude))
    }

    public func union(_ other: BoundingBox) -> BoundingBox {
        BoundingBox(
            minLongitude: Swift.min(minLongitude, other.minLongitude),
            minLatitude: Swift.min(minLatitude, other.minLatitude),
            maxLongitude: Swift.max(maxLongitude, other.maxLongitude),
            maxLatitude: Swift.max(maxLatitude, other.maxLatitude))
    }

    /// The box grown by `metres` on every side (a local approximation, exact enough for search windows).
    public func expanded(byMetres metres: Double) -> BoundingBox {
        let dLat = metres / GreatCircle.metresPerDegreeLatitude
        let maxAbsLat = Swift.min(89.0, Swift.max(abs(minLatitude), abs(maxLatitude)) + dLat)
        let dLon = metres / GreatCircle.metresPerDegreeLongitude(atLatitude: maxAbsLat)
        return BoundingBox(
            minLongitude: minLongitude - dLon, minLatitude: minLatitude - dLat,
            maxLongitude: maxLongitude + dLon, maxLatitude: maxLatitude + dLat)
    }

    public var description: String { "[\(minLongitude), \(minLatitude), \(maxLongitude), \(maxLatitude)]" }
}
