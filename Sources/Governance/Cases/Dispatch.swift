/// A department that handles cases (城管、市场监管、消防 …), or a street office for its street.
public struct Department: Sendable, Hashable, Codable {
    /// Stable identifier: lower-case letters, digits and hyphens (`urban-management`).
    public var code: String
    public var name: String
    /// The territory the department serves (a street office: its street); nil for district-wide.
    public var territory: RegionCode?
    public var active: Bool

    public init(code: String, name: String, territory: RegionCode? = nil, active: Bool = true) {
        self.code = code
        self.name = name
        self.territory = territory
        self.active = active
    }

    public static func isValidCode(_ code: String) -> Bool { Role.isValidID(code) }
}

/// One line of the routing table (FixMyStreet's "who" beside MapIt's "where"): cases of a class
/// (a minor class `E0102`, a major class `E01`, or every class `*`) in a territory go to a
/// department.
public struct DispatchRoute: Sendable, Hashable, Codable {
    public var classPattern: String
    public var territory: RegionCode
    public var department: String

    public init(classPattern: String, territory: RegionCode, department: String) {
        self.classPattern = classPattern
        self.territory = territory
        self.department = department
    }

    /// Why the pattern is not one, if it is not.
    public var patternProblem: String? {
        if classPattern == "*" { return nil }
        if classPattern.count == 3, (try? CaseClassCode(classPattern + "01")) != nil { return nil }
        if classPattern.count == 5, (try? CaseClassCode(classPattern)) != nil { return nil }
        return "\"\(classPattern)\" is not a class pattern: a minor class (E0102), a major class (E01) or * for every class"
    }

    /// 2 for a minor class, 1 for a major class, 0 for every class; nil when it does not cover `code`.
    func classSpecificity(_ code: CaseClassCode) -> Int? {
        if classPattern == code.rawValue { return 2 }
        if classPattern == code.majorCode { return 1 }
        if classPattern == "*" { return 0 }
        return nil
    }
}

/// Proposes the department for a case from the routing table: the route of the smallest territory
/// that contains the case's grid wins, then the most specific class pattern. The dispatcher may
/// choose another department.
public struct DispatchRouter: Sendable {
    public let routes: [DispatchRoute]

    public init(routes: [DispatchRoute]) { self.routes = routes }

    /// Departments in order of preference (best first, each once).
    public func proposals(for code: CaseClassCode, in grid: RegionCode) -> [String] {
        let ranked = routes.compactMap { r -> (route: DispatchRoute, territory: Int, specificity: Int)? in
            guard let s = r.classSpecificity(code), grid == r.territory || grid.isDescendant(of: r.territory) else { return nil }
            return (r, r.territory.level.depth, s)
        }.sorted { ($0.territory, $0.specificity) > ($1.territory, $1.specificity) }
        var seen: Set<String> = []
        return ranked.compactMap { seen.insert($0.route.department).inserted ? $0.route.department : nil }
    }
}
