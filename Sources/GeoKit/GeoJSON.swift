import Foundation

/// A GeoJSON feature (RFC 7946 §3.2).
public struct Feature: Hashable, Sendable {
    /// The feature's `id` member (string or number), if any.
    public var id: JSONValue?
    public var geometry: Geometry?
    public var properties: JSONObject

    public init(id: JSONValue? = nil, geometry: Geometry?, properties: JSONObject = JSONObject()) {
        self.id = id
        self.geometry = geometry
        self.properties = properties
    }
}

/// What is wrong in a GeoJSON text, and where: the feature's index, the JSON path inside the
/// document, and for syntax errors the line and column.
public struct GeoJSONError: Error, Equatable, CustomStringConvertible {
    public var featureIndex: Int?
    public var path: String
    public var reason: String
    public var line: Int?
    public var column: Int?

    public init(featureIndex: Int? = nil, path: String, reason: String, line: Int? = nil, column: Int? = nil) {
        self.featureIndex = featureIndex
        self.path = path
        self.reason = reason
        self.line = line
        self.column = column
    }

    public var description: String {
        var where_: [String] = []
        if let line, let column { where_.append("line \(line), column \(column)") }
        if let featureIndex { where_.append("feature \(featureIndex)") }
        if !path.isEmpty { where_.append(path) }
        return (where_.isEmpty ? "" : where_.joined(separator: ", ") + ": ") + reason
    }
}

/// GeoJSON (RFC 7946) reading and writing.
public enum GeoJSON {
    /// The features of a document: a FeatureCollection's features, a single Feature, or a bare
    /// geometry wrapped as a feature without properties.
    public static func decodeFeatures(_ data: Data) throws(GeoJSONError) -> [Feature] {
        let root: JSONValue
        do {
            root = try JSONParser.parse(data)
        } catch {
            throw GeoJSONError(path: "", reason: "invalid JSON: \(error.reason)", line: error.line, column: error.column)
        }
        return try decodeFeatures(root)
    }

    public static func decodeFeatures(_ root: JSONValue) throws(GeoJSONError) -> [Feature] {
        guard let object = root.objectValue else {
            throw GeoJSONError(path: "$", reason: "a GeoJSON object was expected, found \(root.typeName)")
        }
        guard let type = object["type"]?.stringValue else {
            throw GeoJSONError(path: "$.type", reason: "the member \"type\" is missing or not a string")
        }
        switch type {
        case "FeatureCollection":
            guard let features = object["features"]?.arrayValue else {
                throw GeoJSONError(path: "$.features", reason: "a FeatureCollection needs a \"features\" array")
            }
            var result: [Feature] = []
            result.reserveCapacity(features.count)
            for (i, f) in features.enumerated() {
                result.append(try decodeFeature(f, index: i, path: "$.features[\(i)]"))
            }
            return result
        case "Feature":
            return [try decodeFeature(root, index: 0, path: "$")]
        default:
            return [Feature(geometry: try decodeGeometry(root, featureIndex: nil, path: "$"))]
        }
    }

    static func decodeFeature(_ value: JSONValue, index: Int, path: String) throws(GeoJSONError) -> Feature {
        guard let object = value.objectValue else {
            throw GeoJSONError(featureIndex: index, path: path, reason: "a Feature object was expected, found \(value.typeName)")
        }
        guard object["type"]?.stringValue == "Feature" else {
            throw GeoJSONError(featureIndex: index, path: path + ".type", reason: "\"type\" must be \"Feature\"")
        }
        var properties = JSONObject()
        switch object["properties"] {
        case .object(let p)?: properties = p
        case .null?, nil: break
        case let other?:
            throw GeoJSONError(featureIndex: index, path: path + ".properties", reason: "\"properties\" must be an object or null, found \(other.typeName)")
        }
        var id: JSONValue?
        switch object["id"] {
        case .string?, .number?: id = object["id"]
        case nil, .null?: id = nil
        case let other?:
            throw GeoJSONError(featureIndex: index, path: path + ".id", reason: "\"id\" must be a string or a number, found \(other.typeName)")
        }
        var geometry: Geometry?
        switch object["geometry"] {
        case .null?: geometry = nil
        case nil: throw GeoJSONError(featureIndex: index, path: path + ".geometry", reason: "the member \"geometry\" is missing (use null for none)")
        case let g?: geometry = try decodeGeometry(g, featureIndex: index, path: path + ".geometry")
        }
        return Feature(id: id, geometry: geometry, properties: properties)
    }

    public static func decodeGeometry(_ value: JSONValue, featureIndex: Int?, path: String) throws(GeoJSONError) -> Geometry {
        func fail(_ p: String, _ reason: String) -> GeoJSONError {
            GeoJSONError(featureIndex: featureIndex, path: p, reason: reason)
        }
        guard let object = value.objectValue else { throw fail(path, "a geometry object was expected, found \(value.typeName)") }
        guard let type = object["type"]?.stringValue else { throw fail(path + ".type", "the geometry has no \"type\"") }
        if type == "GeometryCollection" {
            guard let members = object["geometries"]?.arrayValue else {
                throw fail(path + ".geometries", "a GeometryCollection needs a \"geometries\" array")
            }
            var gs: [Geometry] = []
            for (i, g) in members.enumerated() {
                gs.append(try decodeGeometry(g, featureIndex: featureIndex, path: path + ".geometries[\(i)]"))
            }
            return .geometryCollection(gs)
        }
        guard let coordinates = object["coordinates"] else {
            throw fail(path + ".coordinates", "a \(type) needs \"coordinates\"")
        }
        let cpath = path + ".coordinates"

        func position(_ v: JSONValue, _ p: String) throws(GeoJSONError) -> Coordinate {
            guard let a = v.arrayValue, a.count >= 2 else {
                throw fail(p, "a position [longitude, latitude] was expected, found \(v.arrayValue.map { "an array of \($0.count)" } ?? v.typeName)")
            }
            guard let lon = a[0].doubleValue, let lat = a[1].doubleValue else {
                throw fail(p, "positions must hold numbers")
            }
            return Coordinate(longitude: lon, latitude: lat)
        }
        func positions(_ v: JSONValue, _ p: String) throws(GeoJSONError) -> [Coordinate] {
            guard let a = v.arrayValue else { throw fail(p, "an array of positions was expected, found \(v.typeName)") }
            var r: [Coordinate] = []
            r.reserveCapacity(a.count)
            for (i, e) in a.enumerated() { r.append(try position(e, p + "[\(i)]")) }
            return r
        }
        func polygon(_ v: JSONValue, _ p: String) throws(GeoJSONError) -> Polygon {
            guard let rings = v.arrayValue else { throw fail(p, "an array of linear rings was expected, found \(v.typeName)") }
            guard !rings.isEmpty else { throw fail(p, "a polygon needs at least its exterior ring") }
            var rs: [LinearRing] = []
            for (i, r) in rings.enumerated() { rs.append(LinearRing(try positions(r, p + "[\(i)]"))) }
            return Polygon(exterior: rs[0], holes: Array(rs.dropFirst()))
        }

        switch type {
        case "Point":
            return .point(try position(coordinates, cpath))
        case "MultiPoint":
            return .multiPoint(try positions(coordinates, cpath))
        case "LineString":
            return .lineString(try positions(coordinates, cpath))
        case "MultiLineString":
            guard let lines = coordinates.arrayValue else { throw fail(cpath, "an array of line strings was expected") }
            var ls: [[Coordinate]] = []
            for (i, l) in lines.enumerated() { ls.append(try positions(l, cpath + "[\(i)]")) }
            return .multiLineString(ls)
        case "Polygon":
            return .polygon(try polygon(coordinates, cpath))
        case "MultiPolygon":
            guard let polys = coordinates.arrayValue else { throw fail(cpath, "an array of polygons was expected, found \(coordinates.typeName)") }
            var ps: [Polygon] = []
            for (i, p) in polys.enumerated() { ps.append(try polygon(p, cpath + "[\(i)]")) }
            return .multiPolygon(MultiPolygon(ps))
        default:
            throw fail(path + ".type", "unknown geometry type \"\(type)\"")
        }
    }

    // MARK: writing

    /// A FeatureCollection as compact JSON text. Polygons are written with the right-hand rule
    /// (exterior rings counter-clockwise) as RFC 7946 asks of writers.
    public static func encode(_ features: [Feature]) -> Data {
        var w = JSONWriter(reservingCapacity: 4096)
        write(features, to: &w)
        return w.data
    }

    public static func write(_ features: [Feature], to w: inout JSONWriter) {
        w.raw("{\"type\":\"FeatureCollection\",\"features\":[")
        for (i, f) in features.enumerated() {
            if i > 0 { w.raw(",") }
            write(f, to: &w)
        }
        w.raw("]}")
    }

    public static func write(_ feature: Feature, to w: inout JSONWriter) {
        w.raw("{\"type\":\"Feature\"")
        if let id = feature.id {
            w.raw(",\"id\":")
            w.value(id)
        }
        w.raw(",\"properties\":")
        w.value(.object(feature.properties))
        w.raw(",\"geometry\":")
        if let g = feature.geometry { write(g, to: &w) } else { w.raw("null") }
        w.raw("}")
    }

    public static func encode(_ geometry: Geometry) -> Data {
        var w = JSONWriter()
        write(geometry, to: &w)
        return w.data
    }

    public static func write(_ geometry: Geometry, to w: inout JSONWriter) {
        func pos(_ c: Coordinate) {
            w.raw("[")
            w.number(c.longitude)
            w.raw(",")
            w.number(c.latitude)
            w.raw("]")
        }
        func list(_ cs: [Coordinate]) {
            w.raw("[")
            for (i, c) in cs.enumerated() {
                if i > 0 { w.raw(",") }
                pos(c)
            }
            w.raw("]")
        }
        func polygon(_ p: Polygon) {
            let oriented = p.rightHandOriented
            w.raw("[")
            for (i, r) in oriented.rings.enumerated() {
                if i > 0 { w.raw(",") }
                list(r.coordinates)
            }
            w.raw("]")
        }
        switch geometry {
        case .point(let c):
            w.raw("{\"type\":\"Point\",\"coordinates\":")
            pos(c)
        case .multiPoint(let cs):
            w.raw("{\"type\":\"MultiPoint\",\"coordinates\":")
            list(cs)
        case .lineString(let cs):
            w.raw("{\"type\":\"LineString\",\"coordinates\":")
            list(cs)
        case .multiLineString(let ls):
            w.raw("{\"type\":\"MultiLineString\",\"coordinates\":[")
            for (i, l) in ls.enumerated() {
                if i > 0 { w.raw(",") }
                list(l)
            }
            w.raw("]")
        case .polygon(let p):
            w.raw("{\"type\":\"Polygon\",\"coordinates\":")
            polygon(p)
        case .multiPolygon(let m):
            w.raw("{\"type\":\"MultiPolygon\",\"coordinates\":[")
            for (i, p) in m.polygons.enumerated() {
                if i > 0 { w.raw(",") }
                polygon(p)
            }
            w.raw("]")
        case .geometryCollection(let gs):
            w.raw("{\"type\":\"GeometryCollection\",\"geometries\":[")
            for (i, g) in gs.enumerated() {
                if i > 0 { w.raw(",") }
                write(g, to: &w)
            }
            w.raw("]")
        }
        w.raw("}")
    }
}
