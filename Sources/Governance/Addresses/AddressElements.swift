/// The elements of a Chinese address (DOMAIN.md §2, GA/T 2000.32 codes in brackets), from the
/// province down to the room. Numbers are kept as text ("123", "123-5", "A").
public struct AddressElements: Hashable, Sendable, Codable {
    public var province: String?      // 11 省
    public var city: String?          // 12 市
    public var district: String?      // 13 区县
    public var township: String?      // 23 街道 / 22 镇 / 21 乡
    public var community: String?     // 31 社区 / 33 村委会
    public var road: String?          // 41 街路巷
    public var houseNumber: String?   // 门牌号 (the number before 号)
    public var villageGroup: String?  // 村民小组 (the number before 组), rural addresses
    public var compound: String?      // 42 小区 / 43 单位院
    public var building: String?      // 50 建筑物 (幢)
    public var unit: String?          // 61 单元
    public var floor: String?         // 层
    public var room: String?          // 62 室

    public init(
        province: String? = nil, city: String? = nil, district: String? = nil, township: String? = nil, community: String? = nil,
        road: String? = nil, houseNumber: String? = nil, villageGroup: String? = nil, compound: String? = nil,
        building: String? = nil, unit: String? = nil, floor: String? = nil, room: String? = nil
    ) {
        self.province = province
        self.city = city
        self.district = district
        self.township = township
        self.community = community
        self.road = road
        self.houseNumber = houseNumber
        self.villageGroup = villageGroup
        self.compound = compound
        self.building = building
        self.unit = unit
        self.floor = floor
        self.room = room
    }

    /// The standard written form: 浙江省杭州市余杭区临平街道西大街社区迎宾路123号星河苑3幢2单元301室.
    public var standardText: String {
        var s = ""
        for part in [province, city, district, township, community, road] { if let part { s += part } }
        if let villageGroup { s += villageGroup + "组" }
        if let houseNumber { s += houseNumber + "号" }
        if let compound { s += compound }
        if let building { s += building + "幢" }
        if let unit { s += unit + "单元" }
        if let room { s += room + "室" } else if let floor { s += floor + "层" }
        return s
    }

    /// The part below the community (what people write and what identifies the address).
    public var localText: String {
        var copy = self
        copy.province = nil
        copy.city = nil
        copy.district = nil
        copy.township = nil
        copy.community = nil
        return copy.standardText
    }
}
