import Foundation
import GeoKit
import Governance
import Testing

/// Whatever a write path accepts, the store reads back unchanged: dates across the whole supported
/// range and text as people type it (emoji, CJK, quotes and backslashes, tabs and line breaks,
/// the longest a field allows). Drawn from a seeded generator, so a failure repeats.
extension StoreBehaviour {
    /// A small deterministic generator (SplitMix64), so every run draws the same values.
    struct Draw {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

        /// Text a person might type into a name field, up to `maxLength` characters.
        mutating func text(maxLength: Int) -> String {
            let pieces = ["国庆节", "调休上班", "🎆", "👨‍👩‍👧", "é", "e\u{301}", "'", "\"", "\\", "\t", "\n", "%", "_", "<b>", "=SUM(A1)", "ÿ", "𠮷", " ", "Ω"]
            var s = ""
            let wanted = int(1...maxLength)
            while s.count < wanted { s += pick(pieces) }
            while s.count > maxLength { s.removeLast() }
            return s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "节" : s
        }
    }

    @Sendable static func dictionaryRoundTrip(_ make: CaseFactory) async throws {
        let store = try await make()
        let audit = AuditRecord(actor: "admin", action: "test", target: "x")
        var draw = Draw(state: 20_261_204)
        let first = CivilDay(year: CivilDay.supportedYears.lowerBound, month: 1, day: 1)!
        let last = CivilDay(year: CivilDay.supportedYears.upperBound, month: 12, day: 31)!
        var days: [CivilDay: CalendarDay] = [:]
        for day in [first, last] + (0..<60).map({ _ in CivilDay(daysSinceEpoch: draw.int(first.daysSinceEpoch...last.daysSinceEpoch)) }) {
            days[day] = CalendarDay(day: day, kind: draw.pick([.holiday, .workday]), name: draw.text(maxLength: 100))
        }
        for day in days.values { try await store.saveCalendarDay(day, audit: audit) }
        #expect(try await store.storedCalendarDays() == days.values.sorted { $0.day < $1.day })

        var departments: [Department] = []
        for i in 0..<20 {
            let code = "d-\(i)-" + String(repeating: "x", count: draw.int(0...30))
            departments.append(Department(code: code, name: draw.text(maxLength: 200), territory: i.isMultiple(of: 2) ? try RegionCode("330110001") : nil,
                                          active: i % 3 != 0))
        }
        for d in departments { try await store.saveDepartment(d, audit: audit) }
        #expect(try await store.departments() == departments.sorted { $0.code < $1.code })

        var classes: [CaseClass] = []
        for i in 1...15 {
            let code = try CaseClassCode("E07" + (i < 10 ? "0" : "") + String(i))
            classes.append(CaseClass(code: code, name: draw.text(maxLength: 50), limits: CaseClass.standardLimits(handle: .days(draw.int(1...30)), urgent: .hours(4))))
        }
        for c in classes { try await store.saveCaseClass(c, audit: audit) }
        #expect(try await store.storedCaseClasses() == classes)
        #expect(store.unreadableRows.all.isEmpty)
    }
}
