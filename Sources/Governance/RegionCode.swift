/// The levels of the territory, from the top. A district government works with district → street →
/// community → grid; province and city exist so that a city of several districts fits one tree.
public enum RegionLevel: String, CaseIterable, Codable, Sendable, Comparable {
    case province, city, district, street, community, grid

    public var depth: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (l: RegionLevel, r: RegionLevel) -> Bool { l.depth < r.depth }

    /// The level directly above, if any.
    public var parent: RegionLevel? { depth == 0 ? nil : Self.allCases[depth - 1] }

    public var chineseName: String {
        switch self {
        case .province: "省"
        case .city: "市"
        case .district: "区县"
        case .street: "街道/乡镇"
        case .community: "社区/村"
        case .grid: "网格"
        }
    }

    /// Reads a level as written in data files: English names or the usual Chinese words.
    public init?(text: String) {
        let t = text.trimmingWhitespace.lowercased()
        switch t {
        case "province", "省", "自治区", "直辖市": self = .province
        case "city", "市", "地级市", "州": self = .city
        case "district", "county", "区", "县", "区县", "县级市": self = .district
        case "street", "town", "township", "subdistrict", "街道", "镇", "乡", "乡镇", "街道/乡镇": self = .street
        case "community", "village", "社区", "村", "居委会", "村委会", "社区/村": self = .community
        case "grid", "网格": self = .grid
        default: return nil
        }
    }
}

import Foundation

/// Why a text is not a region code.
public struct RegionCodeError: Error, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "\"\(text)\" is not a region code: \(reason)" }
}

/// A territory code: a 12-digit statistical division code (6 county + 3 township/street + 3
/// community/village) for every level down to the community, and a 14-digit unit-grid code
/// (the community's 12 digits + a 2-digit grid sequence) for grids (DOMAIN.md §2).
///
/// Shorter forms are accepted and padded: 6 digits (a county-level division such as 330110) and
/// 9 digits (a street). A 14-digit code ending in 00 names the community itself.
public struct RegionCode: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: String

    public init(_ text: String) throws(RegionCodeError) {
        let t = text.trimmingWhitespace
        guard !t.isEmpty else { throw RegionCodeError(text: text, reason: "it is empty") }
        guard t.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw RegionCodeError(text: text, reason: "only the digits 0–9 are allowed")
        }
        var code: String
        switch t.count {
        case 6: code = t + "000000"
        case 9: code = t + "000"
        case 12: code = t
        case 14:
            // Grid coding names the community itself with grid number 00.
            if t.hasSuffix("00") {
                code = String(t.prefix(12))
                guard !code.hasSuffix("000") else { throw RegionCodeError(text: text, reason: "a 14-digit code ending in 00 must name a community") }
            } else {
                code = t
            }
        default: throw RegionCodeError(text: text, reason: "a code has 6, 9, 12 (division) or 14 (grid) digits, not \(t.count)")
        }
        let digits = Array(code.utf8)
        func zero(_ r: Range<Int>) -> Bool { digits[r].allSatisfy { $0 == UInt8(ascii: "0") } }
        if zero(0..<2) { throw RegionCodeError(text: text, reason: "the province digits cannot be 00") }
        // A lower part may be non-zero only if every higher part is.
        if zero(2..<4) && !zero(4..<12) { throw RegionCodeError(text: text, reason: "city digits 00 with a lower level set") }
        if zero(4..<6) && !zero(6..<12) { throw RegionCodeError(text: text, reason: "county digits 00 with a lower level set") }
        if zero(6..<9) && !zero(9..<12) { throw RegionCodeError(text: text, reason: "street digits 000 with a community set") }
        if digits.count == 14 && zero(9..<12) { throw RegionCodeError(text: text, reason: "a grid must belong to a community (digits 10–12 are 000)") }
        self.rawValue = code
    }

    public var level: RegionLevel {
        let d = Array(rawValue.utf8)
        if d.count == 14 { return .grid }
        func zero(_ r: Range<Int>) -> Bool { d[r].allSatisfy { $0 == UInt8(ascii: "0") } }
        if zero(2..<12) { return .province }
        if zero(4..<12) { return .city }
        if zero(6..<12) { return .district }
        if zero(9..<12) { return .street }
        return .community
    }

    /// The parent's code as the coding standard derives it from this one.
    public var derivedParent: RegionCode? {
        let pad = { (prefix: Substring, total: Int) -> RegionCode in
            try! RegionCode(String(prefix) + String(repeating: "0", count: total - prefix.count))
        }
        switch level {
        case .province: return nil
        case .city: return pad(rawValue.prefix(2), 12)
        case .district:
            // Municipalities (北京 11, 天津 12, 上海 31, 重庆 50) have districts directly under the province-level city.
            return pad(rawValue.prefix(4), 12)
        case .street: return pad(rawValue.prefix(6), 12)
        case .community: return pad(rawValue.prefix(9), 12)
        case .grid: return try! RegionCode(String(rawValue.prefix(12)))
        }
    }

    /// The short form people use for the upper levels: 330110 for a district, 330110001 for a street.
    public var shortForm: String {
        switch level {
        case .province: String(rawValue.prefix(2))
        case .city: String(rawValue.prefix(4))
        case .district: String(rawValue.prefix(6))
        case .street: String(rawValue.prefix(9))
        case .community, .grid: rawValue
        }
    }

    /// For street-level codes: 001–099 street (街道), 100–199 town (镇), 200–399 township (乡).
    public var townshipKind: TownshipKind? {
        guard level == .street, let n = Int(rawValue.dropFirst(6).prefix(3)) else { return nil }
        switch n {
        case 1...99: return .street
        case 100...199: return .town
        case 200...399: return .township
        default: return .other
        }
    }

    public enum TownshipKind: String, Sendable { case street, town, township, other }

    /// Whether `self` lies inside `ancestor`'s code space (same prefix).
    public func isDescendant(of ancestor: RegionCode) -> Bool {
        guard ancestor != self, ancestor.level < level else { return false }
        return rawValue.hasPrefix(ancestor.shortForm)
    }

    public var description: String { rawValue }

    public static func < (l: RegionCode, r: RegionCode) -> Bool { l.rawValue < r.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try RegionCode(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
