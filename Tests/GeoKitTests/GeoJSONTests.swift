import Foundation
import Testing
import GeoKit

@Suite("GeoJSON")
struct GeoJSONTests {
    @Test("a feature collection survives a round trip, properties and holes included")
    func roundTrip() throws {
        let square = Polygon(
            [Coordinate(longitude: 120, latitude: 30), Coordinate(longitude: 120.01, latitude: 30), Coordinate(longitude: 120.01, latitude: 30.01), Coordinate(longitude: 120, latitude: 30.01)],
            holes: [[Coordinate(longitude: 120.002, latitude: 30.002), Coordinate(longitude: 120.002, latitude: 30.004), Coordinate(longitude: 120.004, latitude: 30.004)]])
        let features = [
            Feature(id: .string("a"), geometry: .polygon(square), properties: JSONObject([("code", .string("330110001001")), ("名称", .string("星火社区")), ("n", .number(3)), ("ok", .bool(true)), ("none", .null)])),
            Feature(id: .number(7), geometry: .multiPolygon(MultiPolygon([square, square])), properties: JSONObject([("nested", .object(JSONObject([("list", .array([.number(1.5), .string("x\"y\n")]))])))])),
            Feature(geometry: .point(Coordinate(longitude: 120.123456789012, latitude: 30.987654321098)), properties: JSONObject()),
            Feature(geometry: .lineString([Coordinate(longitude: 1, latitude: 2), Coordinate(longitude: 3, latitude: 4)])),
            Feature(geometry: .geometryCollection([.multiPoint([Coordinate(longitude: 1, latitude: 2)]), .multiLineString([[Coordinate(longitude: 1, latitude: 2)]])])),
            Feature(geometry: nil),
        ]
        let data = GeoJSON.encode(features)
        let decoded = try GeoJSON.decodeFeatures(data)
        #expect(decoded.count == features.count)
        #expect(decoded[0].properties == features[0].properties)
        #expect(decoded[1].properties == features[1].properties)
        #expect(decoded[0].id == .string("a"))
        #expect(decoded[1].id == .number(7))
        // Written with the right-hand rule; the same polygon up to orientation.
        #expect(decoded[0].geometry?.asMultiPolygon?.polygons[0] == square.rightHandOriented)
        #expect(decoded[2].geometry == features[2].geometry)
        #expect(decoded[3].geometry == features[3].geometry)
        #expect(decoded[4].geometry == features[4].geometry)
        #expect(decoded[5].geometry == nil)
        // And writing the decoded features again gives the same bytes.
        #expect(GeoJSON.encode(decoded) == data)
    }

    @Test("writers follow the right-hand rule")
    func rightHandRule() throws {
        let clockwise = Polygon([Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 0, latitude: 1), Coordinate(longitude: 1, latitude: 1), Coordinate(longitude: 1, latitude: 0)])
        #expect(!clockwise.exterior.isCounterClockwise)
        let decoded = try GeoJSON.decodeFeatures(GeoJSON.encode([Feature(geometry: .polygon(clockwise))]))
        #expect(decoded[0].geometry?.asMultiPolygon?.polygons[0].exterior.isCounterClockwise == true)
    }

    @Test("errors say which feature and which JSON path", arguments: [
        (#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null},{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[1,2],[3,"x"],[1,2]]]}}]}"#, 1, "$.features[1].geometry.coordinates[0][1]"),
        (#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":[],"geometry":null}]}"#, 0, "$.features[0].properties"),
        (#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{}}]}"#, 0, "$.features[0].geometry"),
        (#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Circle","coordinates":[]}}]}"#, 0, "$.features[0].geometry.type"),
        (#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1]}}]}"#, 0, "$.features[0].geometry.coordinates"),
    ])
    func errorsSayWhere(text: String, feature: Int, path: String) {
        #expect {
            _ = try GeoJSON.decodeFeatures(Data(text.utf8))
        } throws: { error in
            guard let e = error as? GeoJSONError else { return false }
            return e.featureIndex == feature && e.path == path
        }
    }

    @Test("syntax errors give line and column")
    func syntaxError() {
        let text = "{\n  \"type\": \"FeatureCollection\",\n  \"features\": [,]\n}"
        #expect {
            _ = try GeoJSON.decodeFeatures(Data(text.utf8))
        } throws: { error in
            guard let e = error as? GeoJSONError else { return false }
            return e.line == 3 && e.column == 16
        }
    }

    @Test("a UTF-8 byte order mark and codes written as numbers are accepted")
    func bomAndNumericCodes() throws {
        var data = Data([0xEF, 0xBB, 0xBF])
        data.append(Data(#"{"type":"Feature","properties":{"adcode":330110},"geometry":{"type":"Point","coordinates":[120,30]}}"#.utf8))
        let f = try GeoJSON.decodeFeatures(data)
        #expect(f[0].properties["adcode"]?.textValue == "330110")
    }

    @Test("the JSON parser rejects what RFC 8259 rejects")
    func strictJSON() throws {
        for bad in ["[1,]", "{\"a\":1,}", "01", "[1 2]", "\"\\x\"", "nul", "[\"\u{01}\"]", "1.", "-", "{\"a\" 1}"] {
            #expect(throws: JSONSyntaxError.self, "\(bad)") { _ = try JSONParser.parse(bad) }
        }
        #expect(try JSONParser.parse(#"["\u00e9\ud83d\ude00", -1.5e3, true, null]"#) == .array([.string("é😀"), .number(-1500), .bool(true), .null]))
    }

    @Test("WKB round trip")
    func wkb() throws {
        let m = MultiPolygon([
            Polygon([Coordinate(longitude: 120.1, latitude: 30.1), Coordinate(longitude: 120.2, latitude: 30.1), Coordinate(longitude: 120.2, latitude: 30.2)], holes: []),
            Polygon([Coordinate(longitude: 121, latitude: 31), Coordinate(longitude: 121.5, latitude: 31), Coordinate(longitude: 121.5, latitude: 31.5), Coordinate(longitude: 121, latitude: 31.5)],
                    holes: [[Coordinate(longitude: 121.1, latitude: 31.1), Coordinate(longitude: 121.1, latitude: 31.2), Coordinate(longitude: 121.2, latitude: 31.2)]]),
        ])
        #expect(try WKB.decodeMultiPolygon(WKB.encode(m)) == m)
        #expect(throws: WKB.DecodingError.self) { _ = try WKB.decodeMultiPolygon(WKB.encode(m).prefix(30)) }
    }
}

@Suite("JSON numbers")
struct JSONNumberTests {
    @Test("numbers parse exactly as the standard library parses them")
    func exactNumbers() throws {
        var g = SeededGenerator(seed: 99)
        var texts = ["0", "-0", "1", "120.335155", "30.474122", "-0.000001", "9007199254740993", "1e5", "1.5E-7", "123456789012345678901234",
                     "0.1", "0.30000000000000004", "120.12345678901234567", "4.9e-324", "1.7976931348623157e308", "2.2250738585072014e-308"]
        for _ in 0..<5000 {
            let d = Double.random(in: -180...180, using: &g)
            texts.append("\(d)")
            texts.append(String(format: "%.7f", d))
            texts.append(String(format: "%.15f", d))
        }
        for t in texts {
            let parsed = try JSONParser.parse("[\(t)]").arrayValue?.first?.doubleValue
            #expect(parsed?.bitPattern == Double(t)?.bitPattern || (parsed == 0 && Double(t) == 0), "\(t)")
        }
    }
}
