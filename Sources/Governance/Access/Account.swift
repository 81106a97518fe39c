import Foundation

/// A person's (or another system's) login to CityBrain.
public struct Account: Sendable, Hashable {
    public var id: Int64?
    /// Login name: letters, digits, `.`, `_`, `-`; 3–64 characters; unique.
    public var username: String
    public var displayName: String
    public var roles: [String]
    /// The region subtree the account works in: a grid worker his grid (or community), a street
    /// administrator his street, a district administrator the district.
    public var territory: RegionCode
    /// For department handlers: the department whose tasks they see.
    public var department: String?
    /// bcrypt hash (`$2b$…`).
    public var passwordHash: String
    public var status: Status
    /// Consecutive failed logins since the last success.
    public var failedLogins: Int
    /// While in the future, logins are refused even with the right password.
    public var lockedUntil: Date?
    public var passwordChangedAt: Date
    public var createdAt: Date

    public enum Status: String, Sendable, Codable { case active, disabled }

    public init(id: Int64? = nil, username: String, displayName: String, roles: [String], territory: RegionCode, department: String? = nil,
                passwordHash: String, status: Status = .active, failedLogins: Int = 0, lockedUntil: Date? = nil,
                passwordChangedAt: Date, createdAt: Date) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.roles = roles
        self.territory = territory
        self.department = department
        self.passwordHash = passwordHash
        self.status = status
        self.failedLogins = failedLogins
        self.lockedUntil = lockedUntil
        self.passwordChangedAt = passwordChangedAt
        self.createdAt = createdAt
    }

    /// Names the system writes on timelines and the audit trail for actors that are no account
    /// (a resident without one, supervision's schedule, erasure …): an account may not take them,
    /// so no trail entry can be mistaken for an account's, and nothing matched by name could
    /// hand an account what belongs to nobody.
    public static let reservedUsernames: Set<String> = ["anonymous", "public", "supervision", "erasure", "system", "console", "cli"]

    public static func isReservedUsername(_ name: String) -> Bool { reservedUsernames.contains(name.lowercased()) }

    public static func isValidUsername(_ name: String) -> Bool {
        (3...64).contains(name.utf8.count) && name.utf8.allSatisfy {
            ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 95 || $0 == 45
        }
    }
}

/// A logged-in browser: the cookie's token is stored only as its hash, so a copy of the database
/// does not hand out live sessions.
public struct Session: Sendable, Hashable {
    public var tokenHash: String
    public var accountID: Int64
    /// Sent back by the browser in `X-CSRF-Token` on every state-changing request.
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date
    public var lastSeenAt: Date

    public init(tokenHash: String, accountID: Int64, csrfToken: String, createdAt: Date, expiresAt: Date, lastSeenAt: Date) {
        self.tokenHash = tokenHash
        self.accountID = accountID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastSeenAt = lastSeenAt
    }
}

/// An API token of another system: random, shown once, stored hashed, limited to some of its
/// account's permissions, expiring and revocable.
public struct APIToken: Sendable, Hashable {
    public var id: Int64?
    public var accountID: Int64
    public var name: String
    /// The first characters of the token, to recognise it in lists (`cbt_AbCd…`).
    public var prefix: String
    public var tokenHash: String
    public var permissions: Set<Permission>
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
    public var createdBy: String

    public init(id: Int64? = nil, accountID: Int64, name: String, prefix: String, tokenHash: String, permissions: Set<Permission>,
                createdAt: Date, expiresAt: Date, revokedAt: Date? = nil, createdBy: String) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.prefix = prefix
        self.tokenHash = tokenHash
        self.permissions = permissions
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.createdBy = createdBy
    }

    public func isUsable(at time: Date) -> Bool { revokedAt == nil && time < expiresAt }
}
