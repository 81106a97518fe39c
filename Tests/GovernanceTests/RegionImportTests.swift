import Foundation
import GeoKit
import Governance
import SQLiteStore
import Testing

@Suite("Region import and validation")
struct RegionImportTests {
    @Test("a clean territory imports; the tree and lookups follow")
    func cleanImport() async throws {
        let service = try await Fixture.service()
        let result = try await Fixture.importFile(Fixture.geojson(Fixture.territory()), into: service)
        #expect(result.report.errors.isEmpty)
        #expect(result.inserted == 7)
        let territory = service.territory()
        #expect(territory.children(of: try RegionCode("330110001")).map(\.code.rawValue) == ["330110001001", "330110001002"])
        // The district has no city in the store: it is top level, with no dangling parent.
        #expect(territory.topLevel.map(\.code.rawValue) == ["330110000000"])
        #expect(territory.region(try RegionCode("330110"))?.parentCode == nil)
        let chain = territory.locate(Coordinate(longitude: 120.01, latitude: 30.01)).map(\.code.rawValue)
        #expect(chain == ["330110000000", "330110001000", "330110001001", "33011000100101"])
        // Outside every grid but inside a community: the deepest region.
        #expect(territory.locate(Coordinate(longitude: 120.01, latitude: 30.07)).last?.code.rawValue == "330110001002")
        #expect(territory.locate(Coordinate(longitude: 121, latitude: 30.07)).isEmpty)
        // On the shared edge of the two grids the eastern one owns the point.
        #expect(territory.grid(at: Coordinate(longitude: 120.025, latitude: 30.02))?.code.rawValue == "33011000100102")
        #expect(territory.regions(level: .grid, under: try RegionCode("330110")).count == 2)
        // It survives a reload from the store.
        try await service.load()
        #expect(service.territory().regions.count == 7)
    }

    /// Imports a broken variant and checks the import is refused with the expected finding and nothing was written.
    func expectRefusal(_ items: [Fixture.Item], kind: RegionValidationIssue.Kind, feature: Int?, area: ClosedRange<Double>? = nil,
                       options: RegionImportOptions = Fixture.options(), sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let service = try await Fixture.service()
        do {
            try await Fixture.importFile(Fixture.geojson(items), into: service, options: options)
            Issue.record("the import was accepted", sourceLocation: sourceLocation)
        } catch let rejected as RegionImportRejected {
            let matching = rejected.report.errors.filter { $0.kind == kind && $0.featureIndex == feature }
            #expect(!matching.isEmpty, "expected \(kind) at feature \(feature.map(String.init) ?? "-"), got \(rejected.report.issues)", sourceLocation: sourceLocation)
            if let area, let found = matching.first?.areaSquareMetres {
                #expect(area.contains(found), "area \(found)", sourceLocation: sourceLocation)
            }
        }
        #expect(try await service.store.loadRegions().isEmpty, "nothing may be written", sourceLocation: sourceLocation)
        #expect(try await service.store.importBatches().isEmpty, sourceLocation: sourceLocation)
    }

    @Test("an unclosed ring")
    func unclosed() async throws {
        var items = Fixture.territory()
        items[5].ring.removeLast()
        try await expectRefusal(items, kind: .notClosed, feature: 5)
    }

    @Test("a self-intersecting ring")
    func bowtie() async throws {
        var items = Fixture.territory()
        items[6].ring = [[120.025, 30.0], [120.05, 30.05], [120.05, 30.0], [120.025, 30.05], [120.025, 30.0]]
        try await expectRefusal(items, kind: .selfIntersection, feature: 6)
    }

    @Test("a grid reaching outside its community, with the area outside")
    func outsideParent() async throws {
        var items = Fixture.territory()
        items[6].ring = Fixture.box(120.025, 30.0, 120.06, 30.05)
        // 0.01° of longitude × 0.05° of latitude at 30°N ≈ 963 m × 5,560 m.
        try await expectRefusal(items, kind: .outsideParent, feature: 6, area: 5.2e6...5.5e6)
    }

    @Test("overlapping sibling grids, with the overlap area")
    func overlap() async throws {
        var items = Fixture.territory()
        items[5].ring = Fixture.box(120.0, 30.0, 120.03, 30.05)
        try await expectRefusal(items, kind: .overlap, feature: 5, area: 2.6e6...2.75e6)
    }

    @Test("a gap between sibling grids is a warning, and the import goes through")
    func gap() async throws {
        var items = Fixture.territory()
        items[5].ring = Fixture.box(120.0, 30.0, 120.02, 30.05)
        let service = try await Fixture.service()
        let result = try await Fixture.importFile(Fixture.geojson(items), into: service)
        let gap = try #require(result.report.warnings.first { $0.kind == .gap && $0.code == "330110001001" })
        #expect((2.6e6...2.75e6).contains(gap.areaSquareMetres ?? 0))
        #expect(result.inserted == 7)
    }

    @Test("duplicate codes")
    func duplicate() async throws {
        var items = Fixture.territory()
        items.append(items[6])
        try await expectRefusal(items, kind: .duplicateCode, feature: 7)
    }

    @Test("a child without a parent")
    func orphan() async throws {
        var items = Fixture.territory()
        items.append(Fixture.Item(code: "33011000100301", name: "无主网格", ring: Fixture.box(120.0, 30.05, 120.02, 30.07)))
        try await expectRefusal(items, kind: .missingParent, feature: 7)
    }

    @Test("coordinates written as [lat, lon]")
    func swapped() async throws {
        var items = Fixture.territory()
        items[6].ring = items[6].ring.map { [$0[1], $0[0]] }
        try await expectRefusal(items, kind: .swappedCoordinates, feature: 6)
    }

    @Test("coordinates outside China")
    func outsideChina() async throws {
        var items = Fixture.territory()
        items[6].ring = Fixture.box(139.7, 35.6, 139.8, 35.7)
        try await expectRefusal(items, kind: .outsideChina, feature: 6)
    }

    @Test("a code that is not a code, a missing name, a wrong level, a parent whose code does not match")
    func properties() async throws {
        var items = Fixture.territory()
        items[6].code = "33011A"
        try await expectRefusal(items, kind: .invalidCode, feature: 6)

        items = Fixture.territory()
        let data = Fixture.geojson(items, nameProperty: "title")
        let service = try await Fixture.service()
        await #expect(throws: RegionImportRejected.self) { try await Fixture.importFile(data, into: service) }

        items = Fixture.territory()
        items[3].extra["level"] = .string("grid")
        try await expectRefusal(items, kind: .levelMismatch, feature: 3)

        items = Fixture.territory()
        items[3].extra["parent"] = .string("330110002000")
        try await expectRefusal(items, kind: .codeParentMismatch, feature: 3)
    }

    @Test("a line instead of a polygon")
    func notAPolygon() async throws {
        var items = Fixture.territory()
        items[6].geometryOverride = .object(JSONObject([("type", .string("LineString")), ("coordinates", .array([.array([.number(120), .number(30)]), .array([.number(120.1), .number(30.1)])]))]))
        try await expectRefusal(items, kind: .notAPolygon, feature: 6)
    }

    @Test("custom property names")
    func customProperties() async throws {
        let service = try await Fixture.service()
        var options = Fixture.options()
        options.codeProperty = "WGBM"
        options.nameProperty = "WGMC"
        let result = try await Fixture.importFile(Fixture.geojson(Fixture.territory(), codeProperty: "WGBM", nameProperty: "WGMC"), into: service, options: options)
        #expect(result.inserted == 7)
    }

    @Test("a GCJ-02 file is stored in WGS-84")
    func datumConversion() async throws {
        let service = try await Fixture.service()
        var items = Fixture.territory()
        for i in items.indices {
            items[i].ring = items[i].ring.map {
                let g = CoordinateTransform.wgs84ToGCJ02(Coordinate(longitude: $0[0], latitude: $0[1]))
                return [g.longitude, g.latitude]
            }
        }
        try await Fixture.importFile(Fixture.geojson(items), into: service, options: Fixture.options(crs: .gcj02))
        let grid = try #require(service.territory().region(try RegionCode("33011000100101")))
        let corner = grid.geometry.polygons[0].exterior.coordinates[0]
        #expect(GreatCircle.distance(corner, Coordinate(longitude: 120.0, latitude: 30.0)) < 0.01)
        #expect(grid.sourceCoordinateSystem == .gcj02)
    }

    @Test("new boundaries become a new version; lookups at a time use the boundaries then in force")
    func versions() async throws {
        let service = try await Fixture.service()
        try await Fixture.importFile(Fixture.geojson(Fixture.territory()), into: service)
        // From 2026 the boundary between the two grids moves east by 0.005°.
        var items = Fixture.territory()
        items[5].ring = Fixture.box(120.0, 30.0, 120.03, 30.05)
        items[6].ring = Fixture.box(120.03, 30.0, 120.05, 30.05)
        let t2026 = parseInstant("2026-01-01")!
        let result = try await Fixture.importFile(Fixture.geojson(items), into: service, options: Fixture.options(validFrom: t2026))
        #expect(result.inserted == 2)
        #expect(result.unchanged == 5)
        #expect(result.closed == 2)
        let p = Coordinate(longitude: 120.027, latitude: 30.02)
        #expect(service.territory(at: parseInstant("2020-06-01")).grid(at: p)?.code.rawValue == "33011000100102")
        #expect(service.territory(at: parseInstant("2026-06-01")).grid(at: p)?.code.rawValue == "33011000100101")
        #expect(service.territory(at: parseInstant("2018-06-01")).locate(p).isEmpty)
        #expect(service.catalog.history(of: try RegionCode("33011000100101")).count == 2)
        // Importing the same file again changes nothing.
        let again = try await Fixture.importFile(Fixture.geojson(items), into: service, options: Fixture.options(validFrom: parseInstant("2026-02-01")!))
        #expect(again.batch == nil && again.unchanged == 7)
        // A version may not start before the one in force.
        var older = items
        older[5].name = "改名网格"
        do {
            try await Fixture.importFile(Fixture.geojson(older), into: service, options: Fixture.options(validFrom: parseInstant("2025-01-01")!))
            Issue.record("an earlier version was accepted")
        } catch let rejected as RegionImportRejected {
            #expect(rejected.report.errors.contains { $0.kind == .versionOrder && $0.featureIndex == 5 })
        }
    }

    @Test("--retire-missing ends the regions a complete file leaves out")
    func retireMissing() async throws {
        let service = try await Fixture.service()
        try await Fixture.importFile(Fixture.geojson(Fixture.territory()), into: service)
        // Community 001 becomes one grid.
        let merged = [Fixture.Item(code: "33011000100101", name: "西大街社区网格", ring: Fixture.box(120.0, 30.0, 120.05, 30.05))]
        var options = Fixture.options(validFrom: parseInstant("2026-01-01")!)
        options.retireMissing = true
        let result = try await Fixture.importFile(Fixture.geojson(merged), into: service, options: options)
        #expect(result.closed == 2)
        let now = service.territory()
        #expect(now.children(of: try RegionCode("330110001001")).map(\.code.rawValue) == ["33011000100101"])
        #expect(now.region(try RegionCode("33011000100102")) == nil)
        #expect(service.territory(at: parseInstant("2020-01-01")).region(try RegionCode("33011000100102")) != nil)
    }

    @Test("a dry run validates and writes nothing")
    func dryRun() async throws {
        let service = try await Fixture.service()
        let result = try await Fixture.importFile(Fixture.geojson(Fixture.territory()), into: service, dryRun: true)
        #expect(result.inserted == 7 && result.batch == nil)
        #expect(try await service.store.loadRegions().isEmpty)
    }

    @Test("grid workers must name grids in force")
    func gridWorkers() async throws {
        let service = try await Fixture.service()
        try await Fixture.importFile(Fixture.geojson(Fixture.territory()), into: service)
        let grid = try RegionCode("33011000100101")
        try await service.saveGridWorkers([GridWorker(code: "GW1", name: "王芳", phone: nil, gridCodes: [grid])])
        #expect(service.gridWorkers.workers(of: grid).map(\.code) == ["GW1"])
        await #expect(throws: GridWorkerRejected.self) {
            try await service.saveGridWorkers([GridWorker(code: "GW2", name: "李强", phone: nil, gridCodes: [try RegionCode("330110001001")])])
        }
    }
}

@Suite("Region import: what the review found")
struct RegionImportReviewTests {
    @Test("a multipolygon whose parts overlap is refused")
    func overlappingParts() async throws {
        var items = Fixture.territory()
        let ring: JSONValue = .array(Fixture.box(120.0, 30.0, 120.025, 30.05).map { .array($0.map(JSONValue.number)) })
        items[5].geometryOverride = .object(JSONObject([("type", .string("MultiPolygon")), ("coordinates", .array([.array([ring]), .array([ring])]))]))
        let service = try await Fixture.service()
        do {
            try await Fixture.importFile(Fixture.geojson(items), into: service)
            Issue.record("accepted")
        } catch let rejected as RegionImportRejected {
            #expect(rejected.report.errors.contains { $0.kind == .ringsIntersect && $0.featureIndex == 5 })
        }
    }

    @Test("an empty multipolygon is refused")
    func emptyMultiPolygon() async throws {
        var items = Fixture.territory()
        items[5].geometryOverride = .object(JSONObject([("type", .string("MultiPolygon")), ("coordinates", .array([]))]))
        let service = try await Fixture.service()
        await #expect(throws: RegionImportRejected.self) { try await Fixture.importFile(Fixture.geojson(items), into: service) }
    }

    @Test("clockwise rings and a GCJ-02 round trip re-import as unchanged; a datum mismatch is refused")
    func reimportIsUnchanged() async throws {
        let service = try await Fixture.service()
        var items = Fixture.territory()
        for i in items.indices { items[i].ring.reverse() }
        try await Fixture.importFile(Fixture.geojson(items), into: service)
        // Export in GCJ-02 and import that file back, declaring its datum.
        let exported = service.territory().regions.map { RegionExport.feature($0, coordinateSystem: .gcj02) }
        let data = GeoJSON.encode(exported)
        let again = try await Fixture.importFile(data, into: service, options: Fixture.options(validFrom: parseInstant("2026-01-01")!, crs: .gcj02))
        #expect(again.unchanged == 7 && again.inserted == 0 && again.batch == nil)
        // Read as WGS-84 the same file would move every boundary: refused.
        do {
            try await Fixture.importFile(data, into: service, options: Fixture.options(validFrom: parseInstant("2026-01-01")!))
            Issue.record("accepted")
        } catch let rejected as RegionImportRejected {
            #expect(rejected.report.errors.count == 7)
            #expect(rejected.report.errors.allSatisfy { $0.kind == .invalidFeature && $0.message.contains("--crs gcj02") })
        }
    }

    @Test("retiring a community retires its grids; a new region may not hang under a retired one")
    func retireDescendants() async throws {
        let service = try await Fixture.service()
        try await Fixture.importFile(Fixture.geojson(Fixture.territory()), into: service)
        var options = Fixture.options(validFrom: parseInstant("2026-01-01")!)
        options.retireMissing = true
        // Street 001 now has one community covering all of it: 001 and its grids end.
        let merged = [Fixture.Item(code: "330110001002", name: "星火社区", ring: Fixture.box(120.0, 30.0, 120.05, 30.1))]
        let result = try await Fixture.importFile(Fixture.geojson(merged), into: service, options: options)
        #expect(result.closed == 4)  // community 001, its two grids, and the old version of 002
        let now = service.territory()
        #expect(now.regions(level: .grid, under: nil).isEmpty)
        #expect(now.regions.allSatisfy { $0.parentCode == nil || now.region($0.parentCode!) != nil })
        // A grid for the retired community, in the same kind of import, is refused.
        let service2 = try await Fixture.service()
        try await Fixture.importFile(Fixture.geojson(Fixture.territory()), into: service2)
        let orphan = merged + [Fixture.Item(code: "33011000100103", name: "新网格", ring: Fixture.box(120.0, 30.0, 120.01, 30.01))]
        do {
            try await Fixture.importFile(Fixture.geojson(orphan), into: service2, options: options)
            Issue.record("accepted")
        } catch let rejected as RegionImportRejected {
            #expect(rejected.report.errors.contains { $0.kind == .missingParent && $0.message.contains("retired") })
        }
    }

    @Test("a running service picks up an import made by another process")
    func reloadIfChanged() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("store.sqlite").path
        let server = RegionService(store: try SQLiteStore(path: path))
        try await server.store.migrate()
        try await server.load()
        let cli = RegionService(store: try SQLiteStore(path: path))
        try await cli.load()
        #expect(try await server.reloadIfChanged() == false)
        try await Fixture.importFile(Fixture.geojson(Fixture.territory()), into: cli)
        #expect(server.territory().regions.isEmpty)
        #expect(try await server.reloadIfChanged() == true)
        #expect(server.territory().regions.count == 7)
        // The server's own view was outdated: a write from it would be refused, not lost.
        let stale = RegionService(store: try SQLiteStore(path: path))
        try await stale.load()
        var moved = Fixture.territory()
        moved[5].name = "改名"
        try await Fixture.importFile(Fixture.geojson(moved), into: cli, options: Fixture.options(validFrom: parseInstant("2026-01-01")!))
        moved[5].name = "又改名"
        await #expect(throws: StoreConflict.self) {
            try await Fixture.importFile(Fixture.geojson(moved), into: stale, options: Fixture.options(validFrom: parseInstant("2026-02-01")!))
        }
    }

    @Test("regions under a parent do not include the parent")
    func underExcludesSelf() async throws {
        let service = try await Fixture.service()
        try await Fixture.importFile(Fixture.geojson(Fixture.territory()), into: service)
        let under = service.territory().regions(level: nil, under: try RegionCode("330110001"))
        #expect(Set(under.map(\.code.rawValue)) == ["330110001001", "330110001002", "33011000100101", "33011000100102"])
    }

    @Test("impossible dates and a 14-digit code ending in 00 that is not a community")
    func strictness() {
        #expect(parseInstant("2026-02-31") == nil)
        #expect(parseInstant("2026-+1-01") == nil)
        #expect(parseInstant("2026-02-28") != nil)
        #expect(throws: RegionCodeError.self) { _ = try RegionCode("33011000100000") }
    }
}
