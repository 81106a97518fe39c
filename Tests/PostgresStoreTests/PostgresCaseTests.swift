import Foundation
import GeoKit
import Governance
import PostgresStore
import StoreTestSupport
import Testing

/// The shared case behaviour (the SQLite store runs the same checks through ``StoreBehaviour/all``)
/// against a real server, each check in a fresh schema; and what only several processes on one
/// database can show.
@Suite("PostgresStore: cases")
struct PostgresCaseTests {
    @Test("shared store behaviour: cases", arguments: StoreBehaviour.caseChecks.map(\.name))
    func sharedCases(_ name: String) async throws {
        let check = StoreBehaviour.caseChecks.first { $0.name == name }!.check
        try await check { try await TestServer.freshStore() }
    }

    static let workflow = CaseWorkflow(classes: CaseClassDictionary(), calendar: WorkingCalendar())
    static let at = Date(timeIntervalSince1970: 1_764_550_800)

    static func report(_ store: PostgresStore, reporter: String, key: String? = nil) async throws -> (case: Case, created: Bool) {
        let draft = Case(source: .patrol, classCode: try CaseClassCode("E0102"), urgency: .normal, description: "垃圾", location: Coordinate(longitude: 120.3, latitude: 30.42),
                         gridCode: try RegionCode("33011000100101"), reporter: reporter, reportedAt: at)
        let (c, e) = workflow.report(draft)
        return try await store.createCase(c, numberPrefix: "330110-20251201", event: e, idempotencyKey: key,
                                          audit: AuditRecord(time: at, actor: reporter, action: "case.report", target: ""))
    }

    @Test("two instances (two pools on one schema) number a day's cases without gaps or repeats, store an idempotency key once, and let one change win per version")
    func twoInstances() async throws {
        let first = try await TestServer.freshStore()
        let base = try TestServer.url()
        let second = try PostgresStore(url: base + (base.contains("?") ? "&" : "?") + "schema=" + (try #require(first.schema)))
        try await second.migrate()
        let instances = [first, second]
        let numbers = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<24 { group.addTask { try await Self.report(instances[i % 2], reporter: "gw\(i)").case.number } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(numbers.sorted() == (1...24).map { "330110-20251201-" + String(format: "%06d", $0) })
        let retries = try await withThrowingTaskGroup(of: (case: Case, created: Bool).self) { group in
            for i in 0..<8 { group.addTask { try await Self.report(instances[i % 2], reporter: "hotline", key: "ticket-77") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(retries.filter(\.created).count == 1 && Set(retries.map(\.case.number)) == ["330110-20251201-000025"])
        let c = retries[0].case
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    let (next, event) = try Self.workflow.apply(.register(classCode: nil, urgency: nil), to: c, actor: "d\(i)", at: Self.at.addingTimeInterval(60), note: nil)
                    do {
                        try await instances[i % 2].updateCases([CaseChange(previous: c, updated: next, event: event)], audit: [])
                        return true
                    } catch is CaseVersionConflict {
                        return false
                    }
                }
            }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(winners == 1)
        #expect(try await second.caseEvents(number: c.number).map(\.action) == [.report, .register])
        #expect(try await first.kpiCounters(scopes: ["r:330110000000"], from: CivilDay(Self.at), to: CivilDay(Self.at).adding(days: 1)).decided == 1)
        await second.shutdown()
    }

    @Test("a step whose note holds the character NUL is refused as a request, and writes nothing")
    func nulInNote() async throws {
        let store = try await TestServer.freshStore()
        let c = try await Self.report(store, reporter: "gw1").case
        let (next, event) = try Self.workflow.apply(.register(classCode: nil, urgency: nil), to: c, actor: "d", at: Self.at.addingTimeInterval(60), note: "a\u{0}b")
        await #expect(throws: CaseRefused.self) {
            try await store.updateCases([CaseChange(previous: c, updated: next, event: event)], audit: [])
        }
        #expect(try await store.storedCase(number: c.number) == c)
        #expect(try await store.caseEvents(number: c.number).count == 1)
    }
}
