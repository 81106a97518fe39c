/// Rewrites free-text addresses as departments export them into one spelling, before parsing:
/// full-width characters to half-width, Chinese numerals before a unit word to digits (三幢 → 3幢,
/// 十二单元 → 12单元), the variants of 幢/单元/室 to one each (3#楼 and 3# too), "5-2-301" to
/// 5幢2单元301室, filler words (附近, 对面 …), spaces and punctuation removed, and what follows
/// the address in a hotline ticket (联系电话…, a phone number, 张先生) cut off.
///
/// It works on Unicode scalars in one pass (no regular expressions, no intermediate strings): it
/// runs for every address of every import.
public enum AddressNormalizer {
    typealias Scalars = [Unicode.Scalar]

    /// Words that say where something is near, not what it is.
    static let fillerWords: [Scalars] = [
        "斜对面", "对面", "附近", "旁边", "边上", "隔壁", "门口", "楼下", "后面", "前面", "里面", "一带",
        "东侧", "西侧", "南侧", "北侧", "东面", "西面", "南面", "北面", "东边", "西边", "南边", "北边",
        "交叉口", "路口处", "左右", "大概", "这里", "那里",
    ].map { Array($0.unicodeScalars) }.sorted { $0.count > $1.count }
    static let fillerStarts = Set(fillerWords.map { $0[0] })

    static let numeralValues: [Unicode.Scalar: Int] = [
        "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    ]

    /// Words that follow a number in an address, longest first, with their normal spelling.
    static let numberWords: [(word: Scalars, normal: Scalars)] = [
        // 3#, 3#楼, 3#栋: building 3, as site and property offices write it.
        ("#楼", "幢"), ("#栋", "幢"), ("#幢", "幢"), ("#", "幢"),
        ("号楼", "幢"), ("号院", "号"), ("号房", "室"), ("单元", "单元"), ("幢", "幢"), ("栋", "幢"), ("座", "幢"),
        ("号", "号"), ("室", "室"), ("房", "室"), ("户", "室"), ("层", "层"), ("楼", "楼"), ("组", "组"), ("单", "单元"),
    ].map { (Array($0.0.unicodeScalars), Array($0.1.unicodeScalars)) }

    static let building: Unicode.Scalar = "幢", room: Unicode.Scalar = "室", unitWord: Scalars = Array("单元".unicodeScalars)
    static let lou: Unicode.Scalar = "楼", floor: Unicode.Scalar = "层", houseNumber: Unicode.Scalar = "号"

    /// Words after which a hotline ticket's address text goes on with who called and how to reach
    /// him (联系电话 138…, 电话：0571-…, 联系人 张先生): the address ends there.
    static let contactCues: [Scalars] = [
        "联系电话", "联系方式", "联系人", "联系", "报警人", "反映人", "来电人", "来电号码", "电话", "手机", "座机", "TEL", "PHONE",
    ].map { Array($0.unicodeScalars) }.sorted { $0.count > $1.count }
    /// Forms of address after a surname: 张先生, 王女士, 李师傅.
    static let titles: [Scalars] = ["先生", "女士", "小姐", "师傅", "阿姨", "大爷"].map { Array($0.unicodeScalars) }

    /// Where the address ends and contact details begin: a cue word, a number too long for an
    /// address (seven digits or more: a phone), or a surname with a title.
    static func contactStart(_ input: Scalars) -> Int? {
        var i = 0
        while i < input.count {
            if contactCues.contains(where: { matches($0, input, at: i) }) { return i }
            if isDigit(input[i]) {
                var j = i, digits = 0
                while j < input.count, isDigit(input[j]) || (isDash(input[j]) && j + 1 < input.count && isDigit(input[j + 1]) && input[i] == "0") {
                    if isDigit(input[j]) { digits += 1 }
                    j += 1
                }
                if digits >= 7 { return i }
                i = j
                continue
            }
            if i > 0, titles.contains(where: { matches($0, input, at: i) }) { return i - 1 }
            i += 1
        }
        return nil
    }

    public static func normalize(_ text: String) -> String {
        var s = String()
        s.unicodeScalars.append(contentsOf: normalizedScalars(text))
        return s
    }

    static func normalizedScalars(_ text: String) -> Scalars {
        // 1. Full-width to half-width, letters to upper case.
        var input: Scalars = []
        input.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            var v = scalar.value
            if v >= 0xFF01 && v <= 0xFF5E { v -= 0xFEE0 } else if v == 0x3000 { v = 0x20 }
            if v >= 0x61 && v <= 0x7A { v -= 0x20 }
            input.append(Unicode.Scalar(v)!)
        }
        if let cut = contactStart(input) { input.removeSubrange(cut...) }
        var out: Scalars = []
        out.reserveCapacity(input.count + 8)
        var sawBuilding = false
        var i = 0
        while i < input.count {
            let c = input[i]
            // 2. Filler words.
            if fillerStarts.contains(c), let word = fillerWords.first(where: { matches($0, input, at: i) }) {
                i += word.count
                continue
            }
            // 3. "第" before a number.
            if c == "第", i + 1 < input.count, isDigit(input[i + 1]) || numeralValues[input[i + 1]] != nil || input[i + 1] == "十" {
                i += 1
                continue
            }
            // Chinese numerals count only when a number word follows them.
            if numeralValues[c] != nil || c == "十" || c == "百" {
                var j = i
                while j < input.count, numeralValues[input[j]] != nil || input[j] == "十" || input[j] == "百" { j += 1 }
                if let word = numberWord(at: j, in: input), let value = chineseNumber(input[i..<j]) {
                    out.append(contentsOf: String(value).unicodeScalars)
                    appendWord(word.normal, to: &out, sawBuilding: &sawBuilding)
                    i = j + word.word.count
                    continue
                }
                out.append(c)
                i += 1
                continue
            }
            if isDigit(c) {
                // Digits, possibly joined by dashes: 5-2-301, 123-5号; a letter may end a number (12A).
                var groups: [Range<Int>] = []
                var start = i
                var j = i
                while j < input.count {
                    if isDigit(input[j]) {
                        j += 1
                    } else if isUpper(input[j]), j > start, !(j + 1 < input.count && isUpper(input[j + 1])) {
                        j += 1
                    } else if isDash(input[j]), j > start, j + 1 < input.count, isDigit(input[j + 1]) {
                        groups.append(start..<j)
                        j += 1
                        start = j
                    } else {
                        break
                    }
                }
                groups.append(start..<j)
                let word = numberWord(at: j, in: input)
                if groups.count == 1 {
                    out.append(contentsOf: input[groups[0]])
                    if let word {
                        appendWord(word.normal, to: &out, sawBuilding: &sawBuilding)
                        j += word.word.count
                    }
                } else if let word, word.normal == [houseNumber] {
                    // 123-5号: one house number.
                    for (k, g) in groups.enumerated() {
                        if k > 0 { out.append("-") }
                        out.append(contentsOf: input[g])
                    }
                    out.append(houseNumber)
                    j += word.word.count
                } else {
                    // 5-301 is building and room; 5-2-301 building, unit and room.
                    let names: [Scalars] = groups.count == 2 ? [[building], [room]] : [[building], unitWord, [room]]
                    for (g, name) in zip(groups, names) {
                        out.append(contentsOf: input[g])
                        out.append(contentsOf: name)
                    }
                    sawBuilding = true
                    if let word, word.normal == [room] { j += word.word.count }
                }
                i = j
                continue
            }
            // Letters naming a building: A座 → A幢.
            if isUpper(c), let word = numberWord(at: i + 1, in: input), word.normal == [building] || word.normal == unitWord {
                out.append(c)
                appendWord(word.normal, to: &out, sawBuilding: &sawBuilding)
                i += 1 + word.word.count
                continue
            }
            // Everything else but letters and digits of any script (spaces, punctuation, stray dashes) is dropped.
            if c.properties.isAlphabetic || c.properties.numericType != nil {
                out.append(c)
            }
            i += 1
        }
        return out
    }

    /// "N楼" is a floor after a building and the building otherwise.
    private static func appendWord(_ word: Scalars, to out: inout Scalars, sawBuilding: inout Bool) {
        if word == [lou] {
            out.append(sawBuilding ? floor : building)
            sawBuilding = true
            return
        }
        if word == [building] { sawBuilding = true }
        out.append(contentsOf: word)
    }

    @inline(__always) static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
    @inline(__always) static func isUpper(_ c: Unicode.Scalar) -> Bool { c.value >= 0x41 && c.value <= 0x5A }
    static func isDash(_ c: Unicode.Scalar) -> Bool { c == "-" || c == "—" || c == "–" || c == "_" || c == "/" }

    @inline(__always) static func matches(_ word: Scalars, _ input: Scalars, at i: Int) -> Bool {
        guard i + word.count <= input.count else { return false }
        for k in 0..<word.count where input[i + k] != word[k] { return false }
        return true
    }

    static func numberWord(at index: Int, in input: Scalars) -> (word: Scalars, normal: Scalars)? {
        guard index < input.count else { return nil }
        for w in numberWords where w.word[0] == input[index] && matches(w.word, input, at: index) { return w }
        return nil
    }

    /// 三 → 3, 十二 → 12, 二十 → 20, 三十五 → 35, 二〇一 → 201, 一百零五 → 105.
    static func chineseNumber(_ chars: ArraySlice<Unicode.Scalar>) -> Int? {
        guard !chars.isEmpty else { return nil }
        if !chars.contains("十") && !chars.contains("百") {
            // Digit by digit, as room numbers are read: 二〇一.
            var v = 0
            for c in chars {
                guard let d = numeralValues[c] else { return nil }
                v = v * 10 + d
            }
            return v
        }
        var total = 0, current = 0
        for c in chars {
            if let d = numeralValues[c] {
                current = d
            } else if c == "十" {
                total += (current == 0 ? 1 : current) * 10
                current = 0
            } else if c == "百" {
                total += (current == 0 ? 1 : current) * 100
                current = 0
            } else {
                return nil
            }
        }
        return total + current
    }
}
