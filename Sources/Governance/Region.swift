import Foundation
import GeoKit

/// One version of a region: a district, street, community or grid with its boundary as it was in
/// force from `validFrom` until `validTo` (exclusive; `nil` while still in force).
public struct Region: Sendable, Hashable {
    public var code: RegionCode
    public var name: String
    public var parentCode: RegionCode?
    /// WGS-84/CGCS2000 boundary.
    public var geometry: MultiPolygon
    public var validFrom: Date
    public var validTo: Date?
    /// The coordinate system the boundary was delivered in (it is stored converted to WGS-84).
    public var sourceCoordinateSystem: CoordinateSystem
    /// The import batch that wrote this version, if it came through an import.
    public var importBatch: Int64?

    public init(
        code: RegionCode, name: String, parentCode: RegionCode?, geometry: MultiPolygon,
        validFrom: Date, validTo: Date? = nil, sourceCoordinateSystem: CoordinateSystem = .wgs84, importBatch: Int64? = nil
    ) {
        self.code = code
        self.name = name
        self.parentCode = parentCode
        self.geometry = geometry
        self.validFrom = validFrom
        self.validTo = validTo
        self.sourceCoordinateSystem = sourceCoordinateSystem
        self.importBatch = importBatch
    }

    public var level: RegionLevel { code.level }

    public func isInForce(at instant: Date) -> Bool {
        validFrom <= instant && (validTo.map { instant < $0 } ?? true)
    }

    /// Whether two versions describe the same region (name, parent, boundary to the millimetre),
    /// whatever their validity: re-importing an export changes nothing.
    public func hasSameContent(as other: Region) -> Bool {
        code == other.code && name == other.name && parentCode == other.parentCode
            && geometry.normalized.isAlmostEqual(to: other.geometry.normalized)
    }
}

/// A grid worker (网格员): full-time staff responsible for one or more grids.
public struct GridWorker: Sendable, Hashable {
    /// Staff number, unique in the deployment.
    public var code: String
    public var name: String
    public var phone: PhoneNumber?
    public var gridCodes: [RegionCode]

    public init(code: String, name: String, phone: PhoneNumber?, gridCodes: [RegionCode]) {
        self.code = code
        self.name = name
        self.phone = phone
        self.gridCodes = gridCodes
    }
}

/// A Chinese telephone number: personal data, kept behind this one type so that masking and
/// encryption (see the privacy work) apply everywhere it is used.
public struct PhoneNumber: Sendable, Hashable, CustomStringConvertible {
    public let digits: String

    public struct Invalid: Error, CustomStringConvertible {
        public var text: String
        public var description: String { "\"\(text)\" is not a mobile (1xxxxxxxxxx) or landline (0xxx-xxxxxxx) number" }
    }

    public init(_ text: String) throws(Invalid) {
        // Bytes, not characters: a registry import checks millions of numbers.
        var t: [UInt8] = []
        t.reserveCapacity(text.utf8.count)
        for b in text.utf8 where b != UInt8(ascii: " ") && b != UInt8(ascii: "-") && b != UInt8(ascii: "(") && b != UInt8(ascii: ")") { t.append(b) }
        if t.starts(with: "+86".utf8) { t.removeFirst(3) }
        let allDigits = !t.isEmpty && t.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        let mobile = t.count == 11 && t.first == UInt8(ascii: "1")
        let landline = t.first == UInt8(ascii: "0") && (10...12).contains(t.count)
        guard allDigits, mobile || landline else { throw Invalid(text: text) }
        digits = String(decoding: t, as: UTF8.self)
    }

    /// 138****5678: the form shown unless someone with the right has a stated purpose.
    public var masked: String {
        guard digits.count >= 7 else { return String(repeating: "*", count: digits.count) }
        return String(digits.prefix(3)) + String(repeating: "*", count: digits.count - 7) + String(digits.suffix(4))
    }

    /// Never prints the number itself, so that logging a value cannot leak it.
    public var description: String { masked }
}

/// Masks a personal name, keeping its first character: 张*, 欧***.
public func maskedPersonName(_ name: String) -> String {
    guard let first = name.first else { return "" }
    return String(first) + String(repeating: "*", count: max(1, name.count - 1))
}
