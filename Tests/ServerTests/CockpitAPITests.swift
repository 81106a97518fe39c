import DemoData
import Foundation
import GeoKit
import Governance
import Hummingbird
import HummingbirdTesting
import Server
import Testing
import CompressNIO

@Suite("Cockpits, the case map and live updates", .serialized)
struct CockpitAPITests {
    /// A district of their own: the counts these tests compare must not move with other suites' reports.
    static let district = TinyDistrict()

    static func principal(_ role: Role, _ territory: RegionCode, department: String? = nil) -> Principal {
        Principal(accountID: 9_999, username: "cockpit-\(role.id)", roles: [role.id], permissions: role.permissions, territory: TerritoryScope(territory),
                  department: department, credential: .session)
    }

    @Test("each viewer sees the cockpits of their territory: the district's and every street's for the district, their own street's for a street, thematic ones for both; none for a department")
    func cockpitList() async throws {
        let (services, demo) = try await Self.district.get()
        let territory = services.regions.territory()
        let streets = territory.regions(level: .street, under: demo.districtCode)
        let district = try services.cockpits.cockpits(for: Self.principal(.districtAdministrator, demo.districtCode))
        #expect(district.filter { $0.kind == "district" }.map(\.id) == [CockpitService.regionID(demo.districtCode)])
        #expect(Set(district.filter { $0.kind == "street" }.map(\.id)) == Set(streets.map { CockpitService.regionID($0.code) }))
        #expect(district.filter { $0.kind == "thematic" }.map(\.id) == CockpitCatalog.standard.thematic.map(\.id))
        let street = try services.cockpits.cockpits(for: Self.principal(.streetAdministrator, streets[0].code))
        #expect(street.filter { $0.kind != "thematic" }.map(\.id) == [CockpitService.regionID(streets[0].code)])
        #expect(street.filter { $0.kind == "thematic" }.allSatisfy { $0.territory == streets[0].code.rawValue })
        #expect(throws: AccessDenied.self) { try services.cockpits.cockpits(for: Self.principal(.departmentHandler, demo.districtCode, department: "urban-management")) }
        // A street's viewer cannot open the district's or another street's cockpit.
        await #expect(throws: AccessDenied.self) {
            try await services.cockpits.view(CockpitService.regionID(demo.districtCode), for: Self.principal(.streetAdministrator, streets[0].code))
        }
        await #expect(throws: AccessDenied.self) {
            try await services.cockpits.view(CockpitService.regionID(streets[1].code), for: Self.principal(.streetAdministrator, streets[0].code))
        }
    }

    @Test("a street's cockpit counts a new report at once: tiles, class mix, ranking of its communities, backlog and the latest reports")
    func streetCockpitFollowsReports() async throws {
        let (services, demo) = try await Self.district.get()
        let territory = services.regions.territory()
        let street = try #require(territory.regions(level: .street, under: demo.districtCode).first)
        let community = try #require(territory.children(of: street.code).last)
        let grid = try #require(territory.children(of: community.code).first)
        let viewer = Self.principal(.streetAdministrator, street.code)
        let id = CockpitService.regionID(street.code)
        let before = try await services.cockpits.view(id, for: viewer)
        #expect(before.tiles.map(\.key) == ["reported", "handledOnTimeRate", "closingRate", "closedOnTimeRate", "satisfactionRate", "averageHandlingHours"])
        #expect(before.trend.count == 12)
        #expect(Set(before.ranking.map(\.code)) == Set(territory.children(of: street.code).map(\.code.rawValue)))
        let receipt = try await services.cases.report(CaseIntake(source: .patrol, classCode: try CaseClassCode("C0105"), description: "消防栓漏水",
                                                                 location: grid.geometry.representativePoint!), by: .console("cockpit-test"))
        let after = try await services.cockpits.view(id, for: viewer)
        func reported(_ v: CockpitView) -> Double? { v.tiles.first { $0.key == "reported" }?.value }
        #expect(reported(after) == (reported(before) ?? 0) + 1)
        #expect(after.trend.last?.reported == (before.trend.last?.reported ?? 0) + 1)
        #expect(after.open == before.open + 1)
        #expect(after.recent.first?.number == receipt.case.number)
        #expect(after.recent.first?.className == "消防栓" && after.recent.first?.gridName == grid.name)
        let fireHydrants = { (v: CockpitView) in v.classes.first { $0.code == "C0105" }?.count ?? 0 }
        #expect(fireHydrants(after) == fireHydrants(before) + 1)
        #expect(after.ranking.first { $0.code == community.code.rawValue }?.reported == (before.ranking.first { $0.code == community.code.rawValue }?.reported ?? 0) + 1)
        // Nothing personal on a wall screen.
        let text = String(decoding: try JSONEncoder().encode(after), as: UTF8.self)
        #expect(!text.contains("消防栓漏水"))
    }

    @Test("a thematic cockpit counts only its classes over the viewer's territory")
    func thematicCockpit() async throws {
        let (services, demo) = try await Self.district.get()
        let territory = services.regions.territory()
        let street = try #require(territory.regions(level: .street, under: demo.districtCode).first)
        let grid = try #require(territory.regions(level: .grid, under: street.code).last)
        let viewer = Self.principal(.streetAdministrator, street.code)
        let before = try await services.cockpits.view("production-safety", for: viewer)
        #expect(before.classFilter.contains("E0706") && before.layers == ["production-safety", "fire-safety-key-units"])
        let report = { (code: String) in
            try await services.cases.report(CaseIntake(source: .patrol, classCode: try CaseClassCode(code), description: "专题测试",
                                                       location: grid.geometry.representativePoint!), by: .console("cockpit-test"))
        }
        let injury = try await report("E0706")
        _ = try await report("E0102")
        let after = try await services.cockpits.view("production-safety", for: viewer)
        #expect(after.tiles.first { $0.key == "reported" }?.value == (before.tiles.first { $0.key == "reported" }?.value ?? 0) + 1)
        #expect(after.tiles.first { $0.key == "open" }?.value == (before.tiles.first { $0.key == "open" }?.value ?? 0) + 1)
        #expect(after.recent.first?.number == injury.case.number)
        #expect(after.recent.allSatisfy { item in after.classFilter.contains { item.classCode?.hasPrefix($0) == true } })
        #expect(after.classes.allSatisfy { share in after.classFilter.contains { share.code.hasPrefix($0) } })
    }

    @Test("cockpit configuration files are checked: unknown classes, layers, duplicate ids and missing fields are named with their place")
    func cockpitConfiguration() throws {
        let classes = CaseClassDictionary()
        let layers: Set<String> = Set(BuiltInLayers.all.map(\.id))
        let good = #"[{"id": "gas", "name": "燃气安全", "englishName": "Gas safety", "classes": ["E0503", "E05"], "layers": ["catering"]}]"#
        #expect(try CockpitCatalog.load(Data(good.utf8), source: "c.json", classes: classes, layers: layers).thematic.map(\.id) == ["gas"])
        let cases: [(String, String)] = [
            (#"[{"id": "gas", "name": "燃气", "englishName": "Gas", "classes": ["E0599"], "layers": []}]"#, "c.json [0].classes[0]"),
            (#"[{"id": "gas", "name": "燃气", "englishName": "Gas", "classes": ["E05"], "layers": ["pipes"]}]"#, "c.json [0].layers[0]"),
            (#"[{"id": "gas", "name": "燃气", "englishName": "Gas", "classes": ["E05"], "layers": []}, {"id": "gas", "name": "又一个", "englishName": "Gas", "classes": ["E05"], "layers": []}]"#, "c.json [1].id"),
            (#"[{"id": "gas", "englishName": "Gas", "classes": ["E05"], "layers": []}]"#, "c.json [0]: name is required"),
            (#"{"id": "gas"}"#, "c.json : not a JSON array"),
        ]
        for (text, expected) in cases {
            #expect {
                _ = try CockpitCatalog.load(Data(text.utf8), source: "c.json", classes: classes, layers: layers)
            } throws: { error in
                "\(error)".hasPrefix(expected)
            }
        }
    }

    @Test("the case map: open cases as GeoJSON points inside the box, filtered like the list, without descriptions; a bad box is named")
    func casePoints() async throws {
        try await withApp { client, demo, services in
            let territory = services.regions.territory()
            let grid = try #require(territory.regions(level: .grid, under: demo.districtCode).dropFirst(3).first)
            let p = grid.geometry.representativePoint!
            let c = try await services.cases.report(CaseIntake(source: .patrol, classCode: try CaseClassCode("E0104"), description: "地图测试 道路不洁",
                                                               location: p), by: .console("cockpit-test")).case
            let box = "\(p.longitude - 0.001),\(p.latitude - 0.001),\(p.longitude + 0.001),\(p.latitude + 0.001)"
            try await client.execute(uri: "/api/v1/cases.geojson?bbox=\(box)&class=E0104", method: .get) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                let features = body["features"]?.arrayValue ?? []
                let mine = features.first { $0.objectValue?["properties"]?.objectValue?["number"]?.stringValue == c.number }?.objectValue
                #expect(mine?["properties"]?.objectValue?["status"]?.stringValue == "reported")
                #expect(mine?["properties"]?.objectValue?["className"]?.stringValue == "道路不洁")
                #expect(mine?["geometry"]?.objectValue?["coordinates"]?.arrayValue?.count == 2)
                #expect(features.allSatisfy { $0.objectValue?["properties"]?.objectValue?["classCode"]?.stringValue == "E0104" })
                #expect(!String(buffer: response.body).contains("地图测试"))
                #expect(body["truncated"] == .bool(false))
            }
            let far = "\(p.longitude + 1),\(p.latitude + 1),\(p.longitude + 1.01),\(p.latitude + 1.01)"
            try await client.execute(uri: "/api/v1/cases.geojson?bbox=\(far)", method: .get) { response in
                let features = try json(response)["features"]?.arrayValue
                #expect(features?.isEmpty == true)
            }
            try await client.execute(uri: "/api/v1/cases.geojson?bbox=1,2,0,3&limit=0", method: .get) { response in
                #expect(response.status == .badRequest)
                let fields = try json(response)["errors"]?.arrayValue?.compactMap { $0.objectValue?["field"]?.stringValue }
                #expect(fields == ["limit", "bbox"])
            }
        }
    }

    @Test("live updates: a report arrives on the event stream of a viewer of its territory, and not on another street's")
    func eventStream() async throws {
        let (services, demo) = try await Self.district.get()
        let territory = services.regions.territory()
        let streets = territory.regions(level: .street, under: demo.districtCode)
        let grid = try #require(territory.regions(level: .grid, under: streets[0].code).first)
        // The streams end when their sessions do (checked every 50 ms), not after a lifetime a
        // loaded machine may outrun before the report is made.
        let app = Application(router: buildRouter(services: services, configuration: ServerConfiguration(liveStreamLifetime: .seconds(120),
                                                                                                          liveStreamCredentialCheck: .milliseconds(50))))
        try await app.test(.router) { client in
            let accounts = services.accounts
            for (name, street) in [("live-near", streets[0]), ("live-far", streets[1])] {
                _ = try await accounts.createAccount(.init(username: name, displayName: name, roles: [Role.streetAdministrator.id], territory: street.code,
                                                           password: TestAccounts.password), by: .console("cockpit-test"))
            }
            let near = try await AuthorizationMatrixTests.login(client, "live-near")
            let far = try await AuthorizationMatrixTests.login(client, "live-far")
            let hub = services.cases.notices
            let baseline = hub.subscriberCount
            async let nearStream = client.execute(uri: "/api/v1/events", method: .get, headers: [.cookie: near.cookie]) { response in
                (response.status, response.headers[.contentType], String(buffer: response.body))
            }
            async let farStream = client.execute(uri: "/api/v1/events", method: .get, headers: [.cookie: far.cookie]) { response in
                String(buffer: response.body)
            }
            for _ in 0..<2000 where hub.subscriberCount < baseline + 2 { try await Task.sleep(for: .milliseconds(10)) }
            let receipt = try await services.cases.report(CaseIntake(source: .patrol, classCode: try CaseClassCode("E0102"), description: "直播测试",
                                                                     location: grid.geometry.representativePoint!), by: .console("cockpit-test"))
            for login in [near, far] {
                try await client.execute(uri: "/api/v1/session", method: .delete, headers: [.cookie: login.cookie, .init("X-CSRF-Token")!: login.csrf]) { _ in }
            }
            let (status, type, text) = try await nearStream
            #expect(status == .ok && type?.hasPrefix("text/event-stream") == true)
            #expect(text.hasPrefix("retry: 3000\n"))
            #expect(text.contains("event: case\ndata: ") || text.contains("\nevent: case\n"))
            #expect(text.contains("\"number\":\"\(receipt.case.number)\""))
            #expect(text.contains("\"action\":\"report\"") && text.contains("\"className\":\"暴露垃圾\""))
            #expect(!text.contains("直播测试"))
            let farText = try await farStream
            #expect(farText.hasPrefix("retry: 3000\n") && !farText.contains(receipt.case.number))
        }
    }

    @Test("map settings: no tiles unless configured; a configured GCJ-02 source is announced with its datum; bad templates are refused")
    func mapSettings() async throws {
        let (services, _) = try await Self.district.get()
        let tiles = try TileSource.parse(url: "https://webrd0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}", datum: "gcj-02", attribution: "高德地图")
        for (configuration, expected) in [(ServerConfiguration(), nil), (ServerConfiguration(tiles: tiles), "gcj02")] {
            let app = Application(router: buildRouter(services: services, configuration: configuration))
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/v1/map-settings", method: .get) { response in
                    let body = try json(response)
                    #expect(body["tiles"]?.objectValue?["datum"]?.stringValue == expected)
                    if expected != nil { #expect(body["tiles"]?.objectValue?["url"]?.stringValue == tiles.url) }
                }
            }
        }
        #expect(throws: TileSource.Invalid.self) { try TileSource.parse(url: "ftp://tiles/{z}/{x}/{y}", datum: "wgs84") }
        #expect(throws: TileSource.Invalid.self) { try TileSource.parse(url: "https://tiles/{z}/{x}.png", datum: "wgs84") }
        #expect(throws: TileSource.Invalid.self) { try TileSource.parse(url: "https://tiles/{z}/{x}/{y}.png", datum: "bd09") }
    }
}

@Suite("Response compression")
struct CompressionTests {
    @Test("the API's JSON and GeoJSON are gzipped when the client accepts it, and read back the same; small answers and clients refusing gzip get them as they are")
    func gzip() async throws {
        try await withApp { client, _, _ in
            let plain = try await client.execute(uri: "/api/v1/regions.geojson?level=grid", method: .get) { response in
                #expect(response.headers[.contentEncoding] == nil)
                return response.body
            }
            #expect(plain.readableBytes > 1024)
            try await client.execute(uri: "/api/v1/regions.geojson?level=grid", method: .get, headers: [.acceptEncoding: "br;q=1.0, gzip;q=0.8"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(response.headers[.vary]?.contains("Accept-Encoding") == true)
                var body = response.body
                #expect(body.readableBytes < plain.readableBytes / 3)
                let unpacked = try body.decompress(with: CompressionAlgorithm.gzip())
                #expect(unpacked == plain)
            }
            try await client.execute(uri: "/api/v1/regions.geojson?level=grid", method: .get, headers: [.acceptEncoding: "gzip;q=0, identity"]) { response in
                #expect(response.headers[.contentEncoding] == nil)
            }
            try await client.execute(uri: "/healthz", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.headers[.contentEncoding] == nil)
            }
        }
    }
}
