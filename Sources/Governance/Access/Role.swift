/// A named set of permissions. The built-in roles cover the people of JOURNEYS.md; an administrator
/// can grant a built-in role more permissions or define new roles (stored, see ``AccountStore``).
public struct Role: Sendable, Hashable, Codable {
    /// Stable identifier: `grid-worker`, `dispatcher` … or an administrator's own.
    public var id: String
    public var name: String
    public var permissions: Set<Permission>
    /// Whether accounts with this role are bound to a department (department handlers).
    public var needsDepartment: Bool

    public init(id: String, name: String, permissions: Set<Permission>, needsDepartment: Bool = false) {
        self.id = id
        self.name = name
        self.permissions = permissions
        self.needsDepartment = needsDepartment
    }

    public var isBuiltIn: Bool { Self.builtIn.contains { $0.id == id } }

    /// Role ids: lower-case letters, digits and hyphens, 2–40 characters.
    public static func isValidID(_ id: String) -> Bool {
        (2...40).contains(id.utf8.count) && id.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }

    private static let baseRead: Set<Permission> = [.territoryRead, .addressRead, .layerRead]

    public static let districtAdministrator = Role(id: "district-admin", name: "区级管理员", permissions: Set(Permission.allCases).subtracting([.auditRead]))
    public static let streetAdministrator = Role(id: "street-admin", name: "街道管理员", permissions: baseRead.union([
        .registryRead, .registryImport, .personalDataReveal, .layerManage, .caseRead, .caseRegister, .caseDispatch, .caseSupervise,
        .kpiRead, .cockpitRead, .accountManage,
    ]))
    public static let communityLeader = Role(id: "community-leader", name: "社区/网格长", permissions: baseRead.union([
        .registryRead, .personalDataReveal, .caseRead, .caseReport, .caseInspect, .kpiRead, .cockpitRead, .attachmentUpload,
    ]))
    public static let gridWorker = Role(id: "grid-worker", name: "网格员", permissions: baseRead.union([
        .registryRead, .personalDataReveal, .caseRead, .caseReport, .caseInspect, .attachmentUpload,
    ]))
    public static let dispatcher = Role(id: "dispatcher", name: "指挥中心调度员", permissions: baseRead.union([
        .registryRead, .caseRead, .caseRegister, .caseDispatch, .caseSupervise, .caseEvaluate, .cockpitRead,
    ]))
    public static let supervisor = Role(id: "supervisor", name: "监督员", permissions: baseRead.union([
        .caseRead, .caseReport, .caseInspect, .caseSupervise, .attachmentUpload,
    ]))
    public static let departmentHandler = Role(id: "department-handler", name: "职能部门处置人员", permissions: baseRead.union([
        .caseRead, .caseHandle, .attachmentUpload,
    ]), needsDepartment: true)
    public static let analyst = Role(id: "analyst", name: "数据分析员", permissions: baseRead.union([.kpiRead, .cockpitRead, .caseRead]))
    /// Reads the audit trail and nothing personal: who watches the watchers does not need the data.
    public static let auditor = Role(id: "auditor", name: "审计员", permissions: [.auditRead, .territoryRead])
    public static let citizen = Role(id: "citizen", name: "市民", permissions: [.territoryRead, .caseReport, .caseEvaluate, .attachmentUpload])
    /// Other government systems through API tokens; a token narrows this further.
    public static let externalSystem = Role(id: "external-system", name: "外部系统", permissions: baseRead.union([.caseRead, .caseReport, .attachmentUpload]))

    public static let builtIn: [Role] = [
        districtAdministrator, streetAdministrator, communityLeader, gridWorker, dispatcher, supervisor,
        departmentHandler, analyst, auditor, citizen, externalSystem,
    ]
}

/// The roles in force: the built-in ones with what administrators added, and administrators' own.
public struct RoleCatalog: Sendable {
    public private(set) var roles: [String: Role]

    /// `stored`: roles saved by administrators. A stored role with a built-in id adds permissions
    /// to the built-in role (built-in permissions cannot be taken away, so code and data agree).
    public init(stored: [Role]) {
        var roles: [String: Role] = [:]
        for role in Role.builtIn { roles[role.id] = role }
        for role in stored {
            if var builtIn = roles[role.id], builtIn.isBuiltIn {
                builtIn.permissions.formUnion(role.permissions)
                roles[role.id] = builtIn
            } else {
                roles[role.id] = role
            }
        }
        self.roles = roles
    }

    public func role(_ id: String) -> Role? { roles[id] }

    public var all: [Role] { roles.values.sorted { $0.id < $1.id } }

    public func permissions(of roleIDs: [String]) -> Set<Permission> {
        roleIDs.reduce(into: Set<Permission>()) { $0.formUnion(roles[$1]?.permissions ?? []) }
    }
}
