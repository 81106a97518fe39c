import Foundation
import GeoKit
import Governance
import Testing

/// What every store must do with cases: numbering, idempotent creation, optimistic versions,
/// atomic multi-case changes, timelines, filters, and the loop's dictionaries.
extension StoreBehaviour {
    /// Fresh, migrated stores that also hold cases.
    public typealias CaseFactory = @Sendable () async throws -> any TerritoryStore & CaseStore & ReadHealthStore

    public static let caseChecks: [(name: String, check: @Sendable (CaseFactory) async throws -> Void)] = [
        ("cases are numbered per district and day, and an idempotency key stores a case once", caseNumbering),
        ("a case change based on an old version is refused and writes nothing", caseVersions),
        ("case lists, map markers and breakdowns filter by status, class, territory, department, source, overdue and time", caseFilters),
        ("classes, calendar days, departments and routes round-trip", caseDictionaries),
        ("dictionary rows round-trip across the supported dates and whatever text a person may type", dictionaryRoundTrip),
    ] + moreCaseChecks

    static let grid = try! RegionCode("33011000100101")

    static func draft(_ reporter: String, at time: Date, grid: String = "33011000100101", classCode: String? = "E0102",
                      location: Coordinate = Coordinate(longitude: 120.30, latitude: 30.42)) -> Case {
        var c = Case(source: .patrol, classCode: classCode.map { try! CaseClassCode($0) }, urgency: .normal, description: "垃圾堆放", location: location,
                     gridCode: try! RegionCode(grid), reporter: reporter, reportedAt: time)
        c.reporterAccount = accountID(reporter)
        return c
    }

    /// A stable account id for a test reporter's name (reports belong to ids, not names).
    static func accountID(_ name: String) -> Int64 {
        Int64(name.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 } >> 1)
    }

    static func reported(_ c: Case) -> (Case, CaseEvent) {
        CaseWorkflow(classes: CaseClassDictionary(), calendar: WorkingCalendar()).report(c)
    }

    static func create(_ store: any CaseStore, _ c: Case, prefix: String = "330110-20261130", key: String? = nil) async throws -> (case: Case, created: Bool) {
        let (r, e) = reported(c)
        return try await store.createCase(r, numberPrefix: prefix, event: e, idempotencyKey: key, audit: AuditRecord(time: c.reportedAt, actor: c.reporter, action: "case.report", target: ""))
    }

    @Sendable static func caseNumbering(_ make: CaseFactory) async throws {
        let store = try await make()
        let at = Date(timeIntervalSince1970: 1_764_460_800)
        let a = try await create(store, draft("gw1", at: at))
        let b = try await create(store, draft("gw1", at: at), key: "k-1")
        let c = try await create(store, draft("gw2", at: at), prefix: "330110-20261201")
        #expect(a.case.number == "330110-20261130-000001")
        #expect(b.case.number == "330110-20261130-000002")
        #expect(c.case.number == "330110-20261201-000001")
        // The retried request with the same key: the first case, nothing new.
        let again = try await create(store, draft("gw1", at: at.addingTimeInterval(5)), key: "k-1")
        #expect(!again.created && again.case.number == b.case.number && again.case.id == b.case.id)
        // The same key from another reporter is another request.
        let other = try await create(store, draft("gw2", at: at), key: "k-1")
        #expect(other.created && other.case.number == "330110-20261130-000003")
        #expect(try await store.caseCount(CaseQuery()) == 4)
        let stored = try #require(try await store.storedCase(number: b.case.number))
        #expect(stored.id == b.case.id && stored.version == 1 && stored.status == .reported && stored.due[.register] != nil)
        let events = try await store.caseEvents(number: b.case.number)
        #expect(events.map(\.action) == [.report])
        // Each creation is on the audit trail with the case's number.
        let audit = try await store.auditEntries(matching: AuditQuery(actionPrefix: "case.report", limit: 10))
        #expect(Set(audit.map(\.record.target)).isSuperset(of: ["case:" + a.case.number, "case:" + b.case.number]))
    }

    @Sendable static func caseVersions(_ make: CaseFactory) async throws {
        let store = try await make()
        let workflow = CaseWorkflow(classes: CaseClassDictionary(), calendar: WorkingCalendar())
        let at = Date(timeIntervalSince1970: 1_764_460_800)
        let first = try await create(store, draft("gw1", at: at)).case
        let second = try await create(store, draft("gw1", at: at)).case
        let (registered, e1) = try workflow.apply(.register(classCode: nil, urgency: nil), to: first, actor: "d1", at: at.addingTimeInterval(60), note: nil)
        try await store.updateCases([CaseChange(previous: first, updated: registered, event: e1)], audit: [])
        // A second dispatcher working from version 1 is refused.
        let (rejected, e2) = try workflow.apply(.reject(reason: "重复"), to: first, actor: "d2", at: at.addingTimeInterval(61), note: nil)
        await #expect(throws: CaseVersionConflict.self) {
            try await store.updateCases([CaseChange(previous: first, updated: rejected, event: e2)], audit: [])
        }
        // A merge changes two cases at once; when one of them is stale, neither changes.
        let (merged, e3) = try workflow.apply(.merge(into: first.number), to: second, actor: "d1", at: at.addingTimeInterval(90), note: nil)
        let (absorbing, e4) = try workflow.apply(.absorb(duplicate: second.number), to: first, actor: "d1", at: at.addingTimeInterval(90), note: nil)
        await #expect(throws: CaseVersionConflict.self) {
            try await store.updateCases([CaseChange(previous: second, updated: merged, event: e3),
                                         CaseChange(previous: first, updated: absorbing, event: e4)], audit: [])
        }
        #expect(try await store.storedCase(number: second.number)?.status == .reported)
        #expect(try await store.caseEvents(number: second.number).count == 1)
        let (absorbing2, e5) = try workflow.apply(.absorb(duplicate: second.number), to: registered, actor: "d1", at: at.addingTimeInterval(90), note: nil)
        try await store.updateCases([CaseChange(previous: second, updated: merged, event: e3), CaseChange(previous: registered, updated: absorbing2, event: e5)],
                                    audit: [AuditRecord(actor: "d1", action: "case.merge", target: "case:" + second.number)])
        #expect(try await store.storedCase(number: second.number)?.status == .merged)
        #expect(try await store.storedCase(number: first.number)?.version == 3)
        #expect(try await store.caseEvents(number: first.number).map(\.action) == [.report, .register, .absorb])
        #expect(try await store.caseEvents(number: second.number).last?.details["into"] == first.number)
    }

    @Sendable static func caseFilters(_ make: CaseFactory) async throws {
        let store = try await make()
        let workflow = CaseWorkflow(classes: CaseClassDictionary(), calendar: WorkingCalendar())
        let at = Date(timeIntervalSince1970: 1_764_460_800)  // 2025-11-30 08:00 +08:00, a Sunday
        var made: [Case] = []
        for i in 0..<6 {
            var d = draft("gw\(i % 2)", at: at.addingTimeInterval(Double(i) * 3600), grid: i < 3 ? "33011000100101" : "33011000200101",
                          classCode: i % 3 == 0 ? "C0101" : "E0102")
            if i == 5 { d.source = .hotline }
            made.append(try await create(store, d).case)
        }
        // Case 0: registered and dispatched to urban management with fire rescue assisting.
        var c = made[0]
        var (next, event) = try workflow.apply(.register(classCode: nil, urgency: nil), to: c, actor: "d", at: at.addingTimeInterval(100), note: nil)
        try await store.updateCases([CaseChange(previous: c, updated: next, event: event)], audit: [])
        c = next
        (next, event) = try workflow.apply(.dispatch(department: "urban-management", assisting: ["fire-rescue"], assistingLimit: nil), to: c, actor: "d",
                                           at: at.addingTimeInterval(200), note: nil)
        try await store.updateCases([CaseChange(previous: c, updated: next, event: event)], audit: [])

        func numbers(_ configure: (inout CaseQuery) -> Void) async throws -> Set<String> {
            var q = CaseQuery()
            configure(&q)
            return Set(try await store.cases(q).map(\.number))
        }
        #expect(try await numbers { $0.statuses = [.dispatched] } == [made[0].number])
        #expect(try await numbers { $0.classPrefix = "C01" } == [made[0].number, made[3].number])
        #expect(try await numbers { $0.classPrefix = "E0102" }.count == 4)
        #expect(try await numbers { $0.territory = try! RegionCode("330110002") } == Set(made[3...].map(\.number)))
        #expect(try await numbers { $0.territory = try! RegionCode("33011000100101") } == Set(made[..<3].map(\.number)))
        #expect(try await numbers { $0.department = "fire-rescue" } == [made[0].number])
        #expect(try await numbers { $0.department = "urban-management" } == [made[0].number])
        #expect(try await numbers { $0.source = .hotline } == [made[5].number])
        #expect(try await numbers { $0.reporterAccount = accountID("gw1") } == Set([1, 3, 5].map { made[$0].number }))
        #expect(try await numbers { $0.from = at.addingTimeInterval(3600); $0.to = at.addingTimeInterval(3 * 3600) } == [made[1].number, made[2].number])
        // Reported on a Sunday: the register clocks run from Monday 08:30 (due 09:00); at 10:00 all are
        // overdue but the dispatched one, whose handling is due at 14:00.
        #expect(try await numbers { $0.overdueAt = at.addingTimeInterval(26 * 3600) }.count == 5)
        #expect(try await numbers { $0.overdueAt = at }.isEmpty)
        // Pages: newest first, then older than the cursor.
        var q = CaseQuery()
        q.limit = 4
        let page1 = try await store.cases(q)
        q.before = page1.last?.id
        let page2 = try await store.cases(q)
        #expect(page1.map(\.number) + page2.map(\.number) == made.reversed().map(\.number))
        #expect(try await store.caseCount(CaseQuery()) == 6)
        let near = try await store.openCases(classCode: try CaseClassCode("E0102"),
                                             within: BoundingBox(minLongitude: 120.29, minLatitude: 30.41, maxLongitude: 120.31, maxLatitude: 30.43),
                                             reportedSince: at.addingTimeInterval(2 * 3600))
        #expect(near.map(\.number) == [made[2].number, made[4].number, made[5].number])
        #expect(near.allSatisfy { $0.location == made[2].location })

        // Map markers and breakdowns follow the same filters.
        var open = CaseQuery()
        open.statuses = [.reported]
        let points = try await store.casePoints(open, within: BoundingBox(minLongitude: 120.29, minLatitude: 30.41, maxLongitude: 120.31, maxLatitude: 30.43))
        #expect(points.map(\.number) == made[1...].reversed().map(\.number))
        #expect(points.first?.classCode == "E0102" && points.first?.gridCode == "33011000200101" && points.first?.location == made[5].location)
        #expect(points.allSatisfy { $0.status == .reported && $0.runningDue != nil })
        #expect(try await store.casePoints(open, within: BoundingBox(minLongitude: 121, minLatitude: 31, maxLongitude: 121.1, maxLatitude: 31.1)).isEmpty)
        var limited = CaseQuery()
        limited.limit = 2
        #expect(try await store.casePoints(limited, within: nil).map(\.number) == [made[5].number, made[4].number])
        #expect(try await store.caseBreakdown(CaseQuery(), by: .classCode) == ["C0101": 2, "E0102": 4])
        var inGrid = CaseQuery()
        inGrid.territory = try RegionCode("33011000200101")
        #expect(try await store.caseBreakdown(inGrid, by: .source) == ["patrol": 2, "hotline": 1])
        // Tallies: one pass over several classes, grouped by month or region; case 0 is the only one past reporting.
        #expect(try await store.caseTally(CaseQuery(), classes: ["C01", "E0102"], by: .none) == ["": CaseTally(reported: 6, closed: 0)])
        #expect(try await store.caseTally(CaseQuery(), classes: ["C0101"], by: .regionPrefix(length: 12))
                == ["330110001001": CaseTally(reported: 1), "330110002001": CaseTally(reported: 1)])
        #expect(try await store.caseTally(inGrid, classes: [], by: .month) == ["2025-11": CaseTally(reported: 3)])
        var dispatched = CaseQuery()
        dispatched.statuses = [.dispatched]
        #expect(try await store.caseTally(dispatched, classes: ["E01"], by: .none).isEmpty)
    }

    @Sendable static func caseDictionaries(_ make: CaseFactory) async throws {
        let store = try await make()
        let audit = AuditRecord(actor: "admin", action: "test", target: "x")
        let cls = CaseClass(code: try CaseClassCode("E0799"), name: "高空抛物", limits: CaseClass.standardLimits(handle: .days(2), urgent: .hours(4)))
        try await store.saveCaseClass(cls, audit: audit)
        var changed = cls
        changed.active = false
        try await store.saveCaseClass(changed, audit: audit)
        #expect(try await store.storedCaseClasses() == [changed])
        let day = CalendarDay(day: CivilDay(iso: "2027-01-01")!, kind: .holiday, name: "元旦")
        try await store.saveCalendarDay(day, audit: audit)
        #expect(try await store.storedCalendarDays() == [day])
        let dept = Department(code: "street-001", name: "临平街道办事处", territory: try RegionCode("330110001"))
        try await store.saveDepartment(dept, audit: audit)
        try await store.saveDepartment(Department(code: "fire-rescue", name: "区消防救援大队"), audit: audit)
        #expect(try await store.departments().map(\.code) == ["fire-rescue", "street-001"])
        #expect(try await store.departments().last == dept)
        let routes = [DispatchRoute(classPattern: "*", territory: try RegionCode("330110"), department: "fire-rescue"),
                      DispatchRoute(classPattern: "E0701", territory: try RegionCode("330110001"), department: "street-001")]
        try await store.saveDispatchRoutes(routes, audit: audit)
        try await store.saveDispatchRoutes(routes, audit: audit)
        #expect(Set(try await store.dispatchRoutes()) == Set(routes))
        #expect(try await store.auditEntries(matching: AuditQuery(actionPrefix: "test", limit: 100)).count == 7)
    }
}
