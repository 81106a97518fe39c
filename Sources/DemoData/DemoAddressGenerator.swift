import Foundation
import GeoKit
import Governance

/// The demo's standard address library: compounds of buildings, units and rooms in the urban
/// communities (denser in the old town of 临平, 南苑 and 东湖), shops along roads, and houses by
/// village group in the villages, each at a coordinate inside its grid. Some roads carry an old
/// name as an alias, as renamed roads do.
public struct DemoAddressLibrary: Sendable {
    public let addresses: [StandardAddress]
    public let aliases: [PlaceAlias]
}

public struct DemoAddressGenerator: Sendable {
    public var district: DemoDistrict

    public init(district: DemoDistrict) {
        self.district = district
    }

    /// Total addresses by preset; the district figure is DOMAIN.md's 1.77 M.
    static func target(_ preset: DemoPreset) -> Int {
        switch preset {
        case .tiny: 3_000
        case .small: 60_000
        case .district: 1_770_000
        }
    }

    static let oldTown: Set<String> = ["临平街道", "南苑街道", "东湖街道"]

    /// Names above the township that address texts carry, in full and short.
    public static let administrativeNames: [(String, PlaceNameKind)] = [
        ("浙江省", .province), ("浙江", .province), ("杭州市", .city), ("杭州", .city), ("余杭区", .district), ("余杭", .district),
    ]

    public func generate(progress: ((String) -> Void)? = nil) -> DemoAddressLibrary {
        var random = DemoRandom(seed: district.seed).substream("addresses")
        let regions = Dictionary(uniqueKeysWithValues: district.regions.map { ($0.code, $0) })
        let grids = district.regions.filter { $0.code.level == .grid }
        var gridsByCommunity: [RegionCode: [RegionDraft]] = [:]
        for g in grids { gridsByCommunity[g.parentCode!, default: []].append(g) }
        let communities = district.regions.filter { $0.code.level == .community && gridsByCommunity[$0.code] != nil }

        // How many addresses each grid gets: urban grids many more than villages, the old town most.
        func weight(_ community: RegionDraft) -> Double {
            let township = regions[community.parentCode!]!.name
            if community.name.hasSuffix("村") { return 0.12 }
            return Self.oldTown.contains(township) ? 1.6 : 1.0
        }
        let totalWeight = communities.reduce(0.0) { $0 + weight($1) * Double(gridsByCommunity[$1.code]!.count) }
        let perWeight = Double(Self.target(district.preset)) / totalWeight

        var names = NamePool(random: random.substream("names"))
        var addresses: [StandardAddress] = []
        addresses.reserveCapacity(Self.target(district.preset) + 10_000)
        var aliases: [PlaceAlias] = []
        let province = "浙江省", city = "杭州市"
        let districtName = district.regions.first { $0.code.level == .district }!.name

        for (n, community) in communities.enumerated() {
            if n % 20 == 0 { progress?("addresses: community \(n + 1)/\(communities.count), \(addresses.count) addresses") }
            let township = regions[community.parentCode!]!.name
            let isVillage = community.name.hasSuffix("村")
            var serial = 0
            func nextCode() -> String {
                serial += 1
                return community.code.rawValue + padded(serial, 8)
            }
            let base = AddressElements(province: province, city: city, district: districtName, township: township, community: community.name)
            // Roads of the community, with an old name now and then.
            let roads = (0..<Int.random(in: 2...4, using: &random)).map { _ in names.road(in: township) }
            for r in roads where Int.random(in: 0..<12, using: &random) == 0 {
                aliases.append(PlaceAlias(kind: .road, name: names.oldRoadName(), currentName: r))
            }
            var nextNumber = Dictionary(uniqueKeysWithValues: roads.map { ($0, Int.random(in: 1...40, using: &random)) })
            func houseNumber(on road: String) -> String {
                let n = nextNumber[road]!
                nextNumber[road] = n + Int.random(in: 1...6, using: &random)
                return String(n)
            }
            var group = 0
            for grid in gridsByCommunity[community.code]!.sorted(by: { $0.code < $1.code }) {
                let prepared = PreparedPolygon(grid.geometry)
                let box = grid.geometry.boundingBox!
                func pointInGrid(near centre: Coordinate? = nil, metres: Double = 0) -> Coordinate {
                    for _ in 0..<200 {
                        let c: Coordinate
                        if let centre {
                            let dx = Double.random(in: -metres...metres, using: &random) / GreatCircle.metresPerDegreeLongitude(atLatitude: centre.latitude)
                            let dy = Double.random(in: -metres...metres, using: &random) / GreatCircle.metresPerDegreeLatitude
                            c = Coordinate(longitude: centre.longitude + dx, latitude: centre.latitude + dy)
                        } else {
                            c = Coordinate(longitude: Double.random(in: box.minLongitude...box.maxLongitude, using: &random),
                                           latitude: Double.random(in: box.minLatitude...box.maxLatitude, using: &random))
                        }
                        // Rounded to the 1e-7° (1 cm) of survey data, then tested: the rounded point is the one stored.
                        let rounded = Coordinate(longitude: (c.longitude * 1e7).rounded() / 1e7, latitude: (c.latitude * 1e7).rounded() / 1e7)
                        if prepared.contains(rounded) { return rounded }
                    }
                    return grid.geometry.representativePoint!
                }
                var budget = Int((weight(community) * perWeight).rounded())
                if isVillage {
                    // Village groups, each a cluster of houses.
                    while budget > 0 {
                        group += 1
                        let centre = pointInGrid()
                        let houses = min(budget, Int.random(in: 15...60, using: &random))
                        for h in 1...max(1, houses) {
                            var e = base
                            e.villageGroup = String(group)
                            e.houseNumber = String(h)
                            addresses.append(StandardAddress(code: nextCode(), elements: e, coordinate: pointInGrid(near: centre, metres: 150), gridCode: grid.code))
                        }
                        budget -= houses
                    }
                    continue
                }
                // Shops and offices along the roads: about a tenth.
                let shops = max(1, budget / 10)
                for _ in 0..<shops {
                    var e = base
                    let road = roads.randomElement(using: &random)!
                    e.road = road
                    e.houseNumber = houseNumber(on: road)
                    addresses.append(StandardAddress(code: nextCode(), elements: e, coordinate: pointInGrid(), gridCode: grid.code))
                }
                budget -= shops
                // Residential compounds: buildings × units × floors × rooms.
                while budget > 0 {
                    let compound = names.compound(in: township)
                    let gateRoad = roads.randomElement(using: &random)!
                    let gate = houseNumber(on: gateRoad)
                    let oldTown = Self.oldTown.contains(township)
                    let floors = oldTown && Bool.random(using: &random) ? Int.random(in: 5...7, using: &random) : Int.random(in: 6...18, using: &random)
                    let units = Int.random(in: 1...3, using: &random)
                    let perFloor = Int.random(in: 2...4, using: &random)
                    let perBuilding = floors * units * perFloor
                    let buildings = max(1, min(30, budget / perBuilding + (budget % perBuilding > perBuilding / 2 ? 1 : 0)))
                    let centre = pointInGrid()
                    for b in 1...buildings {
                        let position = pointInGrid(near: centre, metres: 120)
                        for u in 1...units {
                            for f in 1...floors {
                                for r in 1...perFloor {
                                    var e = base
                                    e.road = gateRoad
                                    e.houseNumber = gate
                                    e.compound = compound
                                    e.building = String(b)
                                    e.unit = units > 1 ? String(u) : nil
                                    e.floor = String(f)
                                    e.room = String(f * 100 + r)
                                    addresses.append(StandardAddress(code: nextCode(), elements: e, coordinate: position, gridCode: grid.code))
                                }
                            }
                        }
                    }
                    budget -= buildings * perBuilding
                }
            }
        }
        return DemoAddressLibrary(addresses: addresses, aliases: aliases)
    }
}

/// Plausible, non-repeating road and compound names.
struct NamePool {
    var random: DemoRandom
    private var usedRoads = Set<String>()
    private var usedCompounds: [String: Set<String>] = [:]
    private var usedAliases = Set<String>()

    init(random: DemoRandom) { self.random = random }

    static let words = Array(("迎宾 人民 文化 世纪 望梅 星光 振兴 健康 通济 汀洲 天都 保元 荷花 梅堰 钱江 藕花 临东 丁山 南苑 北沙 "
        + "东湖 新丰 丁桥 上塘 超山 运溪 古墩 五洲 龙潭 凤凰 金星 银河 明珠 和平 幸福 团结 友谊 光明 朝阳 春风 "
        + "秋水 桃源 杏坛 柳岸 梧桐 樟树 兰亭 竹海 茶山 稻香 渔港 白鹭 苍松 翠柏 瑞安 吉祥 如意 长乐 永安 太平 "
        + "安康 富春 西溪 东塘 南湖 北湖 中山 解放 建设 胜利 红旗 新华 兴业 创新 科技 学院 工业 商贸 港城 滨江 "
        + "湖滨 沿河 环城 城东 城西 城南 城北 新城 老街 大桥 小河 邱山 汀兰 藕荷 青石 紫金 九曲 双桥 三里 七星").split(separator: " ").map(String.init))
    static let roadSuffixes = ["路", "路", "路", "街", "大道", "巷"]
    static let compoundWords = Array(("星河 阳光 金色 翡翠 绿城 玉兰 香樟 桂花 湖畔 紫薇 锦绣 丽景 春江 天和 嘉和 龙湖 东方 南郡 明月 清风 "
        + "碧水 蓝天 白云 金桂 银杏 海棠 樱花 丁香 牡丹 芙蓉 蔷薇 青枫 绿洲 水岸 山水 云栖 望湖 观澜 听涛 临溪 "
        + "枕河 景苑 华府 君悦 珑玥 悦澜 栖溪 半岛 江南 锦江 盛世 御园 书香 怡景 康乐 宜居 安居 和谐 美丽 亲水").split(separator: " ").map(String.init))
    static let compoundSuffixes = ["苑", "花园", "小区", "家园", "府", "公寓", "新村", "雅苑", "华庭", "名邸", "嘉园", "佳苑"]

    mutating func road(in township: String) -> String {
        while true {
            let word = Self.words.randomElement(using: &random)!
            let direction = Int.random(in: 0..<4, using: &random) == 0 ? ["东", "西", "南", "北"].randomElement(using: &random)! : ""
            let name = direction + word + Self.roadSuffixes.randomElement(using: &random)!
            if usedRoads.insert(name).inserted { return name }
        }
    }

    /// Road names retired by renaming: never used for a road today.
    mutating func oldRoadName() -> String {
        while true {
            let name = "老" + Self.words.randomElement(using: &random)! + ["路", "街"].randomElement(using: &random)!
            if !usedRoads.contains(name), usedAliases.insert(name).inserted { return name }
        }
    }

    /// Unique within a township; the same name may recur in another township, as real names do.
    mutating func compound(in township: String) -> String {
        var attempt = 0
        while true {
            var name = Self.compoundWords.randomElement(using: &random)! + Self.compoundSuffixes.randomElement(using: &random)!
            // When a township has used up the plain names, later phases of a development follow.
            if attempt > 50 { name += ["二期", "三期", "四期", "五期", "六期"].randomElement(using: &random)! }
            if attempt > 500 { name += String(attempt) }
            if usedCompounds[township, default: []].insert(name).inserted { return name }
            attempt += 1
        }
    }
}
