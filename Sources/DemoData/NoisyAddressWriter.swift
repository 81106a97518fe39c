import Foundation
import Governance

/// Writes library addresses the way department exports and hotline operators do: prefixes left
/// out, full-width digits, Chinese numerals, 栋/座/号楼/3# for 幢, 5-2-301 forms, filler words,
/// stray spaces and punctuation, old road names, one-character typos in names, and the caller's
/// phone and name after the address, as 12345 tickets carry them. Each text comes
/// with the code of the address it was written from, so a matcher's accuracy can be measured.
public struct NoisyAddressWriter: Sendable {
    public var random: DemoRandom
    let aliasesByRoad: [String: [String]]
    /// Compound names used in more than one township: those texts keep their township.
    let ambiguousCompounds: Set<String>

    public init(library: DemoAddressLibrary, seed: UInt64) {
        random = DemoRandom(seed: seed).substream("noisy addresses")
        var aliases: [String: [String]] = [:]
        for a in library.aliases where a.kind == .road { aliases[a.currentName, default: []].append(a.name) }
        aliasesByRoad = aliases
        var townshipsByCompound: [String: Set<String>] = [:]
        for a in library.addresses { if let c = a.elements.compound { townshipsByCompound[c, default: []].insert(a.elements.township ?? "") } }
        ambiguousCompounds = Set(townshipsByCompound.filter { $0.value.count > 1 }.keys)
    }

    /// Characters a typo may put in, from common address words.
    static let typoCharacters = Array("和河合华花苑园远源路露街阶道到星新心兴金今景京东冬西溪南楠北贝山三水税")

    public mutating func write(_ address: StandardAddress) -> String {
        let e = address.elements
        var parts: [String] = []
        // Administrative prefix: mostly shortened or left out.
        let prefixRoll = Int.random(in: 0..<10, using: &random)
        let keepTownship = e.compound.map(ambiguousCompounds.contains) ?? false || e.villageGroup != nil || prefixRoll < 6
        if prefixRoll == 0 { parts += [e.province, e.city, e.district].compactMap { $0 } }
        else if prefixRoll < 4 { parts += [e.district].compactMap { $0 } }
        if keepTownship, let t = e.township {
            parts.append(Bool.random(using: &random) ? t : (AddressMatcher.shortForm(t) ?? t))
        }
        if let c = e.community, e.villageGroup != nil || Int.random(in: 0..<4, using: &random) == 0 {
            parts.append(Bool.random(using: &random) ? (AddressMatcher.shortForm(c) ?? c) : c)
        }
        // Road and number, compound: one of them may be left out when the other identifies the place.
        var road = e.road
        if let r = road, let old = aliasesByRoad[r], Bool.random(using: &random) { road = old.randomElement(using: &random)! }
        let omitRoad = e.compound != nil && Int.random(in: 0..<10, using: &random) < 4
        let omitCompound = e.compound != nil && !omitRoad && Int.random(in: 0..<10, using: &random) < 2
        var typoDone = false
        if let r = road, !omitRoad {
            parts.append(typo(r, done: &typoDone))
        }
        if let g = e.villageGroup { parts.append(number(g) + "组") }
        if let h = e.houseNumber, !omitRoad || e.compound == nil { parts.append(number(h) + (Int.random(in: 0..<10, using: &random) == 0 ? "号院" : "号")) }
        if let c = e.compound, !omitCompound { parts.append(typo(c, done: &typoDone)) }
        // Building, unit, room.
        if let b = e.building {
            let dash = e.room != nil && Int.random(in: 0..<7, using: &random) == 0
            if dash {
                var numbers: [String] = []
                for n in [b] + (e.unit.map { [$0] } ?? []) + [e.room!] { numbers.append(number(n)) }
                parts.append(numbers.joined(separator: "-"))
            } else {
                let word = ["幢", "幢", "幢", "栋", "座", "号楼", "#", "#楼"].randomElement(using: &random)!
                parts.append(spelled(b) + word)
                if let u = e.unit { parts.append(spelled(u) + "单元") }
                if let r = e.room { parts.append(number(r) + ["室", "室", "室", "房", ""].randomElement(using: &random)!) }
            }
        }
        if Int.random(in: 0..<10, using: &random) == 0 { parts.append(["附近", "对面", "旁边", "门口"].randomElement(using: &random)!) }
        // Spaces and punctuation between parts now and then.
        let separators = ["", "", "", "", " ", "，", "、", " - "]
        var text = ""
        for (i, p) in parts.enumerated() {
            if i > 0 { text += separators.randomElement(using: &random)! }
            text += p
        }
        // Hotline tickets go on with the caller: a phone, a name, sometimes both.
        if Int.random(in: 0..<5, using: &random) == 0 { text += contact() }
        return text
    }

    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")

    /// What follows the address in a 12345 ticket.
    private mutating func contact() -> String {
        let mobile = "1" + ["38", "39", "58", "86", "77"].randomElement(using: &random)! + String(format: "%08d", Int.random(in: 0..<100_000_000, using: &random))
        let landline = "0571-" + String(format: "%08d", Int.random(in: 10_000_000..<100_000_000, using: &random))
        let name = String(Self.surnames.randomElement(using: &random)!) + ["先生", "女士", "师傅"].randomElement(using: &random)!
        switch Int.random(in: 0..<6, using: &random) {
        case 0: return "，联系电话" + mobile
        case 1: return " 电话：" + landline
        case 2: return " " + name + " " + mobile
        case 3: return "（联系人：" + name + "，手机" + mobile + "）"
        case 4: return " " + mobile
        default: return "，" + name
        }
    }

    /// A number, sometimes in full-width digits.
    private mutating func number(_ n: String) -> String {
        guard Int.random(in: 0..<6, using: &random) == 0 else { return n }
        return String(String.UnicodeScalarView(n.unicodeScalars.map { s in
            (0x30...0x39).contains(s.value) || (0x41...0x5A).contains(s.value) ? Unicode.Scalar(s.value + 0xFEE0)! : s
        }))
    }

    /// A building or unit number, sometimes in Chinese numerals.
    private mutating func spelled(_ n: String) -> String {
        guard let v = Int(n), v < 100, Int.random(in: 0..<5, using: &random) == 0 else { return number(n) }
        return chineseNumeral(v)
    }

    /// One name in ten gets one character wrong, missing or extra (at most one typo per text).
    private mutating func typo(_ name: String, done: inout Bool) -> String {
        var chars = Array(name)
        guard !done, chars.count >= 3, Int.random(in: 0..<10, using: &random) == 0 else { return name }
        done = true
        // Not in the last character: the suffix (路, 苑 …) is what people get right.
        let i = Int.random(in: 0..<(chars.count - 1), using: &random)
        switch Int.random(in: 0..<3, using: &random) {
        case 0: chars[i] = Self.typoCharacters.randomElement(using: &random)!
        case 1: chars.remove(at: i)
        default: chars.insert(Self.typoCharacters.randomElement(using: &random)!, at: i)
        }
        return String(chars)
    }
}
