import Foundation

/// A calendar day in the district's time zone (Asia/Shanghai, UTC+8 all year: China has had no
/// daylight saving time since 1991), counted in days since 1970-01-01.
public struct CivilDay: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let daysSinceEpoch: Int

    /// Seconds the district's clock is ahead of UTC.
    public static let utcOffset = 8 * 3600

    public init(daysSinceEpoch: Int) { self.daysSinceEpoch = daysSinceEpoch }

    /// The day on which `date` falls in the district.
    public init(_ date: Date) {
        let local = Int((date.timeIntervalSince1970).rounded(.down)) + Self.utcOffset
        daysSinceEpoch = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
    }

    /// Proleptic Gregorian date → day (H. Hinnant's days_from_civil).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        daysSinceEpoch = era * 146_097 + doe - 719_468
        guard components == (year, month, day) else { return nil }
    }

    /// The years a date given by a person or a file may have: every date read from text must lie
    /// in them, so nothing is stored that its reader would refuse (a day in the year 361 was once
    /// accepted, stored as `361-01-01`, and then stopped the server from starting).
    public static let supportedYears = 1900...2199

    /// `2026-10-01`, in ``supportedYears``.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), Self.supportedYears.contains(y) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public var isSupported: Bool { Self.supportedYears.contains(components.year) }

    public var components: (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// 1 Monday … 7 Sunday (1970-01-01 was a Thursday).
    public var weekday: Int { ((daysSinceEpoch % 7 + 7) % 7 + 3) % 7 + 1 }

    /// Midnight at the start of the day, in the district.
    public var start: Date { Date(timeIntervalSince1970: Double(daysSinceEpoch * 86_400 - Self.utcOffset)) }

    public func adding(days: Int) -> CivilDay { CivilDay(daysSinceEpoch: daysSinceEpoch + days) }

    /// The first day of `2026-11` (a month as people write it), nil for anything else.
    public init?(month text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, (1...2).contains(parts[1].count), let y = Int(parts[0]), let m = Int(parts[1]),
              Self.supportedYears.contains(y) else { return nil }
        self.init(year: y, month: m, day: 1)
    }

    /// The first day of this day's month, of the month after it, of the month before it.
    public var firstOfMonth: CivilDay { let c = components; return CivilDay(year: c.year, month: c.month, day: 1)! }
    public var firstOfNextMonth: CivilDay {
        let c = components
        return CivilDay(year: c.month == 12 ? c.year + 1 : c.year, month: c.month == 12 ? 1 : c.month + 1, day: 1)!
    }
    public var firstOfPreviousMonth: CivilDay {
        let c = components
        return CivilDay(year: c.month == 1 ? c.year - 1 : c.year, month: c.month == 1 ? 12 : c.month - 1, day: 1)!
    }

    public var description: String {
        let c = components
        let year = String(c.year)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + "-" + (c.month < 10 ? "0" : "") + String(c.month) + "-" + (c.day < 10 ? "0" : "") + String(c.day)
    }

    public static func < (l: CivilDay, r: CivilDay) -> Bool { l.daysSinceEpoch < r.daysSinceEpoch }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let day = CivilDay(iso: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not a date (YYYY-MM-DD)"))
        }
        self = day
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// A span of working time in one day, in minutes after local midnight (`start` < `end`).
public struct WorkingPeriod: Hashable, Sendable, Codable, CustomStringConvertible {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    public var description: String {
        func hm(_ m: Int) -> String { (m / 60 < 10 ? "0" : "") + String(m / 60) + ":" + (m % 60 < 10 ? "0" : "") + String(m % 60) }
        return hm(start) + "-" + hm(end)
    }

    /// Reads `08:30-12:00,13:30-17:30`: ordered, non-overlapping periods within one day.
    public static func parseList(_ text: String) -> [WorkingPeriod]? {
        var periods: [WorkingPeriod] = []
        for part in text.split(separator: ",") {
            let ends = part.trimmingCharacters(in: .whitespaces).split(separator: "-")
            guard ends.count == 2, let s = minutes(ends[0]), let e = minutes(ends[1]), s < e,
                  periods.last.map({ $0.end <= s }) ?? true else { return nil }
            periods.append(WorkingPeriod(start: s, end: e))
        }
        return periods.isEmpty ? nil : periods
    }

    private static func minutes(_ text: Substring) -> Int? {
        let hm = text.split(separator: ":")
        guard hm.count == 2, let h = Int(hm[0]), let m = Int(hm[1]), (0...24).contains(h), (0...59).contains(m), h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }
}

/// What makes a day different from its weekday: a public holiday (off even on a weekday) or a
/// make-up workday (调休上班: on even on a weekend).
public struct CalendarDay: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable { case holiday, workday }
    public var day: CivilDay
    public var kind: Kind
    /// 国庆节, 春节调休 …
    public var name: String

    public init(day: CivilDay, kind: Kind, name: String) {
        self.day = day
        self.kind = kind
        self.name = name
    }
}

/// Working time: the hours of a working day, weekends off, public holidays and make-up workdays.
///
/// All time limits are counted in this time. A limit of n working days is n times the length of a
/// working day: a case dispatched at 10:00 with 2 working days is due at 10:00 two working days
/// later. A deadline that falls exactly at the end of a period stays there (17:30, not 08:30 the
/// next working day).
public struct WorkingCalendar: Sendable, Hashable {
    public var periods: [WorkingPeriod]
    public private(set) var exceptions: [CivilDay: CalendarDay]

    /// 08:30–12:00 and 13:30–17:30: 7.5 working hours, the common office day of a district government.
    public static let standardPeriods = [WorkingPeriod(start: 510, end: 720), WorkingPeriod(start: 810, end: 1050)]

    public init(periods: [WorkingPeriod] = standardPeriods, days: [CalendarDay] = OfficialHolidays.all) {
        self.periods = periods
        exceptions = Dictionary(days.map { ($0.day, $0) }, uniquingKeysWith: { _, later in later })
    }

    /// The official calendar with an administrator's changes: a stored day replaces the official one.
    public func with(_ days: [CalendarDay]) -> WorkingCalendar {
        var calendar = self
        for d in days { calendar.exceptions[d.day] = d }
        return calendar
    }

    public var days: [CalendarDay] { exceptions.values.sorted { $0.day < $1.day } }

    /// Working seconds in one working day.
    public var dayLength: Int { periods.reduce(0) { $0 + ($1.end - $1.start) } * 60 }

    public func isWorkday(_ day: CivilDay) -> Bool {
        if let e = exceptions[day] { return e.kind == .workday }
        return day.weekday <= 5
    }

    /// The instant `limit` of working time after `start`. A start outside working time counts from
    /// the next working period.
    public func deadline(from start: Date, adding limit: TimeLimit) -> Date {
        deadline(from: start, addingSeconds: limit.workingSeconds(dayLength: dayLength))
    }

    public func deadline(from start: Date, addingSeconds amount: Int) -> Date {
        precondition(dayLength > 0, "a working calendar needs working hours")
        var remaining = amount
        var day = CivilDay(start)
        // Seconds after the local midnight of `day`, fractional part kept aside.
        let startSeconds = start.timeIntervalSince1970 + Double(CivilDay.utcOffset)
        var position = Int(startSeconds.rounded(.down)) - day.daysSinceEpoch * 86_400
        let fraction = startSeconds - startSeconds.rounded(.down)
        if remaining <= 0 { return start }
        while true {
            if isWorkday(day) {
                for p in periods where position < p.end * 60 {
                    let from = max(position, p.start * 60)
                    let available = p.end * 60 - from
                    if remaining <= available {
                        return Date(timeIntervalSince1970: Double(day.daysSinceEpoch * 86_400 + from + remaining - CivilDay.utcOffset) + (from == position ? fraction : 0))
                    }
                    remaining -= available
                    position = p.end * 60
                }
            }
            day = day.adding(days: 1)
            position = 0
        }
    }

    /// Working seconds between two instants (0 when `end` is not after `start`).
    public func workingSeconds(from start: Date, to end: Date) -> Double {
        guard end > start else { return 0 }
        var total = 0.0
        var day = CivilDay(start)
        let last = CivilDay(end)
        while day <= last {
            if isWorkday(day) {
                let midnight = Double(day.daysSinceEpoch * 86_400 - CivilDay.utcOffset)
                for p in periods {
                    let from = max(start.timeIntervalSince1970, midnight + Double(p.start * 60))
                    let to = min(end.timeIntervalSince1970, midnight + Double(p.end * 60))
                    if to > from { total += to - from }
                }
            }
            day = day.adding(days: 1)
        }
        return total
    }
}

/// A time limit as the regulations state it: so many working minutes, hours or days.
public struct TimeLimit: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Unit: String, Sendable, Codable, CaseIterable {
        case minutes, hours, days
    }

    public var amount: Int
    public var unit: Unit

    public init(_ amount: Int, _ unit: Unit) {
        self.amount = amount
        self.unit = unit
    }

    public static func minutes(_ n: Int) -> TimeLimit { TimeLimit(n, .minutes) }
    public static func hours(_ n: Int) -> TimeLimit { TimeLimit(n, .hours) }
    public static func days(_ n: Int) -> TimeLimit { TimeLimit(n, .days) }

    public func workingSeconds(dayLength: Int) -> Int {
        switch unit {
        case .minutes: amount * 60
        case .hours: amount * 3600
        case .days: amount * dayLength
        }
    }

    /// `30 working minutes` / `4 个工作小时`.
    public var description: String { "\(amount) working \(unit.rawValue)" }

    public var chineseDescription: String {
        switch unit {
        case .minutes: "\(amount)个工作分钟"
        case .hours: "\(amount)个工作小时"
        case .days: "\(amount)个工作日"
        }
    }

    /// Reads `30m`, `4h`, `20d` (working minutes, hours, days).
    public init?(text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let last = t.last, let n = Int(t.dropLast()), n > 0 else { return nil }
        switch last {
        case "m": self.init(n, .minutes)
        case "h": self.init(n, .hours)
        case "d": self.init(n, .days)
        default: return nil
        }
    }

    public var shortText: String { "\(amount)\(unit == .minutes ? "m" : unit == .hours ? "h" : "d")" }
}
