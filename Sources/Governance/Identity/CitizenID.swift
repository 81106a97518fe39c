import Foundation

/// A resident identity card number (公民身份号码, GB 11643): personal data. It is kept behind this
/// one type everywhere so that masking, encryption and audit (the privacy work) apply to every use.
///
/// The 18-character form is 6 region digits, 8 birth-date digits, 3 sequence digits (odd for men)
/// and a check character; the old 15-character form (2-digit year, no check) is accepted and
/// converted to 18 characters.
public struct CitizenID: Hashable, Sendable, CustomStringConvertible {
    /// The 18-character form, with an upper-case X.
    public let value: String

    public enum Sex: String, Sendable, Codable { case male, female }

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    /// First two digits of the division codes of China's provinces, Hong Kong, Macao and Taiwan.
    static let provinces: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    ]

    /// Validates and normalises. `today` bounds the birth date (no one is born tomorrow).
    public init(_ text: String, today: Date = Date()) throws(Invalid) {
        // Work on bytes: full-width digits and Ｘ (typed with a Chinese input method) become ASCII,
        // x becomes X, white space around is dropped.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(18)
        for s in text.trimmingWhitespace.unicodeScalars {
            var v = s.value
            if (0xFF10...0xFF19).contains(v) || v == 0xFF38 || v == 0xFF58 { v -= 0xFEE0 }
            if v == 0x78 { v = 0x58 }
            guard v < 0x80 else { throw Invalid(reason: "an ID number has digits and X only, not \"\(s)\"") }
            bytes.append(UInt8(v))
        }
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        switch bytes.count {
        case 18:
            guard bytes[..<17].allSatisfy(isDigit), isDigit(bytes[17]) || bytes[17] == 0x58 else {
                throw Invalid(reason: "an 18-character ID number has 17 digits and a digit or X at the end")
            }
            let expected = Self.checkByte(bytes[..<17])
            guard bytes[17] == expected else {
                throw Invalid(reason: "check character is \(Character(Unicode.Scalar(bytes[17]))) but the first 17 digits require \(Character(Unicode.Scalar(expected)))")
            }
        case 15:
            guard bytes.allSatisfy(isDigit) else { throw Invalid(reason: "a 15-digit ID number has digits only") }
            bytes = Array(bytes[..<6]) + [0x31, 0x39] + Array(bytes[6...])
            bytes.append(Self.checkByte(bytes[...]))
        default:
            throw Invalid(reason: "an ID number has 18 characters (or 15 in the old form), not \(bytes.count)")
        }
        let t = String(decoding: bytes, as: UTF8.self)
        guard Self.provinceNumbers.contains(Int(bytes[0] - 48) * 10 + Int(bytes[1] - 48)) else {
            throw Invalid(reason: "region code \(t.prefix(6)) names no province")
        }
        // The birth date, checked by arithmetic: Foundation's calendars cost more than the rest of
        // an import row together.
        func number(_ r: Range<Int>) -> Int { bytes[r].reduce(0) { $0 * 10 + Int($1 - 48) } }
        let year = number(6..<10), month = number(10..<12), day = number(12..<14)
        guard year >= 1900, (1...12).contains(month), day >= 1, day <= Self.daysInMonth(year, month) else {
            throw Invalid(reason: "birth date \(t.dropFirst(6).prefix(8)) is not a date")
        }
        // Days since 1970 in the district's time zone (UTC+8, no daylight saving).
        let todayDays = Int(((today.timeIntervalSince1970 + 8 * 3600) / 86_400).rounded(.down))
        guard Self.daysSince1970(year, month, day) <= todayDays else {
            throw Invalid(reason: "birth date \(t.dropFirst(6).prefix(8)) is in the future")
        }
        value = t
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the date (Howard Hinnant's days_from_civil).
    static func daysSince1970(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static let checkBytes = Array("10X98765432".utf8)
    static let provinceNumbers = Set(provinces.compactMap(Int.init))

    static func checkByte(_ first17: ArraySlice<UInt8>) -> UInt8 {
        var sum = 0
        for (b, w) in zip(first17, weights) { sum += Int(b - 48) * w }
        return checkBytes[sum % 11]
    }

    /// The GB 11643 check character of the first 17 digits (tests and generators make valid numbers with it).
    public static func checkCharacter(_ first17: String) -> Character {
        Character(Unicode.Scalar(checkByte(ArraySlice(first17.utf8.prefix(17)))))
    }

    /// The 6-digit division code of the place of registration.
    public var regionCode: String { String(value.prefix(6)) }

    public var birthDate: DateComponents {
        let d = Array(value)
        return DateComponents(year: Int(String(d[6..<10])), month: Int(String(d[10..<12])), day: Int(String(d[12..<14])))
    }

    public var sex: Sex {
        Int(String(Array(value)[16]))! % 2 == 1 ? .male : .female
    }

    /// Age in whole years on `date` in Hangzhou time.
    public func age(on date: Date = Date()) -> Int {
        // Today's date in UTC+8 from the day count (civil_from_days).
        let z = Int(((date.timeIntervalSince1970 + 8 * 3600) / 86_400).rounded(.down)) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let b = birthDate
        var age = year - b.year!
        if (month, day) < (b.month!, b.day!) { age -= 1 }
        return age
    }

    /// 330110************: the form shown unless someone with the right states a purpose (see
    /// ``PersonalDataClass/mask(_:)`` for why only the region is left).
    public var masked: String { PersonalDataClass.idNumber.mask(value) }

    /// Never the number itself, so that logging or interpolating a value cannot leak it.
    public var description: String { masked }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
