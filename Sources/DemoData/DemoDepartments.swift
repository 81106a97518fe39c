import Governance

/// The departments of the demo district and its routing table: the district's bureaus for their
/// classes, and each street office (街道办事处) for neighbourhood disputes in its street.
public enum DemoDepartments {
    public static let bureaus: [Department] = [
        Department(code: "urban-management", name: "区城市管理局"),
        Department(code: "market-supervision", name: "区市场监督管理局"),
        Department(code: "housing-construction", name: "区住房和城乡建设局"),
        Department(code: "fire-rescue", name: "区消防救援大队"),
        Department(code: "public-security", name: "公安分局"),
        Department(code: "emergency-management", name: "区应急管理局"),
        Department(code: "health", name: "区卫生健康局"),
        Department(code: "human-resources", name: "区人力资源和社会保障局"),
        Department(code: "transport", name: "区交通运输局"),
        Department(code: "water-utility", name: "区水务集团"),
        Department(code: "power-supply", name: "区供电公司"),
    ]

    /// The street offices' codes: `street-` and the street's 3-digit number.
    public static func streetOffice(_ street: RegionCode, name: String) -> Department {
        Department(code: "street-" + String(street.rawValue.dropFirst(6).prefix(3)), name: name + "办事处", territory: street)
    }

    /// `streets`: code and name of each street of the district.
    public static func departments(streets: [(code: RegionCode, name: String)]) -> [Department] {
        bureaus + streets.map { streetOffice($0.code, name: $0.name) }
    }

    /// Class patterns → bureau, district-wide; disputes (E0701) to the street office of the street.
    public static func routes(district whole: RegionCode, streets: [(code: RegionCode, name: String)]) -> [DispatchRoute] {
        let bureauRoutes: [(String, String)] = [
            ("*", "urban-management"),
            ("C01", "water-utility"), ("C0104", "power-supply"), ("C0106", "power-supply"), ("C0105", "fire-rescue"),
            ("C02", "transport"), ("C03", "urban-management"), ("C04", "urban-management"),
            ("E01", "urban-management"), ("E02", "urban-management"), ("E03", "housing-construction"), ("E04", "urban-management"),
            ("E0404", "public-security"), ("E05", "emergency-management"), ("E0503", "fire-rescue"), ("E0505", "fire-rescue"),
            ("E0504", "water-utility"),
            ("E07", "urban-management"), ("E0702", "emergency-management"), ("E0703", "fire-rescue"), ("E0704", "market-supervision"),
            ("E0705", "health"), ("E0706", "human-resources"), ("E0707", "public-security"),
        ]
        return bureauRoutes.map { DispatchRoute(classPattern: $0.0, territory: whole, department: $0.1) }
            + streets.flatMap { street in
                ["E0701", "E0708"].map { DispatchRoute(classPattern: $0, territory: street.code, department: streetOffice(street.code, name: street.name).code) }
            }
    }
}
