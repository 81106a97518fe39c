import Foundation
import GeoKit
import Governance
import Testing

/// The behaviour every ``CityBrainStore`` must show. Each store's test target calls these with a
/// factory for fresh, migrated stores of its kind, so no backend can drift from the others.
public enum StoreBehaviour {
    public typealias Factory = @Sendable () async throws -> any CityBrainStore

    public static let all: [(name: String, check: @Sendable (Factory) async throws -> Void)] = [
        ("an empty store loads nothing", emptyStore),
        ("region versions round-trip exactly", regionRoundTrip),
        ("closing a version and adding its successor", versioning),
        ("a failing commit writes nothing", commitIsAllOrNothing),
        ("grid workers are saved, replaced and loaded", gridWorkers),
        ("settings", settings),
        ("a write based on an outdated read is refused", staleWrite),
        ("addresses round-trip, update by code, keep their aliases", addresses),
        ("registry records round-trip with their provenance and claims", registries),
        ("a large registry batch is stored whole and found by address", largeRegistryBatch),
        ("migrating twice is harmless", migrateTwice),
    ]

    static let t0 = Date(timeIntervalSince1970: 1_546_272_000)  // 2019-01-01T00:00:00+08:00
    static let t1 = Date(timeIntervalSince1970: 1_767_196_800)  // 2026-01-01T00:00:00+08:00

    static func square(_ x: Double, _ y: Double, _ s: Double) -> MultiPolygon {
        MultiPolygon([Polygon([
            Coordinate(longitude: x, latitude: y), Coordinate(longitude: x + s, latitude: y),
            Coordinate(longitude: x + s, latitude: y + s), Coordinate(longitude: x, latitude: y + s),
        ])])
    }

    static func sampleRegions() throws -> [Region] {
        let withHole = MultiPolygon([Polygon(
            [Coordinate(longitude: 120.1, latitude: 30.1), Coordinate(longitude: 120.2, latitude: 30.1), Coordinate(longitude: 120.2, latitude: 30.2), Coordinate(longitude: 120.1, latitude: 30.2)],
            holes: [[Coordinate(longitude: 120.12, latitude: 30.12), Coordinate(longitude: 120.12, latitude: 30.14), Coordinate(longitude: 120.14, latitude: 30.14)]])])
        return [
            Region(code: try RegionCode("330110"), name: "余杭区", parentCode: nil, geometry: withHole, validFrom: t0, sourceCoordinateSystem: .cgcs2000),
            Region(code: try RegionCode("330110001"), name: "临平街道", parentCode: try RegionCode("330110"), geometry: square(120.1, 30.1, 0.05), validFrom: t0),
            Region(code: try RegionCode("330110001001"), name: "西大街社区", parentCode: try RegionCode("330110001"), geometry: square(120.1, 30.1, 0.02), validFrom: t0, sourceCoordinateSystem: .gcj02),
            Region(code: try RegionCode("33011000100101"), name: "西大街社区第一网格", parentCode: try RegionCode("330110001001"), geometry: square(120.1, 30.1, 0.01), validFrom: t0),
        ]
    }

    static func batch(_ n: Int) -> ImportBatch {
        ImportBatch(kind: "regions", source: "test.geojson", actor: "tester", importedAt: t1, recordCount: n, note: "n")
    }

    @Sendable static func emptyStore(_ make: Factory) async throws {
        let store = try await make()
        #expect(try await store.loadRegions().isEmpty)
        #expect(try await store.loadGridWorkers().isEmpty)
        #expect(try await store.importBatches().isEmpty)
    }

    @Sendable static func regionRoundTrip(_ make: Factory) async throws {
        let store = try await make()
        let regions = try sampleRegions()
        let stored = try await store.commit(RegionChangeSet(closing: [], inserting: regions, batch: batch(regions.count), basedOnBatch: nil))
        #expect(stored.id != nil)
        let loaded = try await store.loadRegions()
        #expect(loaded.count == regions.count)
        for r in regions {
            let l = try #require(loaded.first { $0.code == r.code })
            #expect(l.name == r.name)
            #expect(l.parentCode == r.parentCode)
            #expect(l.geometry == r.geometry)
            #expect(abs(l.validFrom.timeIntervalSince(r.validFrom)) < 0.001)
            #expect(l.validTo == nil)
            #expect(l.sourceCoordinateSystem == r.sourceCoordinateSystem)
            #expect(l.importBatch == stored.id)
        }
        let batches = try await store.importBatches()
        #expect(batches.count == 1)
        #expect(batches[0].source == "test.geojson" && batches[0].recordCount == regions.count && batches[0].actor == "tester")
    }

    @Sendable static func versioning(_ make: Factory) async throws {
        let store = try await make()
        let regions = try sampleRegions()
        _ = try await store.commit(RegionChangeSet(closing: [], inserting: regions, batch: batch(regions.count), basedOnBatch: nil))
        var successor = regions[3]
        successor.geometry = square(120.1, 30.1, 0.012)
        successor.validFrom = t1
        _ = try await store.commit(RegionChangeSet(closing: [(successor.code, t0, t1)], inserting: [successor], batch: batch(1), basedOnBatch: try await store.latestImportBatchID(.territory)))
        let versions = try await store.loadRegions().filter { $0.code == successor.code }
        #expect(versions.count == 2)
        #expect(versions[0].validTo.map { abs($0.timeIntervalSince(t1)) < 0.001 } == true)
        #expect(versions[1].validTo == nil)
        #expect(versions[1].geometry == successor.geometry)
    }

    @Sendable static func commitIsAllOrNothing(_ make: Factory) async throws {
        let store = try await make()
        let regions = try sampleRegions()
        _ = try await store.commit(RegionChangeSet(closing: [], inserting: regions, batch: batch(regions.count), basedOnBatch: nil))
        var newcomer = regions[3]
        newcomer.code = try RegionCode("33011000100102")
        // Closing a version that does not exist must abort the whole change set.
        await #expect(throws: (any Error).self) {
            _ = try await store.commit(RegionChangeSet(closing: [(try RegionCode("33011000100199"), t0, t1)], inserting: [newcomer], batch: batch(1), basedOnBatch: try await store.latestImportBatchID(.territory)))
        }
        // So must inserting a duplicate version.
        await #expect(throws: (any Error).self) {
            _ = try await store.commit(RegionChangeSet(closing: [], inserting: [newcomer, regions[0]], batch: batch(2), basedOnBatch: try await store.latestImportBatchID(.territory)))
        }
        let loaded = try await store.loadRegions()
        #expect(loaded.count == regions.count)
        #expect(!loaded.contains { $0.code == newcomer.code })
        #expect(try await store.importBatches().count == 1)
    }

    @Sendable static func gridWorkers(_ make: Factory) async throws {
        let store = try await make()
        let g1 = try RegionCode("33011000100101"), g2 = try RegionCode("33011000100102")
        let first = try await store.saveGridWorkers([
            GridWorker(code: "W001", name: "王芳", phone: try PhoneNumber("13800001111"), gridCodes: [g1]),
            GridWorker(code: "W002", name: "李强", phone: nil, gridCodes: [g1, g2]),
        ], batch: ImportBatch(kind: "grid workers", source: "a.csv", actor: "tester", importedAt: t1, recordCount: 2), basedOnBatch: nil)
        _ = try await store.saveGridWorkers([GridWorker(code: "W001", name: "王芳", phone: try PhoneNumber("13900002222"), gridCodes: [g2])],
                                            batch: ImportBatch(kind: "grid workers", source: "b.csv", actor: "tester", importedAt: t1, recordCount: 1), basedOnBatch: first.id)
        #expect(try await store.importBatches().map(\.kind) == ["grid workers", "grid workers"])
        let loaded = try await store.loadGridWorkers()
        #expect(loaded.map(\.code) == ["W001", "W002"])
        #expect(loaded[0].gridCodes == [g2])
        #expect(loaded[0].phone?.digits == "13900002222")
        #expect(Set(loaded[1].gridCodes) == [g1, g2])
        #expect(loaded[1].phone == nil)
    }

    @Sendable static func settings(_ make: Factory) async throws {
        let store = try await make()
        #expect(try await store.setting("demo.preset") == nil)
        try await store.setSetting("demo.preset", "tiny")
        try await store.setSetting("demo.preset", "small")
        #expect(try await store.setting("demo.preset") == "small")
        try await store.removeSetting("demo.preset")
        #expect(try await store.setting("demo.preset") == nil)
    }

    @Sendable static func addresses(_ make: Factory) async throws {
        let store = try await make()
        let grid = try RegionCode("33011000100101")
        var a = StandardAddress(
            code: "33011000100100000001",
            elements: AddressElements(province: "浙江省", city: "杭州市", district: "余杭区", township: "临平街道", community: "西大街社区",
                                      road: "迎宾路", houseNumber: "123", compound: "星河苑", building: "3", unit: "2", floor: "3", room: "301"),
            coordinate: Coordinate(longitude: 120.3012345, latitude: 30.4212345), gridCode: grid)
        let village = StandardAddress(
            code: "33011010100100000001",
            elements: AddressElements(township: "塘栖镇", community: "超山村", houseNumber: "12", villageGroup: "5"),
            coordinate: Coordinate(longitude: 120.2, latitude: 30.5), gridCode: nil, status: .retired)
        let alias = PlaceAlias(kind: .road, name: "老迎宾路", currentName: "迎宾路")
        let batch = ImportBatch(kind: "addresses", source: "addresses.csv", actor: "tester", importedAt: t1, recordCount: 2)
        let first = try await store.saveAddresses([a, village], aliases: [alias], batch: batch, basedOnBatch: nil)
        #expect(try await store.loadAddresses() == [a, village])
        #expect(try await store.loadPlaceAliases() == [alias])
        // The address family is checked on its own: a territory write does not make it stale.
        _ = try await store.commit(RegionChangeSet(closing: [], inserting: [try sampleRegions()[0]], batch: Self.batch(1), basedOnBatch: nil))
        a.elements.room = "302"
        _ = try await store.saveAddresses([a], aliases: [alias], batch: batch, basedOnBatch: first.id)
        #expect(try await store.loadAddresses().first { $0.code == a.code }?.elements.room == "302")
        #expect(try await store.loadAddresses().count == 2)
        #expect(try await store.loadPlaceAliases().count == 1)
        await #expect(throws: StoreConflict.self) {
            _ = try await store.saveAddresses([a], aliases: [], batch: batch, basedOnBatch: first.id)
        }
        try await store.updateAddressGrids([(a.code, nil), (village.code, grid)])
        let reloaded = try await store.loadAddresses()
        #expect(reloaded.first { $0.code == a.code }?.gridCode == nil)
        #expect(reloaded.first { $0.code == village.code }?.gridCode == grid)
    }

    @Sendable static func registries(_ make: Factory) async throws {
        let store = try await make()
        let person = RegistryEntry(
            kind: .person, key: "34052419800101001X", addressCode: "A1", gridCode: nil,
            fields: ["name": "张三", "phone": "13800001111", "residence_type": "registered", "tags": "独居老人、残疾人", "note": "含\"引号\"与\n换行"],
            fieldSources: ["name": "公安", "phone": "公安", "residence_type": "公安", "tags": "民政", "note": "公安", "address": "公安"],
            source: "公安", importBatch: nil, updatedAt: t1, needsReview: true)
        let firm = RegistryEntry(kind: .enterprise, key: "91350100M000100Y43", addressCode: "A1", gridCode: nil, fields: ["name": "星河餐饮", "industry": "餐饮"],
                                 fieldSources: ["name": "市场监管", "industry": "市场监管", "address": "市场监管"], source: "市场监管", importBatch: nil, updatedAt: t1)
        let claims = [
            FieldConflict(kind: .person, key: person.key, field: "phone", value: "13800001111", source: "公安", importBatch: -1, observedAt: t0),
            FieldConflict(kind: .person, key: person.key, field: "phone", value: "13700003333", source: "民政", importBatch: -1, observedAt: t1),
        ]
        let batch = ImportBatch(kind: "people", source: "people.csv", actor: "tester", importedAt: t1, recordCount: 1)
        let stored = try await store.saveRegistryEntries([person], conflicts: claims, batch: batch, basedOnBatch: nil)
        _ = try await store.saveRegistryEntries([firm], conflicts: [], batch: ImportBatch(kind: "enterprises", source: "e.csv", actor: "t", importedAt: t1, recordCount: 1), basedOnBatch: nil)
        let loaded = try #require(try await store.registryEntries(.person, keys: [person.key, "nobody"]).first)
        #expect(loaded.fields == person.fields && loaded.fieldSources == person.fieldSources && loaded.needsReview)
        #expect(loaded.importBatch == stored.id && loaded.source == "公安" && loaded.category == "registered")
        #expect(try await store.registryEntries(.person, addressCodes: ["A1"]).map(\.key) == [person.key])
        #expect(try await store.registryEntries(.enterprise, addressCodes: ["A1"]).map(\.key) == [firm.key])
        #expect(try await store.registryCount(.person) == 1)
        #expect(try await store.existingRegistryKeys(.person, keys: [person.key, "nobody", firm.key]) == [person.key])
        let recorded = try await store.fieldConflicts(.person, key: person.key)
        #expect(recorded.map(\.value) == ["13800001111", "13700003333"])
        #expect(recorded.allSatisfy { $0.importBatch == stored.id })
        #expect(try await store.entriesNeedingReview(.person, limit: 5).map(\.key) == [person.key])
        #expect(try await store.entriesNeedingReview(.enterprise, limit: 5).isEmpty)
        // Merged again by key, not doubled; a stale write is refused.
        var updated = person
        updated.needsReview = false
        _ = try await store.saveRegistryEntries([updated], conflicts: [], batch: batch, basedOnBatch: stored.id)
        #expect(try await store.registryCount(.person) == 1)
        #expect(try await store.entriesNeedingReview(.person, limit: 5).isEmpty)
        await #expect(throws: StoreConflict.self) {
            _ = try await store.saveRegistryEntries([updated], conflicts: [], batch: batch, basedOnBatch: stored.id)
        }
    }

    @Sendable public static func largeRegistryBatch(_ make: Factory) async throws {
        let store = try await make()
        let entries = (0..<60_000).map { i in
            RegistryEntry(kind: .house, key: "H\(i)", addressCode: "A\(i % 1000)", gridCode: nil, fields: ["use": i % 2 == 0 ? "rented" : "vacant"],
                          fieldSources: ["use": "住建", "address": "住建"], source: "住建", importBatch: nil, updatedAt: t1, needsReview: i % 10_000 == 0)
        }
        _ = try await store.saveRegistryEntries(entries, conflicts: [], batch: ImportBatch(kind: "houses", source: "h.csv", actor: "t", importedAt: t1, recordCount: entries.count), basedOnBatch: nil)
        #expect(try await store.registryCount(.house) == 60_000)
        #expect(try await store.registryEntries(.house, addressCodes: ["A7"]).count == 60)
        #expect(try await store.entriesNeedingReview(.house, limit: 100).count == 6)
        #expect(try await store.registryEntries(.house, keys: ["H59999"]).first?.fields["use"] == "vacant")
    }

    @Sendable static func staleWrite(_ make: Factory) async throws {
        let store = try await make()
        #expect(try await store.latestImportBatchID(.territory) == nil)
        let regions = try sampleRegions()
        let first = try await store.commit(RegionChangeSet(closing: [], inserting: Array(regions.prefix(2)), batch: batch(2), basedOnBatch: nil))
        #expect(try await store.latestImportBatchID(.territory) == first.id)
        // A second writer that read before the first committed is refused, and writes nothing.
        await #expect(throws: StoreConflict.self) {
            _ = try await store.commit(RegionChangeSet(closing: [], inserting: [regions[2]], batch: batch(1), basedOnBatch: nil))
        }
        await #expect(throws: StoreConflict.self) {
            _ = try await store.saveGridWorkers([GridWorker(code: "W9", name: "赵六", phone: nil, gridCodes: [regions[3].code])],
                                                batch: batch(1), basedOnBatch: nil)
        }
        #expect(try await store.loadRegions().count == 2)
        #expect(try await store.loadGridWorkers().isEmpty)
        // Based on the latest batch it goes through.
        _ = try await store.commit(RegionChangeSet(closing: [], inserting: [regions[2]], batch: batch(1), basedOnBatch: first.id))
        #expect(try await store.loadRegions().count == 3)
    }

    @Sendable static func migrateTwice(_ make: Factory) async throws {
        let store = try await make()
        try await store.migrate()
        #expect(try await store.loadRegions().isEmpty)
    }
}
