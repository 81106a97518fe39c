import Foundation
import Governance
import Testing

/// A local time in the district (UTC+8).
func local(_ text: String) -> Date {
    // "2026-10-09 17:30"
    let parts = text.split(separator: " ")
    let day = CivilDay(iso: String(parts[0]))!
    let hm = parts[1].split(separator: ":").map { Int($0)! }
    return day.start.addingTimeInterval(Double(hm[0] * 3600 + hm[1] * 60 + (hm.count > 2 ? hm[2] : 0)))
}

@Suite("Working calendar")
struct WorkingCalendarTests {
    @Test("months: parsed as people write them, and the first days of the month, the next and the previous across year ends")
    func months() {
        #expect(CivilDay(month: "2026-11") == CivilDay(year: 2026, month: 11, day: 1))
        #expect(CivilDay(month: "2026-1") == CivilDay(year: 2026, month: 1, day: 1))
        for bad in ["2026-13", "26-11", "2026/11", "2026-11-01", "", "november"] { #expect(CivilDay(month: bad) == nil, "\(bad)") }
        let day = CivilDay(iso: "2026-12-15")!
        #expect(day.firstOfMonth.description == "2026-12-01")
        #expect(day.firstOfNextMonth.description == "2027-01-01")
        #expect(day.firstOfPreviousMonth.description == "2026-11-01")
        #expect(CivilDay(iso: "2026-01-31")!.firstOfPreviousMonth.description == "2025-12-01")
    }

    let calendar = WorkingCalendar()

    @Test("civil days convert both ways and know their weekday")
    func civilDays() throws {
        #expect(CivilDay(iso: "1970-01-01")?.daysSinceEpoch == 0)
        #expect(CivilDay(iso: "2026-11-30")?.weekday == 1)
        #expect(CivilDay(iso: "2026-11-29")?.weekday == 7)
        #expect(CivilDay(iso: "2024-02-29")?.description == "2024-02-29")
        #expect(CivilDay(iso: "2025-02-29") == nil)
        #expect(CivilDay(iso: "2026-13-01") == nil)
        // 23:59 UTC on the 29th is 07:59 on the 30th in the district.
        #expect(CivilDay(Date(timeIntervalSince1970: 1_764_460_740 + 365 * 86400)).description == "2026-11-30")
        for n in stride(from: -1000, to: 30000, by: 37) {
            let d = CivilDay(daysSinceEpoch: n)
            let c = d.components
            #expect(CivilDay(year: c.year, month: c.month, day: c.day) == d)
        }
    }

    @Test("the official 2026 calendar: holidays off, make-up Saturdays and Sundays on")
    func official2026() {
        func day(_ s: String) -> CivilDay { CivilDay(iso: s)! }
        #expect(!calendar.isWorkday(day("2026-10-01")))
        #expect(!calendar.isWorkday(day("2026-10-07")))
        #expect(calendar.isWorkday(day("2026-10-08")))
        #expect(calendar.isWorkday(day("2026-10-10")))  // Saturday, 调休上班
        #expect(calendar.isWorkday(day("2026-09-20")))  // Sunday, 调休上班
        #expect(calendar.isWorkday(day("2026-02-14")) && calendar.isWorkday(day("2026-02-28")))
        #expect((15...23).allSatisfy { !calendar.isWorkday(day("2026-02-\($0)")) })
        #expect(!calendar.isWorkday(day("2026-02-23")))  // Monday inside 春节
        #expect(calendar.isWorkday(day("2026-01-04")))  // Sunday after 元旦
        #expect(!calendar.isWorkday(day("2026-06-19")) && !calendar.isWorkday(day("2026-09-25")))
        #expect(!calendar.isWorkday(day("2026-11-29")) && calendar.isWorkday(day("2026-11-30")))
        // 2025 and 2024 as published.
        #expect(!calendar.isWorkday(day("2025-10-08")) && calendar.isWorkday(day("2025-10-11")))
        #expect(!calendar.isWorkday(day("2025-02-04")) && calendar.isWorkday(day("2025-01-26")))
        #expect(!calendar.isWorkday(day("2024-02-16")) && calendar.isWorkday(day("2024-02-18")))
        #expect(OfficialHolidays.years == [2023, 2024, 2025, 2026])
        #expect(!calendar.isWorkday(day("2023-10-06")) && calendar.isWorkday(day("2023-10-07")))
        // 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7 days off as arranged.
        #expect(calendar.days.filter { $0.kind == .holiday && $0.day.components.year == 2026 }.count == 33)
    }

    @Test("deadlines are counted in working time", arguments: [
        // Friday afternoon + 4 working hours → Monday morning.
        ("2026-11-27 16:30", "4h", "2026-11-30 11:30"),
        // From a Sunday evening, the clock starts on Monday at 08:30.
        ("2026-11-29 20:00", "30m", "2026-11-30 09:00"),
        // Ending exactly at a period's end stays there.
        ("2026-11-30 08:30", "210m", "2026-11-30 12:00"),
        // The lunch break does not count.
        ("2026-11-30 11:50", "20m", "2026-11-30 13:40"),
        // Across National Day: half an hour on 30 September, the rest on 8 October.
        ("2026-09-30 17:00", "1d", "2026-10-08 17:00"),
        // The make-up Saturday after the holiday is a working day.
        ("2026-10-09 17:30", "1h", "2026-10-10 09:30"),
        // 20 working days of a demolition order, across the Spring Festival.
        ("2026-02-10 10:00", "20d", "2026-03-16 10:00"),
        // Before 08:30 counts from 08:30.
        ("2026-12-01 06:00", "1h", "2026-12-01 09:30"),
    ])
    func deadlines(start: String, limit: String, expected: String) throws {
        let l = try #require(TimeLimit(text: limit))
        #expect(calendar.deadline(from: local(start), adding: l) == local(expected))
    }

    @Test("the working time between a start and its deadline is the limit, for any start")
    func inverse() {
        var generator = SeededGenerator(seed: 42)
        let from = local("2025-12-20 00:00").timeIntervalSince1970
        for _ in 0..<2000 {
            let start = Date(timeIntervalSince1970: (from + Double.random(in: 0..<(400 * 86400), using: &generator)).rounded())
            let seconds = Int.random(in: 1..<(30 * 27000), using: &generator)
            let due = calendar.deadline(from: start, addingSeconds: seconds)
            #expect(calendar.workingSeconds(from: start, to: due) == Double(seconds))
            #expect(due > start)
        }
    }

    @Test("an administrator's day replaces the official one")
    func overrides() {
        let changed = calendar.with([CalendarDay(day: CivilDay(iso: "2026-12-31")!, kind: .holiday, name: "区级停工日"),
                                     CalendarDay(day: CivilDay(iso: "2027-01-01")!, kind: .holiday, name: "元旦"),
                                     CalendarDay(day: CivilDay(iso: "2026-10-01")!, kind: .workday, name: "值班")])
        #expect(!changed.isWorkday(CivilDay(iso: "2026-12-31")!))
        #expect(changed.isWorkday(CivilDay(iso: "2026-10-01")!))
        #expect(changed.deadline(from: local("2026-12-30 17:00"), adding: .hours(1)) == local("2027-01-04 09:00"))
    }

    @Test("working hours and limits parse and refuse nonsense")
    func parsing() {
        #expect(WorkingPeriod.parseList("08:30-12:00,13:30-17:30") == WorkingCalendar.standardPeriods)
        #expect(WorkingPeriod.parseList("13:30-17:30,08:30-12:00") == nil)
        #expect(WorkingPeriod.parseList("09:00-08:00") == nil)
        #expect(WorkingPeriod.parseList("") == nil)
        #expect(TimeLimit(text: "30m") == .minutes(30) && TimeLimit(text: "4h") == .hours(4) && TimeLimit(text: "20d") == .days(20))
        #expect(TimeLimit(text: "0h") == nil && TimeLimit(text: "4x") == nil && TimeLimit(text: "h") == nil)
        #expect(calendar.dayLength == 27000)
    }
}

/// SplitMix64: reproducible randomness for property tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
