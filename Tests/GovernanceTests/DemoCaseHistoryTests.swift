import DemoData
import Foundation
import GeoKit
import Governance
import SQLiteStore
import Testing

@Suite("Demo case history")
struct DemoCaseHistoryTests {
    static let end = CivilDay(iso: "2026-11-30")!

    static func generator(_ preset: DemoPreset, seed: UInt64 = 20261129) throws -> (DemoCaseGenerator, DemoDistrict) {
        let demo = try DemoDistrictGenerator(preset: preset, seed: seed).generate()
        let streets = demo.regions.filter { $0.code.level == .street }.map { (code: $0.code, name: $0.name) }
        return (DemoCaseGenerator(district: demo, end: end, routes: DemoDepartments.routes(district: demo.districtCode, streets: streets)), demo)
    }

    @Test("the history is deterministic, follows the loop's rules, has a season, a daily rhythm and open cases at its end")
    func history() throws {
        let (generator, demo) = try Self.generator(.small)
        let grids = Set(demo.regions.filter { $0.code.level == .grid }.map(\.code))
        #expect(generator.months.count == 23 && generator.months.first?.from == CivilDay(iso: "2025-01-01"))
        // Two months generated twice are the same.
        let july = generator.months.firstIndex { $0.from == CivilDay(iso: "2025-07-01") }!
        let february = generator.months.firstIndex { $0.from == CivilDay(iso: "2025-02-01") }!
        let a = generator.cases(ofMonth: july), b = generator.cases(ofMonth: july)
        #expect(a.map(\.0) == b.map(\.0))
        let winter = generator.cases(ofMonth: february)
        // Summer busier than the Spring Festival month, per day.
        #expect(Double(a.count) / 31 > 1.3 * Double(winter.count) / 28)
        var hours = Array(repeating: 0, count: 24)
        for (c, events) in a {
            #expect(grids.contains(c.gridCode))
            #expect(c.number.hasPrefix("330110-202507"))
            // The timeline is the case's history: one event per version, in time order.
            #expect(events.map(\.sequence) == Array(1...c.version))
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.time <= $1.time })
            #expect(events.last?.status == c.status)
            hours[(Int(c.reportedAt.timeIntervalSince1970) + CivilDay.utcOffset) % 86400 / 3600] += 1
        }
        #expect(Set(a.map(\.0.number)).count == a.count)
        #expect(hours[9] > 4 * hours[3], "\(hours)")
        let statuses = Set(a.map(\.0.status))
        #expect(statuses.isSuperset(of: [.closed, .evaluated, .rejected]))
        #expect(a.contains { $0.0.returns > 0 } && a.contains { $0.0.reworks > 0 } && a.contains { $0.0.extensions > 0 })
        // Cases reported in the last days are still in the loop.
        let last = generator.cases(ofMonth: generator.months.count - 1)
        #expect(last.contains { $0.0.status.isOpen })
        #expect(last.allSatisfy { $0.1.allSatisfy { $0.time < Self.end.start } })
    }

    @Test("the planted cluster: eye injuries on building sites in three grids in summer 2025, far above the usual rate")
    func cluster() throws {
        let (generator, _) = try Self.generator(.small)
        let cluster = try #require(generator.cluster)
        #expect(cluster.grids.count == 3 && cluster.classCode.rawValue == "E0706")
        var inCluster = 0, elsewhere = 0
        for (i, month) in generator.months.enumerated() where month.from >= CivilDay(iso: "2025-03-01")! && month.from < CivilDay(iso: "2025-12-01")! {
            for (c, _) in generator.cases(ofMonth: i) where c.classCode == cluster.classCode && cluster.grids.contains(c.gridCode) {
                if c.description.contains("金属碎屑") || c.description.contains("眼部") {
                    #expect(CivilDay(c.reportedAt) >= cluster.from && CivilDay(c.reportedAt) < cluster.to)
                    inCluster += 1
                } else {
                    elsewhere += 1
                }
            }
        }
        #expect(inCluster >= 25 && inCluster > 5 * elsewhere, "\(inCluster) cluster cases, \(elsewhere) others")
    }

    @Test("loaded into a store, the history gives the read model a rebuild gives, and later cases number on")
    func load() async throws {
        let (generator, _) = try Self.generator(.tiny)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        try await store.migrate()
        let feed = CaseHistoryFeed(generator)
        let count = try await store.importCaseHistory(audit: AuditRecord(actor: "test", action: "import.cases", target: ""), next: { feed.next() })
        #expect(count > 150)
        #expect(try await store.caseCount(CaseQuery()) == count)
        let scopes = ["r:330110000000", "d:urban-management"]
        let range = (CivilDay(iso: "2020-01-01")!, CivilDay(iso: "2030-01-01")!)
        let loaded = try await store.kpiCounters(scopes: scopes, from: range.0, to: range.1)
        let district = try await store.kpiCounters(scopes: ["r:330110000000"], from: range.0, to: range.1)
        #expect(district.reported == count && district.closed > 0 && district.evaluated > 0 && loaded.reported > count)
        _ = try await store.rebuildCaseKPIs()
        #expect(try await store.kpiCounters(scopes: scopes, from: range.0, to: range.1) == loaded)
        // Yesterday's serial counter continues where the history stopped.
        let lastDay = try #require(try await store.cases(CaseQuery()).first)
        let prefix = String(lastDay.number.dropLast(7))
        let (c, e) = CaseWorkflow(classes: CaseClassDictionary(), calendar: WorkingCalendar()).report(lastDay)
        let next = try await store.createCase(c, numberPrefix: prefix, event: e, idempotencyKey: nil, audit: AuditRecord(actor: "t", action: "case.report", target: ""))
        #expect(Int(next.case.number.suffix(6))! == Int(lastDay.number.suffix(6))! + 1)
        #expect(try await store.storedCase(number: next.case.number) != nil)
    }
}
