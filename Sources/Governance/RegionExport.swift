import Foundation
import GeoKit

/// Regions as GeoJSON features, in the same property names the importer reads by default, so that
/// an export can be edited and imported again.
public enum RegionExport {
    public static func feature(_ r: Region, coordinateSystem: CoordinateSystem = .wgs84, workers: Int? = nil) -> Feature {
        var p = JSONObject([
            ("code", .string(r.code.rawValue)),
            ("name", .string(r.name)),
            ("level", .string(r.level.rawValue)),
            ("parent", r.parentCode.map { .string($0.rawValue) } ?? .null),
            ("validFrom", .string(isoTimestamp(r.validFrom))),
            ("validTo", r.validTo.map { .string(isoTimestamp($0)) } ?? .null),
            ("areaSquareMetres", .number((r.geometry.area).rounded())),
        ])
        if let workers { p["gridWorkers"] = .number(Double(workers)) }
        if coordinateSystem != .wgs84 { p["crs"] = .string(coordinateSystem.rawValue) }
        let geometry: MultiPolygon = coordinateSystem == .wgs84 || coordinateSystem == .cgcs2000
            ? r.geometry
            : r.geometry.mapCoordinates { CoordinateTransform.fromWGS84($0, to: coordinateSystem) }
        return Feature(id: .string(r.code.rawValue), geometry: .multiPolygon(geometry), properties: p)
    }
}

/// The district's time zone: date-only inputs and displayed times are in it; storage is UTC.
public let districtTimeZone = TimeZone(identifier: "Asia/Shanghai")!

/// ISO-8601 with the offset of the district's time zone (2026-11-29T08:00:00+08:00), as the API writes times.
public func isoTimestamp(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(timeSeparator: .colon, timeZoneSeparator: .colon, timeZone: districtTimeZone))
}

/// Reads `2026-11-29` (midnight in Asia/Shanghai, the district's time zone) or a full ISO-8601 time.
public func parseInstant(_ text: String) -> Date? {
    let t = text.trimmingWhitespace
    if t.count == 10 {
        let chars = Array(t)
        guard chars[4] == "-", chars[7] == "-", chars.enumerated().allSatisfy({ $0.offset == 4 || $0.offset == 7 || $0.element.isASCII && $0.element.isNumber }),
              let year = Int(String(chars[0..<4])), let month = Int(String(chars[5..<7])), let day = Int(String(chars[8..<10]))
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = districtTimeZone
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
              calendar.dateComponents([.year, .month, .day], from: date) == DateComponents(year: year, month: month, day: day)
        else { return nil }
        return date
    }
    if let d = try? Date(t, strategy: .iso8601) { return d }
    return try? Date(t, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
}
