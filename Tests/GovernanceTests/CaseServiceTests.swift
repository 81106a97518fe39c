import Foundation
import GeoKit
import Governance
import SQLiteStore
import Testing

/// The case service on the fixture district (two grids in 33011000100x) with a real SQLite file.
func caseService() async throws -> CaseService {
    let regions = try await Fixture.service()
    try await Fixture.importFile(Fixture.geojson(Fixture.territory()), into: regions)
    let addresses = AddressService(store: regions.store, regions: regions)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-attachments-\(UUID().uuidString)")
    let cases = CaseService(store: regions.store, regions: regions, addresses: addresses, vault: PersonalDataVault(.generate()),
                            attachments: AttachmentVault(directory: folder))
    try await cases.load()
    let console = Principal.console("test")
    for (code, name) in [("urban-management", "区城市管理局"), ("market-supervision", "区市场监督管理局"), ("fire-rescue", "区消防救援大队")] {
        try await cases.saveDepartment(Department(code: code, name: name), by: console)
    }
    return cases
}

@Suite("Case service: supervision and KPIs")
struct CaseServiceTests {
    let console = Principal.console("test")
    static let west = try! RegionCode("33011000100101")
    static let east = try! RegionCode("33011000100102")

    @Test("the KPI formulas give DOMAIN.md's worked example")
    func workedExample() {
        var k = KPICounters()
        k.closeDue = 972
        k.closed = 911
        k.closedOnTime = 737
        let r = KPIReport(counters: k)
        #expect(String(format: "%.2f", r.closingRate! * 100) == "93.72")
        #expect(String(format: "%.2f", r.closedOnTimeRate! * 100) == "75.82")
        #expect(KPIReport(counters: KPICounters()).closingRate == nil)
    }

    @Test("supervision warns at the yellow mark, escalates at the deadline and a working day later, once each, even with two runners")
    func supervision() async throws {
        let cases = try await caseService()
        let supervision = CaseSupervision(cases: cases)
        var c = try await cases.report(CaseIntake(source: .patrol, classCode: try CaseClassCode("E0102"), description: "暴露垃圾",
                                                  location: Coordinate(longitude: 120.01, latitude: 30.01)), by: console, at: local("2026-11-30 08:40")).case
        c = try await cases.perform(.register(classCode: nil, urgency: nil), on: c.number, version: c.version, by: console, at: local("2026-11-30 08:45"))
        c = try await cases.perform(.dispatch(department: "urban-management", assisting: [], assistingLimit: nil), on: c.number, version: c.version,
                                    by: console, at: local("2026-11-30 09:00"))
        // Handling: 4 working hours from 09:00 → due 14:30, yellow from 13:42 (80 %).
        #expect(c.due[.handle] == local("2026-11-30 14:30") && c.nextAlertAt == local("2026-11-30 13:42"))
        #expect(try await supervision.run(at: local("2026-11-30 13:00")) == .init())
        // Two runners at once: one warning.
        async let first = supervision.run(at: local("2026-11-30 13:45"))
        async let second = supervision.run(at: local("2026-11-30 13:45"))
        let (a, b) = try await (first, second)
        #expect(a.warned + b.warned == 1)
        #expect(try await supervision.run(at: local("2026-11-30 14:00")) == .init())
        var outcome = try await supervision.run(at: local("2026-11-30 14:31"))
        #expect(outcome.escalated == 1)
        #expect(try await supervision.run(at: local("2026-11-30 17:00")) == .init())
        // One working day after the deadline: to the district command centre; then nothing more.
        outcome = try await supervision.run(at: local("2026-12-01 14:30"))
        #expect(outcome.escalated == 1)
        #expect(try await supervision.run(at: local("2026-12-20 00:00")) == .init())
        let events = try await cases.store.caseEvents(number: c.number)
        #expect(events.map(\.action).suffix(3) == [.warn, .escalate, .escalate])
        #expect(events.filter { $0.action == .escalate }.map { $0.details["escalatedTo"] } == ["street", "district"])
        let stored = try #require(try await cases.store.storedCase(number: c.number))
        #expect(stored.escalationLevel == 2 && stored.nextAlertAt == nil)
        // The queue shows it (red); feedback takes it off.
        let queue = try await cases.supervisionQueue(territory: nil, onlyOverdue: true, limit: 10, for: console, at: local("2026-12-01 15:00"))
        #expect(queue.map(\.number) == [c.number])
        c = try await cases.perform(.accept, on: c.number, version: stored.version, by: console, at: local("2026-12-01 15:00"))
        c = try await cases.perform(.reportHandled, on: c.number, version: c.version, note: "已清运", by: console, at: local("2026-12-01 15:10"))
        // A new step, a new clock: inspection within an hour.
        #expect(c.escalationLevel == 0 && c.nextAlertAt == local("2026-12-01 15:58"))
        #expect(try await cases.supervisionQueue(territory: nil, onlyOverdue: true, limit: 10, for: console, at: local("2026-12-01 15:20")).isEmpty)
        // The audit trail has each look.
        let audit = try await cases.store.auditEntries(matching: AuditQuery(actor: "supervision", target: "case:" + c.number, limit: 10))
        #expect(audit.map(\.record.action).sorted() == ["case.escalate", "case.escalate", "case.warn"])
    }

    /// Random histories: reports over three months in both grids, each taken some way around the
    /// loop with returns, extensions, suspensions, rework and ratings.
    static func generateHistory(_ cases: CaseService, count: Int, seed: UInt64) async throws -> [String] {
        var random = SeededGenerator(seed: seed)
        let console = Principal.console("generator")
        let classes = ["E0102", "E0104", "C0101", "E0704", "E0301"]
        var numbers: [String] = []
        let start = local("2026-08-01 00:00").timeIntervalSince1970
        for _ in 0..<count {
            var t = Date(timeIntervalSince1970: start + Double.random(in: 0..<(92 * 86400), using: &random))
            func later(_ hours: Double) -> Date {
                t = t.addingTimeInterval(Double.random(in: 60...(hours * 3600), using: &random)).rounded
                return t
            }
            let grid = Bool.random(using: &random) ? 120.01 : 120.035
            let urgency: Urgency = Int.random(in: 0..<5, using: &random) == 0 ? .urgent : .normal
            var c = try await cases.report(CaseIntake(source: CaseSource.allCases.randomElement(using: &random)!, classCode: try CaseClassCode(classes.randomElement(using: &random)!),
                                                      urgency: urgency, description: "生成的案件",
                                                      location: Coordinate(longitude: grid + Double.random(in: 0...0.01, using: &random), latitude: 30.01 + Double.random(in: 0...0.03, using: &random))),
                                           by: console, at: t.rounded).case
            numbers.append(c.number)
            func step(_ command: CaseCommand, _ hours: Double, note: String? = "x") async throws {
                c = try await cases.perform(command, on: c.number, version: c.version, note: note, by: console, at: later(hours))
            }
            let roll = Int.random(in: 0..<100, using: &random)
            if roll < 5 { continue }  // still waiting to be registered
            if roll < 10 { try await step(.reject(reason: "无效"), 2); continue }
            try await step(.register(classCode: nil, urgency: nil), 1)
            if roll < 14 { continue }
            let departments = ["urban-management", "market-supervision", "fire-rescue"]
            try await step(.dispatch(department: departments.randomElement(using: &random)!, assisting: [], assistingLimit: nil), 1)
            if Int.random(in: 0..<8, using: &random) == 0 {
                try await step(.return(reason: "非本部门"), 3)
                try await step(.dispatch(department: departments.randomElement(using: &random)!, assisting: [], assistingLimit: nil), 1)
            }
            if roll < 18 { continue }
            try await step(.accept, 2)
            if Int.random(in: 0..<6, using: &random) == 0 {
                try await step(.requestExtension(limit: .hours(Int.random(in: 1...8, using: &random)), reason: "需协调"), 3)
                try await step(.decideExtension(approved: Bool.random(using: &random)), 2)
            }
            if Int.random(in: 0..<10, using: &random) == 0 {
                try await step(.suspend(reason: "等待"), 2)
                try await step(.resume, 30)
            }
            if roll < 25 { continue }
            try await step(.reportHandled, 40)
            if Int.random(in: 0..<7, using: &random) == 0 {
                try await step(.inspect(passed: false), 3)
                if roll < 30 { continue }
                try await step(.reportHandled, 20)
            }
            if roll < 35 { continue }
            try await step(.inspect(passed: true), 4)
            if roll < 60 { continue }
            try await step(.evaluate(satisfaction: Int.random(in: 1...5, using: &random)), 48)
        }
        return numbers
    }

    /// The KPI counters recounted from the stored cases and their timelines, without the read model.
    static func recount(_ all: [(Case, [CaseEvent])], grids: Set<RegionCode>?, department: String?, from: CivilDay, to: CivilDay, now: Date) -> KPICounters {
        var k = KPICounters()
        func inPeriod(_ d: Date?) -> Bool { d.map { CivilDay($0) >= from && CivilDay($0) < to } ?? false }
        for (c, events) in all {
            if let grids, !grids.contains(c.gridCode) { continue }
            if let department, c.department != department { continue }
            let returns = events.filter { $0.action == .return }.count
            let reworks = events.filter { $0.action == .inspect && $0.details["passed"] == "false" }.count
            let extended = events.contains { $0.action == .decideExtension && $0.details["approved"] == "true" }
            let handledNow = [.handled, .closed, .evaluated].contains(c.status)
            let closedNow = [.closed, .evaluated].contains(c.status)
            if inPeriod(events.first { $0.action == .report }?.time) { k.reported += 1 }
            if let decision = events.first(where: { $0.action == .register || $0.action == .reject }), inPeriod(decision.time) {
                k.decided += 1
                if let due = c.due[.register], decision.time <= due { k.decidedOnTime += 1 }
            }
            if c.status == .rejected || c.status == .merged { continue }
            if let firstDispatch = events.first(where: { $0.action == .dispatch }), inPeriod(firstDispatch.time) {
                k.dispatched += 1
                if returns == 0 { k.dispatchedAccurate += 1 }
            }
            if c.dispatchedAt != nil, let due = c.due[.handle], inPeriod(due), due <= now || handledNow {
                k.handleDue += 1
                // The feedback that was accepted (after rework, the last one) counts.
                if handledNow, let feedback = events.last(where: { $0.action == .reportHandled }), feedback.time <= due { k.handledOnTime += 1 }
            }
            if c.dispatchedAt != nil, let due = c.closeDueAt, inPeriod(due), due <= now || closedNow {
                k.closeDue += 1
                if closedNow {
                    k.closed += 1
                    if let closing = events.last(where: { $0.action == .inspect }), closing.time <= due { k.closedOnTime += 1 }
                }
                if reworks > 0 { k.reworked += 1 }
                if extended { k.extended += 1 }
            }
            if handledNow, let feedback = events.last(where: { $0.action == .reportHandled }), inPeriod(feedback.time) {
                let dispatch = events.last { $0.action == .dispatch && $0.time <= feedback.time }!
                k.handled += 1
                k.handlingSeconds += Int(WorkingCalendar().workingSeconds(from: dispatch.time, to: feedback.time).rounded())
            }
            if let rating = events.first(where: { $0.action == .evaluate }), inPeriod(rating.time) {
                k.evaluated += 1
                let s = Int(rating.details["satisfaction"]!)!
                if s >= 4 { k.satisfied += 1 }
                k.satisfactionSum += s
            }
        }
        return k
    }

    @Test("KPIs from the read model match a recount from the raw case history, for any period, territory and department")
    func kpisMatchRecount() async throws {
        let cases = try await caseService()
        let numbers = try await Self.generateHistory(cases, count: 400, seed: 7)
        var all: [(Case, [CaseEvent])] = []
        for n in numbers { all.append((try #require(try await cases.store.storedCase(number: n)), try await cases.store.caseEvents(number: n))) }
        // The generator's history reached every counter.
        let everything = Self.recount(all, grids: nil, department: nil, from: CivilDay(iso: "2026-01-01")!, to: CivilDay(iso: "2027-06-01")!, now: local("2027-06-01 00:00"))
        #expect(everything.values.allSatisfy { $0 > 0 }, "\(everything)")
        let periods: [(String, String)] = [("2026-08-01", "2026-09-01"), ("2026-09-01", "2026-10-01"), ("2026-10-01", "2026-11-01"), ("2026-08-01", "2027-01-01"),
                                           ("2026-09-15", "2026-09-16"), ("2026-10-31", "2026-11-15")]
        let scopes: [(KPIScope, Set<RegionCode>?, String?)] = [
            (.region(try RegionCode("330110")), nil, nil), (.region(try RegionCode("330110001")), nil, nil), (.region(Self.west), [Self.west], nil),
            (.grids([Self.east]), [Self.east], nil), (.department("market-supervision"), nil, "market-supervision"), (.department("urban-management"), nil, "urban-management"),
        ]
        let now = local("2027-06-01 00:00")
        for (f, t) in periods {
            let from = CivilDay(iso: f)!, to = CivilDay(iso: t)!
            for (scope, grids, department) in scopes {
                let fromModel = try await cases.kpiReport(scope, from: from, to: to, now: now).counters
                let recounted = Self.recount(all, grids: grids, department: department, from: from, to: to, now: now)
                #expect(fromModel == recounted, "\(scope) \(f)..<\(t)")
            }
        }
        // Rebuilding the read model from the cases gives the same counters as the increments did.
        let before = try await cases.store.kpiCounters(scopes: ["r:330110000000", "d:fire-rescue"], from: CivilDay(iso: "2026-01-01")!, to: CivilDay(iso: "2028-01-01")!)
        #expect(try await cases.store.rebuildCaseKPIs() == numbers.count)
        #expect(try await cases.store.kpiCounters(scopes: ["r:330110000000", "d:fire-rescue"], from: CivilDay(iso: "2026-01-01")!, to: CivilDay(iso: "2028-01-01")!) == before)
    }

    @Test("a reporter's phone is sealed, revealed only with a purpose (audited), and re-sealed when the keys rotate")
    func contactPhone() async throws {
        let cases = try await caseService()
        let c = try await cases.report(CaseIntake(source: .hotline, classCode: try CaseClassCode("E0404"), description: "消防通道停车",
                                                  location: Coordinate(longitude: 120.01, latitude: 30.01), contactPhone: "13812345678"), by: console).case
        let stored = try #require(try await cases.store.storedCase(number: c.number)?.reporterContact)
        #expect(stored.hasPrefix("enc:") && !stored.contains("13812345678"))
        await #expect(throws: CaseRefused.self) { try await cases.revealContact(c.number, purpose: " ", by: console) }
        #expect(try await cases.revealContact(c.number, purpose: "12345回访", by: console) == "13812345678")
        #expect(try await cases.store.auditEntries(matching: AuditQuery(actionPrefix: "reveal.case-contact", limit: 5)).first?.record.purpose == "12345回访")
        // A bad phone is refused with the field.
        await #expect(throws: CaseRefused.self) {
            try await cases.report(CaseIntake(source: .hotline, description: "x", location: Coordinate(longitude: 120.01, latitude: 30.01), contactPhone: "12"), by: console)
        }
        let rotated = cases.vault.ring.rotated()
        _ = try await KeyRotation(store: cases.store).reseal(with: PersonalDataVault(rotated), actor: "test")
        let resealed = try #require(try await cases.store.storedCase(number: c.number)?.reporterContact)
        #expect(try PersonalDataVault(rotated.retiringOldVersions()).open(resealed, field: CaseService.contactField) == "13812345678")
    }

    @Test("administrators change working hours, the yellow mark and the duplicate rule; deadlines and proposals follow")
    func settings() async throws {
        let cases = try await caseService()
        var s = CaseSettings()
        s.workingHours = WorkingPeriod.parseList("09:00-12:00,14:00-18:00")!
        s.warningShare = 0.5
        s.duplicateMetres = 500
        s.duplicateHours = 2
        var bad = s
        bad.warningShare = 1.5
        await #expect(throws: CaseRefused.self) { try await cases.saveSettings(bad, by: console) }
        await #expect(throws: AccessDenied.self) { try await cases.saveSettings(s, by: Principal.anonymousCitizen) }
        try await cases.saveSettings(s, by: console)
        // Another instance on the same database reads the same.
        let other = CaseService(store: cases.store, regions: cases.regions, addresses: cases.addresses, vault: cases.vault, attachments: cases.attachments)
        try await other.load()
        #expect(other.settings == s && other.calendar.dayLength == 7 * 3600)
        let first = try await cases.report(CaseIntake(source: .patrol, classCode: try CaseClassCode("E0102"), description: "垃圾",
                                                      location: Coordinate(longitude: 120.010, latitude: 30.010)), by: console, at: local("2026-11-30 08:00")).case
        // Register clock: 30 minutes from 09:00; yellow at half.
        #expect(first.due[.register] == local("2026-11-30 09:30") && first.warnAt == local("2026-11-30 09:15"))
        // 300 m away, an hour later: proposed; three hours later: not.
        let near = try await cases.report(CaseIntake(source: .patrol, classCode: try CaseClassCode("E0102"), description: "垃圾",
                                                     location: Coordinate(longitude: 120.013, latitude: 30.010)), by: console, at: local("2026-11-30 09:00")).case
        #expect(near.possibleDuplicates == [first.number])
        let late = try await cases.report(CaseIntake(source: .patrol, classCode: try CaseClassCode("E0102"), description: "垃圾",
                                                     location: Coordinate(longitude: 120.013, latitude: 30.010)), by: console, at: local("2026-11-30 11:00")).case
        #expect(late.possibleDuplicates == [near.number])
    }

    @Test("open cases whose deadlines are still ahead are not yet due")
    func notYetDue() async throws {
        let cases = try await caseService()
        var c = try await cases.report(CaseIntake(source: .patrol, classCode: try CaseClassCode("E0701"), description: "邻里纠纷",
                                                  location: Coordinate(longitude: 120.01, latitude: 30.01)), by: console, at: local("2026-11-02 09:00")).case
        c = try await cases.perform(.register(classCode: nil, urgency: nil), on: c.number, version: c.version, by: console, at: local("2026-11-02 09:10"))
        c = try await cases.perform(.dispatch(department: "urban-management", assisting: [], assistingLimit: nil), on: c.number, version: c.version,
                                    by: console, at: local("2026-11-02 09:20"))
        // 矛盾纠纷: 5 working days → due 2026-11-09 09:20; closing due an hour later.
        let month = (CivilDay(iso: "2026-11-01")!, CivilDay(iso: "2026-12-01")!)
        let early = try await cases.kpiReport(.region(Self.west), from: month.0, to: month.1, now: local("2026-11-05 12:00"))
        #expect(early.counters.handleDue == 0 && early.counters.closeDue == 0 && early.counters.reported == 1 && early.counters.dispatched == 1)
        let late = try await cases.kpiReport(.region(Self.west), from: month.0, to: month.1, now: local("2026-11-10 12:00"))
        #expect(late.counters.handleDue == 1 && late.counters.handledOnTime == 0 && late.counters.closeDue == 1 && late.overdueRate == 1)
        // Closed early: due (and on time) at once.
        c = try await cases.perform(.accept, on: c.number, version: c.version, by: console, at: local("2026-11-03 09:00"))
        c = try await cases.perform(.reportHandled, on: c.number, version: c.version, note: "调解成功", by: console, at: local("2026-11-03 10:00"))
        c = try await cases.perform(.inspect(passed: true), on: c.number, version: c.version, by: console, at: local("2026-11-03 10:30"))
        let closed = try await cases.kpiReport(.region(Self.west), from: month.0, to: month.1, now: local("2026-11-05 12:00"))
        #expect(closed.counters.closeDue == 1 && closed.closedOnTimeRate == 1 && closed.handledOnTimeRate == 1)
        let comparison = try await cases.kpis(.region(Self.west), from: month.0, to: month.1, now: local("2026-11-05 12:00"))
        #expect(comparison.previousFrom == CivilDay(iso: "2026-10-01") && comparison.lastYearFrom == CivilDay(iso: "2025-11-01"))
        #expect(comparison.previousPeriod.counters.isZero)
    }
}

extension Date {
    /// To the millisecond, as stores keep times.
    var rounded: Date { Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000) }
}
