import Foundation
import GeoKit
@testable import Governance
import Testing
@testable import DemoData

/// The demo library of the small preset, generated once for the suite.
enum SmallLibrary {
    static let district = try! DemoDistrictGenerator(preset: .small).generate()
    static let library = DemoAddressGenerator(district: district).generate()
    static let matcher = AddressMatcher(addresses: library.addresses, aliases: library.aliases, administrativeNames: [
        ("浙江省", .province), ("浙江", .province), ("杭州市", .city), ("杭州", .city), ("余杭区", .district), ("余杭", .district),
    ])
}

@Suite("Address normalisation and parsing")
struct AddressParsingTests {
    @Test("what department exports contain becomes one spelling", arguments: [
        ("星河苑三幢十二单元１２０１室", "星河苑3幢12单元1201室"),
        ("星河苑 5-2-301", "星河苑5幢2单元301室"),
        ("星河苑5-301", "星河苑5幢301室"),
        ("迎宾路123-5号", "迎宾路123-5号"),
        ("星河苑第3栋2单元301房", "星河苑3幢2单元301室"),
        ("星河苑A座1201", "星河苑A幢1201"),
        ("星河苑3号楼5楼", "星河苑3幢5层"),
        ("星河苑，3幢（2单元）301室附近", "星河苑3幢2单元301室"),
        ("超山村五组十二号", "超山村5组12号"),
        ("三里路二〇一号", "三里路201号"),
        ("ｘｙ小区", "XY小区"),
    ])
    func normalize(input: String, expected: String) {
        #expect(AddressNormalizer.normalize(input) == expected)
    }

    @Test("Chinese numbers")
    func numerals() {
        #expect(AddressNormalizer.chineseNumber(Array("十二".unicodeScalars)[...]) == 12)
        #expect(AddressNormalizer.chineseNumber(Array("二十".unicodeScalars)[...]) == 20)
        #expect(AddressNormalizer.chineseNumber(Array("三十五".unicodeScalars)[...]) == 35)
        #expect(AddressNormalizer.chineseNumber(Array("一百零五".unicodeScalars)[...]) == 105)
        #expect(AddressNormalizer.chineseNumber(Array("二〇一".unicodeScalars)[...]) == 201)
    }

    @Test("an address taken apart into its elements, with or without a library")
    func parse() {
        let parser = AddressParser(gazetteer: Gazetteer())
        let p = parser.parse("迎宾路123号星河苑3幢2单元301室")
        #expect(p.elements.road == "迎宾路")
        #expect(p.elements.houseNumber == "123")
        #expect(p.elements.compound == "星河苑")
        #expect(p.elements.building == "3")
        #expect(p.elements.unit == "2")
        #expect(p.elements.room == "301")
        #expect(p.elements.floor == "3")
        let village = parser.parse("塘栖镇超山村5组12号")
        #expect(village.elements.villageGroup == "5")
        #expect(village.elements.houseNumber == "12")
    }
}

@Suite("Address matching")
struct AddressMatchingTests {
    @Test("every library address matches itself exactly, written in full")
    func exact() {
        let library = SmallLibrary.library
        var random = DemoRandom(seed: 1)
        for _ in 0..<2000 {
            let a = library.addresses.randomElement(using: &random)!
            let m = SmallLibrary.matcher.match(a.elements.standardText)
            #expect(m.best?.address.code == a.code, "\(a.elements.standardText): \(m.reason ?? "")")
            #expect(m.best?.score == 1)
        }
    }

    @Test("at least 98 % top-1 accuracy on noisy texts")
    func noisyAccuracy() {
        let library = SmallLibrary.library
        var writer = NoisyAddressWriter(library: library, seed: 7)
        var random = DemoRandom(seed: 8)
        var correct = 0
        var failures: [String] = []
        let total = 5000
        for _ in 0..<total {
            let a = library.addresses.randomElement(using: &random)!
            let text = writer.write(a)
            let m = SmallLibrary.matcher.match(text)
            if m.best?.address.code == a.code {
                correct += 1
            } else if failures.count < 25 {
                failures.append("\(text) → \(m.best?.address.elements.localText ?? "none") (\(m.reason ?? "")); expected \(a.elements.localText)")
            }
        }
        let accuracy = Double(correct) / Double(total)
        print("noisy address accuracy: \(correct)/\(total) = \(accuracy)")
        #expect(accuracy >= 0.98, "\(failures.joined(separator: "\n"))")
    }

    @Test("no match says why")
    func noMatch() {
        let m = SmallLibrary.matcher
        let unknown = m.match("不存在路999号")
        #expect(unknown.best == nil)
        #expect(unknown.reason?.contains("不存在路") == true)
        let compound = SmallLibrary.library.addresses.first { $0.elements.compound != nil }!.elements.compound!
        let noBuilding = m.match("\(compound)99幢101室")
        #expect(noBuilding.best == nil)
        #expect(noBuilding.reason?.contains("99") == true)
        let empty = m.match("附近")
        #expect(empty.best == nil)
    }
}
