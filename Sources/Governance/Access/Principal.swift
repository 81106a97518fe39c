import Foundation

/// The part of the territory an account may see: one region and everything below it.
public struct TerritoryScope: Sendable, Hashable {
    /// nil: the whole deployment (the server's own console).
    public var root: RegionCode?

    public init(_ root: RegionCode) { self.root = root }

    private init() { root = nil }

    public static let everything = TerritoryScope()

    /// Whether the region lies in the scope. Region codes nest (a street's code starts with its
    /// district's, a grid's with its community's: DOMAIN.md §2), so the prefix decides.
    public func contains(_ code: RegionCode) -> Bool {
        guard let root else { return true }
        return code == root || code.isDescendant(of: root)
    }

    /// Whether the region is the scope's root or above it: shown as context (outlines, names)
    /// but its records are not the account's business.
    public func isAncestorOrSelf(_ code: RegionCode) -> Bool {
        guard let root else { return false }
        return code == root || root.isDescendant(of: code)
    }

    /// Whether the scope is a whole district or more (nothing to filter within one district's data).
    public var includesAll: Bool { root.map { $0.level <= .district } ?? true }

    /// An address is in the scope by its grid; one not (yet) in a grid only for district-wide scopes.
    public func contains(address: StandardAddress) -> Bool {
        guard let grid = address.gridCode else { return includesAll }
        return contains(grid)
    }

    /// Regions shown to the account: its scope and the regions above it (their names and outlines
    /// place the scope on the map); siblings and their subtrees are not shown.
    public func shows(_ code: RegionCode) -> Bool { contains(code) || isAncestorOrSelf(code) }
}

/// Who is asking, after authentication: an account's permissions and territory, narrowed by the
/// token when the request came with one.
public struct Principal: Sendable, Hashable {
    public var accountID: Int64
    public var username: String
    public var roles: [String]
    public var permissions: Set<Permission>
    public var territory: TerritoryScope
    public var department: String?
    public var credential: Credential

    public enum Credential: Sendable, Hashable {
        case session
        case token(id: Int64)
        /// The command line on the server itself (an operator with shell access).
        case console
        /// A resident without an account, on the public pages (reports and tracking codes only).
        case anonymous

        public var isToken: Bool { if case .token = self { true } else { false } }
    }

    public init(accountID: Int64, username: String, roles: [String], permissions: Set<Permission>, territory: TerritoryScope,
                department: String? = nil, credential: Credential) {
        self.accountID = accountID
        self.username = username
        self.roles = roles
        self.permissions = permissions
        self.territory = territory
        self.department = department
        self.credential = credential
    }

    /// The operator at the server's command line: every permission, the whole territory.
    public static func console(_ name: String) -> Principal {
        Principal(accountID: 0, username: name, roles: [], permissions: Set(Permission.allCases), territory: .everything, credential: .console)
    }

    /// A resident reporting without an account: may report and attach photos, anywhere in the deployment.
    public static let anonymousCitizen = Principal(accountID: 0, username: "anonymous", roles: [Role.citizen.id],
                                                   permissions: [.caseReport, .attachmentUpload], territory: .everything, credential: .anonymous)

    /// How the principal appears in the audit trail.
    public var auditName: String {
        switch credential {
        case .session, .console, .anonymous: username
        case .token(let id): "\(username)#token\(id)"
        }
    }

    /// The account a report made by this principal belongs to: a signed-in account or one of its
    /// tokens. Residents without an account and the console report as nobody.
    public var reportingAccount: Int64? {
        switch credential {
        case .session, .token: accountID > 0 ? accountID : nil
        case .console, .anonymous: nil
        }
    }

    public func may(_ permission: Permission) -> Bool { permissions.contains(permission) }

    public func require(_ permission: Permission) throws(AccessDenied) {
        guard may(permission) else { throw AccessDenied.missingPermission(permission) }
    }

    /// Requires the permission for something in `region`. Outside the territory the answer is
    /// "not found": whether it exists elsewhere is not the caller's business.
    public func require(_ permission: Permission, in region: RegionCode?) throws(AccessDenied) {
        try require(permission)
        guard let region, territory.contains(region) else { throw AccessDenied.outsideTerritory }
    }
}

/// Why a request is refused. The HTTP layer answers 401, 403 or 404 without more detail than this.
public enum AccessDenied: Error, Equatable, CustomStringConvertible {
    case notAuthenticated
    case missingPermission(Permission)
    /// Answered as "not found".
    case outsideTerritory
    /// A write from a browser session without the session's CSRF token.
    case csrfTokenMissing
    /// Something only the person himself may do, signed in (not with an API token).
    case sessionRequired

    public var description: String {
        switch self {
        case .notAuthenticated: "authentication required"
        case .missingPermission(let p): "the permission \(p.rawValue) is required"
        case .outsideTerritory: "not found"
        case .csrfTokenMissing: "the X-CSRF-Token header of this session is required"
        case .sessionRequired: "only a signed-in session may do this, not an API token"
        }
    }
}
