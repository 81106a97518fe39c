import Foundation
import GeoKit
import Governance
import Testing

@Suite("Case workflow")
struct CaseWorkflowTests {
    let workflow = CaseWorkflow(classes: CaseClassDictionary(), calendar: WorkingCalendar())

    func newCase(_ code: String? = "E0102", at time: Date = local("2026-11-30 07:50")) -> Case {
        var c = Case(source: .patrol, classCode: code.map { try! CaseClassCode($0) }, urgency: .normal, description: "巷口暴露垃圾",
                     location: Coordinate(longitude: 120.3, latitude: 30.42), gridCode: try! RegionCode("33011000100101"), reporter: "gw", reportedAt: time)
        c.number = "330110-20261130-000001"
        return workflow.report(c).0
    }

    func step(_ c: Case, _ command: CaseCommand, _ time: String, note: String? = nil) throws -> Case {
        try workflow.apply(command, to: c, actor: "someone", at: local(time), note: note).0
    }

    @Test("the seed dictionary has both kinds, the DOMAIN classes and complete time limits")
    func seed() throws {
        let classes = CaseClassDictionary()
        #expect(classes.class(try CaseClassCode("E0102"))?.name == "暴露垃圾")
        #expect(classes.class(try CaseClassCode("E0102"))?.limit(.handle, .normal) == .hours(4))
        #expect(classes.class(try CaseClassCode("E0104"))?.limit(.handle, .normal) == .hours(5))
        #expect(classes.class(try CaseClassCode("E0101"))?.name == "私搭乱建")
        #expect(classes.class(try CaseClassCode("E0101"))?.limit(.register, .urgent) == .minutes(10))
        #expect(classes.class(try CaseClassCode("E0101"))?.limit(.dispatch, .normal) == .minutes(30))
        for name in ["矛盾纠纷", "安全隐患", "消防隐患", "食品安全", "疫情防控", "工伤事故"] {
            #expect(classes.selectable.contains { $0.name == name && $0.code.majorCode == "E07" })
        }
        #expect(Set(classes.selectable.map(\.code.kind)) == [.event, .component])
        for c in classes.all {
            #expect(c.problem == nil, "\(c.code): \(c.problem ?? "")")
            if !c.code.isMajor { #expect(classes.major(of: c.code) != nil) }
        }
        #expect(throws: CaseClassCode.Invalid.self) { try CaseClassCode("X0102") }
        #expect(throws: CaseClassCode.Invalid.self) { try CaseClassCode("E0A02") }
        #expect(throws: CaseClassCode.Invalid.self) { try CaseClassCode("E0002") }
        #expect(try CaseClassCode(" e0102 ").rawValue == "E0102")
    }

    @Test("a case goes around the loop with its clocks in working time")
    func fullLoop() throws {
        var c = newCase()
        #expect(c.status == .reported && c.version == 1)
        #expect(c.due[.register] == local("2026-11-30 09:00"))
        #expect(c.warnAt == local("2026-11-30 08:54"))
        c = try step(c, .register(classCode: nil, urgency: nil), "2026-11-30 08:45")
        #expect(c.status == .registered && c.onTime[.register] == true && c.due[.dispatch] == local("2026-11-30 09:15"))
        c = try step(c, .dispatch(department: "urban-management", assisting: [], assistingLimit: nil), "2026-11-30 08:46")
        // 暴露垃圾: 4 working hours across the lunch break.
        #expect(c.due[.handle] == local("2026-11-30 14:16"))
        #expect(c.closeDueAt == local("2026-11-30 15:16"))
        #expect(c.alertLevel(at: local("2026-11-30 13:00")) == .yellow)
        #expect(c.alertLevel(at: local("2026-11-30 10:00")) == .green)
        c = try step(c, .accept, "2026-11-30 09:00")
        #expect(c.status == .handling)
        #expect(throws: CaseRefused.self) { try step(c, .reportHandled, "2026-11-30 11:00") }  // feedback needs a note
        c = try step(c, .reportHandled, "2026-11-30 11:00", note: "已清运")
        #expect(c.status == .handled && c.onTime[.handle] == true && c.due[.inspect] == local("2026-11-30 12:00"))
        c = try step(c, .inspect(passed: true), "2026-11-30 11:40")
        #expect(c.status == .closed && c.closedAt == local("2026-11-30 11:40") && c.warnAt == nil)
        #expect(!c.isOverdue(at: local("2027-01-01 00:00")))
        c = try step(c, .evaluate(satisfaction: 5), "2026-11-30 15:00")
        #expect(c.status == .evaluated && c.satisfaction == 5 && c.version == 7)
    }

    @Test("a step the status does not allow is refused with the steps it does allow")
    func invalidTransitions() throws {
        let c = newCase()
        let error = try #require(throws: CaseTransitionRefused.self) {
            try step(c, .dispatch(department: "urban-management", assisting: [], assistingLimit: nil), "2026-11-30 08:00")
        }
        #expect(error.allowed == [.register, .reject, .merge])
        #expect(error.status == .reported)
        let closed = try step(try step(try step(try step(try step(c, .register(classCode: nil, urgency: nil), "2026-11-30 08:01"),
            .dispatch(department: "d", assisting: [], assistingLimit: nil), "2026-11-30 08:02"), .accept, "2026-11-30 08:03"),
            .reportHandled, "2026-11-30 08:04", note: "done"), .inspect(passed: true), "2026-11-30 08:05")
        #expect(throws: CaseTransitionRefused.self) { try step(closed, .remind, "2026-11-30 09:00", note: "快") }
        #expect(throws: CaseRefused.self) { try step(closed, .evaluate(satisfaction: 6), "2026-11-30 09:00") }
        // Registering needs a class.
        #expect(throws: CaseRefused.self) { try step(newCase(nil), .register(classCode: nil, urgency: nil), "2026-11-30 08:00") }
        #expect(throws: CaseRefused.self) { try step(newCase(nil), .register(classCode: try CaseClassCode("E0100"), urgency: nil), "2026-11-30 08:00") }
        let classified = try step(newCase(nil), .register(classCode: try CaseClassCode("E0104"), urgency: .urgent), "2026-11-30 08:00")
        #expect(classified.classCode?.rawValue == "E0104" && classified.urgency == .urgent && classified.due[.dispatch] == local("2026-11-30 08:40"))
    }

    @Test("returns, extensions, suspensions and rework move the clocks as the rules say")
    func clocks() throws {
        var c = try step(newCase(), .register(classCode: nil, urgency: nil), "2026-11-30 08:05")
        c = try step(c, .dispatch(department: "market-supervision", assisting: [], assistingLimit: nil), "2026-11-30 08:10")
        // 退回: back to the dispatcher, counted, with a new dispatch clock.
        c = try step(c, .return(reason: "不属于本部门职责"), "2026-11-30 09:00")
        #expect(c.status == .registered && c.returns == 1 && c.department == nil && c.due[.handle] == nil && c.due[.dispatch] == local("2026-11-30 09:30"))
        c = try step(c, .dispatch(department: "urban-management", assisting: [], assistingLimit: nil), "2026-11-30 09:10")
        #expect(c.due[.handle] == local("2026-11-30 14:40"))
        c = try step(c, .accept, "2026-11-30 09:20")
        // 延期: requested, then approved: the deadline moves by the working time granted.
        c = try step(c, .requestExtension(limit: .hours(2), reason: "需要调用车辆"), "2026-11-30 10:00")
        #expect(CaseWorkflow.allowed(in: c.status, pendingExtension: true).contains(.decideExtension))
        #expect(throws: CaseTransitionRefused.self) { try step(c, .requestExtension(limit: .hours(1), reason: "再延"), "2026-11-30 10:01") }
        c = try step(c, .decideExtension(approved: true), "2026-11-30 10:30")
        #expect(c.due[.handle] == local("2026-11-30 16:40") && c.extensions == 1 && c.pendingExtension == nil)
        // 挂起 at 11:00 on Monday, resumed Tuesday 09:00: 1 + 4 + 0.5 working hours paused.
        c = try step(c, .suspend(reason: "等待产权单位确认"), "2026-11-30 11:00")
        #expect(c.status == .suspended && CaseWorkflow.allowed(in: .suspended) == [.resume, .remind])
        c = try step(c, .resume, "2026-12-01 09:00")
        #expect(c.status == .handling && c.due[.handle] == local("2026-12-01 14:40"))
        // Feedback late, inspection fails: rework under the same handling deadline.
        c = try step(c, .reportHandled, "2026-12-01 15:00", note: "已清理")
        #expect(c.onTime[.handle] == false)
        #expect(throws: CaseRefused.self) { try step(c, .inspect(passed: false), "2026-12-01 15:30") }  // a failed inspection says why
        c = try step(c, .inspect(passed: false), "2026-12-01 15:30", note: "仍有垃圾残留")
        #expect(c.status == .handling && c.reworks == 1 && c.handledAt == nil && c.due[.handle] == local("2026-12-01 14:40"))
        #expect(c.alertLevel(at: local("2026-12-01 15:31")) == .red)
        c = try step(c, .reportHandled, "2026-12-01 16:00", note: "已彻底清理")
        c = try step(c, .inspect(passed: true), "2026-12-01 16:20")
        #expect(c.status == .closed && c.reworks == 1 && c.returns == 1 && c.extensions == 1)
    }

    @Test("joint handling: the lead reports handled only when every assisting department is done")
    func jointHandling() throws {
        var c = try step(newCase("E0704"), .register(classCode: nil, urgency: nil), "2026-11-30 08:35")
        #expect(throws: CaseRefused.self) {
            try step(c, .dispatch(department: "market-supervision", assisting: ["fire-rescue", "fire-rescue"], assistingLimit: nil), "2026-11-30 08:40")
        }
        #expect(throws: CaseRefused.self) {
            try step(c, .dispatch(department: "market-supervision", assisting: ["market-supervision"], assistingLimit: nil), "2026-11-30 08:40")
        }
        c = try step(c, .dispatch(department: "market-supervision", assisting: ["fire-rescue", "public-security"], assistingLimit: .hours(2)),
                     "2026-11-30 08:40")
        #expect(c.tasks.map(\.department) == ["fire-rescue", "public-security"])
        #expect(c.tasks.allSatisfy { $0.dueAt == local("2026-11-30 10:40") })
        #expect(c.involves(department: "fire-rescue") && !c.involves(department: "health"))
        c = try step(c, .accept, "2026-11-30 08:45")
        c = try step(c, .completeTask(department: "fire-rescue"), "2026-11-30 09:00", note: "消防检查完毕")
        #expect(throws: CaseRefused.self) { try step(c, .completeTask(department: "fire-rescue"), "2026-11-30 09:01") }
        #expect(throws: CaseRefused.self) { try step(c, .completeTask(department: "health"), "2026-11-30 09:01") }
        let refused = try #require(throws: CaseRefused.self) { try step(c, .reportHandled, "2026-11-30 09:30", note: "查封") }
        #expect(refused.reason.contains("public-security"))
        c = try step(c, .completeTask(department: "public-security"), "2026-11-30 10:00")
        c = try step(c, .reportHandled, "2026-11-30 10:05", note: "查封取缔")
        #expect(c.status == .handled && c.tasks.allSatisfy { $0.doneAt != nil })
    }

    @Test("a suspended case shows no running clock and resumes where it was")
    func suspension() throws {
        var c = try step(newCase(), .register(classCode: nil, urgency: nil), "2026-11-30 08:35")
        c = try step(c, .suspend(reason: "上级要求暂缓"), "2026-11-30 08:40")
        #expect(c.runningDue == nil && !c.isOverdue(at: local("2026-12-31 00:00")))
        c = try step(c, .resume, "2026-11-30 14:10")
        // 25 of the 30 dispatch minutes were left at 08:40; 4 working hours passed while suspended.
        #expect(c.status == .registered && c.due[.dispatch] == local("2026-11-30 14:35"))
    }
}
