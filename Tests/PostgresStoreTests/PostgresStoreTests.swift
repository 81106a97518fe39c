import Foundation
import GeoKit
import Governance
import PostgresStore
import StoreTestSupport
import Testing

/// The server of CITYBRAIN_TEST_POSTGRES (scripts/test starts a throwaway one through
/// scripts/with-postgres); every store gets a schema of its own, so tests never see each other's rows.
enum TestServer {
    static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["CITYBRAIN_TEST_POSTGRES"], !url.isEmpty else {
            throw MissingServer()
        }
        return url
    }

    struct MissingServer: Error, CustomStringConvertible {
        var description: String {
            "CITYBRAIN_TEST_POSTGRES is not set: run the tests with scripts/test, which starts a throwaway PostgreSQL with PostGIS (scripts/with-postgres)"
        }
    }

    static func freshStore() async throws -> PostgresStore {
        try await store(schema: "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
    }

    /// A store on `schema` (another instance of the same deployment when the schema is shared).
    static func store(schema: String) async throws -> PostgresStore {
        let base = try url()
        let store = try PostgresStore(url: base + (base.contains("?") ? "&" : "?") + "schema=" + schema)
        try await store.migrate()
        return store
    }
}

@Suite("PostgresStore")
struct PostgresStoreTests {
    static let factory: StoreBehaviour.TerritoryFactory = { try await TestServer.freshStore() }

    @Test("shared store behaviour: the territory, settings and the audit trail", arguments: StoreBehaviour.territoryChecks.map(\.name))
    func shared(_ name: String) async throws {
        let check = StoreBehaviour.territoryChecks.first { $0.name == name }!.check
        try await check(Self.factory)
    }

    @Test("shared store behaviour: the standard address library", arguments: StoreBehaviour.addressChecks.map(\.name))
    func sharedAddresses(_ name: String) async throws {
        let check = StoreBehaviour.addressChecks.first { $0.name == name }!.check
        try await check { try await TestServer.freshStore() }
    }

    @Test("shared store behaviour: accounts, roles, sessions and tokens", arguments: StoreBehaviour.accountChecks.map(\.name))
    func sharedAccounts(_ name: String) async throws {
        let check = StoreBehaviour.accountChecks.first { $0.name == name }!.check
        try await check { try await TestServer.freshStore() }
    }

    @Test("addresses with tabs, newlines and backslashes survive COPY, and a large library is written whole")
    func addressCopy() async throws {
        let store = try await TestServer.freshStore()
        let odd = StandardAddress(code: "A-odd", elements: AddressElements(road: "迎宾路\t东\\侧", compound: "星河苑\n二期", room: "\\N"),
                                  coordinate: Coordinate(longitude: 120.3, latitude: 30.4), gridCode: nil)
        let many = (0..<20_000).map { i in
            StandardAddress(code: String(format: "A%06d", i), elements: AddressElements(road: "路\(i % 50)", houseNumber: String(i)),
                            coordinate: Coordinate(longitude: 120 + Double(i) * 1e-5, latitude: 30.4), gridCode: try? RegionCode("33011000100101"))
        }
        _ = try await store.saveAddresses([odd] + many, aliases: [], batch: ImportBatch(kind: "addresses", source: "t", actor: "t", importedAt: Date(), recordCount: 20_001),
                                          basedOnBatch: nil)
        let loaded = try await store.loadAddresses()
        #expect(loaded.count == 20_001)
        #expect(loaded.first == odd)
        #expect(loaded.last == many.last)
    }

    @Test("PostGIS finds the regions covering a point, as GeoKit's exact test does, and only the versions valid at the time")
    func postgisContains() async throws {
        let store = try await TestServer.freshStore()
        let t0 = Date(timeIntervalSince1970: 1_546_272_000), t1 = Date(timeIntervalSince1970: 1_767_196_800)
        func square(_ x: Double, _ y: Double, _ s: Double) -> MultiPolygon {
            MultiPolygon([Polygon([Coordinate(longitude: x, latitude: y), Coordinate(longitude: x + s, latitude: y),
                                   Coordinate(longitude: x + s, latitude: y + s), Coordinate(longitude: x, latitude: y + s)])])
        }
        let street = Region(code: try RegionCode("330110001"), name: "临平街道", parentCode: nil, geometry: square(120.1, 30.1, 0.05), validFrom: t0)
        let grid = Region(code: try RegionCode("33011000100101"), name: "第一网格", parentCode: try RegionCode("330110001"),
                          geometry: square(120.1, 30.1, 0.01), validFrom: t0, validTo: t1)
        _ = try await store.commit(RegionChangeSet(closing: [], inserting: [street, grid],
                                                   batch: ImportBatch(kind: "regions", source: "t", actor: "t", importedAt: t0, recordCount: 2), basedOnBatch: nil))
        let inside = Coordinate(longitude: 120.105, latitude: 30.105)
        #expect(try await store.regionCodes(containing: inside, at: t0.addingTimeInterval(86_400)) == [grid.code, street.code])
        #expect(try await store.regionCodes(containing: inside, at: t1) == [street.code])
        #expect(try await store.regionCodes(containing: Coordinate(longitude: 121, latitude: 31), at: t0).isEmpty)
        // Random points: PostGIS and GeoKit agree.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let p = Coordinate(longitude: Double.random(in: 120.09...120.16, using: &generator), latitude: Double.random(in: 30.09...30.16, using: &generator))
            let expected = [grid, street].filter { PreparedPolygon($0.geometry).contains(p) }.map(\.code)
            let found = try await store.regionCodes(containing: p, at: t0.addingTimeInterval(86_400))
            #expect(found == expected, "\(p)")
        }
    }

    @Test("a URL that is not a PostgreSQL URL is refused with what is wrong, never echoing the password")
    func badURLs() {
        for (url, words) in [("mysql://u@h/db", "expected postgres://"), ("postgres://u:secret@h", "name the database"),
                             ("postgres://u@h/db?sslmode=maybe", "sslmode maybe"), ("postgres://u@h/db?schema=Drop;", "schema Drop;")] {
            #expect {
                _ = try PostgresStore(url: url)
            } throws: { error in
                "\(error)".contains(words) && !"\(error)".contains("secret")
            }
        }
    }
}
