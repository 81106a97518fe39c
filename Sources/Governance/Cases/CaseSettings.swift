import Foundation

/// The loop's adjustable rules, stored as settings so that every instance on one database uses the
/// same: working hours, the yellow mark's share of a limit, and what counts as a duplicate.
public struct CaseSettings: Sendable, Hashable, CustomStringConvertible {
    public var workingHours: [WorkingPeriod] = WorkingCalendar.standardPeriods
    /// A running step turns yellow after this share of its limit.
    public var warningShare: Double = 0.8
    /// A new case of the same class this close to an open one, reported within this many hours after it, is proposed for merging.
    public var duplicateMetres: Double = 50
    public var duplicateHours: Double = 24

    public init() {}

    static let keys = (hours: "cases.working-hours", share: "cases.warning-share", metres: "cases.duplicate-metres", window: "cases.duplicate-hours")

    /// What is wrong, if anything: the field and the reason.
    public var problem: (field: String, reason: String)? {
        if workingHours.isEmpty { return ("workingHours", "at least one period such as 08:30-12:00") }
        if !(0.1...0.99).contains(warningShare) { return ("warningShare", "from 0.1 to 0.99") }
        if !(1...5000).contains(duplicateMetres) { return ("duplicateMetres", "from 1 to 5000") }
        if !(0.5...720).contains(duplicateHours) { return ("duplicateHours", "from 0.5 to 720") }
        return nil
    }

    public var description: String {
        "working hours \(workingHours.map(\.description).joined(separator: ",")), yellow at \(warningShare), duplicates within \(duplicateMetres) m and \(duplicateHours) h"
    }

    public static func load(from store: any SettingsStore) async throws -> CaseSettings {
        var s = CaseSettings()
        if let text = try await store.setting(keys.hours), let periods = WorkingPeriod.parseList(text) { s.workingHours = periods }
        if let text = try await store.setting(keys.share), let v = Double(text) { s.warningShare = v }
        if let text = try await store.setting(keys.metres), let v = Double(text) { s.duplicateMetres = v }
        if let text = try await store.setting(keys.window), let v = Double(text) { s.duplicateHours = v }
        return s
    }

    func save(to store: any SettingsStore) async throws {
        try await store.setSetting(Self.keys.hours, workingHours.map(\.description).joined(separator: ","))
        try await store.setSetting(Self.keys.share, String(warningShare))
        try await store.setSetting(Self.keys.metres, String(duplicateMetres))
        try await store.setSetting(Self.keys.window, String(duplicateHours))
    }
}
