import Foundation
import GeoKit
import Governance

/// The demo's people (in households), houses, enterprises and key places, at the addresses of the
/// demo library: about 1.8 people per address (3.3 M in the district preset), rented homes with
/// floating residents, shops and offices holding enterprises (0.25 M), schools, clinics, petrol
/// stations and the like as key places. Every ID number and credit code is valid, none is real.
///
/// Generation goes community by community, each from its own random substream, so a caller can
/// import in slices without holding a district of records in memory.
public struct DemoRegistryGenerator: Sendable {
    public let district: DemoDistrict
    public let library: DemoAddressLibrary
    /// Addresses by community code, in library order.
    let byCommunity: [(community: String, addresses: Range<Int>)]

    public static let source = "演示数据"

    public init(district: DemoDistrict, library: DemoAddressLibrary) {
        self.district = district
        self.library = library
        var ranges: [(String, Range<Int>)] = []
        var start = 0
        for i in library.addresses.indices where i + 1 == library.addresses.count || library.addresses[i + 1].code.prefix(12) != library.addresses[i].code.prefix(12) {
            ranges.append((String(library.addresses[i].code.prefix(12)), start..<(i + 1)))
            start = i + 1
        }
        byCommunity = ranges
    }

    public var communityCount: Int { byCommunity.count }

    /// The codes handed out in one run of the generator (ID numbers and credit codes must not repeat).
    public final class CodeAllocator: @unchecked Sendable {
        private var used = Set<String>()
        public init() {}
        func claim(_ code: String) -> Bool { used.insert(code).inserted }
    }

    /// The records of one community (0 ..< communityCount), by registry. Communities must be asked
    /// for in order, with one allocator per run, for the same seed to give the same records.
    public func records(ofCommunity index: Int, at time: Date, allocator: CodeAllocator) -> [RegistryKind: [RegistryEntry]] {
        let (community, range) = byCommunity[index]
        var random = DemoRandom(seed: district.seed).substream("registries " + community)
        var out: [RegistryKind: [RegistryEntry]] = [:]
        func record(_ kind: RegistryKind, _ key: String, _ address: StandardAddress, _ fields: [String: String]) {
            out[kind, default: []].append(RegistryEntry(kind: kind, key: key, addressCode: address.code, gridCode: address.gridCode,
                                                        fields: fields, fieldSources: [:], source: Self.source, importBatch: nil, updatedAt: time))
        }
        let isVillage = library.addresses[range.lowerBound].elements.community?.hasSuffix("村") ?? false
        for i in range {
            let a = library.addresses[i]
            let isShop = a.elements.compound == nil && a.elements.villageGroup == nil
            if isShop {
                // Shops and offices: one to three enterprises; the house is commercial.
                record(.house, a.code, a, ["use": "commercial", "area": twoDecimals(Double.random(in: 30...400, using: &random))])
                for _ in 0..<[1, 1, 1, 2, 2].randomElement(using: &random)! {
                    let (name, industry) = DemoNames.enterprise(&random)
                    var fields = ["name": name, "industry": industry, "legal_representative": DemoNames.person(&random)]
                    if Int.random(in: 0..<20, using: &random) == 0 { fields["tags"] = DemoNames.enterpriseRisks.randomElement(using: &random)! }
                    record(.enterprise, DemoNames.creditCode(region: String(community.prefix(6)), allocator: allocator, &random), a, fields)
                }
                continue
            }
            // Homes: a quarter empty or let to a floating household.
            let roll = Int.random(in: 0..<100, using: &random)
            let vacant = roll < (isVillage ? 14 : 23)
            let rented = !vacant && roll < (isVillage ? 22 : 40)
            let size = vacant ? 0 : (isVillage ? Int.random(in: 1...6, using: &random) : [1, 1, 2, 2, 2, 3, 3, 3, 4, 5].randomElement(using: &random)!)
            var members: [(id: CitizenIDParts, name: String)] = []
            let head = DemoNames.person(&random)
            let surname = String(head.first!)
            for m in 0..<size {
                let age: Int
                switch m {
                case 0: age = Int.random(in: 24...88, using: &random)
                case 1: age = Int.random(in: 22...85, using: &random)
                default: age = Int.random(in: 0...30, using: &random)
                }
                let name = m == 0 ? head : (m == 1 ? DemoNames.person(&random) : surname + DemoNames.givenName(&random))
                members.append((CitizenIDParts(age: age, floating: rented, allocator: allocator, &random), name))
            }
            record(.house, a.code, a, [
                "use": vacant ? "vacant" : (rented ? "rented" : "self-occupied"),
                "area": twoDecimals(isVillage ? Double.random(in: 90...260, using: &random) : Double.random(in: 40...160, using: &random)),
                "owner_name": rented || vacant ? DemoNames.person(&random) : head,
            ])
            for (m, member) in members.enumerated() {
                var fields: [String: String] = [
                    "id_number": member.id.value, "name": member.name, "sex": member.id.sex, "birth_date": member.id.birthDate,
                    "household": a.code + "01", "relation": m == 0 ? "户主" : (m == 1 ? "配偶" : "子女"),
                    "residence_type": rented ? (Int.random(in: 0..<60, using: &random) == 0 ? "overseas" : "floating") : "registered",
                ]
                if member.id.age >= 18 { fields["phone"] = DemoNames.phone(&random) }
                var tags: [String] = []
                if size == 1 && member.id.age >= 70 { tags.append("独居老人") }
                if Int.random(in: 0..<50, using: &random) == 0 { tags.append("残疾人") }
                if (12...25).contains(member.id.age) && Int.random(in: 0..<200, using: &random) == 0 { tags.append("重点青少年") }
                if member.id.age >= 18 && Int.random(in: 0..<1000, using: &random) == 0 { tags.append("社区矫正") }
                if Int.random(in: 0..<100, using: &random) == 0 { tags.append("低保") }
                if !tags.isEmpty { fields["tags"] = tags.joined(separator: "、") }
                record(.person, member.id.value, a, fields)
            }
        }
        // Key places: a handful per community, at its addresses.
        let kinds = isVillage ? DemoNames.villagePlaces : DemoNames.urbanPlaces
        for (n, kind) in kinds.enumerated() where Int.random(in: 0..<3, using: &random) > 0 {
            let a = library.addresses[Int.random(in: range, using: &random)]
            record(.place, community + "P" + padded(n + 1, 2), a, ["name": (a.elements.compound ?? a.elements.road ?? a.elements.community ?? "") + kind, "kind": kind])
        }
        return out
    }
}

/// An ID number being made: valid, unique within the run (the sequence counts per region and day).
struct CitizenIDParts {
    let value: String
    let sex: String
    let birthDate: String
    let age: Int

    /// Locals were registered in 余杭 (330184 before 2001, 330110 after); floating residents come from all over.
    static let homeRegions = ["330184", "330110"]
    static let otherRegions = ["341524", "342622", "410122", "411521", "430524", "511322", "522121", "362329", "340824", "320382", "130821", "612426", "450821", "360781"]

    init(age: Int, floating: Bool, allocator: DemoRegistryGenerator.CodeAllocator, _ random: inout DemoRandom) {
        let region = floating ? Self.otherRegions.randomElement(using: &random)! : Self.homeRegions.randomElement(using: &random)!
        // Born up to the end of 2025, so that no birth date lies in the future of the demo.
        let year = 2025 - age
        let month = Int.random(in: 1...12, using: &random)
        let day = Int.random(in: 1...28, using: &random)
        let male = Bool.random(using: &random)
        // Sequence: random, odd for men; the run-wide set below keeps numbers unique.
        var sequence = Int.random(in: 0...499, using: &random) * 2 + (male ? 1 : 0)
        var body = ""
        repeat {
            body = region + padded(year, 4) + padded(month, 2) + padded(day, 2) + padded(sequence % 1000, 3)
            sequence += 2
        } while !allocator.claim(body)
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        value = body + String(Array("10X98765432")[sum % 11])
        sex = male ? "male" : "female"
        birthDate = padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2)
        self.age = age
    }
}

/// Names and codes for the demo.
enum DemoNames {
    static func person(_ random: inout DemoRandom) -> String {
        String(GridWorkerRoster.surnames.randomElement(using: &random)!) + givenName(&random)
    }

    static func givenName(_ random: inout DemoRandom) -> String {
        let length = Int.random(in: 0..<3, using: &random) == 0 ? 1 : 2
        return String((0..<length).map { _ in GridWorkerRoster.givenCharacters.randomElement(using: &random)! })
    }

    static func phone(_ random: inout DemoRandom) -> String {
        ["135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "187", "188", "133", "153", "189"].randomElement(using: &random)!
            + padded(Int.random(in: 0..<100_000_000, using: &random), 8)
    }

    static let industries: [(industry: String, words: [String])] = [
        ("餐饮", ["餐饮", "小吃", "面馆", "饭店"]), ("零售", ["超市", "便利店", "商贸", "百货"]), ("制造", ["机械", "服装", "纺织", "电子"]),
        ("建筑", ["建筑工程", "装饰", "建材"]), ("物流", ["物流", "货运"]), ("寄递", ["快递", "速递"]), ("教育培训", ["培训", "教育咨询"]),
        ("金融", ["投资管理", "财富管理"]), ("化工", ["化工", "涂料"]), ("文化娱乐", ["KTV", "文化传媒"]), ("生活服务", ["美容", "家政", "维修"]),
    ]
    static let enterpriseRisks = ["安全生产", "消防隐患", "非法金融风险", "食品安全", "环境污染"]

    static func enterprise(_ random: inout DemoRandom) -> (name: String, industry: String) {
        let (industry, words) = industries.randomElement(using: &random)!
        let brand = NamePool.words.randomElement(using: &random)!
        return ("杭州\(brand)\(words.randomElement(using: &random)!)\(["有限公司", "有限公司", "店", "经营部", "工作室"].randomElement(using: &random)!)", industry)
    }

    static let codeAlphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")

    /// A valid unified social credit code: 9 (工商) 1 (企业), the division code, an organisation code, the check.
    static func creditCode(region: String, allocator: DemoRegistryGenerator.CodeAllocator, _ random: inout DemoRandom) -> String {
        var body: String
        repeat {
            body = "91" + region + String((0..<9).map { _ in codeAlphabet.randomElement(using: &random)! })
        } while !allocator.claim(body)
        let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
        let sum = zip(body, weights).reduce(0) { $0 + codeAlphabet.firstIndex(of: $1.0)! * $1.1 }
        return body + String(codeAlphabet[(31 - sum % 31) % 31])
    }

    static let urbanPlaces = ["幼儿园", "小学", "社区卫生服务站", "菜市场", "养老服务中心", "加油站", "消防重点单位", "寄递网点"]
    static let villagePlaces = ["村卫生室", "文化礼堂", "农家乐", "加油站", "小学"]
}
