import Foundation

/// Well-Known Binary (ISO/OGC, little-endian, 2D) for multipolygons: the storage format of region
/// geometry, readable by PostGIS (`ST_GeomFromWKB`) and SpatiaLite alike.
public enum WKB {
    public struct DecodingError: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { "invalid WKB: \(reason)" }
    }

    public static func encode(_ m: MultiPolygon) -> Data {
        var out = Data()
        out.reserveCapacity(9 + m.vertexCount * 16 + m.polygons.count * 16)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func f64(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        out.append(1)
        u32(6)
        u32(UInt32(m.polygons.count))
        for p in m.polygons {
            out.append(1)
            u32(3)
            u32(UInt32(p.rings.count))
            for r in p.rings {
                u32(UInt32(r.coordinates.count))
                for c in r.coordinates {
                    f64(c.longitude)
                    f64(c.latitude)
                }
            }
        }
        return out
    }

    /// Reads a MultiPolygon or a Polygon (returned as a multipolygon of one).
    public static func decodeMultiPolygon(_ data: Data) throws(DecodingError) -> MultiPolygon {
        var reader = Reader(bytes: [UInt8](data))
        let type = try reader.header()
        switch type {
        case 3: return MultiPolygon([try reader.polygonBody()])
        case 6:
            let count = try reader.u32()
            var polygons: [Polygon] = []
            for _ in 0..<count {
                guard try reader.header() == 3 else { throw DecodingError(reason: "a MultiPolygon member is not a Polygon") }
                polygons.append(try reader.polygonBody())
            }
            return MultiPolygon(polygons)
        default:
            throw DecodingError(reason: "geometry type \(type) is not a (Multi)Polygon")
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var littleEndian = true

        mutating func header() throws(DecodingError) -> UInt32 {
            guard offset < bytes.count else { throw DecodingError(reason: "truncated") }
            switch bytes[offset] {
            case 0: littleEndian = false
            case 1: littleEndian = true
            default: throw DecodingError(reason: "bad byte-order mark \(bytes[offset])")
            }
            offset += 1
            return try u32()
        }

        mutating func u32() throws(DecodingError) -> UInt32 {
            guard offset + 4 <= bytes.count else { throw DecodingError(reason: "truncated") }
            var v: UInt32 = 0
            for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * i) }
            offset += 4
            return littleEndian ? v : v.byteSwapped
        }

        mutating func f64() throws(DecodingError) -> Double {
            guard offset + 8 <= bytes.count else { throw DecodingError(reason: "truncated") }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * i) }
            offset += 8
            return Double(bitPattern: littleEndian ? v : v.byteSwapped)
        }

        mutating func polygonBody() throws(DecodingError) -> Polygon {
            let ringCount = try u32()
            guard ringCount >= 1 else { throw DecodingError(reason: "a polygon without rings") }
            var rings: [LinearRing] = []
            for _ in 0..<ringCount {
                let n = try u32()
                guard Int(n) * 16 <= bytes.count - offset else { throw DecodingError(reason: "truncated ring") }
                var cs: [Coordinate] = []
                cs.reserveCapacity(Int(n))
                for _ in 0..<n {
                    let x = try f64()
                    let y = try f64()
                    cs.append(Coordinate(longitude: x, latitude: y))
                }
                rings.append(LinearRing(cs))
            }
            return Polygon(exterior: rings[0], holes: Array(rings.dropFirst()))
        }
    }
}
