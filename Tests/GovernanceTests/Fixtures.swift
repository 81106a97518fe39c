import Foundation
import GeoKit
import Governance
import SQLiteStore

/// A small territory of squares near Hangzhou, written as GeoJSON like a department would send it.
enum Fixture {
    struct Item {
        var code: String
        var name: String
        var ring: [[Double]]
        var extra: [String: JSONValue] = [:]
        var geometryOverride: JSONValue? = nil
    }

    /// Closed ring of the box [x0, x1] × [y0, y1].
    static func box(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> [[Double]] {
        [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    }

    /// District 330110 = [120.0, 120.1] × [30.0, 30.1]; two streets (west, east halves); street 001
    /// has two communities (south, north); community 001 has two grids (west, east).
    static func territory() -> [Item] {
        [
            Item(code: "330110000000", name: "余杭区", ring: box(120.0, 30.0, 120.1, 30.1)),
            Item(code: "330110001000", name: "临平街道", ring: box(120.0, 30.0, 120.05, 30.1)),
            Item(code: "330110002000", name: "南苑街道", ring: box(120.05, 30.0, 120.1, 30.1)),
            Item(code: "330110001001", name: "西大街社区", ring: box(120.0, 30.0, 120.05, 30.05)),
            Item(code: "330110001002", name: "星火社区", ring: box(120.0, 30.05, 120.05, 30.1)),
            Item(code: "33011000100101", name: "西大街社区第一网格", ring: box(120.0, 30.0, 120.025, 30.05)),
            Item(code: "33011000100102", name: "西大街社区第二网格", ring: box(120.025, 30.0, 120.05, 30.05)),
        ]
    }

    static func geojson(_ items: [Item], codeProperty: String = "code", nameProperty: String = "name") -> Data {
        let features = items.map { item -> JSONValue in
            var props: [(key: String, value: JSONValue)] = [(codeProperty, .string(item.code)), (nameProperty, .string(item.name))]
            for (k, v) in item.extra.sorted(by: { $0.key < $1.key }) { props.append((k, v)) }
            let geometry = item.geometryOverride ?? .object(JSONObject([
                ("type", .string("Polygon")),
                ("coordinates", .array([.array(item.ring.map { .array($0.map(JSONValue.number)) })])),
            ]))
            return .object(JSONObject([("type", .string("Feature")), ("properties", .object(JSONObject(props))), ("geometry", geometry)]))
        }
        var w = JSONWriter()
        w.value(.object(JSONObject([("type", .string("FeatureCollection")), ("features", .array(features))])))
        return w.data
    }

    /// A fresh region service on a real SQLite file.
    static func service() async throws -> RegionService {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-gov-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        try await store.migrate()
        let service = RegionService(store: store)
        try await service.load()
        return service
    }

    static let validFrom2019 = parseInstant("2019-01-01")!

    static func options(validFrom: Date = validFrom2019, crs: CoordinateSystem = .wgs84) -> RegionImportOptions {
        var o = RegionImportOptions()
        o.validFrom = validFrom
        o.coordinateSystem = crs
        o.source = "fixture.geojson"
        return o
    }

    /// Reads and imports a GeoJSON document.
    @discardableResult
    static func importFile(_ data: Data, into service: RegionService, options: RegionImportOptions = options(), dryRun: Bool = false) async throws -> RegionImportResult {
        let features = try GeoJSON.decodeFeatures(data)
        let (drafts, issues) = RegionFeatureReader(options: options).drafts(from: features)
        return try await service.importRegions(drafts, readIssues: issues, options: options, dryRun: dryRun)
    }
}
