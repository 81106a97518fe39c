import Foundation
import GeoKit
import Governance
import Testing

/// The behaviour every ``CityBrainStore`` must show. Each store's test target calls these with a
/// factory for fresh, migrated stores of its kind, so no backend can drift from the others.
public enum StoreBehaviour {
    public typealias Factory = @Sendable () async throws -> any CityBrainStore
    /// Fresh, migrated stores that hold at least the territory, settings and the audit trail.
    public typealias TerritoryFactory = @Sendable () async throws -> any TerritoryStore

    /// What a backend must do with the territory, its settings and the audit trail.
    public static let territoryChecks: [(name: String, check: @Sendable (TerritoryFactory) async throws -> Void)] = [
        ("an empty store loads nothing", emptyStore),
        ("region versions round-trip exactly", regionRoundTrip),
        ("closing a version and adding its successor", versioning),
        ("a failing commit writes nothing", commitIsAllOrNothing),
        ("grid workers are saved, replaced and loaded", gridWorkers),
        ("settings", settings),
        ("a write based on an outdated read is refused", staleWrite),
        ("the audit trail is one unbroken chain, also when written concurrently, and answers queries newest first", auditTrail),
        ("migrating twice is harmless", migrateTwice),
        ("a scheduled job's lease has one holder at a time and passes on when it runs out", jobLeases),
    ]

    /// Fresh, migrated stores that also hold the standard address library.
    public typealias AddressFactory = @Sendable () async throws -> any TerritoryStore & AddressStore

    public static let addressChecks: [(name: String, check: @Sendable (AddressFactory) async throws -> Void)] = [
        ("addresses round-trip, update by code, keep their aliases", addresses),
    ]

    /// Fresh, migrated stores that also hold accounts, roles, sessions and tokens.
    public typealias AccountFactory = @Sendable () async throws -> any TerritoryStore & AccountStore

    public static let accountChecks: [(name: String, check: @Sendable (AccountFactory) async throws -> Void)] = [
        ("accounts, roles, sessions and tokens round-trip, user names are unique ignoring case, every change is audited", accountsAndCredentials),
    ]

    /// Fresh, migrated stores that also hold the address library, the registries and the layers.
    public typealias RegistryFactory = @Sendable () async throws -> any TerritoryStore & AddressStore & RegistryStore & LayerStore

    public static let registryChecks: [(name: String, check: @Sendable (RegistryFactory) async throws -> Void)] = [
        ("registry records round-trip with their provenance and claims", registries),
        ("a large registry batch is stored whole and found by address", largeRegistryBatch),
    ] + registryStoreChecks

    public static let all: [(name: String, check: @Sendable (Factory) async throws -> Void)] = territoryChecks.map { name, check in
        (name, { @Sendable (make: Factory) in try await check { try await make() } })
    } + addressChecks.map { name, check in
        (name, { @Sendable (make: Factory) in try await check { try await make() } })
    } + accountChecks.map { name, check in
        (name, { @Sendable (make: Factory) in try await check { try await make() } })
    } + registryChecks.map { name, check in
        (name, { @Sendable (make: Factory) in try await check { try await make() } })
    } + caseChecks.map { name, check in (name, { @Sendable (make: Factory) in try await check { try await make() } }) }

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

    @Sendable static func emptyStore(_ make: TerritoryFactory) async throws {
        let store = try await make()
        #expect(try await store.loadRegions().isEmpty)
        #expect(try await store.loadGridWorkers().isEmpty)
        #expect(try await store.importBatches().isEmpty)
    }

    @Sendable static func regionRoundTrip(_ make: TerritoryFactory) async throws {
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

    @Sendable static func versioning(_ make: TerritoryFactory) async throws {
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

    @Sendable static func commitIsAllOrNothing(_ make: TerritoryFactory) async throws {
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

    @Sendable static func gridWorkers(_ make: TerritoryFactory) async throws {
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

    @Sendable static func settings(_ make: TerritoryFactory) async throws {
        let store = try await make()
        #expect(try await store.setting("demo.preset") == nil)
        try await store.setSetting("demo.preset", "tiny")
        try await store.setSetting("demo.preset", "small")
        #expect(try await store.setting("demo.preset") == "small")
        try await store.removeSetting("demo.preset")
        #expect(try await store.setting("demo.preset") == nil)
    }

    @Sendable static func addresses(_ make: AddressFactory) async throws {
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

    struct FeedFailure: Error {}

    @Sendable static func registries(_ make: RegistryFactory) async throws {
        let store = try await make()
        let key = "34052419800101001X"
        let person = RegistryEntry(
            kind: .person, key: key, addressCode: "A1", gridCode: nil,
            fields: ["name": "张三", "phone": "13800001111", "residence_type": "registered", "tags": "独居老人、残疾人", "note": "含\"引号\"与\n换行"],
            fieldSources: ["tags": "民政"], source: "公安", importBatch: nil, updatedAt: t0)
        let firm = RegistryEntry(kind: .enterprise, key: "91350100M000100Y43", addressCode: "A1", gridCode: nil, fields: ["name": "星河餐饮", "industry": "餐饮"],
                                 fieldSources: [:], source: "市场监管", importBatch: nil, updatedAt: t0)
        func people(_ at: Date) -> ImportBatch { ImportBatch(kind: "people", source: "people.csv", actor: "tester", importedAt: at, recordCount: 0) }
        let first = try await store.writeRegistry(.person, feed: RegistryFeed([RegistryRow(line: 2, entry: person)]), batch: people(t1), basedOnBatch: nil)
        let firstBatch = try #require(first.batch?.id)
        #expect(first.inserted == 1 && first.merged == 0 && first.flagged.isEmpty && first.batch?.recordCount == 1)
        _ = try await store.writeRegistry(.enterprise, feed: RegistryFeed([RegistryRow(line: 2, entry: firm)]),
                                          batch: ImportBatch(kind: "enterprises", source: "e.csv", actor: "t", importedAt: t1, recordCount: 0), basedOnBatch: nil)
        let loaded = try #require(try await store.registryEntries(.person, keys: [key, "nobody"]).first)
        // What the key implies (the ID number itself, sex and birth date) comes back with the rest.
        var implied = person.fields
        (implied["id_number"], implied["sex"], implied["birth_date"]) = (key, "male", "1980-01-01")
        #expect(loaded.fields == implied && loaded.fieldSources == ["tags": "民政"] && !loaded.needsReview)
        // Every record carries the batch that wrote it and its time.
        #expect(loaded.importBatch == firstBatch && loaded.updatedAt == t1 && loaded.source == "公安" && loaded.category == "registered")
        #expect(try await store.registryEntries(.person, addressCodes: ["A1"]).map(\.key) == [key])
        #expect(try await store.registryEntries(.enterprise, addressCodes: ["A1"]).map(\.key) == [firm.key])
        #expect(try await store.registryCount(.person) == 1)

        // Another source says another phone: kept beside the current one, flagged, not doubled.
        let other = RegistryEntry(kind: .person, key: key, addressCode: "A1", gridCode: nil, fields: ["name": "张三", "phone": "13700003333"],
                                  fieldSources: [:], source: "民政", importBatch: nil, updatedAt: t0)
        let t2 = t1.addingTimeInterval(86_400)
        let second = try await store.writeRegistry(.person, feed: RegistryFeed([RegistryRow(line: 7, entry: other)]), batch: people(t2), basedOnBatch: firstBatch)
        let secondBatch = try #require(second.batch?.id)
        #expect(second.inserted == 0 && second.merged == 1)
        #expect(second.flagged.map(\.key) == [key] && second.flagged.first?.line == 7 && second.flagged.first?.fields == ["phone"])
        let flagged = try #require(try await store.registryEntries(.person, keys: [key]).first)
        #expect(flagged.fields["phone"] == "13800001111" && flagged.needsReview && flagged.importBatch == secondBatch && flagged.updatedAt == t2)
        #expect(try await store.registryCount(.person) == 1)
        let recorded = try await store.fieldConflicts(.person, key: key)
        #expect(recorded.map(\.value) == ["13800001111", "13700003333"])
        #expect(recorded.map(\.importBatch) == [firstBatch, secondBatch])
        #expect(try await store.entriesNeedingReview(.person, limit: 5).map(\.key) == [key])
        #expect(try await store.entriesNeedingReview(.enterprise, limit: 5).isEmpty)

        // The same again: nothing new, no batch recorded.
        let third = try await store.writeRegistry(.person, feed: RegistryFeed([RegistryRow(line: 7, entry: other)]), batch: people(t2), basedOnBatch: secondBatch)
        #expect(third.unchanged == 1 && third.merged == 0 && third.batch == nil)
        #expect(try await store.latestImportBatchID(.people) == secondBatch)

        // A stale write is refused; a feed that fails writes nothing.
        await #expect(throws: StoreConflict.self) {
            _ = try await store.writeRegistry(.person, feed: RegistryFeed([RegistryRow(line: 2, entry: person)]), batch: people(t2), basedOnBatch: firstBatch)
        }
        var newcomer = person
        newcomer.key = "110101199003074215"
        let failing = RegistryFeed()
        failing.send([RegistryRow(line: 2, entry: newcomer)])
        failing.finish(throwing: FeedFailure())
        await #expect(throws: FeedFailure.self) {
            _ = try await store.writeRegistry(.person, feed: failing, batch: people(t2), basedOnBatch: secondBatch)
        }
        #expect(try await store.registryCount(.person) == 1)
        #expect(try await store.latestImportBatchID(.people) == secondBatch)
    }

    @Sendable public static func largeRegistryBatch(_ make: RegistryFactory) async throws {
        let store = try await make()
        var rows = (0..<60_000).map { i in
            RegistryRow(line: i + 2, entry: RegistryEntry(kind: .house, key: "H\(i)", addressCode: "A\(i % 1000)", gridCode: nil,
                                                          fields: ["use": i % 2 == 0 ? "rented" : "vacant"], fieldSources: [:], source: "住建",
                                                          importBatch: nil, updatedAt: t1, needsReview: i % 10_000 == 0))
        }
        // The file repeats a house with another use after the indexes were dropped: one record, flagged.
        var repeated = rows[5].entry
        repeated.fields["use"] = "commercial"
        rows.append(RegistryRow(line: 60_002, entry: repeated))
        let result = try await store.writeRegistry(.house, feed: RegistryFeed(rows), batch: ImportBatch(kind: "houses", source: "h.csv", actor: "t", importedAt: t1, recordCount: 0), basedOnBatch: nil)
        #expect(result.inserted == 60_000 && result.merged == 0 && result.flagged.map(\.line) == [60_002])
        #expect(try await store.registryCount(.house) == 60_000)
        #expect(try await store.registryEntries(.house, addressCodes: ["A7"]).count == 60)
        #expect(try await store.entriesNeedingReview(.house, limit: 100).map(\.key).sorted() == ["H0", "H10000", "H20000", "H30000", "H40000", "H5", "H50000"])
        #expect(try await store.registryEntries(.house, keys: ["H59999"]).first?.fields["use"] == "vacant")
        #expect(try await store.registryEntries(.house, keys: ["H5"]).first?.fields["use"] == "vacant")

        // Into a full table the key index finds what is stored: a correction, a disagreement, a newcomer.
        func house(_ key: String, _ use: String, _ source: String) -> RegistryRow {
            RegistryRow(line: 2, entry: RegistryEntry(kind: .house, key: key, addressCode: "A1", gridCode: nil, fields: ["use": use], fieldSources: [:],
                                                      source: source, importBatch: nil, updatedAt: t1))
        }
        let later = try await store.writeRegistry(.house, feed: RegistryFeed([house("H1", "rented", "住建"), house("H2", "commercial", "市场监管"), house("H60000", "vacant", "住建")]),
                                                  batch: ImportBatch(kind: "houses", source: "h2.csv", actor: "t", importedAt: t1, recordCount: 0), basedOnBatch: result.batch?.id)
        #expect(later.inserted == 1 && later.merged == 2 && later.flagged.map(\.key) == ["H2"])
        #expect(try await store.registryEntries(.house, keys: ["H1"]).first?.fields["use"] == "rented")
        #expect(try await store.registryEntries(.house, keys: ["H2"]).first?.needsReview == true)
        #expect(try await store.registryCount(.house) == 60_001)
    }

    @Sendable static func staleWrite(_ make: TerritoryFactory) async throws {
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

    @Sendable static func auditTrail(_ make: TerritoryFactory) async throws {
        let store = try await make()
        let base = Date(timeIntervalSince1970: 1_764_460_800)
        let first = try await store.appendAudit([
            AuditRecord(time: base, actor: "admin", action: "login", target: "account:admin"),
            AuditRecord(time: base.addingTimeInterval(1.2345), actor: "admin", action: "reveal.person", target: "person:1", purpose: "核实身份", requestID: "r-1"),
        ])
        #expect(first.map(\.sequence) == [1, 2])
        // Four writers at once: one chain, no sequence twice, every link intact.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    for i in 0..<10 {
                        _ = try await store.appendAudit([AuditRecord(time: base.addingTimeInterval(Double(w * 10 + i)), actor: "w\(w)", action: "case.report", target: "case:\(i)")])
                    }
                }
            }
            try await group.waitForAll()
        }
        let chain = try await store.auditEntries(from: 1, limit: 100)
        #expect(chain.map(\.sequence) == Array(1...42))
        #expect(AuditChain.verify(chain).isEmpty)
        // Times are kept to the millisecond (the hash counts them so).
        let kept = Date(timeIntervalSince1970: ((base.timeIntervalSince1970 + 1.2345) * 1000).rounded() / 1000)
        #expect(chain[1].record.time == kept && chain[1].record.purpose == "核实身份" && chain[1].record.requestID == "r-1")
        let reveals = try await store.auditEntries(matching: AuditQuery(actionPrefix: "reveal"))
        #expect(reveals.map(\.sequence) == [2])
        #expect(try await store.auditEntries(matching: AuditQuery(actionPrefix: "case", limit: 5)).map(\.sequence) == [42, 41, 40, 39, 38])
        #expect(try await store.auditEntries(matching: AuditQuery(actor: "w1", before: 20, limit: 100)).allSatisfy { $0.sequence < 20 && $0.record.actor == "w1" })
        #expect(try await store.auditEntries(matching: AuditQuery(from: base.addingTimeInterval(30), to: base.addingTimeInterval(32))).count == 2)
    }

    @Sendable static func accountsAndCredentials(_ make: AccountFactory) async throws {
        let store = try await make()
        let grid = try RegionCode("33011000100101")
        func audit(_ action: String) -> AuditRecord { AuditRecord(time: t1, actor: "admin", action: action, target: "account:li") }
        var li = Account(username: "Li.Ming", displayName: "李明", roles: ["grid-worker", "analyst"], territory: grid, passwordHash: "$2b$04$hash",
                         passwordChangedAt: t0, createdAt: t0)
        li = try await store.saveAccount(li, audit: audit("account.create"))
        let id = try #require(li.id)
        #expect(try await store.account(username: "li.ming") == li)
        #expect(try await store.account(id: id)?.roles == ["grid-worker", "analyst"])
        await #expect(throws: StoreConflict.self) {
            _ = try await store.saveAccount(Account(username: "LI.MING", displayName: "冒名", roles: [], territory: grid, passwordHash: "x",
                                                    passwordChangedAt: t0, createdAt: t0), audit: audit("account.create"))
        }
        li.department = "urban-management"
        li.status = .disabled
        _ = try await store.saveAccount(li, audit: audit("account.status"))
        try await store.recordLogin(accountID: id, failedLogins: 3, lockedUntil: t1, audit: audit("login.failed"))
        let reloaded = try #require(try await store.account(id: id))
        #expect(reloaded.department == "urban-management" && reloaded.status == .disabled && reloaded.failedLogins == 3 && reloaded.lockedUntil == t1)
        #expect(try await store.accounts().map(\.username) == ["Li.Ming"])

        let role = Role(id: "night-patrol", name: "夜间巡查", permissions: [.caseRead, .caseReport])
        try await store.saveRole(role, audit: audit("role.save"))
        #expect(try await store.storedRoles().map(\.id) == ["night-patrol"])
        #expect(try await store.storedRoles().first?.permissions == [.caseRead, .caseReport])

        let old = Session(tokenHash: "s-old", accountID: id, csrfToken: "c0", createdAt: t0, expiresAt: t0.addingTimeInterval(3600), lastSeenAt: t0)
        try await store.createSession(old, audit: audit("login"))
        let fresh = Session(tokenHash: "s-new", accountID: id, csrfToken: "c1", createdAt: t1, expiresAt: t1.addingTimeInterval(3600), lastSeenAt: t1)
        try await store.createSession(fresh, audit: audit("login"))
        // The expired one went when the new one came.
        #expect(try await store.session(tokenHash: "s-old") == nil)
        try await store.touchSession(tokenHash: "s-new", at: t1.addingTimeInterval(60))
        #expect(try await store.session(tokenHash: "s-new")?.lastSeenAt == t1.addingTimeInterval(60))
        try await store.deleteSessions(tokenHash: nil, accountID: id, audit: audit("logout.all"))
        #expect(try await store.session(tokenHash: "s-new") == nil)

        let token = try await store.createToken(APIToken(accountID: id, name: "12345热线", prefix: "cbt_ab12", tokenHash: "t-hash", permissions: [.caseReport],
                                                         createdAt: t0, expiresAt: t1, createdBy: "admin"), audit: audit("token.create"))
        let tokenID = try #require(token.id)
        #expect(try await store.token(hash: "t-hash") == token)
        #expect(try await store.token(id: tokenID)?.permissions == [.caseReport])
        try await store.revokeToken(id: tokenID, at: t0.addingTimeInterval(10), audit: audit("token.revoke"))
        try await store.revokeToken(id: tokenID, at: t0.addingTimeInterval(20), audit: audit("token.revoke"))
        #expect(try await store.tokens().first?.revokedAt == t0.addingTimeInterval(10))
        let purged = try await store.purgeCredentials(endedBefore: t1.addingTimeInterval(86_400), audit: audit("credentials.purge"))
        #expect(purged.tokens == 1 && purged.sessions == 0)
        #expect(try await store.tokens().isEmpty)
        // Every change above on the trail, the second revocation (a no-op) not; the refused one neither.
        let actions = try await store.auditEntries(from: 1, limit: 100).map(\.record.action)
        #expect(actions == ["account.create", "account.status", "login.failed", "role.save", "login", "login", "logout.all", "token.create",
                            "token.revoke", "credentials.purge"])
    }

    @Sendable static func migrateTwice(_ make: TerritoryFactory) async throws {
        let store = try await make()
        try await store.migrate()
        #expect(try await store.loadRegions().isEmpty)
    }
}
