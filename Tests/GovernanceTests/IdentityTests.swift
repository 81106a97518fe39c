import Foundation
@testable import Governance
import Testing

@Suite("Citizen ID numbers and credit codes")
struct IdentityTests {
    @Test("the example of DOMAIN.md is valid; sex, birth date and age derive from it")
    func citizenID() throws {
        let id = try CitizenID("34052419800101001X")
        #expect(id.value == "34052419800101001X")
        #expect(id.sex == .male)  // sequence 001: odd
        #expect(id.birthDate == DateComponents(year: 1980, month: 1, day: 1))
        #expect(id.age(on: parseInstant("2026-11-29")!) == 46)
        #expect(id.age(on: parseInstant("2026-01-01")!) == 46)
        #expect(id.age(on: parseInstant("2025-12-31")!) == 45)
        #expect(id.masked == "340524************")
        #expect("\(id)" == "340524************")
        #expect(id.regionCode == "340524")
        // Lower-case x, spaces and full-width digits as typed.
        #expect(try CitizenID(" 34052419800101001x ") == id)
        #expect(try CitizenID("３４０５２４１９８００１０１００１Ｘ") == id)
    }

    @Test("date arithmetic agrees with Foundation's calendar")
    func dateArithmetic() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var day = Date(timeIntervalSince1970: -2_208_988_800)  // 1900-01-01
        while day.timeIntervalSince1970 < 4_102_444_800 {  // 2100
            let c = calendar.dateComponents([.year, .month, .day], from: day)
            #expect(CitizenID.daysSince1970(c.year!, c.month!, c.day!) == Int(day.timeIntervalSince1970 / 86_400))
            #expect(CitizenID.daysInMonth(c.year!, c.month!) == calendar.range(of: .day, in: .month, for: day)!.count)
            day = day.addingTimeInterval(86_400 * 37)
        }
    }

    @Test("the 15-digit form becomes the 18-character one")
    func fifteenDigits() throws {
        let id = try CitizenID("340524800101001")
        #expect(id.value == "34052419800101001X")
    }

    @Test("invalid numbers say why", arguments: [
        "34052419800101001", "340524198001010010", "3405241980010100XX", "99052419800101001X", "340524198002300012", "3405241980013X001X", "",
    ])
    func invalidID(text: String) {
        #expect(throws: CitizenID.Invalid.self) { _ = try CitizenID(text) }
    }

    @Test("a birth date in the future is refused")
    func future() throws {
        // Valid check digit, born 2030-01-01.
        var body = Array("33011020300101002")
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        body.append(Array("10X98765432")[sum % 11])
        #expect(throws: CitizenID.Invalid.self) { _ = try CitizenID(String(body), today: parseInstant("2026-11-29")!) }
        #expect(try CitizenID(String(body), today: parseInstant("2031-01-01")!).sex == .female)
    }

    @Test("credit codes: valid, pilot codes with a warning, invalid ones refused")
    func creditCodes() throws {
        let code = try CreditCode("91350100M000100Y43")
        #expect(code.warning == nil)
        #expect(code.regionCode == "350100")
        #expect(try CreditCode("91110000600037341L").warning == nil)
        #expect(try CreditCode("９１１１００００６０００３７３４１ｌ").value == "91110000600037341L")
        let pilot = try CreditCode("91350100M000100Y44")
        #expect(pilot.warning?.contains("pilot") == true)
        #expect(throws: CreditCode.Invalid.self) { _ = try CreditCode("91350100M000100Y4") }
        #expect(throws: CreditCode.Invalid.self) { _ = try CreditCode("91350100M000100YI3") }  // I is never used
        #expect(throws: CreditCode.Invalid.self) { _ = try CreditCode("9135A100M000100Y43") }  // division code not digits
    }
}
