import Foundation

/// The counts the KPIs are ratios of, for one scope and one day (or summed over a period).
///
/// Each case contributes to the day its event or deadline falls on (district time): reports by
/// report day, registration decisions by decision day, dispatches by first dispatch day, the
/// handling and closing cohorts by the day of their deadline, feedback by feedback day and ratings
/// by rating day. A case's contribution is a function of its state (``CaseKPI/contributions(of:)``),
/// so the read model is kept exact by adding the new state's contribution and subtracting the old
/// one in the transaction of every change.
public struct KPICounters: Sendable, Hashable, Codable {
    public var reported = 0
    /// Registered or rejected (立案 decisions), and those within the register limit.
    public var decided = 0
    public var decidedOnTime = 0
    /// Cases dispatched (by first dispatch) and those never returned (准确派遣).
    public var dispatched = 0
    public var dispatchedAccurate = 0
    /// Due for handling (handling deadline on the day) and handled within it.
    public var handleDue = 0
    public var handledOnTime = 0
    /// Due for closing (closing deadline on the day): closed, closed on time, reworked, extended.
    public var closeDue = 0
    public var closed = 0
    public var closedOnTime = 0
    public var reworked = 0
    public var extended = 0
    /// Feedback given (by feedback day) and the working seconds from dispatch to feedback.
    public var handled = 0
    public var handlingSeconds = 0
    /// Ratings, the satisfied ones (4 or 5) and their sum.
    public var evaluated = 0
    public var satisfied = 0
    public var satisfactionSum = 0

    public init() {}

    public static let fieldNames = ["reported", "decided", "decidedOnTime", "dispatched", "dispatchedAccurate", "handleDue", "handledOnTime", "closeDue", "closed",
                                    "closedOnTime", "reworked", "extended", "handled", "handlingSeconds", "evaluated", "satisfied", "satisfactionSum"]

    /// The counters in the order of ``fieldNames`` (for stores).
    public var values: [Int] {
        [reported, decided, decidedOnTime, dispatched, dispatchedAccurate, handleDue, handledOnTime, closeDue, closed, closedOnTime, reworked, extended,
         handled, handlingSeconds, evaluated, satisfied, satisfactionSum]
    }

    public init(values v: [Int]) {
        precondition(v.count == Self.fieldNames.count)
        (reported, decided, decidedOnTime, dispatched, dispatchedAccurate, handleDue, handledOnTime, closeDue, closed, closedOnTime, reworked, extended,
         handled, handlingSeconds, evaluated, satisfied, satisfactionSum) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16])
    }

    public var isZero: Bool { values.allSatisfy { $0 == 0 } }

    public static func + (l: KPICounters, r: KPICounters) -> KPICounters { KPICounters(values: zip(l.values, r.values).map(+)) }
    public static func - (l: KPICounters, r: KPICounters) -> KPICounters { KPICounters(values: zip(l.values, r.values).map(-)) }
    public static func += (l: inout KPICounters, r: KPICounters) { l = l + r }
}

/// A change to the read model: add `counters` to one scope's day.
public struct KPIDelta: Sendable, Hashable {
    /// `r:<region code>` for a grid and each region above it, `d:<department>` for the lead department.
    public var scope: String
    public var day: CivilDay
    public var counters: KPICounters

    public init(scope: String, day: CivilDay, counters: KPICounters) {
        self.scope = scope
        self.day = day
        self.counters = counters
    }
}

public enum CaseKPI {
    public static func regionScope(_ code: RegionCode) -> String { "r:" + code.rawValue }
    public static func departmentScope(_ code: String) -> String { "d:" + code }

    /// The scopes a case counts in: its grid, every region above the grid, its lead department.
    public static func scopes(of c: Case) -> [String] {
        var scopes: [String] = []
        var code: RegionCode? = c.gridCode
        while let r = code, r.level >= .district {
            scopes.append(regionScope(r))
            code = r.derivedParent
        }
        if let d = c.department { scopes.append(departmentScope(d)) }
        return scopes
    }

    static let handledStatuses: Set<CaseStatus> = [.handled, .closed, .evaluated]
    static let closedStatuses: Set<CaseStatus> = [.closed, .evaluated]

    /// What the case adds to each day, whatever the scope.
    public static func contributions(of c: Case) -> [CivilDay: KPICounters] {
        var days: [CivilDay: KPICounters] = [:]
        func add(_ date: Date, _ change: (inout KPICounters) -> Void) { change(&days[CivilDay(date), default: KPICounters()]) }
        add(c.reportedAt) { $0.reported += 1 }
        if let decidedAt = c.registeredAt ?? c.rejectedAt {
            add(decidedAt) { k in
                k.decided += 1
                if c.onTime[.register] == true { k.decidedOnTime += 1 }
            }
        }
        guard c.status != .merged && c.status != .rejected else { return days.filter { !$0.value.isZero } }
        if let first = c.firstDispatchedAt {
            add(first) { k in
                k.dispatched += 1
                if c.returns == 0 { k.dispatchedAccurate += 1 }
            }
        }
        if let due = c.due[.handle], c.dispatchedAt != nil {
            add(due) { k in
                k.handleDue += 1
                if handledStatuses.contains(c.status) && c.onTime[.handle] == true { k.handledOnTime += 1 }
            }
        }
        if let due = c.closeDueAt, c.dispatchedAt != nil {
            add(due) { k in
                k.closeDue += 1
                if closedStatuses.contains(c.status) {
                    k.closed += 1
                    if let at = c.closedAt, at <= due { k.closedOnTime += 1 }
                }
                if c.reworks > 0 { k.reworked += 1 }
                if c.extensions > 0 { k.extended += 1 }
            }
        }
        if let at = c.handledAt, let seconds = c.handlingWorkingSeconds {
            add(at) { k in
                k.handled += 1
                k.handlingSeconds += Int(seconds.rounded())
            }
        }
        if let at = c.evaluatedAt, let s = c.satisfaction {
            add(at) { k in
                k.evaluated += 1
                if s >= 4 { k.satisfied += 1 }
                k.satisfactionSum += s
            }
        }
        return days.filter { !$0.value.isZero }
    }

    /// The read-model changes that take `old` (nil: a new case) to `new`.
    public static func deltas(from old: Case?, to new: Case) -> [KPIDelta] {
        var result: [String: [CivilDay: KPICounters]] = [:]
        func add(_ c: Case, sign: Int) {
            let days = contributions(of: c)
            for scope in scopes(of: c) {
                for (day, k) in days {
                    result[scope, default: [:]][day, default: KPICounters()] += sign > 0 ? k : KPICounters() - k
                }
            }
        }
        if let old { add(old, sign: -1) }
        add(new, sign: 1)
        return result.flatMap { scope, days in
            days.filter { !$0.value.isZero }.map { KPIDelta(scope: scope, day: $0.key, counters: $0.value) }
        }.sorted { ($0.scope, $0.day) < ($1.scope, $1.day) }
    }
}

/// The KPIs of DOMAIN.md §3 for one period and scope, from the counters (nil where the
/// denominator is zero).
public struct KPIReport: Sendable, Hashable {
    public var counters: KPICounters
    public init(counters: KPICounters) { self.counters = counters }

    static func ratio(_ n: Int, _ d: Int) -> Double? { d == 0 ? nil : Double(n) / Double(d) }

    /// 按期处置率
    public var handledOnTimeRate: Double? { Self.ratio(counters.handledOnTime, counters.handleDue) }
    /// 结案率
    public var closingRate: Double? { Self.ratio(counters.closed, counters.closeDue) }
    /// 按期结案率
    public var closedOnTimeRate: Double? { Self.ratio(counters.closedOnTime, counters.closeDue) }
    /// 返工率
    public var reworkRate: Double? { Self.ratio(counters.reworked, counters.closeDue) }
    /// 超期率: due for closing but not closed within the limit.
    public var overdueRate: Double? { Self.ratio(counters.closeDue - counters.closedOnTime, counters.closeDue) }
    /// 延期率
    public var extensionRate: Double? { Self.ratio(counters.extended, counters.closeDue) }
    /// 准确派遣率
    public var accurateDispatchRate: Double? { Self.ratio(counters.dispatchedAccurate, counters.dispatched) }
    /// 按时立案率
    public var registeredOnTimeRate: Double? { Self.ratio(counters.decidedOnTime, counters.decided) }
    /// Average working hours from dispatch to feedback.
    public var averageHandlingHours: Double? { counters.handled == 0 ? nil : Double(counters.handlingSeconds) / Double(counters.handled) / 3600 }
    /// 满意率
    public var satisfactionRate: Double? { Self.ratio(counters.satisfied, counters.evaluated) }
    public var averageSatisfaction: Double? { counters.evaluated == 0 ? nil : Double(counters.satisfactionSum) / Double(counters.evaluated) }
}
