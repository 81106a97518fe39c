import Foundation

/// What the points of a layer are.
public enum LayerSubject: String, Sendable, Codable, CaseIterable {
    case address, person, house, enterprise, place

    public var registry: RegistryKind? { RegistryKind(rawValue: rawValue) }
}

/// Which records belong to a layer: those of a category (residence type, house use, industry, place
/// kind) or carrying a tag — any of them — and, if keys are listed, only those. An empty rule takes
/// every record of the subject.
public struct LayerRule: Sendable, Hashable, Codable {
    public var categories: [String]
    public var tags: [String]
    /// Members named by hand: registry keys (or address codes for an address layer).
    public var keys: [String]

    public init(categories: [String] = [], tags: [String] = [], keys: [String] = []) {
        self.categories = categories
        self.tags = tags
        self.keys = keys
    }
}

/// A thematic layer (图层) of the one map.
public struct LayerDefinition: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var englishName: String
    public var subject: LayerSubject
    public var rule: LayerRule
    public var builtIn: Bool
    /// Whether members are people: the map then shows counts per address, never who.
    public var personal: Bool { subject == .person }

    public init(id: String, name: String, englishName: String, subject: LayerSubject, rule: LayerRule, builtIn: Bool = false) {
        self.id = id
        self.name = name
        self.englishName = englishName
        self.subject = subject
        self.rule = rule
        self.builtIn = builtIn
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Checks an administrator's definition.
    public func validated() throws(Invalid) -> LayerDefinition {
        guard !id.isEmpty, id.count <= 60, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw Invalid(reason: "a layer id is 1–60 ASCII letters, digits and dashes")
        }
        guard !name.trimmingWhitespace.isEmpty else { throw Invalid(reason: "a layer needs a name") }
        if subject == .address && !(rule.categories.isEmpty && rule.tags.isEmpty) {
            throw Invalid(reason: "an address layer is all addresses or addresses listed by code; categories and tags belong to registries")
        }
        return self
    }
}

/// The 26 layers every deployment has: the nine of DOMAIN.md §1 (出租房, 消防重点单位,
/// 安全生产单位, "非法金融"风险企业, 寄递网点, 涉恐敏感物资销售单位, 非商品房项目, 教育培训机构,
/// 便民服务企业) and the usual ones of grid governance. See docs/layers.md.
public enum BuiltInLayers {
    static func layer(_ id: String, _ name: String, _ english: String, _ subject: LayerSubject, categories: [String] = [], tags: [String] = []) -> LayerDefinition {
        LayerDefinition(id: id, name: name, englishName: english, subject: subject, rule: LayerRule(categories: categories, tags: tags), builtIn: true)
    }

    public static let all: [LayerDefinition] = [
        layer("standard-addresses", "标准地址", "Standard addresses", .address),
        layer("residents", "实有人口", "Residents", .person),
        layer("registered-residents", "户籍人口", "Registered residents", .person, categories: ["registered"]),
        layer("floating-population", "流动人口", "Floating population", .person, categories: ["floating"]),
        layer("overseas-residents", "境外人员", "Overseas residents", .person, categories: ["overseas"]),
        layer("elderly-living-alone", "独居老人", "Elderly living alone", .person, tags: ["独居老人"]),
        layer("disabled-persons", "残疾人", "Persons with disabilities", .person, tags: ["残疾人"]),
        layer("key-youth", "重点青少年", "Key youth", .person, tags: ["重点青少年"]),
        layer("community-correction", "社区矫正人员", "Under community correction", .person, tags: ["社区矫正"]),
        layer("subsistence-allowance", "低保对象", "Subsistence allowance", .person, tags: ["低保"]),
        layer("rental-housing", "出租房", "Rental housing", .house, categories: ["rented"]),
        layer("vacant-housing", "空置房", "Vacant housing", .house, categories: ["vacant"]),
        layer("commercial-premises", "商用房", "Commercial premises", .house, categories: ["commercial"]),
        layer("enterprises", "企业", "Enterprises", .enterprise),
        layer("production-safety", "安全生产单位", "Production safety units", .enterprise, categories: ["制造", "化工", "建筑"], tags: ["安全生产"]),
        layer("fire-safety-key-units", "消防重点单位", "Fire safety key units", .place, categories: ["消防重点单位"]),
        layer("illegal-finance-risk", "\u{201C}非法金融\u{201D}风险企业", "Illegal finance risk enterprises", .enterprise, categories: ["金融"], tags: ["非法金融风险"]),
        layer("delivery-outlets", "寄递网点", "Parcel delivery outlets", .enterprise, categories: ["寄递"]),
        layer("sensitive-materials-sellers", "涉恐敏感物资销售单位", "Sellers of sensitive materials", .enterprise, categories: ["化工"]),
        layer("non-commercial-housing-projects", "非商品房项目", "Non-commercial housing projects", .place, categories: ["非商品房项目"]),
        layer("education-training", "教育培训机构", "Education and training", .enterprise, categories: ["教育培训"]),
        layer("convenience-services", "便民服务企业", "Convenience services", .enterprise, categories: ["生活服务", "零售"]),
        layer("catering", "餐饮单位", "Catering", .enterprise, categories: ["餐饮"], tags: ["食品安全"]),
        layer("schools", "学校幼儿园", "Schools and kindergartens", .place, categories: ["幼儿园", "小学", "中学"]),
        layer("medical-institutions", "医疗卫生机构", "Medical institutions", .place, categories: ["社区卫生服务站", "村卫生室", "医院"]),
        layer("elderly-care", "养老服务机构", "Elderly care", .place, categories: ["养老服务中心", "养老院"]),
    ]
}
