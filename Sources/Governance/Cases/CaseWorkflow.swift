import Foundation

/// The steps a case's timeline records, by name (also the last segment of their API paths).
public enum CaseAction: String, Sendable, Codable, CaseIterable {
    case report, register, reject, merge, dispatch, accept
    /// 退回: the department says the case is not theirs; it goes back to the dispatcher.
    case `return`
    case requestExtension = "request-extension"
    case decideExtension = "decide-extension"
    case suspend, resume
    /// An assisting department reports its part of a joint operation done.
    case completeTask = "complete-task"
    /// 反馈: the lead department reports the case handled.
    case reportHandled = "report-handled"
    /// 核查: a grid worker or supervisor re-inspects on site; passed closes, failed sends back (返工).
    case inspect
    case evaluate
    /// 督办: a reminder from the command centre, recorded.
    case remind
    /// Another case was merged into this one.
    case absorb
    /// Supervision: the running step passed the warning share of its limit (yellow).
    case warn
    /// Supervision: the running step is overdue (red), escalated one level up.
    case escalate
    /// The reporter's personal data was erased (PIPL); the case stays for the statistics.
    case redact

    /// The permission the step needs (the service adds territory and department).
    public var permission: Permission {
        switch self {
        case .report: .caseReport
        case .register, .reject, .merge: .caseRegister
        case .dispatch: .caseDispatch
        case .accept, .return, .requestExtension, .completeTask, .reportHandled: .caseHandle
        case .decideExtension, .suspend, .resume, .remind: .caseSupervise
        case .inspect: .caseInspect
        case .evaluate: .caseEvaluate
        case .absorb: .caseRegister
        case .warn, .escalate: .caseSupervise
        case .redact: .personalDataErase
        }
    }

    public var chineseName: String {
        switch self {
        case .report: "上报"
        case .register: "立案"
        case .reject: "不予立案"
        case .merge: "并单"
        case .dispatch: "派遣"
        case .accept: "签收"
        case .return: "退回"
        case .requestExtension: "申请延期"
        case .decideExtension: "延期审批"
        case .suspend: "挂起"
        case .resume: "恢复"
        case .completeTask: "协办完成"
        case .reportHandled: "处置反馈"
        case .inspect: "核查"
        case .evaluate: "评价"
        case .remind: "督办"
        case .absorb: "并入"
        case .warn: "黄灯预警"
        case .escalate: "红灯升级督办"
        case .redact: "个人信息删除"
        }
    }

    /// The steps a person can ask for (the others happen on their own: a report, a merge's other
    /// side, supervision).
    public static let commands: [CaseAction] = allCases.filter { ![.report, .absorb, .warn, .escalate, .redact].contains($0) }
}

/// A step asked for, with what it needs.
public enum CaseCommand: Sendable, Hashable {
    /// Verify and classify; class and urgency may be changed here.
    case register(classCode: CaseClassCode?, urgency: Urgency?)
    case reject(reason: String)
    /// Merge into the open case with this number (the service applies ``CaseAction/absorb`` to it).
    case merge(into: String)
    /// To the lead department, with assisting departments for joint handling (each with the class's
    /// handling limit unless given).
    case dispatch(department: String, assisting: [String], assistingLimit: TimeLimit?)
    case accept
    case `return`(reason: String)
    case requestExtension(limit: TimeLimit, reason: String)
    case decideExtension(approved: Bool)
    case suspend(reason: String)
    case resume
    /// By an assisting department (the actor's department).
    case completeTask(department: String)
    case reportHandled
    case inspect(passed: Bool)
    case evaluate(satisfaction: Int)
    case remind
    case absorb(duplicate: String)

    public var action: CaseAction {
        switch self {
        case .register: .register
        case .reject: .reject
        case .merge: .merge
        case .dispatch: .dispatch
        case .accept: .accept
        case .return: .return
        case .requestExtension: .requestExtension
        case .decideExtension: .decideExtension
        case .suspend: .suspend
        case .resume: .resume
        case .completeTask: .completeTask
        case .reportHandled: .reportHandled
        case .inspect: .inspect
        case .evaluate: .evaluate
        case .remind: .remind
        case .absorb: .absorb
        }
    }
}

/// The levels supervision escalates an overdue step to.
public enum EscalationLevel: Int, Sendable, CaseIterable {
    case street = 1, district = 2

    public var chineseName: String { self == .street ? "街道" : "区指挥中心" }
    public var name: String { self == .street ? "street" : "district" }
}

/// The closed loop as a state machine over ``Case``: which step is possible in which status, and
/// what each step changes, clocks included. Pure: who may ask is the service's business, storing
/// the result the store's.
public struct CaseWorkflow: Sendable {
    public var classes: CaseClassDictionary
    public var calendar: WorkingCalendar
    /// The share of a step's limit after which its clock turns yellow.
    public var warningShare: Double

    public init(classes: CaseClassDictionary, calendar: WorkingCalendar, warningShare: Double = 0.8) {
        self.classes = classes
        self.calendar = calendar
        self.warningShare = warningShare
    }

    /// The steps possible in a status (for the 409 answer and the buttons of the case page).
    public static func allowed(in status: CaseStatus, pendingExtension: Bool = false) -> [CaseAction] {
        switch status {
        case .reported: [.register, .reject, .merge]
        case .registered: [.dispatch, .reject, .merge, .suspend, .remind]
        case .dispatched: [.accept, .return, .completeTask, .suspend, .remind]
        case .handling: [.reportHandled, .completeTask, pendingExtension ? .decideExtension : .requestExtension, .suspend, .remind]
        case .handled: [.inspect, .remind]
        case .closed: [.evaluate]
        case .suspended: [.resume, .remind]
        case .evaluated, .rejected, .merged: []
        }
    }

    /// Limits of a case's class and urgency; before classification, the standard register and
    /// dispatch limits.
    public func limit(_ step: CaseStep, for c: Case) -> TimeLimit {
        if let code = c.classCode, let l = classes.class(code)?.limit(step, c.urgency) { return l }
        let standard = CaseClass.standardLimits(handle: .days(5), urgent: .days(1))
        return standard[c.urgency]![step]!
    }

    /// Starts the clock of `step` at `time`.
    func startClock(_ step: CaseStep, of c: inout Case, at time: Date) {
        let limit = limit(step, for: c)
        let seconds = limit.workingSeconds(dayLength: calendar.dayLength)
        c.due[step] = calendar.deadline(from: time, addingSeconds: seconds)
        c.warnAt = calendar.deadline(from: time, addingSeconds: Int((Double(seconds) * warningShare).rounded()))
        c.nextAlertAt = c.warnAt
        c.escalationLevel = 0
    }

    /// After a deadline moved: supervision looks again at the yellow mark or the deadline, whichever comes next.
    func rearmAlerts(_ c: inout Case, at time: Date) {
        guard let due = c.runningDue else { c.nextAlertAt = nil; return }
        c.escalationLevel = 0
        if let w = c.warnAt, w > time { c.nextAlertAt = w } else { c.nextAlertAt = due }
    }

    /// A new report: the register clock starts.
    public func report(_ draft: Case) -> (Case, CaseEvent) {
        var c = draft
        c.status = .reported
        c.version = 1
        startClock(.register, of: &c, at: c.reportedAt)
        var details = ["source": c.source.rawValue, "grid": c.gridCode.rawValue, "urgency": c.urgency.rawValue]
        if let code = c.classCode { details["class"] = code.rawValue }
        return (c, CaseEvent(sequence: 1, action: .report, actor: c.reporter, time: c.reportedAt, note: nil, details: details, status: .reported))
    }

    /// Applies one step. Throws ``CaseTransitionRefused`` when the status does not allow it and
    /// ``CaseRefused`` when what it needs is missing or wrong.
    public func apply(_ command: CaseCommand, to original: Case, actor: String, at time: Date, note: String?, attachments: [String] = []) throws -> (Case, CaseEvent) {
        let action = command.action
        guard action == .absorb ? original.status.isOpen && original.status != .suspended
                : Self.allowed(in: original.status, pendingExtension: original.pendingExtension != nil).contains(action) else {
            throw CaseTransitionRefused(number: original.number, action: action, status: original.status,
                                        allowed: Self.allowed(in: original.status, pendingExtension: original.pendingExtension != nil))
        }
        var c = original
        var details: [String: String] = [:]
        func required(_ text: String, _ field: String) throws -> String {
            let t = text.trimmingWhitespace
            guard !t.isEmpty else { throw CaseRefused(field: field, reason: "is required for \(action.rawValue)") }
            guard t.count <= 2000 else { throw CaseRefused(field: field, reason: "is longer than 2000 characters") }
            return t
        }

        switch command {
        case .register(let code, let urgency):
            if let code {
                c.classCode = try classes.selectable(code).get().code
            }
            guard let code = c.classCode else { throw CaseRefused(field: "classCode", reason: "a case is classified when it is registered") }
            if case .failure(let refused) = classes.selectable(code) { throw refused }
            if let urgency { c.urgency = urgency }
            c.status = .registered
            c.registeredAt = time
            c.onTime[.register] = c.due[.register].map { time <= $0 } ?? true
            startClock(.dispatch, of: &c, at: time)
            details = ["class": code.rawValue, "urgency": c.urgency.rawValue]
        case .reject(let reason):
            c.rejectionReason = try required(reason, "reason")
            c.status = .rejected
            c.rejectedAt = time
            c.onTime[.register] = c.due[.register].map { time <= $0 } ?? true
            c.warnAt = nil
            c.nextAlertAt = nil
            details = ["reason": c.rejectionReason!]
        case .merge(let other):
            guard other != c.number else { throw CaseRefused(field: "into", reason: "a case cannot be merged into itself") }
            c.status = .merged
            c.mergedInto = other
            c.warnAt = nil
            c.nextAlertAt = nil
            details = ["into": other]
        case .absorb(let duplicate):
            details = ["duplicate": duplicate]
        case .dispatch(let department, let assisting, let assistingLimit):
            let lead = try required(department, "department")
            let helpers = assisting.map(\.trimmingWhitespace).filter { !$0.isEmpty }
            guard Set(helpers).count == helpers.count else { throw CaseRefused(field: "assisting", reason: "a department is listed twice") }
            guard !helpers.contains(lead) else { throw CaseRefused(field: "assisting", reason: "the lead department \(lead) cannot also assist") }
            c.department = lead
            c.status = .dispatched
            c.dispatchedAt = time
            if c.firstDispatchedAt == nil { c.firstDispatchedAt = time }
            c.onTime[.dispatch] = c.due[.dispatch].map { time <= $0 } ?? true
            startClock(.handle, of: &c, at: time)
            c.closeDueAt = calendar.deadline(from: c.due[.handle]!, adding: limit(.inspect, for: c))
            let taskDue = assistingLimit.map { calendar.deadline(from: time, adding: $0) } ?? c.due[.handle]!
            c.tasks = helpers.map { CaseTask(department: $0, dueAt: taskDue) }
            details = ["department": lead]
            if !helpers.isEmpty { details["assisting"] = helpers.joined(separator: ",") }
        case .accept:
            c.status = .handling
            c.acceptedAt = time
            details = ["department": c.department ?? ""]
        case .return(let reason):
            details = ["reason": try required(reason, "reason"), "department": c.department ?? ""]
            c.status = .registered
            c.returns += 1
            c.department = nil
            c.tasks = []
            c.dispatchedAt = nil
            c.due[.handle] = nil
            c.closeDueAt = nil
            startClock(.dispatch, of: &c, at: time)
        case .requestExtension(let limit, let reason):
            guard limit.amount > 0 else { throw CaseRefused(field: "limit", reason: "must be positive") }
            c.pendingExtension = ExtensionRequest(limit: limit, reason: try required(reason, "reason"), requestedBy: actor, requestedAt: time)
            details = ["limit": limit.shortText, "reason": reason.trimmingWhitespace]
        case .decideExtension(let approved):
            guard let request = c.pendingExtension else { throw CaseRefused(field: "approved", reason: "no extension was requested") }
            c.pendingExtension = nil
            details = ["approved": approved ? "true" : "false", "limit": request.limit.shortText]
            if approved, let handleDue = c.due[.handle] {
                let seconds = request.limit.workingSeconds(dayLength: calendar.dayLength)
                c.due[.handle] = calendar.deadline(from: handleDue, addingSeconds: seconds)
                c.closeDueAt = calendar.deadline(from: c.due[.handle]!, adding: self.limit(.inspect, for: c))
                // The yellow mark keeps its distance to the new deadline.
                let total = Int(calendar.workingSeconds(from: c.dispatchedAt ?? time, to: c.due[.handle]!))
                c.warnAt = calendar.deadline(from: c.dispatchedAt ?? time, addingSeconds: Int((Double(total) * warningShare).rounded()))
                c.extensions += 1
                rearmAlerts(&c, at: time)
            }
        case .suspend(let reason):
            details = ["reason": try required(reason, "reason")]
            c.suspendedFrom = c.status
            c.suspendedAt = time
            c.status = .suspended
            c.nextAlertAt = nil
        case .resume:
            guard let from = c.suspendedFrom, let since = c.suspendedAt else { throw CaseRefused(field: "status", reason: "the case was not suspended") }
            // Clocks stop while suspended: every running deadline moves by the working time paused.
            let paused = Int(calendar.workingSeconds(from: since, to: time).rounded())
            if let step = from.runningStep, let d = c.due[step] { c.due[step] = calendar.deadline(from: d, addingSeconds: paused) }
            if let w = c.warnAt { c.warnAt = calendar.deadline(from: w, addingSeconds: paused) }
            if let d = c.closeDueAt { c.closeDueAt = calendar.deadline(from: d, addingSeconds: paused) }
            c.tasks = c.tasks.map { t in
                var t = t
                if t.doneAt == nil { t.dueAt = calendar.deadline(from: t.dueAt, addingSeconds: paused) }
                return t
            }
            c.status = from
            c.suspendedFrom = nil
            c.suspendedAt = nil
            rearmAlerts(&c, at: time)
            details = ["pausedWorkingMinutes": String(paused / 60)]
        case .completeTask(let department):
            guard let i = c.tasks.firstIndex(where: { $0.department == department }) else {
                throw CaseRefused(field: "department", reason: "\(department) has no task in case \(c.number)")
            }
            guard c.tasks[i].doneAt == nil else { throw CaseRefused(field: "department", reason: "the task of \(department) is already done") }
            c.tasks[i].doneAt = time
            c.tasks[i].note = note
            details = ["department": department, "onTime": time <= c.tasks[i].dueAt ? "true" : "false"]
        case .reportHandled:
            let open = c.tasks.filter { $0.doneAt == nil }.map(\.department)
            guard open.isEmpty else {
                throw CaseRefused(field: "tasks", reason: "the assisting departments have not finished: " + open.joined(separator: ", "))
            }
            guard let text = note, !text.trimmingWhitespace.isEmpty else { throw CaseRefused(field: "note", reason: "the feedback says what was done") }
            c.status = .handled
            c.handledAt = time
            c.handlingWorkingSeconds = c.dispatchedAt.map { calendar.workingSeconds(from: $0, to: time) }
            c.onTime[.handle] = c.due[.handle].map { time <= $0 } ?? true
            c.pendingExtension = nil
            startClock(.inspect, of: &c, at: time)
        case .inspect(let passed):
            details = ["passed": passed ? "true" : "false"]
            c.onTime[.inspect] = c.due[.inspect].map { time <= $0 } ?? true
            if passed {
                c.status = .closed
                c.closedAt = time
                c.warnAt = nil
                c.nextAlertAt = nil
                details["onTime"] = c.closeDueAt.map { time <= $0 ? "true" : "false" } ?? "true"
            } else {
                // 返工: back to the department under the original handling deadline.
                _ = try required(note ?? "", "note")
                c.status = .handling
                c.reworks += 1
                c.handledAt = nil
                c.due[.inspect] = nil
                c.handlingWorkingSeconds = nil
                if let d = c.due[.handle], let dispatched = c.dispatchedAt {
                    let total = Int(calendar.workingSeconds(from: dispatched, to: d))
                    c.warnAt = calendar.deadline(from: dispatched, addingSeconds: Int((Double(total) * warningShare).rounded()))
                }
                rearmAlerts(&c, at: time)
            }
        case .evaluate(let satisfaction):
            guard (1...5).contains(satisfaction) else { throw CaseRefused(field: "satisfaction", reason: "from 1 (very dissatisfied) to 5 (very satisfied)") }
            c.satisfaction = satisfaction
            c.status = .evaluated
            c.evaluatedAt = time
            details = ["satisfaction": String(satisfaction)]
        case .remind:
            _ = try required(note ?? "", "note")
            c.reminders += 1
        }
        if let note, note.count > 2000 { throw CaseRefused(field: "note", reason: "is longer than 2000 characters") }
        c.version = original.version + 1
        let event = CaseEvent(sequence: c.version, action: action, actor: actor, time: time, note: note?.trimmingWhitespace.nilIfEmpty,
                              attachments: attachments, details: details, status: c.status)
        return (c, event)
    }
}

extension CaseWorkflow {
    /// Supervision's look at a case whose ``Case/nextAlertAt`` has come: yellow when the running
    /// step passed its warning mark, red and escalated to the street when overdue, to the district
    /// one working day later. Returns nil when nothing is due (the mark moved meanwhile).
    public func supervise(_ original: Case, at time: Date) -> (Case, CaseEvent)? {
        guard let next = original.nextAlertAt, next <= time, let step = original.status.runningStep, let due = original.runningDue else { return nil }
        var c = original
        let action: CaseAction
        var details = ["step": step.rawValue, "due": isoTimestamp(due)]
        if time < due {
            action = .warn
            details["level"] = AlertLevel.yellow.rawValue
            c.nextAlertAt = due
        } else {
            guard let level = EscalationLevel(rawValue: c.escalationLevel + 1) else {
                c.nextAlertAt = nil
                return nil
            }
            action = .escalate
            c.escalationLevel = level.rawValue
            details["level"] = AlertLevel.red.rawValue
            details["escalatedTo"] = level.name
            c.nextAlertAt = level == .district ? nil : calendar.deadline(from: due, adding: .days(1))
        }
        c.version = original.version + 1
        return (c, CaseEvent(sequence: c.version, action: action, actor: "supervision", time: time, note: nil, details: details, status: c.status))
    }
}

extension CaseWorkflow {
    /// The case without its reporter's phone, after an erasure; status and clocks unchanged, so
    /// the statistics stay.
    public func redacted(_ original: Case, at time: Date, reason: String) -> (Case, CaseEvent) {
        var c = original
        c.reporterContact = nil
        c.version = original.version + 1
        return (c, CaseEvent(sequence: c.version, action: .redact, actor: "erasure", time: time, note: nil, details: ["reason": reason], status: c.status))
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
