import Testing
import Governance

@Suite("Region codes and personal data types")
struct RegionCodeTests {
    @Test("levels, short forms and derived parents", arguments: [
        ("330110", RegionLevel.district, "330110000000", "330100000000"),
        ("330110000000", .district, "330110000000", "330100000000"),
        ("330110001", .street, "330110001000", "330110000000"),
        ("330110105000", .street, "330110105000", "330110000000"),
        ("330110001001", .community, "330110001001", "330110001000"),
        ("33011000100101", .grid, "33011000100101", "330110001001"),
        ("33011000100100", .community, "330110001001", "330110001000"),
        ("330100000000", .city, "330100000000", "330000000000"),
        ("330000000000", .province, "330000000000", ""),
    ])
    func levels(text: String, level: RegionLevel, normalized: String, parent: String) throws {
        let code = try RegionCode(text)
        #expect(code.level == level)
        #expect(code.rawValue == normalized)
        #expect(code.derivedParent?.rawValue ?? "" == parent)
    }

    @Test("invalid codes say why", arguments: ["", "33011A", "3301", "0000000000000", "000000000000", "330110000001", "330100001000", "33011000000001", "3301100010010"])
    func invalid(text: String) {
        #expect(throws: RegionCodeError.self) { _ = try RegionCode(text) }
    }

    @Test("township kinds by the street digits")
    func townships() throws {
        #expect(try RegionCode("330110001").townshipKind == .street)
        #expect(try RegionCode("330110100").townshipKind == .town)
        #expect(try RegionCode("330110200").townshipKind == .township)
        #expect(try RegionCode("330110001001").townshipKind == nil)
    }

    @Test("descendants by code prefix")
    func descendants() throws {
        let grid = try RegionCode("33011000100101")
        #expect(grid.isDescendant(of: try RegionCode("330110")))
        #expect(grid.isDescendant(of: try RegionCode("330110001")))
        #expect(!grid.isDescendant(of: try RegionCode("330110002")))
        #expect(!grid.isDescendant(of: grid))
    }

    @Test("levels read from data files")
    func levelText() {
        #expect(RegionLevel(text: "网格") == .grid)
        #expect(RegionLevel(text: "村") == .community)
        #expect(RegionLevel(text: "镇") == .street)
        #expect(RegionLevel(text: "District") == .district)
        #expect(RegionLevel(text: "block") == nil)
    }

    @Test("phone numbers are validated and masked, names masked")
    func personalData() throws {
        let mobile = try PhoneNumber("+86 138-1234-5678")
        #expect(mobile.digits == "13812345678")
        #expect(mobile.masked == "138****5678")
        #expect("\(mobile)" == "138****5678")
        #expect(try PhoneNumber("0571-86001234").digits == "057186001234")
        #expect(throws: PhoneNumber.Invalid.self) { _ = try PhoneNumber("12345") }
        #expect(throws: PhoneNumber.Invalid.self) { _ = try PhoneNumber("1381234567a") }
        #expect(maskedPersonName("张三") == "张*")
        #expect(maskedPersonName("欧阳娜娜") == "欧***")
    }
}

@Suite("Times")
struct TimeTests {
    @Test("dates are midnight in Hangzhou; full ISO-8601 times keep their offset; output carries +08:00")
    func instants() throws {
        let day = try #require(parseInstant("2026-11-29"))
        #expect(isoTimestamp(day) == "2026-11-29T00:00:00+08:00")
        #expect(day.timeIntervalSince1970 == 1_795_881_600)
        let utc = try #require(parseInstant("2026-11-29T00:00:00Z"))
        #expect(isoTimestamp(utc) == "2026-11-29T08:00:00+08:00")
        let offset = try #require(parseInstant("2026-11-29T08:00:00+08:00"))
        #expect(offset == utc)
        #expect(parseInstant("2026-11-29T08:00:00.250+08:00").map { $0.timeIntervalSince(utc) } == 0.25)
        for bad in ["yesterday", "2026-13-01", "2026-11", "29/11/2026", ""] { #expect(parseInstant(bad) == nil, "\(bad)") }
    }
}
