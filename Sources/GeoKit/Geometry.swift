import Foundation

/// A closed line of positions. GeoJSON requires the first and last positions to be equal; a ring read
/// from a file keeps whatever it was given so that validation can report an unclosed ring, and every
/// computation treats the ring as closed.
public struct LinearRing: Hashable, Sendable {
    public var coordinates: [Coordinate]

    public init(_ coordinates: [Coordinate]) {
        self.coordinates = coordinates
    }

    /// The ring with its closing position appended when it was missing.
    public init(closing coordinates: [Coordinate]) {
        var c = coordinates
        if let first = c.first, c.last != first { c.append(first) }
        self.coordinates = c
    }

    public var isClosed: Bool { coordinates.count >= 2 && coordinates.first == coordinates.last }

    /// The positions without the repeated closing one.
    public var openCoordinates: ArraySlice<Coordinate> {
        isClosed ? coordinates.dropLast() : coordinates[...]
    }

    /// Planar signed area in square degrees: positive when counter-clockwise (x = longitude, y = latitude).
    public var signedPlanarArea: Double {
        let open = openCoordinates
        guard open.count >= 3 else { return 0 }
        var sum = 0.0
        var previous = open.last!
        // Shifting by the first vertex keeps the shoelace sum well conditioned at lon ~120, lat ~30.
        let origin = open.first!
        for c in open {
            sum += (previous.longitude - origin.longitude) * (c.latitude - origin.latitude)
                - (c.longitude - origin.longitude) * (previous.latitude - origin.latitude)
            previous = c
        }
        return sum / 2
    }

    public var isCounterClockwise: Bool { signedPlanarArea > 0 }

    /// Signed area on the authalic sphere in m² (positive when counter-clockwise).
    public var signedArea: Double {
        let open = openCoordinates
        guard open.count >= 3 else { return 0 }
        var sum = 0.0
        var previous = open.last!
        for c in open {
            sum += SphericalArea.edgeTerm(previous, c)
            previous = c
        }
        return sum
    }

    public var reversed: LinearRing { LinearRing(coordinates.reversed()) }

    public var boundingBox: BoundingBox? { BoundingBox(covering: coordinates) }
}

/// A polygon: one exterior ring and any number of holes.
public struct Polygon: Hashable, Sendable {
    public var exterior: LinearRing
    public var holes: [LinearRing]

    public init(exterior: LinearRing, holes: [LinearRing] = []) {
        self.exterior = exterior
        self.holes = holes
    }

    public init(_ exterior: [Coordinate], holes: [[Coordinate]] = []) {
        self.init(exterior: LinearRing(closing: exterior), holes: holes.map { LinearRing(closing: $0) })
    }

    public var rings: [LinearRing] { [exterior] + holes }

    public var boundingBox: BoundingBox? { exterior.boundingBox }

    /// Area in m² (exterior minus holes, whatever their orientation).
    public var area: Double {
        abs(exterior.signedArea) - holes.reduce(0) { $0 + abs($1.signedArea) }
    }

    /// The polygon with the RFC 7946 right-hand rule applied: exterior counter-clockwise, holes clockwise.
    public var rightHandOriented: Polygon {
        Polygon(
            exterior: exterior.isCounterClockwise ? exterior : exterior.reversed,
            holes: holes.map { $0.isCounterClockwise ? $0.reversed : $0 })
    }
}

/// One or more polygons. Every region geometry is a multipolygon (a plain polygon is a multipolygon of one).
public struct MultiPolygon: Hashable, Sendable {
    public var polygons: [Polygon]

    public init(_ polygons: [Polygon]) {
        self.polygons = polygons
    }

    public var boundingBox: BoundingBox? {
        polygons.compactMap(\.boundingBox).reduce(nil as BoundingBox?) { $0?.union($1) ?? $1 }
    }

    public var area: Double { polygons.reduce(0) { $0 + $1.area } }

    public var rightHandOriented: MultiPolygon { MultiPolygon(polygons.map(\.rightHandOriented)) }

    public var vertexCount: Int { polygons.reduce(0) { $0 + $1.rings.reduce(0) { $0 + $1.coordinates.count } } }

    /// Area-weighted planar centroid. It may fall outside a concave shape: use ``representativePoint`` for labels.
    public var centroid: Coordinate? {
        var sx = 0.0, sy = 0.0, sa = 0.0
        for polygon in polygons {
            for ring in polygon.rings {
                let open = ring.openCoordinates
                guard open.count >= 3, let origin = open.first else { continue }
                // Holes contribute negatively whatever their orientation.
                let sign: Double = (ring == polygon.exterior) == ring.isCounterClockwise ? 1 : -1
                var previous = open.last!
                for c in open {
                    let x0 = previous.longitude - origin.longitude, y0 = previous.latitude - origin.latitude
                    let x1 = c.longitude - origin.longitude, y1 = c.latitude - origin.latitude
                    let cross = (x0 * y1 - x1 * y0) * sign
                    sa += cross
                    sx += (x0 + x1 + 3 * origin.longitude) * cross
                    sy += (y0 + y1 + 3 * origin.latitude) * cross
                    previous = c
                }
            }
        }
        guard sa != 0 else { return polygons.first?.exterior.coordinates.first }
        return Coordinate(longitude: sx / (3 * sa), latitude: sy / (3 * sa))
    }

    /// A point strictly inside the multipolygon (for labels and tests): the middle of the widest
    /// interior run on the horizontal line through the centre of the largest polygon.
    public var representativePoint: Coordinate? {
        guard let largest = polygons.max(by: { $0.area < $1.area }), let box = largest.boundingBox else { return nil }
        var best: (width: Double, point: Coordinate)?
        // A few scan lines in case one passes exactly through vertices.
        for fraction in [0.5, 0.37, 0.63, 0.21, 0.79] {
            let y = box.minLatitude + box.height * fraction
            var xs: [Double] = []
            for ring in largest.rings {
                let open = Array(ring.openCoordinates)
                guard open.count >= 3 else { continue }
                var a = open[open.count - 1]
                for b in open {
                    if (a.latitude <= y) != (b.latitude <= y) {
                        xs.append(a.longitude + (y - a.latitude) * (b.longitude - a.longitude) / (b.latitude - a.latitude))
                    }
                    a = b
                }
            }
            xs.sort()
            var i = 0
            while i + 1 < xs.count {
                let w = xs[i + 1] - xs[i]
                if w > (best?.width ?? 0) {
                    best = (w, Coordinate(longitude: (xs[i] + xs[i + 1]) / 2, latitude: y))
                }
                i += 2
            }
            if best != nil { break }
        }
        return best?.point
    }
}

/// Any GeoJSON geometry.
public indirect enum Geometry: Hashable, Sendable {
    case point(Coordinate)
    case multiPoint([Coordinate])
    case lineString([Coordinate])
    case multiLineString([[Coordinate]])
    case polygon(Polygon)
    case multiPolygon(MultiPolygon)
    case geometryCollection([Geometry])

    public var typeName: String {
        switch self {
        case .point: "Point"
        case .multiPoint: "MultiPoint"
        case .lineString: "LineString"
        case .multiLineString: "MultiLineString"
        case .polygon: "Polygon"
        case .multiPolygon: "MultiPolygon"
        case .geometryCollection: "GeometryCollection"
        }
    }

    /// The areal part of the geometry as a multipolygon, or `nil` when it has none.
    public var asMultiPolygon: MultiPolygon? {
        switch self {
        case .polygon(let p): MultiPolygon([p])
        case .multiPolygon(let m): m
        default: nil
        }
    }

    /// Every position of the geometry, in order.
    public var allCoordinates: [Coordinate] {
        switch self {
        case .point(let c): [c]
        case .multiPoint(let cs), .lineString(let cs): cs
        case .multiLineString(let lines): lines.flatMap { $0 }
        case .polygon(let p): p.rings.flatMap(\.coordinates)
        case .multiPolygon(let m): m.polygons.flatMap { $0.rings.flatMap(\.coordinates) }
        case .geometryCollection(let gs): gs.flatMap(\.allCoordinates)
        }
    }

    /// The geometry with every position mapped.
    public func mapCoordinates(_ transform: (Coordinate) throws -> Coordinate) rethrows -> Geometry {
        switch self {
        case .point(let c): return .point(try transform(c))
        case .multiPoint(let cs): return .multiPoint(try cs.map(transform))
        case .lineString(let cs): return .lineString(try cs.map(transform))
        case .multiLineString(let ls): return .multiLineString(try ls.map { try $0.map(transform) })
        case .polygon(let p): return .polygon(try p.mapCoordinates(transform))
        case .multiPolygon(let m): return .multiPolygon(try m.mapCoordinates(transform))
        case .geometryCollection(let gs): return .geometryCollection(try gs.map { try $0.mapCoordinates(transform) })
        }
    }
}

extension Polygon {
    public func mapCoordinates(_ transform: (Coordinate) throws -> Coordinate) rethrows -> Polygon {
        Polygon(
            exterior: LinearRing(try exterior.coordinates.map(transform)),
            holes: try holes.map { LinearRing(try $0.coordinates.map(transform)) })
    }
}

extension MultiPolygon {
    public func mapCoordinates(_ transform: (Coordinate) throws -> Coordinate) rethrows -> MultiPolygon {
        MultiPolygon(try polygons.map { try $0.mapCoordinates(transform) })
    }
}

/// Area on the sphere by the edge formula of Chamberlain & Duquette (2007): additive over edges,
/// so partial boundaries (see ``PolygonOverlay``) can be summed too.
public enum SphericalArea {
    /// WGS-84 authalic radius: the sphere with the ellipsoid's surface area.
    public static let authalicRadius: Double = 6_371_007.2

    @inlinable
    public static func edgeTerm(_ a: Coordinate, _ b: Coordinate) -> Double {
        let dλ = (b.longitude - a.longitude) * .pi / 180
        return -dλ * (sin(a.latitude * .pi / 180) + sin(b.latitude * .pi / 180)) * authalicRadius * authalicRadius / 2
    }
}

extension LinearRing {
    /// The ring without consecutive repeated positions (a closing position stays).
    public var withoutRepeats: LinearRing {
        var out: [Coordinate] = []
        out.reserveCapacity(coordinates.count)
        for c in coordinates where out.last != c { out.append(c) }
        return LinearRing(out)
    }
}

extension MultiPolygon {
    /// The same shape written one way: the right-hand rule and no repeated positions. Rings are not
    /// closed or otherwise repaired (validation reports such defects).
    public var normalized: MultiPolygon {
        MultiPolygon(polygons.map { p in
            Polygon(exterior: p.exterior.withoutRepeats, holes: p.holes.map(\.withoutRepeats)).rightHandOriented
        })
    }

    /// Same polygons, rings and positions, each position within `tolerance` degrees (1e-8° ≈ 1 mm):
    /// the same boundary, whatever rounding a datum conversion round trip left.
    public func isAlmostEqual(to other: MultiPolygon, tolerance: Double = 1e-8) -> Bool {
        guard polygons.count == other.polygons.count else { return false }
        for (p, q) in zip(polygons, other.polygons) {
            let a = p.rings, b = q.rings
            guard a.count == b.count else { return false }
            for (r, s) in zip(a, b) {
                guard r.coordinates.count == s.coordinates.count else { return false }
                for (c, d) in zip(r.coordinates, s.coordinates)
                where abs(c.longitude - d.longitude) > tolerance || abs(c.latitude - d.latitude) > tolerance {
                    return false
                }
            }
        }
        return true
    }
}
