import DemoData
import Foundation
import GeoKit
import Governance
import Hummingbird
import HummingbirdTesting
import SQLiteStore
import Server
import Testing

/// The tiny demo district on a real SQLite file, shared by the tests of this suite (read-only).
actor TinyDistrict {
    static let shared = TinyDistrict()
    /// Built once, however many tests ask at the same time.
    private var building: Task<(CityBrainServices, DemoDistrict, String), any Error>?

    func get() async throws -> (CityBrainServices, DemoDistrict) {
        let (services, demo, _) = try await shared()
        return (services, demo)
    }

    /// A district administrator's API token: what the tests of the data routes call with.
    var adminToken: String {
        get async throws { try await shared().2 }
    }

    private func shared() async throws -> (CityBrainServices, DemoDistrict, String) {
        if let building { return try await building.value }
        let task = Task { try await Self.build() }
        building = task
        return try await task.value
    }

    private static func build() async throws -> (CityBrainServices, DemoDistrict, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        try await store.migrate()
        let regions = RegionService(store: store)
        try await regions.load()
        let addresses = AddressService(store: store, regions: regions)
        let demo = try DemoDistrictGenerator(preset: .tiny).generate()
        _ = try await regions.importRegions(demo.regions, options: demo.importOptions)
        try await regions.saveGridWorkers(demo.gridWorkers)
        let library = DemoAddressGenerator(district: demo).generate()
        _ = try await addresses.importAddresses(library.addresses.map { (line: 0, address: $0, issues: []) }, aliases: library.aliases, options: AddressImportOptions())
        let vault = PersonalDataVault(.generate())
        let registries = RegistryService(store: store, addresses: addresses, vault: vault)
        let generator = DemoRegistryGenerator(district: demo, library: library)
        let allocator = DemoRegistryGenerator.CodeAllocator()
        var records: [RegistryKind: [RegistryEntry]] = [:]
        for i in 0..<generator.communityCount {
            for (k, v) in generator.records(ofCommunity: i, at: Date(), allocator: allocator) { records[k, default: []] += v }
        }
        for (kind, entries) in records {
            _ = try await registries.importEntries(kind, rows: entries.map { (line: 0, entry: $0, issues: []) }, options: RegistryImportOptions(source: "演示数据"))
        }
        let layers = LayerService(store: store, addresses: addresses, vault: vault)
        try await layers.load()
        // bcrypt at its minimum cost keeps the tests fast; the rules around it are the same.
        let accounts = AccountService(store: store, hasher: PasswordHasher(cost: 4))
        let services = CityBrainServices(store: store, regions: regions, addresses: addresses, layers: layers, accounts: accounts,
                                         attachments: AttachmentVault(directory: folder.appendingPathComponent("attachments")))
        let console = Principal.console("test")
        try await services.cases.load()
        let streets = services.regions.territory().regions(level: .street, under: demo.districtCode).map { (code: $0.code, name: $0.name) }
        for d in DemoDepartments.departments(streets: streets) { try await services.cases.saveDepartment(d, by: console) }
        try await services.cases.saveRoutes(DemoDepartments.routes(district: demo.districtCode, streets: streets), by: console)
        _ = try await accounts.createAccount(.init(username: "test-admin", displayName: "测试管理员", roles: [Role.districtAdministrator.id],
                                                   territory: demo.districtCode, password: TestAccounts.password), by: console)
        _ = try await accounts.createAccount(.init(username: "test-auditor", displayName: "测试审计员", roles: [Role.auditor.id],
                                                   territory: demo.districtCode, password: TestAccounts.password), by: console)
        try await AuthorizationMatrixTests.prepareAccounts(try await AuthorizationMatrixTests.fixture(services, demo))
        let adminToken = try await accounts.issueToken(for: "test-admin", name: "tests", permissions: Role.districtAdministrator.permissions,
                                                       lifetime: 86400, by: console).secret
        return (services, demo, adminToken)
    }
}

/// The app on the shared district, called as its district administrator (by API token).
func withApp(_ body: @Sendable (any TestClientProtocol, DemoDistrict, CityBrainServices) async throws -> Void) async throws {
    let (services, demo) = try await TinyDistrict.shared.get()
    let token = try await TinyDistrict.shared.adminToken
    let app = Application(router: buildRouter(services: services))
    try await app.test(.router) { client in try await body(AuthorizedClient(client: client, authorization: "Bearer \(token)"), demo, services) }
}

enum TestAccounts {
    static let password = "Test-password-2026"
}

/// A test client that sends one Authorization header with every request that has none.
struct AuthorizedClient: TestClientProtocol {
    let client: any TestClientProtocol
    let authorization: String

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if headers[.authorization] == nil { headers[.authorization] = authorization }
        return try await client.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    var port: Int? { client.port }
}

func json(_ response: TestResponse) throws -> JSONObject {
    guard let o = try JSONParser.parse(Data(buffer: response.body)).objectValue else { throw TestFailure("not a JSON object") }
    return o
}

struct TestFailure: Error { var message: String; init(_ m: String) { message = m } }

@Suite("HTTP API")
struct ServerTests {
    @Test("GET locate returns the grid and its ancestors")
    func locate() async throws {
        try await withApp { client, demo, services in
            let grid = demo.regions.first { $0.code.level == .grid }!
            let p = grid.geometry.representativePoint!
            try await client.execute(uri: "/api/v1/regions/locate?lat=\(p.latitude)&lon=\(p.longitude)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let body = try json(response)
                #expect(body["grid"]?.objectValue?["code"]?.stringValue == grid.code.rawValue)
                let levels = body["regions"]?.arrayValue?.compactMap { $0.objectValue?["level"]?.stringValue }
                #expect(levels == ["district", "street", "community", "grid"])
            }
            // The same place given in GCJ-02 and BD-09 coordinates.
            for crs in [CoordinateSystem.gcj02, .bd09] {
                let q = CoordinateTransform.fromWGS84(p, to: crs)
                try await client.execute(uri: "/api/v1/regions/locate?lat=\(q.latitude)&lon=\(q.longitude)&crs=\(crs.rawValue)", method: .get) { response in
                    let body = try json(response)
                    #expect(body["grid"]?.objectValue?["code"]?.stringValue == grid.code.rawValue)
                }
            }
            // Before the boundaries existed there is nothing.
            try await client.execute(uri: "/api/v1/regions/locate?lat=\(p.latitude)&lon=\(p.longitude)&at=2018-01-01", method: .get) { response in
                let body = try json(response)
                #expect(body["regions"]?.arrayValue?.isEmpty == true)
                #expect(body["grid"] == JSONValue.null || body["grid"] == nil)
            }
        }
    }

    @Test("bad query parameters get a problem document naming each field", arguments: [
        ("/api/v1/regions/locate?lat=abc&lon=120", ["lat"]),
        ("/api/v1/regions/locate?lat=30", ["lon"]),
        ("/api/v1/regions/locate?lat=95&lon=200", ["lat", "lon"]),
        ("/api/v1/regions/locate?lat=30&lon=120&crs=osgb", ["crs"]),
        ("/api/v1/regions/locate?lat=30&lon=120&at=yesterday", ["at"]),
        ("/api/v1/regions?level=block&limit=0", ["level", "limit"]),
        ("/api/v1/regions/33011A", ["code"]),
    ])
    func badParameters(uri: String, fields: [String]) async throws {
        try await withApp { client, _, _ in
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/problem+json")
                let body = try json(response)
                #expect(body["status"]?.doubleValue == 400)
                let named = body["errors"]?.arrayValue?.compactMap { $0.objectValue?["field"]?.stringValue } ?? []
                #expect(named == fields)
                #expect(body["requestId"]?.stringValue?.isEmpty == false)
            }
        }
    }

    @Test("POST locate answers a batch of 10,000 points in order, echoing ids")
    func batch() async throws {
        try await withApp { client, demo, services in
            let territory = services.regions.territory()
            let box = territory.region(demo.districtCode)!.geometry.boundingBox!
            var random = DemoRandom(seed: 5)
            let points = (0..<10_000).map { _ in
                Coordinate(longitude: Double.random(in: box.minLongitude...box.maxLongitude, using: &random), latitude: Double.random(in: box.minLatitude...box.maxLatitude, using: &random))
            }
            var w = JSONWriter()
            w.value(.object(JSONObject([("points", .array(points.enumerated().map { i, p in
                .object(JSONObject([("id", .number(Double(i))), ("lat", .number(p.latitude)), ("lon", .number(p.longitude))]))
            }))])))
            try await client.execute(uri: "/api/v1/regions/locate", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: w.bytes)) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                let results = try #require(body["results"]?.arrayValue)
                #expect(results.count == points.count)
                let names = body["names"]?.objectValue
                var inGrid = 0
                for (i, r) in results.enumerated() {
                    let o = r.objectValue!
                    #expect(o["id"]?.doubleValue == Double(i))
                    let expected = territory.grid(at: points[i])?.code.rawValue
                    #expect(o["grid"]?.stringValue == expected)
                    if let g = o["grid"]?.stringValue {
                        inGrid += 1
                        #expect(names?[g]?.stringValue?.hasSuffix("网格") == true)
                    }
                }
                #expect(body["inGrid"]?.doubleValue == Double(inGrid))
                #expect(inGrid > 0)
            }
        }
    }

    @Test("POST locate refuses more than 10,000 points, bad JSON and bad points, saying where")
    func batchErrors() async throws {
        try await withApp { client, _, _ in
            let tooMany = "{\"points\":[" + Array(repeating: "{\"lat\":30.4,\"lon\":120.2}", count: 10_001).joined(separator: ",") + "]}"
            try await client.execute(uri: "/api/v1/regions/locate", method: .post, body: ByteBuffer(string: tooMany)) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/api/v1/regions/locate", method: .post, body: ByteBuffer(string: "{\"points\": [\n{\"lat\": 30,}]}")) { response in
                #expect(response.status == .badRequest)
                let detail = try json(response)["detail"]?.stringValue ?? ""
                #expect(detail.contains("line 2"))
            }
            try await client.execute(uri: "/api/v1/regions/locate", method: .post, body: ByteBuffer(string: #"{"crs":5,"at":20260101,"points":[]}"#)) { response in
                #expect(response.status == .badRequest)
                let fields = try json(response)["errors"]?.arrayValue?.compactMap { $0.objectValue?["field"]?.stringValue }
                #expect(fields == ["crs", "at"])
            }
            try await client.execute(uri: "/api/v1/regions/locate", method: .post, body: ByteBuffer(string: #"{"points":[{"lat":30,"lon":120},{"lat":"x","lon":120},{"lat":30}]}"#)) { response in
                #expect(response.status == .badRequest)
                let fields = try json(response)["errors"]?.arrayValue?.compactMap { $0.objectValue?["field"]?.stringValue }
                #expect(fields == ["points[1].lat", "points[2].lon"])
            }
        }
    }

    @Test("the region tree: list with filters and pages, detail, children, GeoJSON")
    func tree() async throws {
        try await withApp { client, demo, services in
            try await client.execute(uri: "/api/v1/regions?level=street&limit=7", method: .get) { response in
                let body = try json(response)
                #expect(body["items"]?.arrayValue?.count == 7)
                let cursor = try #require(body["nextCursor"]?.stringValue)
                try await client.execute(uri: "/api/v1/regions?level=street&limit=20&cursor=\(cursor)", method: .get) { next in
                    let rest = try json(next)
                    #expect(rest["items"]?.arrayValue?.count == 13)
                    #expect(rest["nextCursor"] == JSONValue.null || rest["nextCursor"] == nil)
                }
            }
            try await client.execute(uri: "/api/v1/regions?level=grid&parent=330110", method: .get) { response in
                let items = try json(response)["items"]?.arrayValue
                #expect(items?.count == demo.count(.grid))
            }
            let grid = demo.regions.first { $0.code.level == .grid }!
            try await client.execute(uri: "/api/v1/regions/\(grid.code.rawValue)", method: .get) { response in
                let body = try json(response)
                #expect(body["name"]?.stringValue == grid.name)
                #expect(body["level"]?.stringValue == "grid")
                #expect(body["parent"]?.stringValue == grid.parentCode?.rawValue)
                #expect((body["gridWorkerCount"]?.doubleValue ?? 0) >= 1)
                #expect(body["bbox"]?.arrayValue?.count == 4)
            }
            try await client.execute(uri: "/api/v1/regions/330110001/children", method: .get) { response in
                let codes = try json(response)["items"]?.arrayValue?.compactMap { $0.objectValue?["code"]?.stringValue }
                #expect(codes == demo.regions.filter { $0.code.level == .community }.map(\.code.rawValue))
            }
            try await client.execute(uri: "/api/v1/regions/\(grid.code.rawValue).geojson?crs=gcj02", method: .get) { response in
                #expect(response.headers[.contentType] == "application/geo+json")
                let feature = try GeoJSON.decodeFeatures(Data(buffer: response.body))[0]
                #expect(feature.properties["code"]?.stringValue == grid.code.rawValue)
                let first = feature.geometry!.asMultiPolygon!.polygons[0].exterior.coordinates[0]
                let back = CoordinateTransform.toWGS84(first, from: .gcj02)
                let original = grid.geometry.polygons[0].rightHandOriented.exterior.coordinates
                #expect(original.contains { GreatCircle.distance($0, back) < 0.01 })
            }
            try await client.execute(uri: "/api/v1/regions.geojson?level=community", method: .get) { response in
                let features = try GeoJSON.decodeFeatures(Data(buffer: response.body))
                #expect(features.count == demo.count(.community))
            }
            try await client.execute(uri: "/api/v1/regions/330110999000", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/api/v1/regions?parent=330110999", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("address matching over HTTP")
    func addressMatch() async throws {
        try await withApp { client, _, services in
            let stored = try await services.store.loadAddresses()
            let a = try #require(stored.first { $0.elements.compound != nil })
            let e = a.elements
            let text = "\(e.compound!)\(e.building!)栋\(e.unit.map { $0 + "单元" } ?? "")\(e.room!)"
            try await client.execute(uri: "/api/v1/addresses/match?q=\(text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", method: .get) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                #expect(body["status"]?.stringValue == "matched")
                #expect(body["best"]?.objectValue?["address"]?.objectValue?["code"]?.stringValue == a.code)
                #expect(body["best"]?.objectValue?["address"]?.objectValue?["grid"]?.stringValue == a.gridCode?.rawValue)
                #expect(body["parsed"]?.objectValue?["building"]?.stringValue == e.building)
            }
            try await client.execute(uri: "/api/v1/addresses/match?q=%E4%B8%8D%E5%AD%98%E5%9C%A8", method: .get) { response in
                let body = try json(response)
                #expect(body["status"]?.stringValue == "unmatched")
                #expect(body["reason"]?.stringValue?.isEmpty == false)
            }
            try await client.execute(uri: "/api/v1/addresses/match", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/api/v1/addresses/\(a.code)", method: .get) { response in
                let body = try json(response)
                #expect(body["address"]?.stringValue == e.standardText)
            }
            try await client.execute(uri: "/api/v1/addresses/nope", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test("layers: the 26 built in, clusters at low zoom, addresses at high zoom, people only as counts")
    func layers() async throws {
        try await withApp { client, demo, services in
            try await client.execute(uri: "/api/v1/layers", method: .get) { response in
                let items = try json(response)["items"]?.arrayValue ?? []
                #expect(items.count == 26)
                #expect(items.contains { $0.objectValue?["name"]?.stringValue == "出租房" })
            }
            let box = services.regions.territory().region(demo.districtCode)!.geometry.boundingBox!
            let bbox = "\(box.minLongitude),\(box.minLatitude),\(box.maxLongitude),\(box.maxLatitude)"
            try await client.execute(uri: "/api/v1/layers/standard-addresses/features?bbox=\(bbox)&zoom=10", method: .get) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                #expect(body["clustered"] == .bool(true))
                #expect(body["total"]?.doubleValue == Double(services.addresses.count))
                let counts = body["features"]?.arrayValue?.compactMap { $0.objectValue?["properties"]?.objectValue?["count"]?.doubleValue } ?? []
                #expect(counts.reduce(0, +) == Double(services.addresses.count))
                #expect(counts.count < 200)
            }
            // Zoomed in on one address: the addresses themselves.
            let a = services.addresses.snapshot.addresses[0]
            let small = "\(a.coordinate.longitude - 0.0005),\(a.coordinate.latitude - 0.0005),\(a.coordinate.longitude + 0.0005),\(a.coordinate.latitude + 0.0005)"
            try await client.execute(uri: "/api/v1/layers/standard-addresses/features?bbox=\(small)&zoom=18", method: .get) { response in
                let body = try json(response)
                #expect(body["clustered"] == .bool(false))
                let codes = body["features"]?.arrayValue?.compactMap { $0.objectValue?["properties"]?.objectValue?["addressCode"]?.stringValue } ?? []
                #expect(codes.contains(a.code))
            }
            // A layer of people: counts per address, no names or ID numbers anywhere.
            // Tags of people are stored as blind indexes: the store is asked with the tag's index.
            let alone = try await services.store.registryAddressCounts(.person, rule: LayerRule(tags: services.vault.storageTags(.person, tags: ["独居老人"])))
                .reduce(0) { $0 + $1.count }
            #expect(try await services.store.registryAddressCounts(.person, rule: LayerRule(tags: ["独居老人"])).isEmpty, "no tag in clear at rest")
            #expect(alone > 0)
            try await client.execute(uri: "/api/v1/layers/elderly-living-alone/features?bbox=\(bbox)&zoom=18", method: .get) { response in
                let body = try json(response)
                #expect(body["total"]?.doubleValue == Double(alone))
                // Clusters only, even zoomed in: no address, no bounds, no name.
                #expect(body["clustered"] == .bool(true))
                let text = String(buffer: response.body)
                #expect(!text.contains("addressCode") && !text.contains("bbox") && !text.contains("id_number"))
                let counts = body["features"]?.arrayValue?.compactMap { $0.objectValue?["properties"]?.objectValue?["count"]?.doubleValue } ?? []
                #expect(counts.reduce(0, +) == Double(alone))
            }
            try await client.execute(uri: "/api/v1/layers/nope/features?bbox=\(bbox)&zoom=3", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/v1/layers/residents/features?bbox=1,2,3&zoom=40", method: .get) { response in
                #expect(response.status == .badRequest)
                let fields = try json(response)["errors"]?.arrayValue?.compactMap { $0.objectValue?["field"]?.stringValue }
                #expect(fields == ["bbox", "zoom"])
            }
        }
    }

    @Test("who is within a circle or a grid: counts by grid agree with a scan; people come masked")
    func within() async throws {
        try await withApp { client, demo, services in
            let all = services.addresses.snapshot.addresses
            let centre = all[all.count / 2].coordinate
            let inside = all.filter { GreatCircle.distance($0.coordinate, centre) <= 300 }
            var people = 0
            for a in inside { people += try await services.store.registryEntries(.person, addressCodes: [a.code]).count }
            let request = #"{"circle":{"lat":\#(centre.latitude),"lon":\#(centre.longitude),"radius":300},"include":["addresses","people"],"limit":5000}"#
            try await client.execute(uri: "/api/v1/query/within", method: .post, body: ByteBuffer(string: request)) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                let totals = body["totals"]?.objectValue
                #expect(totals?["addresses"]?.doubleValue == Double(inside.count))
                #expect(totals?["people"]?.doubleValue == Double(people))
                let gridSum = body["grids"]?.arrayValue?.compactMap { $0.objectValue?["counts"]?.objectValue?["people"]?.doubleValue }.reduce(0, +)
                #expect(gridSum == Double(people))
                #expect(body["addresses"]?.arrayValue?.count == inside.count)
                let listed = body["people"]?.arrayValue ?? []
                #expect(listed.count == people)
                for p in listed.prefix(20) {
                    #expect(p.objectValue?["name"]?.stringValue?.contains("*") == true)
                    #expect(p.objectValue?["idNumber"]?.stringValue?.contains("********") == true)
                }
            }
            // A grid as the polygon: every address of that grid.
            let grid = demo.regions.first { $0.code.level == .grid }!
            var w = JSONWriter()
            GeoJSON.write(.multiPolygon(grid.geometry), to: &w)
            try await client.execute(uri: "/api/v1/query/within", method: .post, body: ByteBuffer(string: #"{"polygon":\#(w.string)}"#)) { response in
                let body = try json(response)
                let expected = all.filter { $0.gridCode == grid.code }.count
                let byGrid = body["grids"]?.arrayValue?.first { $0.objectValue?["grid"]?.stringValue == grid.code.rawValue }
                #expect(byGrid?.objectValue?["counts"]?.objectValue?["addresses"]?.doubleValue == Double(expected))
                #expect(body["people"] == nil)
            }
            for (bad, field) in [(#"{"circle":{"lat":30,"lon":120,"radius":0}}"#, "circle.radius"), (#"{}"#, "circle"),
                                 (#"{"polygon":{"type":"Point","coordinates":[120,30]}}"#, "polygon"), (#"{"circle":{"lat":30,"lon":120,"radius":50},"include":["secrets"]}"#, "include")] {
                try await client.execute(uri: "/api/v1/query/within", method: .post, body: ByteBuffer(string: bad)) { response in
                    #expect(response.status == .badRequest)
                    let fields = try json(response)["errors"]?.arrayValue?.compactMap { $0.objectValue?["field"]?.stringValue }
                    #expect(fields == [field], "\(bad)")
                }
            }
        }
    }

    @Test("the OpenAPI document lists exactly the routes the router serves")
    func openAPIMatchesRoutes() async throws {
        let (services, _) = try await TinyDistrict.shared.get()
        let router = buildRouter(services: services)
        let served = Set(router.routes.map { "\($0.method.rawValue.lowercased()) \($0.path.description)" })
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/openapi.json", method: .get) { response in
                let doc = try json(response)
                #expect(doc["openapi"]?.stringValue == "3.1.0")
                var documented = Set<String>()
                for (path, item) in doc["paths"]?.objectValue ?? JSONObject() {
                    for (method, _) in item.objectValue ?? JSONObject() { documented.insert("\(method) \(path)") }
                }
                #expect(served == documented, "undocumented: \(served.subtracting(documented)); not served: \(documented.subtracting(served))")
            }
        }
    }

    @Test("health, readiness, the web page, unknown routes, security headers")
    func basics() async throws {
        try await withApp { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("leaflet.min.js"))
                #expect(response.headers[.init("Content-Security-Policy")!]?.contains("default-src 'self'") == true)
                #expect(response.headers[.init("X-Content-Type-Options")!] == "nosniff")
            }
            try await client.execute(uri: "/vendor/leaflet/leaflet.min.js", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/nothing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.headers[.init("X-Request-Id")!] != nil)
            }
            try await client.execute(uri: "/api/v1/regions/locate", method: .get, headers: [.init("X-Request-Id")!: "trace-123"]) { response in
                #expect(response.headers[.init("X-Request-Id")!] == "trace-123")
            }
        }
    }
}
