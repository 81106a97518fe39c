import Foundation
import GeoKit
import Governance
import Synchronization
import Testing

/// What every store must do with cases beyond numbering, versions, filters and dictionaries: the KPI
/// read model (incremental, rebuilt, not yet due), supervision's queue, tallies, boxes, the look-ups
/// of erasure and attachments, history imports, key rotation, and concurrent writers.
extension StoreBehaviour {
    static let moreCaseChecks: [(name: String, check: @Sendable (CaseFactory) async throws -> Void)] = [
        ("the KPI read model follows every change, and a rebuild recounts it from the cases", caseKPIs),
        ("open cases whose deadlines are still ahead are counted as not yet due, per scope and window", caseKPIsNotYetDue),
        ("supervision finds the cases whose next alert has come, earliest first", caseSupervisionQueue),
        ("tallies group by local month and by region prefix, counting closed cases", caseTallies),
        ("duplicate candidates and map markers lie inside the box, edges included", caseBoxes),
        ("cases are found by sealed contact and by attachment", caseLookups),
        ("a case history import stores cases and timelines exactly, all or nothing, with the read model and numbers following", caseHistoryImport),
        ("sealed contacts are rewritten all or nothing", caseContactRewrite),
        ("reports with one idempotency key from several tasks at once store one case", caseConcurrentCreation),
        ("concurrent changes of one case: exactly one wins per version", caseConcurrentUpdates),
    ]

    /// 2025-12-01 09:00 +08:00, a Monday (a working day).
    static let monday = Date(timeIntervalSince1970: 1_764_550_800)
    static let workflow = CaseWorkflow(classes: CaseClassDictionary(), calendar: WorkingCalendar())
    static let westGrid = "33011000100101"
    static let eastGrid = "33011000200101"

    /// Applies the step and stores it; returns the case as stored.
    @discardableResult
    static func advance(_ store: any CaseStore, _ c: Case, _ command: CaseCommand, at time: Date, note: String? = "办理", attachments: [String] = []) async throws -> Case {
        let (next, event) = try workflow.apply(command, to: c, actor: "tester", at: time, note: note, attachments: attachments)
        try await store.updateCases([CaseChange(previous: c, updated: next, event: event)], audit: [])
        return next
    }

    static func minutes(_ n: Double, after t: Date) -> Date { t.addingTimeInterval(n * 60) }

    /// Register, dispatch, accept, feedback, passed inspection (and a rating).
    static func close(_ store: any CaseStore, _ c: Case, department: String = "urban-management", from t: Date, rating: Int? = nil) async throws -> Case {
        var c = try await advance(store, c, .register(classCode: nil, urgency: nil), at: minutes(5, after: t))
        c = try await advance(store, c, .dispatch(department: department, assisting: [], assistingLimit: nil), at: minutes(10, after: t))
        c = try await advance(store, c, .accept, at: minutes(15, after: t))
        c = try await advance(store, c, .reportHandled, at: minutes(60, after: t))
        c = try await advance(store, c, .inspect(passed: true), at: minutes(70, after: t))
        if let rating { c = try await advance(store, c, .evaluate(satisfaction: rating), at: minutes(90, after: t)) }
        return c
    }

    /// The read model's counters as the cases' own contributions add up, summed over the scopes:
    /// what the store must hold.
    static func expectedKPIs(_ cases: [Case], scopes: [String], from: CivilDay, to: CivilDay) -> KPICounters {
        var k = KPICounters()
        for scope in scopes {
            for c in cases where CaseKPI.scopes(of: c).contains(scope) {
                for (day, contribution) in CaseKPI.contributions(of: c) where day >= from && day < to { k += contribution }
            }
        }
        return k
    }

    @Sendable static func caseKPIs(_ make: CaseFactory) async throws {
        let store = try await make()
        let t = monday
        let day = CivilDay(t), wide = (CivilDay(iso: "2025-01-01")!, CivilDay(iso: "2027-01-01")!)
        let district = CaseKPI.regionScope(try RegionCode("330110")), west = CaseKPI.regionScope(try RegionCode(westGrid)),
            east = CaseKPI.regionScope(try RegionCode(eastGrid)), street = CaseKPI.regionScope(try RegionCode("330110001"))
        let a = try await create(store, draft("gw1", at: t)).case
        var b = try await create(store, draft("gw1", at: minutes(1, after: t))).case
        b = try await advance(store, b, .reject(reason: "无效"), at: minutes(3, after: t))
        let c = try await close(store, try await create(store, draft("gw1", at: minutes(2, after: t))).case, from: minutes(2, after: t), rating: 5)
        // Dispatched to the wrong department, returned, dispatched again; reworked once before closing.
        var d = try await create(store, draft("gw2", at: minutes(3, after: t))).case
        d = try await advance(store, d, .register(classCode: nil, urgency: nil), at: minutes(5, after: t))
        d = try await advance(store, d, .dispatch(department: "market-supervision", assisting: [], assistingLimit: nil), at: minutes(6, after: t))
        d = try await advance(store, d, .return(reason: "非本部门"), at: minutes(8, after: t))
        d = try await advance(store, d, .dispatch(department: "urban-management", assisting: [], assistingLimit: nil), at: minutes(9, after: t))
        d = try await advance(store, d, .accept, at: minutes(10, after: t))
        d = try await advance(store, d, .reportHandled, at: minutes(30, after: t))
        d = try await advance(store, d, .inspect(passed: false), at: minutes(40, after: t), note: "未清理干净")
        d = try await advance(store, d, .reportHandled, at: minutes(50, after: t))
        d = try await advance(store, d, .inspect(passed: true), at: minutes(55, after: t))
        // Extended in the east grid.
        var e = try await create(store, draft("gw2", at: minutes(4, after: t), grid: eastGrid)).case
        e = try await advance(store, e, .register(classCode: nil, urgency: nil), at: minutes(5, after: t))
        e = try await advance(store, e, .dispatch(department: "urban-management", assisting: [], assistingLimit: nil), at: minutes(6, after: t))
        e = try await advance(store, e, .accept, at: minutes(7, after: t))
        e = try await advance(store, e, .requestExtension(limit: .days(2), reason: "需要协调"), at: minutes(20, after: t))
        e = try await advance(store, e, .decideExtension(approved: true), at: minutes(25, after: t))
        let all = [a, b, c, d, e]

        let total = try await store.kpiCounters(scopes: [district], from: wide.0, to: wide.1)
        #expect(total.reported == 5 && total.decided == 4 && total.dispatched == 3 && total.dispatchedAccurate == 2)
        #expect(total.handleDue == 3 && total.closeDue == 3 && total.closed == 2 && total.reworked == 1 && total.extended == 1)
        #expect(total.handled == 2 && total.evaluated == 1 && total.satisfied == 1 && total.satisfactionSum == 5)
        #expect(total == expectedKPIs(all, scopes: [district], from: wide.0, to: wide.1))
        // The return took the case's contribution away from the first department.
        #expect(try await store.kpiCounters(scopes: ["d:market-supervision"], from: wide.0, to: wide.1).isZero)
        let checks: [([String], CivilDay, CivilDay)] = [
            ([west], wide.0, wide.1), ([east], wide.0, wide.1), ([street], wide.0, wide.1), ([west, east], wide.0, wide.1),
            (["d:urban-management"], wide.0, wide.1), ([district], day, day.adding(days: 1)), ([district], day.adding(days: 1), wide.1),
            ([district], wide.0, day), ([], wide.0, wide.1),
        ]
        for (scopes, from, to) in checks {
            #expect(try await store.kpiCounters(scopes: scopes, from: from, to: to) == expectedKPIs(all, scopes: scopes, from: from, to: to), "\(scopes) \(from)..<\(to)")
        }
        #expect(try await store.kpiCounters(scopes: [west, east], from: wide.0, to: wide.1) == total)
        #expect(try await store.kpiCounters(scopes: [district], from: day, to: day.adding(days: 1)).reported == 5)

        // A change whose `previous` misstates the stored case (reported 40 days earlier) moves the read
        // model by exactly what it states; the rebuild recounts from the cases as stored.
        let f = try await create(store, draft("gw1", at: minutes(30, after: t))).case
        var misstated = f
        misstated.reportedAt = t.addingTimeInterval(-40 * 86_400)
        let (registered, event) = try workflow.apply(.register(classCode: nil, urgency: nil), to: f, actor: "tester", at: minutes(35, after: t), note: nil)
        try await store.updateCases([CaseChange(previous: misstated, updated: registered, event: event)], audit: [])
        #expect(try await store.kpiCounters(scopes: [district], from: day, to: day.adding(days: 1)).reported == 7)
        #expect(try await store.kpiCounters(scopes: [district], from: CivilDay(misstated.reportedAt), to: day).reported == -1)
        #expect(try await store.rebuildCaseKPIs() == 6)
        let cases = all + [registered]
        #expect(try await store.kpiCounters(scopes: [district], from: day, to: day.adding(days: 1)).reported == 6)
        #expect(try await store.kpiCounters(scopes: [district], from: CivilDay(misstated.reportedAt), to: day).isZero)
        for (scopes, from, to) in checks {
            #expect(try await store.kpiCounters(scopes: scopes, from: from, to: to) == expectedKPIs(cases, scopes: scopes, from: from, to: to), "\(scopes) \(from)..<\(to)")
        }
        // Rebuilding again changes nothing.
        let rebuilt = try await store.kpiCounters(scopes: [district, "d:urban-management"], from: wide.0, to: wide.1)
        #expect(try await store.rebuildCaseKPIs() == 6)
        #expect(try await store.kpiCounters(scopes: [district, "d:urban-management"], from: wide.0, to: wide.1) == rebuilt)
    }

    /// What ``CaseStore/kpiNotYetDue(_:from:to:now:)`` must find, from the cases themselves.
    static func expectedNotYetDue(_ cases: [Case], _ include: (Case) -> Bool, from: Date, to: Date, now: Date) -> KPICounters {
        var k = KPICounters()
        guard to > now else { return k }
        let start = max(from, now)
        for c in cases where include(c) {
            if let due = c.due[.handle], due > start, due < to, [.dispatched, .handling, .suspended].contains(c.status) { k.handleDue += 1 }
            if let due = c.closeDueAt, due > start, due < to, ![.closed, .evaluated, .rejected, .merged].contains(c.status) {
                k.closeDue += 1
                if c.reworks > 0 { k.reworked += 1 }
                if c.extensions > 0 { k.extended += 1 }
            }
        }
        return k
    }

    @Sendable static func caseKPIsNotYetDue(_ make: CaseFactory) async throws {
        let store = try await make()
        let t = monday
        func dispatched(_ reporter: String, grid: String = westGrid, department: String = "urban-management") async throws -> Case {
            var c = try await create(store, draft(reporter, at: t, grid: grid)).case
            c = try await advance(store, c, .register(classCode: nil, urgency: nil), at: minutes(5, after: t))
            return try await advance(store, c, .dispatch(department: department, assisting: [], assistingLimit: nil), at: minutes(10, after: t))
        }
        let p = try await dispatched("p")
        var q = try await advance(store, try await dispatched("q"), .accept, at: minutes(15, after: t))
        q = try await advance(store, q, .requestExtension(limit: .days(2), reason: "需要协调"), at: minutes(20, after: t))
        q = try await advance(store, q, .decideExtension(approved: true), at: minutes(25, after: t))
        var r = try await advance(store, try await dispatched("r"), .accept, at: minutes(15, after: t))
        r = try await advance(store, r, .reportHandled, at: minutes(30, after: t))
        r = try await advance(store, r, .inspect(passed: false), at: minutes(40, after: t), note: "返工")
        var s = try await advance(store, try await dispatched("s"), .accept, at: minutes(15, after: t))
        s = try await advance(store, s, .reportHandled, at: minutes(30, after: t))
        var u = try await advance(store, try await dispatched("u"), .accept, at: minutes(15, after: t))
        u = try await advance(store, u, .reportHandled, at: minutes(30, after: t))
        u = try await advance(store, u, .inspect(passed: true), at: minutes(40, after: t))
        let v = try await dispatched("v", grid: eastGrid, department: "market-supervision")
        let reported = try await create(store, draft("w", at: t)).case
        let all = [p, q, r, s, u, v, reported]
        #expect(q.extensions == 1 && r.reworks == 1 && s.status == .handled && u.status == .closed)

        let now = minutes(45, after: t)
        let month = (CivilDay(t).start, CivilDay(t).adding(days: 30).start)
        // West: p, q and r are still to be handled; s also to be closed; u is closed.
        var k = try await store.kpiNotYetDue(.region(try RegionCode(westGrid)), from: month.0, to: month.1, now: now)
        #expect(k.handleDue == 3 && k.closeDue == 4 && k.reworked == 1 && k.extended == 1)
        #expect(k.reported == 0 && k.closed == 0)
        k = try await store.kpiNotYetDue(.region(try RegionCode("330110")), from: month.0, to: month.1, now: now)
        #expect(k.handleDue == 4 && k.closeDue == 5)
        #expect(try await store.kpiNotYetDue(.department("market-supervision"), from: month.0, to: month.1, now: now)
                == expectedNotYetDue(all, { $0.department == "market-supervision" }, from: month.0, to: month.1, now: now))
        #expect(try await store.kpiNotYetDue(.department("market-supervision"), from: month.0, to: month.1, now: now).handleDue == 1)
        #expect(try await store.kpiNotYetDue(.grids([]), from: month.0, to: month.1, now: now).isZero)
        #expect(try await store.kpiNotYetDue(.region(try RegionCode(westGrid)), from: month.0, to: now, now: now).isZero)
        // Every window and scope as the cases say.
        let grid = try RegionCode(westGrid), east = try RegionCode(eastGrid)
        let scopes: [(KPIScope, (Case) -> Bool)] = [
            (.region(grid), { $0.gridCode == grid }), (.region(try RegionCode("330110002")), { $0.gridCode == east }),
            (.department("urban-management"), { $0.department == "urban-management" }), (.grids([grid, east]), { _ in true }),
        ]
        let ends = [p.due[.handle]!, p.closeDueAt!, q.due[.handle]!, q.closeDueAt!, s.closeDueAt!]
        let windows: [(Date, Date, Date)] = [
            (month.0, month.1, now), (month.0, CivilDay(t).adding(days: 1).start, now), (month.0, month.1, ends[0]), (month.0, month.1, ends[3].addingTimeInterval(1)),
            (ends[1], month.1, now), (month.0, ends[2], now), (CivilDay(t).adding(days: 10).start, month.1, now),
        ]
        for (scope, include) in scopes {
            for (from, to, at) in windows {
                #expect(try await store.kpiNotYetDue(scope, from: from, to: to, now: at) == expectedNotYetDue(all, include, from: from, to: to, now: at),
                        "\(scope) \(from)..<\(to) at \(at)")
            }
        }
        #expect(try await store.kpiNotYetDue(.region(grid), from: month.0, to: month.1, now: month.1).isZero)
    }

    @Sendable static func caseSupervisionQueue(_ make: CaseFactory) async throws {
        let store = try await make()
        let t = monday
        let c1 = try await create(store, draft("gw1", at: t)).case
        let c2 = try await create(store, draft("gw1", at: minutes(5, after: t))).case
        let c3 = try await create(store, draft("gw1", at: minutes(10, after: t))).case
        _ = try await advance(store, try await create(store, draft("gw1", at: t)).case, .reject(reason: "无效"), at: minutes(1, after: t))
        let marks = [c1, c2, c3].map { $0.nextAlertAt! }
        #expect(marks == marks.sorted() && marks[0] > t)
        #expect(try await store.casesNeedingSupervision(at: marks[0].addingTimeInterval(-1), limit: 10).isEmpty)
        #expect(try await store.casesNeedingSupervision(at: marks[1], limit: 10) == [c1, c2])
        #expect(try await store.casesNeedingSupervision(at: marks[1], limit: 1) == [c1])
        // The yellow warning moves the first case's next look to its deadline.
        let (warned, event) = try #require(workflow.supervise(c1, at: marks[0]))
        try await store.updateCases([CaseChange(previous: c1, updated: warned, event: event)], audit: [])
        #expect(warned.nextAlertAt! > marks[1])
        #expect(try await store.casesNeedingSupervision(at: marks[1], limit: 10) == [c2])
        let later = [warned, c2, c3].sorted { $0.nextAlertAt! < $1.nextAlertAt! }
        #expect(try await store.casesNeedingSupervision(at: t.addingTimeInterval(86_400), limit: 10) == later)
    }

    @Sendable static func caseTallies(_ make: CaseFactory) async throws {
        let store = try await make()
        // 23:30 local on 30 November, and 07:00 local on 1 December (still November in UTC).
        let lateNovember = Date(timeIntervalSince1970: 1_764_516_600), earlyDecember = Date(timeIntervalSince1970: 1_764_543_600)
        let midDecember = Date(timeIntervalSince1970: 1_765_764_000), january = Date(timeIntervalSince1970: 1_767_578_400)
        _ = try await create(store, draft("gw1", at: lateNovember))
        _ = try await create(store, draft("gw1", at: earlyDecember, grid: eastGrid))
        _ = try await close(store, try await create(store, draft("gw1", at: midDecember, classCode: "C0101")).case, from: midDecember)
        _ = try await close(store, try await create(store, draft("gw1", at: january, grid: eastGrid, classCode: "E0104")).case, from: january, rating: 4)
        #expect(try await store.caseTally(CaseQuery(), classes: [], by: .month)
                == ["2025-11": CaseTally(reported: 1), "2025-12": CaseTally(reported: 2, closed: 1), "2026-01": CaseTally(reported: 1, closed: 1)])
        #expect(try await store.caseTally(CaseQuery(), classes: ["E01"], by: .month)
                == ["2025-11": CaseTally(reported: 1), "2025-12": CaseTally(reported: 1), "2026-01": CaseTally(reported: 1, closed: 1)])
        #expect(try await store.caseTally(CaseQuery(), classes: ["E0102", "C0101"], by: .regionPrefix(length: 9))
                == ["330110001": CaseTally(reported: 2, closed: 1), "330110002": CaseTally(reported: 1)])
        #expect(try await store.caseTally(CaseQuery(), classes: [], by: .regionPrefix(length: 14))
                == [westGrid: CaseTally(reported: 2, closed: 1), eastGrid: CaseTally(reported: 2, closed: 1)])
        var finished = CaseQuery()
        finished.statuses = [.closed, .evaluated]
        #expect(try await store.caseTally(finished, classes: [], by: .none) == ["": CaseTally(reported: 2, closed: 2)])
        var east = CaseQuery()
        east.territory = try RegionCode("330110002")
        east.from = earlyDecember
        #expect(try await store.caseTally(east, classes: [], by: .month) == ["2025-12": CaseTally(reported: 1), "2026-01": CaseTally(reported: 1, closed: 1)])
        #expect(try await store.caseTally(east, classes: ["C01"], by: .month).isEmpty)
    }

    @Sendable static func caseBoxes(_ make: CaseFactory) async throws {
        let store = try await make()
        let box = BoundingBox(minLongitude: 120.2, minLatitude: 30.4, maxLongitude: 120.3, maxLatitude: 30.5)
        let inside = Coordinate(longitude: 120.25, latitude: 30.45), corner = Coordinate(longitude: 120.3, latitude: 30.4)
        // A hair beyond the edge: outside, whatever precision a spatial index keeps its boxes in.
        let beyond = Coordinate(longitude: 120.3.nextUp.nextUp, latitude: 30.45), far = Coordinate(longitude: 121, latitude: 31)
        let since = monday
        func report(_ at: Date, _ location: Coordinate, classCode: String = "E0102") async throws -> Case {
            try await create(store, draft("gw1", at: at, classCode: classCode, location: location)).case
        }
        let early = try await report(since.addingTimeInterval(-60), inside)
        let o1 = try await report(minutes(1, after: since), inside)
        let o2 = try await advance(store, try await report(minutes(2, after: since), corner), .register(classCode: nil, urgency: nil), at: minutes(3, after: since))
        let outside = try await report(minutes(3, after: since), beyond)
        let otherClass = try await report(minutes(4, after: since), inside, classCode: "C0101")
        let rejected = try await advance(store, try await report(minutes(5, after: since), inside), .reject(reason: "无效"), at: minutes(6, after: since))
        let merged = try await advance(store, try await report(minutes(6, after: since), inside), .merge(into: o1.number), at: minutes(7, after: since))
        var suspended = try await advance(store, try await report(minutes(7, after: since), corner), .register(classCode: nil, urgency: nil), at: minutes(8, after: since))
        suspended = try await advance(store, suspended, .suspend(reason: "等待"), at: minutes(9, after: since))
        let distant = try await report(minutes(8, after: since), far)

        let near = try await store.openCases(classCode: try CaseClassCode("E0102"), within: box, reportedSince: since)
        #expect(near.map(\.number) == [o1.number, o2.number, suspended.number])
        #expect(near.map(\.location) == [inside, corner, corner])
        #expect(try await store.openCases(classCode: try CaseClassCode("E0102"), within: box, reportedSince: since.addingTimeInterval(-3600)).map(\.number)
                == [early.number, o1.number, o2.number, suspended.number])
        #expect(try await store.openCases(classCode: try CaseClassCode("E0102"), within: BoundingBox(minLongitude: 120.3.nextUp, minLatitude: 30.4, maxLongitude: 120.4, maxLatitude: 30.5),
                                          reportedSince: since).map(\.number) == [outside.number])

        let inBox = [early, o1, o2, otherClass, rejected, merged, suspended]
        let points = try await store.casePoints(CaseQuery(), within: box)
        #expect(points.map(\.number) == inBox.reversed().map(\.number))
        let byNumber = Dictionary(uniqueKeysWithValues: points.map { ($0.number, $0) })
        #expect(byNumber[rejected.number]?.status == .rejected && byNumber[rejected.number]?.runningDue == nil)
        #expect(byNumber[o2.number] == CasePoint(number: o2.number, status: .registered, classCode: "E0102", gridCode: westGrid, location: corner, runningDue: o2.runningDue))
        #expect(byNumber[otherClass.number]?.classCode == "C0101")
        var limited = CaseQuery()
        limited.limit = 2
        #expect(try await store.casePoints(limited, within: box).map(\.number) == [suspended.number, merged.number])
        var components = CaseQuery()
        components.classPrefix = "C01"
        #expect(try await store.casePoints(components, within: box).map(\.number) == [otherClass.number])
        #expect(try await store.casePoints(CaseQuery(), within: nil).count == 9)
        #expect(try await store.casePoints(CaseQuery(), within: BoundingBox(minLongitude: 120.99, minLatitude: 30.99, maxLongitude: 121, maxLatitude: 31)).map(\.number)
                == [distant.number])
    }

    @Sendable static func caseLookups(_ make: CaseFactory) async throws {
        let store = try await make()
        let t = monday
        func report(_ contact: String?, attachments: [String], at time: Date) async throws -> Case {
            var d = draft("gw1", at: time)
            d.reporterContact = contact
            let (c, first) = reported(d)
            var e = first
            e.attachments = attachments
            return try await store.createCase(c, numberPrefix: "330110-20251201", event: e, idempotencyKey: nil,
                                              audit: AuditRecord(time: time, actor: "gw1", action: "case.report", target: "")).case
        }
        var w1 = try await report("enc:1:aaa", attachments: ["h-photo-1"], at: t)
        var w2 = try await report("enc:1:aaa", attachments: [], at: minutes(1, after: t))
        let w3 = try await report("enc:1:bbb", attachments: [], at: minutes(2, after: t))
        _ = try await report(nil, attachments: ["h-photo-3"], at: minutes(3, after: t))
        w2 = try await advance(store, w2, .register(classCode: nil, urgency: nil), at: minutes(5, after: t), attachments: ["h-photo-1", "h-photo-2"])
        // The same photo again in a later step of the same case: the case is found once.
        w1 = try await advance(store, w1, .register(classCode: nil, urgency: nil), at: minutes(6, after: t), attachments: ["h-photo-1"])
        #expect(try await store.cases(withContact: "enc:1:aaa") == [w1, w2])
        #expect(try await store.cases(withContact: "enc:1:bbb") == [w3])
        #expect(try await store.cases(withContact: "enc:1:ccc").isEmpty)
        #expect(try await store.cases(withAttachment: "h-photo-1") == [w1, w2])
        #expect(try await store.cases(withAttachment: "h-photo-2") == [w2])
        #expect(try await store.cases(withAttachment: "h-photo-9").isEmpty)
        #expect(try await store.caseEvents(number: w2.number).last?.attachments == ["h-photo-1", "h-photo-2"])
        // After an erasure the phone is gone from the case and from the look-up.
        let (redacted, event) = workflow.redacted(w1, at: minutes(10, after: t), reason: "PIPL erasure")
        try await store.updateCases([CaseChange(previous: w1, updated: redacted, event: event)], audit: [])
        #expect(try await store.cases(withContact: "enc:1:aaa") == [w2])
        #expect(try await store.storedCase(number: w1.number)?.reporterContact == nil)
    }

    /// Hands out prepared chunks, then nil; throws at `failAt` when given.
    final class ChunkFeed: Sendable {
        private let chunks: Mutex<[[(Case, [CaseEvent])]]>
        private let failAt: Int?
        private let served = Atomic<Int>(0)

        struct Broken: Error {}

        init(_ chunks: [[(Case, [CaseEvent])]], failAt: Int? = nil) {
            self.chunks = Mutex(chunks)
            self.failAt = failAt
        }

        func next() throws -> [(Case, [CaseEvent])]? {
            let n = served.wrappingAdd(1, ordering: .relaxed).oldValue
            if n == failAt { throw Broken() }
            return chunks.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        }
    }

    /// A case taken through the steps without a store, as another system's history.
    static func history(_ number: String, at time: Date, grid: String = westGrid, steps: [(CaseCommand, String?, [String])]) throws -> (Case, [CaseEvent]) {
        var d = draft("import", at: time, grid: grid)
        d.number = number
        var (c, first) = reported(d)
        first.attachments = ["h-import-\(number)"]
        var events = [first]
        var at = time
        for (command, note, attachments) in steps {
            at = at.addingTimeInterval(600.5)
            let (next, event) = try workflow.apply(command, to: c, actor: "importer", at: at, note: note, attachments: attachments)
            c = next
            events.append(event)
        }
        return (c, events)
    }

    @Sendable static func caseHistoryImport(_ make: CaseFactory) async throws {
        // 2025-01-01 09:00:00.125 +08:00: milliseconds, and a binary fraction, so that the times the
        // workflow derives from it are exact too.
        let t = Date(timeIntervalSince1970: 1_735_693_200.125)
        let register: (CaseCommand, String?, [String]) = (.register(classCode: nil, urgency: nil), nil, [])
        let dispatch: (CaseCommand, String?, [String]) = (.dispatch(department: "urban-management", assisting: ["fire-rescue"], assistingLimit: nil), nil, [])
        var odd = try history("330110-20250101-000007", at: t, steps: [register, dispatch, (.accept, "签收\t后\n处理 \\N", []),
                                                                        (.completeTask(department: "fire-rescue"), "协办", ["h-task"])])
        odd.0.description = "路边\t垃圾\\堆放\n多日 \\N"
        odd.0.reporterContact = "enc:1:imp"
        odd.0.trackingHash = "th-import-1"
        odd.0.addressText = "迎宾路 \"东\" 侧"
        let rejected = try history("330110-20250101-000003", at: t.addingTimeInterval(60), steps: [(.reject(reason: "重复\t\"上报\"\\N"), nil, [])])
        let closed = try history("330110-20250102-000001", at: t.addingTimeInterval(86_400), grid: eastGrid,
                                 steps: [register, (.dispatch(department: "urban-management", assisting: [], assistingLimit: nil), nil, []), (.accept, nil, []),
                                         (.reportHandled, "已清运", ["h-done-1", "h-done-2"]), (.inspect(passed: true), nil, []), (.evaluate(satisfaction: 4), "满意", [])])
        let open = try history("330110-20250102-000002", at: t.addingTimeInterval(86_460), steps: [])
        let registered = try history("330110-20250103-000001", at: t.addingTimeInterval(2 * 86_400), steps: [register])
        let chunks = [[odd, rejected], [], [closed, open, registered]]
        let all = chunks.flatMap { $0 }
        let audit = AuditRecord(time: t, actor: "importer", action: "import.cases", target: "")

        // A feed that breaks half-way writes nothing.
        let failing = try await make()
        await #expect(throws: ChunkFeed.Broken.self) {
            _ = try await failing.importCaseHistory(audit: audit, next: { [feed = ChunkFeed(chunks, failAt: 2)] in try feed.next() })
        }
        #expect(try await failing.caseCount(CaseQuery()) == 0)
        #expect(try await failing.kpiCounters(scopes: [CaseKPI.regionScope(try RegionCode("330110"))], from: CivilDay(iso: "2024-01-01")!, to: CivilDay(iso: "2027-01-01")!).isZero)
        #expect(try await failing.auditEntries(matching: AuditQuery(actionPrefix: "import.cases", limit: 10)).isEmpty)
        #expect(try await create(failing, draft("gw1", at: t), prefix: "330110-20250101").case.number == "330110-20250101-000001")

        let store = try await make()
        let live = try await create(store, draft("gw1", at: t), prefix: "330110-20250104").case
        let feed = ChunkFeed(chunks)
        #expect(try await store.importCaseHistory(audit: audit, next: { try feed.next() }) == 5)
        var ids: [Int64] = []
        for (original, events) in all {
            let stored = try #require(try await store.storedCase(number: original.number))
            var expected = original
            expected.id = stored.id
            #expect(stored == expected)
            #expect(try await store.caseEvents(number: original.number) == events)
            ids.append(try #require(stored.id))
        }
        #expect(ids == ids.sorted() && Set(ids).count == 5 && !ids.contains(live.id!))
        #expect(try await store.caseCount(CaseQuery()) == 6)
        #expect(try await store.cases(CaseQuery()).map(\.number) == all.reversed().map(\.0.number) + [live.number])
        #expect(try await store.storedCase(trackingHash: "th-import-1")?.number == odd.0.number)
        #expect(try await store.cases(withContact: "enc:1:imp").map(\.number) == [odd.0.number])
        #expect(try await store.cases(withAttachment: "h-done-2").map(\.number) == [closed.0.number])
        #expect(try await store.cases(withAttachment: "h-import-\(open.0.number)").map(\.number) == [open.0.number])
        var assisted = CaseQuery()
        assisted.department = "fire-rescue"
        #expect(try await store.cases(assisted).map(\.number) == [odd.0.number])
        // The position is indexed as imported.
        let box = BoundingBox(minLongitude: 120.29, minLatitude: 30.41, maxLongitude: 120.31, maxLatitude: 30.43)
        #expect(try await store.openCases(classCode: try CaseClassCode("E0102"), within: box, reportedSince: t.addingTimeInterval(86_000)).map(\.number)
                == [open.0.number, registered.0.number])
        // The read model follows, and agrees with a rebuild.
        let scopes = [CaseKPI.regionScope(try RegionCode("330110")), "d:urban-management"]
        let years = (CivilDay(iso: "2024-01-01")!, CivilDay(iso: "2027-01-01")!)
        let counted = try await store.kpiCounters(scopes: scopes, from: years.0, to: years.1)
        #expect(counted == expectedKPIs(all.map(\.0) + [live], scopes: scopes, from: years.0, to: years.1))
        let district = try await store.kpiCounters(scopes: [scopes[0]], from: years.0, to: years.1)
        #expect(district.reported == 6 && district.decided == 4 && district.closed == 1 && district.evaluated == 1 && district.satisfactionSum == 4)
        #expect(try await store.rebuildCaseKPIs() == 6)
        #expect(try await store.kpiCounters(scopes: scopes, from: years.0, to: years.1) == counted)
        // New numbers continue after the imported ones.
        #expect(try await create(store, draft("gw1", at: t), prefix: "330110-20250101").case.number == "330110-20250101-000008")
        #expect(try await create(store, draft("gw1", at: t), prefix: "330110-20250102").case.number == "330110-20250102-000003")
        #expect(try await create(store, draft("gw1", at: t), prefix: "330110-20250104").case.number == "330110-20250104-000002")
        #expect(try await store.auditEntries(matching: AuditQuery(actionPrefix: "import.cases", limit: 10)).map(\.record.target) == ["cases:5"])
    }

    @Sendable static func caseContactRewrite(_ make: CaseFactory) async throws {
        let store = try await make()
        func report(_ contact: String?, _ minute: Double) async throws -> Case {
            var d = draft("gw1", at: minutes(minute, after: monday))
            d.reporterContact = contact
            return try await create(store, d).case
        }
        let k1 = try await report("enc:1:a", 0), k2 = try await report("enc:1:b", 1), k3 = try await report(nil, 2)
        let audit = AuditRecord(actor: "admin", action: "keys.rotate.cases", target: "key:2")
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await store.rewriteCaseContacts(audit: audit) { sealed in
                if sealed == "enc:1:b" { throw Refused() }
                return "enc:2:" + sealed.dropFirst(6)
            }
        }
        #expect(try await store.cases(withContact: "enc:1:a") == [k1])
        #expect(try await store.auditEntries(matching: AuditQuery(actionPrefix: "keys.rotate", limit: 10)).isEmpty)
        #expect(try await store.rewriteCaseContacts(audit: audit) { "enc:2:" + $0.dropFirst(6) } == 2)
        #expect(try await store.cases(withContact: "enc:1:a").isEmpty)
        #expect(try await store.cases(withContact: "enc:2:a").map(\.number) == [k1.number])
        var rewritten = k2
        rewritten.reporterContact = "enc:2:b"
        #expect(try await store.storedCase(number: k2.number) == rewritten)
        #expect(try await store.storedCase(number: k3.number) == k3)
        #expect(try await store.auditEntries(matching: AuditQuery(actionPrefix: "keys.rotate", limit: 10)).count == 1)
    }

    @Sendable static func caseConcurrentCreation(_ make: CaseFactory) async throws {
        let store = try await make()
        let results = try await withThrowingTaskGroup(of: (case: Case, created: Bool).self) { group in
            for i in 0..<8 {
                group.addTask { try await create(store, draft("gw1", at: minutes(Double(i) / 60, after: monday)), key: "retry-1") }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter(\.created).count == 1)
        #expect(Set(results.map(\.case.number)) == ["330110-20261130-000001"] && Set(results.map(\.case.id)).count == 1)
        #expect(try await store.caseCount(CaseQuery()) == 1)
        #expect(try await store.caseEvents(number: "330110-20261130-000001").count == 1)
        #expect(try await store.kpiCounters(scopes: [CaseKPI.regionScope(try RegionCode("330110"))], from: CivilDay(monday), to: CivilDay(monday).adding(days: 1)).reported == 1)
        #expect(try await store.auditEntries(matching: AuditQuery(actionPrefix: "case.report", limit: 10)).count == 1)
        // The retries took no serial.
        #expect(try await create(store, draft("gw1", at: monday)).case.number == "330110-20261130-000002")
    }

    @Sendable static func caseConcurrentUpdates(_ make: CaseFactory) async throws {
        let store = try await make()
        let reported = try await create(store, draft("gw1", at: monday)).case
        let registered = try await advance(store, reported, .register(classCode: nil, urgency: nil), at: minutes(5, after: monday))
        func race(_ from: Case, _ commands: [CaseCommand]) async throws -> [Case] {
            try await withThrowingTaskGroup(of: Case?.self) { group in
                for (i, command) in commands.enumerated() {
                    group.addTask {
                        do {
                            return try await advance(store, from, command, at: minutes(Double(10 + i), after: monday), note: "督办 \(i)")
                        } catch let conflict as CaseVersionConflict {
                            #expect(conflict.expected == from.version && conflict.current == from.version + 1)
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: []) { if let c = $1 { $0.append(c) } }
            }
        }
        let reminded = try await race(registered, Array(repeating: .remind, count: 6))
        #expect(reminded.count == 1)
        let winner = try #require(reminded.first)
        #expect(try await store.storedCase(number: reported.number) == winner)
        #expect(try await store.caseEvents(number: reported.number).map(\.action) == [.report, .register, .remind])
        let departments = (0..<6).map { "department-\($0)" }
        let dispatched = try await race(winner, departments.map { .dispatch(department: $0, assisting: [], assistingLimit: nil) })
        #expect(dispatched.count == 1)
        let stored = try #require(try await store.storedCase(number: reported.number))
        #expect(stored == dispatched.first && stored.version == 4)
        #expect(try await store.caseEvents(number: reported.number).count == 4)
        // Only the winner's change reached the read model.
        let k = try await store.kpiCounters(scopes: departments.map(CaseKPI.departmentScope), from: CivilDay(iso: "2025-01-01")!, to: CivilDay(iso: "2027-01-01")!)
        #expect(k.dispatched == 1 && k.handleDue == 1 && k.closeDue == 1)
        var query = CaseQuery()
        query.department = stored.department
        #expect(try await store.caseCount(query) == 1)
    }
}
