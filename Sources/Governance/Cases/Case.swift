import Foundation
import GeoKit

/// Where a case came from (信息采集).
public enum CaseSource: String, Sendable, Codable, CaseIterable {
    /// A grid worker on patrol (巡查上报).
    case patrol
    /// A resident, through the web form (市民上报), possibly anonymous.
    case citizen
    /// The 12345 hotline operator.
    case hotline
    /// A department or an upper level (部门/上级转办).
    case referral
    /// A camera or sensor alarm (设备告警).
    case device

    public var chineseName: String {
        switch self {
        case .patrol: "网格员巡查"
        case .citizen: "市民上报"
        case .hotline: "12345热线"
        case .referral: "部门/上级转办"
        case .device: "设备告警"
        }
    }
}

/// Where a case stands in the closed loop.
public enum CaseStatus: String, Sendable, Codable, CaseIterable {
    case reported, registered, dispatched, handling, handled, closed, evaluated
    /// Not a case for CityBrain (invalid, out of scope).
    case rejected
    /// A duplicate, merged into another case (并单).
    case merged
    /// Paused by the command centre; clocks stop until it resumes.
    case suspended

    public var chineseName: String {
        switch self {
        case .reported: "待立案"
        case .registered: "待派遣"
        case .dispatched: "待签收"
        case .handling: "处置中"
        case .handled: "待核查"
        case .closed: "已结案"
        case .evaluated: "已评价"
        case .rejected: "不予立案"
        case .merged: "已并单"
        case .suspended: "已挂起"
        }
    }

    /// The step whose clock runs in this status.
    public var runningStep: CaseStep? {
        switch self {
        case .reported: .register
        case .registered: .dispatch
        case .dispatched, .handling: .handle
        case .handled: .inspect
        default: nil
        }
    }

    /// Still in the loop (not closed, evaluated, rejected or merged).
    public var isOpen: Bool { ![.closed, .evaluated, .rejected, .merged].contains(self) }
}

/// A department's part in a joint operation (联合执法): the assisting departments each have one.
public struct CaseTask: Sendable, Hashable, Codable {
    public var department: String
    public var dueAt: Date
    public var doneAt: Date?
    public var note: String?

    public init(department: String, dueAt: Date, doneAt: Date? = nil, note: String? = nil) {
        self.department = department
        self.dueAt = dueAt
        self.doneAt = doneAt
        self.note = note
    }
}

/// A department's request for more time, waiting for the command centre (延期申请).
public struct ExtensionRequest: Sendable, Hashable, Codable {
    public var limit: TimeLimit
    public var reason: String
    public var requestedBy: String
    public var requestedAt: Date
}

/// A problem in the closed loop: an event (事件) or a component (部件) case, from report to evaluation.
public struct Case: Sendable, Hashable, Codable {
    public var id: Int64?
    /// `330110-20261129-000123`: district, local day of the report, serial of the day.
    public var number: String
    public var source: CaseSource
    /// nil until classified (a citizen's report is classified at registration).
    public var classCode: CaseClassCode?
    public var urgency: Urgency
    public var status: CaseStatus
    public var description: String
    /// WGS-84.
    public var location: Coordinate
    public var addressText: String?
    /// The standard address matched (or given).
    public var addressCode: String?
    public var gridCode: RegionCode
    /// The reporter's name as shown on the timeline (the account's user name, `anonymous` for a
    /// resident without one). Never used to decide anything: names can be chosen, ids cannot.
    public var reporter: String
    /// The account that reported; nil for residents without an account, the console, devices and
    /// history imports. "My reports", a resident's rating and idempotency go by this id.
    public var reporterAccount: Int64?
    /// The reporter's phone for call-backs, sealed (personal data).
    public var reporterContact: String?
    /// SHA-256 of the tracking code given to the reporter (the code itself is never stored).
    public var trackingHash: String?
    /// The reference in the system the case came from (12345 ticket, alarm id …).
    public var externalReference: String?

    public var reportedAt: Date
    public var registeredAt: Date?
    public var dispatchedAt: Date?
    /// The first dispatch (accurate-dispatch KPI: a dispatch is accurate when never returned).
    public var firstDispatchedAt: Date?
    public var acceptedAt: Date?
    public var handledAt: Date?
    public var closedAt: Date?
    public var evaluatedAt: Date?
    public var rejectedAt: Date?
    /// Working time from the (last) dispatch to the feedback, for the average handling time.
    public var handlingWorkingSeconds: Double?

    /// The lead department, once dispatched.
    public var department: String?
    /// Assisting departments' tasks in joint handling.
    public var tasks: [CaseTask]
    /// The deadline of each step whose clock has started (latest value: extensions and
    /// suspensions move it).
    public var due: [CaseStep: Date]
    /// When the running step turns yellow.
    public var warnAt: Date?
    /// Whether each completed step finished within its limit (the KPIs count these).
    public var onTime: [CaseStep: Bool]
    /// The handling deadline plus the inspection limit: closing after it is closing late.
    public var closeDueAt: Date?

    public var returns: Int
    public var reworks: Int
    public var extensions: Int
    public var reminders: Int
    /// Supervision: when it next looks at the case (the yellow mark, then the deadline, then the
    /// next escalation); nil when nothing is due.
    public var nextAlertAt: Date?
    /// How many levels supervision has escalated the running step (0: none; 1: street; 2: district).
    public var escalationLevel: Int
    public var pendingExtension: ExtensionRequest?
    public var suspendedFrom: CaseStatus?
    public var suspendedAt: Date?
    public var mergedInto: String?
    public var rejectionReason: String?
    /// 1 (very dissatisfied) … 5 (very satisfied).
    public var satisfaction: Int?
    /// Open cases of the same class nearby, proposed for merging when the case came in.
    public var possibleDuplicates: [String]
    /// Incremented by every change; a change based on an older version is refused.
    public var version: Int

    public init(number: String = "", source: CaseSource, classCode: CaseClassCode?, urgency: Urgency, description: String, location: Coordinate,
                addressText: String? = nil, addressCode: String? = nil, gridCode: RegionCode, reporter: String, reportedAt: Date) {
        self.number = number
        self.source = source
        self.classCode = classCode
        self.urgency = urgency
        self.status = .reported
        self.description = description
        self.location = location
        self.addressText = addressText
        self.addressCode = addressCode
        self.gridCode = gridCode
        self.reporter = reporter
        self.reportedAt = reportedAt
        tasks = []
        due = [:]
        onTime = [:]
        returns = 0
        reworks = 0
        extensions = 0
        reminders = 0
        escalationLevel = 0
        possibleDuplicates = []
        version = 1
    }

    /// Whose report this is, as the stores index it: `account:<id>`, or `public` for every report
    /// that belongs to no account.
    public var reporterKey: String { Self.reporterKey(account: reporterAccount) }

    public static func reporterKey(account: Int64?) -> String { account.map { "account:\($0)" } ?? "public" }

    /// The deadline of the step now running, if any.
    public var runningDue: Date? { status.runningStep.flatMap { due[$0] } }

    public func isOverdue(at time: Date) -> Bool { runningDue.map { time > $0 } ?? false }

    /// Green, yellow (past the warning share of the limit) or red (overdue), for the running step.
    public func alertLevel(at time: Date) -> AlertLevel? {
        guard let due = runningDue else { return nil }
        if time > due { return .red }
        if let warnAt, time >= warnAt { return .yellow }
        return .green
    }

    /// Whether the department takes part (lead or assisting).
    public func involves(department: String) -> Bool { self.department == department || tasks.contains { $0.department == department } }
}

public enum AlertLevel: String, Sendable, Codable { case green, yellow, red }

/// One entry of a case's timeline: who did what, when, with which note and attachments.
public struct CaseEvent: Sendable, Hashable, Codable {
    /// The case's version after the step (1 for the report).
    public var sequence: Int
    public var action: CaseAction
    public var actor: String
    public var time: Date
    public var note: String?
    /// SHA-256 of stored attachments (photos of the report, the feedback, the inspection …).
    public var attachments: [String]
    /// What the step set: department, reason, class, satisfaction …
    public var details: [String: String]
    public var status: CaseStatus

    public init(sequence: Int, action: CaseAction, actor: String, time: Date, note: String?, attachments: [String] = [], details: [String: String] = [:],
                status: CaseStatus) {
        self.sequence = sequence
        self.action = action
        self.actor = actor
        self.time = time
        self.note = note
        self.attachments = attachments
        self.details = details
        self.status = status
    }
}

/// A request about a case that cannot be done as asked: which field and why (answered 400).
public struct CaseRefused: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

/// A step that the case's status does not allow (answered 409 with the steps it does allow).
public struct CaseTransitionRefused: Error, Sendable, Equatable, CustomStringConvertible {
    public var number: String
    public var action: CaseAction
    public var status: CaseStatus
    public var allowed: [CaseAction]

    public var description: String {
        "case \(number) is \(status.rawValue) (\(status.chineseName)): \(action.rawValue) is not possible; possible now: "
            + (allowed.isEmpty ? "none" : allowed.map(\.rawValue).joined(separator: ", "))
    }
}

/// A change based on an outdated read of the case (answered 409 with the current version).
public struct CaseVersionConflict: Error, Sendable, Equatable, CustomStringConvertible {
    public var number: String
    public var expected: Int
    public var current: Int

    public init(number: String, expected: Int, current: Int) {
        self.number = number
        self.expected = expected
        self.current = current
    }

    public var description: String {
        "case \(number) changed meanwhile: it is at version \(current), the change was based on version \(expected); read it again and retry"
    }
}
