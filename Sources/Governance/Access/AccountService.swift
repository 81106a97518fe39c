import Foundation
import Synchronization

/// Why a login is refused. The message never says whether the name exists.
public enum LoginRefused: Error, Equatable, CustomStringConvertible {
    case wrongCredentials
    /// Too many failures from one client: try again after the given seconds.
    case throttled(retryAfter: Int)

    public var description: String {
        switch self {
        case .wrongCredentials: "the user name or password is wrong, or the account is locked after repeated failures"
        case .throttled(let seconds): "too many failed logins from this client; try again in \(seconds) s"
        }
    }
}

/// A refused change of accounts, roles or tokens: what is wrong, in words for the administrator.
public struct AccountChangeRefused: Error, Equatable, CustomStringConvertible {
    public var field: String
    public var reason: String
    public init(_ field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }
    public var description: String { "\(field): \(reason)" }
}

/// A successful login: the secrets for the browser and who logged in.
public struct LoginGrant: Sendable {
    /// The cookie value; only its hash is stored.
    public var sessionToken: String
    public var session: Session
    public var principal: Principal
}

/// Accounts, logins, sessions, API tokens and roles, with the rules that protect them: bcrypt,
/// lockout and throttling, no granting of permissions one does not hold, no reach outside one's
/// territory, and every change and login on the audit trail.
public final class AccountService: Sendable {
    public let store: any CityBrainStore
    public let hasher: PasswordHasher
    public let now: @Sendable () -> Date
    private let throttle: LoginThrottle
    private let roleCache = Mutex<RoleCatalog?>(nil)
    /// Made on the first login (bcrypt takes a quarter of a second; commands that never log anyone
    /// in should not pay it).
    private let decoy = Mutex<String?>(nil)

    /// Failures within a window that lock an account, and for how long.
    public let lockout: LockoutRule
    public static var lockoutDuration: TimeInterval { LockoutRule.standard.duration }
    /// A session ends after this long, and after this long without a request.
    public static let sessionLifetime: TimeInterval = 12 * 3600
    public static let sessionIdleLimit: TimeInterval = 2 * 3600
    /// The longest an API token may live.
    public static let maximumTokenLifetime: TimeInterval = 366 * 86400

    public init(store: any CityBrainStore, hasher: PasswordHasher = PasswordHasher(), throttle: LoginThrottle = LoginThrottle(),
                lockout: LockoutRule = .standard, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.hasher = hasher
        self.throttle = throttle
        self.lockout = lockout
        self.now = now
    }

    // MARK: Roles

    public func roles() async throws -> RoleCatalog {
        if let cached = roleCache.withLock({ $0 }) { return cached }
        let catalog = RoleCatalog(stored: try await store.storedRoles())
        roleCache.withLock { $0 = catalog }
        return catalog
    }

    /// Defines a role or adds permissions to a built-in one. Nobody grants what he does not hold.
    public func saveRole(_ role: Role, by principal: Principal, requestID: String? = nil) async throws {
        try principal.require(.roleManage)
        guard Role.isValidID(role.id) else { throw AccountChangeRefused("id", "a role id has 2–40 lower-case letters, digits or hyphens") }
        guard !role.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw AccountChangeRefused("name", "a role needs a name") }
        let beyond = role.permissions.subtracting(principal.permissions)
        guard beyond.isEmpty else { throw AccountChangeRefused("permissions", "you cannot grant what you do not hold: \(beyond.sorted().map(\.rawValue).joined(separator: ", "))") }
        try await store.saveRole(role, audit: AuditRecord(time: now(), actor: principal.auditName, action: "role.save", target: "role:\(role.id)",
                                                          purpose: role.permissions.sorted().map(\.rawValue).joined(separator: ","), requestID: requestID))
        roleCache.withLock { $0 = nil }
    }

    // MARK: Accounts

    public struct NewAccount: Sendable {
        public var username: String
        public var displayName: String
        public var roles: [String]
        public var territory: RegionCode
        public var department: String?
        public var password: String

        public init(username: String, displayName: String, roles: [String], territory: RegionCode, department: String? = nil, password: String) {
            self.username = username
            self.displayName = displayName
            self.roles = roles
            self.territory = territory
            self.department = department
            self.password = password
        }
    }

    public func createAccount(_ new: NewAccount, by principal: Principal, requestID: String? = nil) async throws -> Account {
        try principal.require(.accountManage)
        guard Account.isValidUsername(new.username) else {
            throw AccountChangeRefused("username", "a user name has 3–64 letters, digits, '.', '_' or '-'")
        }
        guard !Account.isReservedUsername(new.username) else {
            throw AccountChangeRefused("username", "\(new.username) is a name the system uses for itself")
        }
        guard !new.displayName.trimmingCharacters(in: .whitespaces).isEmpty else { throw AccountChangeRefused("displayName", "a display name is required") }
        try await checkGrant(roles: new.roles, territory: new.territory, department: new.department, by: principal)
        if let problem = PasswordRule.problem(with: new.password, username: new.username) { throw AccountChangeRefused("password", problem) }
        if try await store.account(username: new.username) != nil { throw AccountChangeRefused("username", "\(new.username) is taken") }
        let time = now()
        let account = Account(username: new.username, displayName: new.displayName, roles: new.roles, territory: new.territory,
                              department: new.department, passwordHash: await hasher.hash(new.password), passwordChangedAt: time, createdAt: time)
        return try await store.saveAccount(account, audit: AuditRecord(
            time: time, actor: principal.auditName, action: "account.create", target: "account:\(new.username)",
            purpose: "roles \(new.roles.joined(separator: ",")) in \(new.territory)", requestID: requestID))
    }

    /// The account, if it lies in the principal's territory (else "not found").
    public func account(_ username: String, for principal: Principal) async throws -> Account {
        try principal.require(.accountManage)
        return try await scopedAccount(username, for: principal)
    }

    /// The account if it lies in the principal's territory, whatever permission brought him here.
    private func scopedAccount(_ username: String, for principal: Principal) async throws -> Account {
        guard let account = try await store.account(username: username), principal.territory.contains(account.territory) else {
            throw AccessDenied.outsideTerritory
        }
        return account
    }

    public func accounts(for principal: Principal) async throws -> [Account] {
        try principal.require(.accountManage)
        return try await store.accounts().filter { principal.territory.contains($0.territory) }
    }

    /// Changes roles, territory or department: a permission change, on the audit trail. The
    /// account's sessions end so that the new rights apply at once.
    public func changeRoles(of username: String, roles: [String], territory: RegionCode?, department: String?,
                            by principal: Principal, requestID: String? = nil) async throws -> Account {
        var account = try await self.account(username, for: principal)
        try await requireCeiling(over: account, by: principal)
        let newTerritory = territory ?? account.territory
        try await checkGrant(roles: roles, territory: newTerritory, department: department ?? account.department, by: principal)
        let before = "\(account.roles.joined(separator: ",")) in \(account.territory)"
        account.roles = roles
        account.territory = newTerritory
        if let department { account.department = department }
        let saved = try await store.saveAccount(account, audit: AuditRecord(
            time: now(), actor: principal.auditName, action: "account.roles", target: "account:\(username)",
            purpose: "\(before) → \(roles.joined(separator: ",")) in \(newTerritory)", requestID: requestID))
        try await store.deleteSessions(tokenHash: nil, accountID: saved.id, audit: nil)
        return saved
    }

    /// An administrator sets a new password (the user forgot his): sessions end, the lock lifts.
    public func resetPassword(of username: String, to password: String, by principal: Principal, requestID: String? = nil) async throws {
        var account = try await self.account(username, for: principal)
        try await requireCeiling(over: account, by: principal)
        try await setPassword(&account, password, action: "account.password.reset", actor: principal.auditName, requestID: requestID)
    }

    /// The user changes his own password, proving the old one.
    /// Only a signed-in session may do it (a token is a system's, not the person's); a wrong old
    /// password counts toward the lockout like a failed login, and every attempt is on the trail.
    public func changeOwnPassword(_ principal: Principal, old: String, new: String, client: String = "local", requestID: String? = nil) async throws {
        guard principal.credential == .session else { throw AccessDenied.sessionRequired }
        guard var account = try await store.account(id: principal.accountID), let id = account.id else { throw AccessDenied.notAuthenticated }
        let time = now()
        let locked = account.lockedUntil.map { $0 > time } ?? false
        guard !locked, await hasher.verify(old, hash: account.passwordHash) else {
            let audit = AuditRecord(time: time, actor: principal.auditName, action: "account.password.change.failed", target: "account:\(account.username)",
                                    purpose: "client \(client)", requestID: requestID)
            if locked {
                _ = try await store.appendAudit([audit])
            } else {
                let outcome = try await store.recordLoginFailure(accountID: id, rule: lockout, at: time) { _ in audit }
                if outcome.lockedNow {
                    try await store.deleteSessions(tokenHash: nil, accountID: id, audit: AuditRecord(
                        time: time, actor: principal.auditName, action: "login.lockout", target: "account:\(account.username)", purpose: "client \(client)",
                        requestID: requestID))
                }
            }
            throw AccountChangeRefused("oldPassword", "the current password is wrong, or the account is locked")
        }
        _ = try await store.appendAudit([AuditRecord(time: time, actor: principal.auditName, action: "account.password.change.attempt",
                                                     target: "account:\(account.username)", purpose: "client \(client)", requestID: requestID)])
        try await setPassword(&account, new, action: "account.password.change", actor: principal.auditName, requestID: requestID)
    }

    public func setStatus(of username: String, _ status: Account.Status, by principal: Principal, requestID: String? = nil) async throws {
        var account = try await self.account(username, for: principal)
        try await requireCeiling(over: account, by: principal)
        account.status = status
        _ = try await store.saveAccount(account, audit: AuditRecord(time: now(), actor: principal.auditName, action: "account.\(status.rawValue == "active" ? "enable" : "disable")",
                                                                    target: "account:\(username)", requestID: requestID))
        if status == .disabled { try await store.deleteSessions(tokenHash: nil, accountID: account.id, audit: nil) }
    }

    private func setPassword(_ account: inout Account, _ password: String, action: String, actor: String, requestID: String?) async throws {
        if let problem = PasswordRule.problem(with: password, username: account.username) { throw AccountChangeRefused("password", problem) }
        account.passwordHash = await hasher.hash(password)
        account.passwordChangedAt = now()
        account.failedLogins = 0
        account.lockedUntil = nil
        account = try await store.saveAccount(account, audit: AuditRecord(time: now(), actor: actor, action: action, target: "account:\(account.username)", requestID: requestID))
        try await store.deleteSessions(tokenHash: nil, accountID: account.id, audit: nil)
    }

    /// Setting an account's password, roles, status or tokens is acting as that account, so only
    /// someone who holds everything it holds may do it (inside his territory: ``account(_:for:)``).
    /// Otherwise a street administrator could reset a supervisor's password and sign in with
    /// permissions he was never given.
    private func requireCeiling(over account: Account, by principal: Principal) async throws {
        let beyond = try await roles().permissions(of: account.roles).subtracting(principal.permissions)
        if let first = beyond.sorted().first { throw AccessDenied.missingPermission(first) }
    }

    /// What an administrator may hand out: known roles, nothing he does not hold himself, inside
    /// his territory, and a department for roles that need one.
    private func checkGrant(roles: [String], territory: RegionCode, department: String?, by principal: Principal) async throws {
        guard !roles.isEmpty else { throw AccountChangeRefused("roles", "an account needs at least one role") }
        let catalog = try await self.roles()
        for id in roles where catalog.role(id) == nil { throw AccountChangeRefused("roles", "unknown role \(id)") }
        let beyond = catalog.permissions(of: roles).subtracting(principal.permissions)
        guard beyond.isEmpty else {
            throw AccountChangeRefused("roles", "you cannot grant what you do not hold: \(beyond.sorted().map(\.rawValue).joined(separator: ", "))")
        }
        guard principal.territory.contains(territory) else { throw AccountChangeRefused("territory", "\(territory) is outside your territory") }
        if roles.contains(where: { catalog.role($0)?.needsDepartment == true }), (department ?? "").isEmpty {
            throw AccountChangeRefused("department", "a department handler needs a department")
        }
    }

    // MARK: Logins and sessions

    /// Checks the password (always with bcrypt, also for unknown names), locks the account after
    /// repeated failures and throttles the client; every attempt is on the audit trail.
    public func login(username: String, password: String, client: String, requestID: String? = nil) async throws -> LoginGrant {
        let time = now()
        // The client's slot is taken before bcrypt runs: concurrent guesses cannot all be evaluated
        // before the first failure is counted. A success gives its slot back.
        if let wait = throttle.reserve(client: client, at: time) { throw LoginRefused.throttled(retryAfter: wait) }
        let account = Account.isValidUsername(username) ? try await store.account(username: username) : nil
        let matches = await hasher.verify(password, hash: account?.passwordHash ?? decoyHash())
        guard let account, let id = account.id else {
            _ = try await store.appendAudit([AuditRecord(time: time, actor: "anonymous", action: "login.failed", target: "account:?", purpose: "client \(client)", requestID: requestID)])
            throw LoginRefused.wrongCredentials
        }
        let target = "account:\(account.username)"
        let locked = account.lockedUntil.map { $0 > time } ?? false
        guard matches, !locked, account.status == .active else {
            if matches {
                // The right password on a locked or disabled account: refused, not counted.
                _ = try await store.appendAudit([AuditRecord(time: time, actor: account.username, action: locked ? "login.locked" : "login.disabled",
                                                             target: target, purpose: "client \(client)", requestID: requestID)])
            } else {
                let disabled = account.status != .active
                _ = try await store.recordLoginFailure(accountID: id, rule: lockout, at: time) { outcome in
                    let action = outcome.lockedNow ? "login.lockout" : outcome.isLocked(at: time) ? "login.locked" : disabled ? "login.disabled" : "login.failed"
                    return AuditRecord(time: time, actor: account.username, action: action, target: target, purpose: "client \(client)", requestID: requestID)
                }
            }
            throw LoginRefused.wrongCredentials
        }
        throttle.forgive(client: client, at: time)
        if account.failedLogins > 0 || account.lockedUntil != nil {
            try await store.recordLogin(accountID: id, failedLogins: 0, lockedUntil: nil, audit: AuditRecord(
                time: time, actor: account.username, action: "login.reset", target: target, requestID: requestID))
        }
        let token = SecretToken.generate()
        let session = Session(tokenHash: SecretToken.hash(token), accountID: id, csrfToken: SecretToken.generate(bytes: 24), createdAt: time,
                              expiresAt: time.addingTimeInterval(Self.sessionLifetime), lastSeenAt: time)
        try await store.createSession(session, audit: AuditRecord(time: time, actor: account.username, action: "login", target: "account:\(account.username)",
                                                                  purpose: "client \(client)", requestID: requestID))
        return LoginGrant(sessionToken: token, session: session, principal: try await principal(for: account, credential: .session))
    }

    private func decoyHash() -> String {
        if let made = decoy.withLock({ $0 }) { return made }
        let made = hasher.decoyHash()
        decoy.withLock { $0 = made }
        return made
    }

    public func logout(sessionToken: String, principal: Principal, requestID: String? = nil) async throws {
        try await store.deleteSessions(tokenHash: SecretToken.hash(sessionToken), accountID: nil, audit: AuditRecord(
            time: now(), actor: principal.auditName, action: "logout", target: "account:\(principal.username)", requestID: requestID))
    }

    /// The principal of a session cookie, nil when the session is unknown, expired, idle too long
    /// or its account disabled.
    public func authenticate(sessionToken: String) async throws -> (Principal, Session)? {
        let hash = SecretToken.hash(sessionToken)
        guard let session = try await store.session(tokenHash: hash) else { return nil }
        let time = now()
        guard time < session.expiresAt, time.timeIntervalSince(session.lastSeenAt) < Self.sessionIdleLimit else {
            try await store.deleteSessions(tokenHash: hash, accountID: nil, audit: nil)
            return nil
        }
        guard let account = try await store.account(id: session.accountID), account.status == .active else { return nil }
        // Written at most once a minute: a request should not cost a write.
        if time.timeIntervalSince(session.lastSeenAt) > 60 { try await store.touchSession(tokenHash: hash, at: time) }
        return (try await principal(for: account, credential: .session), session)
    }

    /// Whether the credential a long request (a live stream) began with is still good: the session
    /// not ended (logout, password or role change, disabling, lockout) nor expired, the token not
    /// revoked nor expired, the account active. Reads only, so an open stream neither keeps a
    /// session alive nor writes.
    public func isStillValid(sessionToken: String?, apiToken: String?) async -> Bool {
        let time = now()
        do {
            let accountID: Int64
            if let sessionToken {
                guard let session = try await store.session(tokenHash: SecretToken.hash(sessionToken)), time < session.expiresAt else { return false }
                accountID = session.accountID
            } else if let apiToken {
                guard let token = try await store.token(hash: SecretToken.hash(apiToken)), token.isUsable(at: time) else { return false }
                accountID = token.accountID
            } else {
                return false
            }
            return try await store.account(id: accountID)?.status == .active
        } catch {
            // A store that does not answer ends the stream too; the browser reconnects and is checked again.
            return false
        }
    }

    /// The principal of an API token: the account's permissions narrowed to the token's.
    public func authenticate(apiToken: String) async throws -> Principal? {
        guard apiToken.hasPrefix(Self.tokenPrefix), let token = try await store.token(hash: SecretToken.hash(apiToken)), token.isUsable(at: now()),
              let account = try await store.account(id: token.accountID), account.status == .active else { return nil }
        var principal = try await principal(for: account, credential: .token(id: token.id!))
        principal.permissions.formIntersection(token.permissions)
        return principal
    }

    public func principal(for account: Account, credential: Principal.Credential) async throws -> Principal {
        Principal(accountID: account.id ?? 0, username: account.username, roles: account.roles, permissions: try await roles().permissions(of: account.roles),
                  territory: TerritoryScope(account.territory), department: account.department, credential: credential)
    }

    // MARK: API tokens

    public static let tokenPrefix = "cbt_"

    /// Issues a token for an account (typically an external system's): the secret is returned
    /// once and only its hash kept.
    public func issueToken(for username: String, name: String, permissions: Set<Permission>, lifetime: TimeInterval,
                           by principal: Principal, requestID: String? = nil) async throws -> (secret: String, token: APIToken) {
        try principal.require(.tokenManage)
        let account = try await scopedAccount(username, for: principal)
        try await requireCeiling(over: account, by: principal)
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw AccountChangeRefused("name", "a token needs a name") }
        guard !permissions.isEmpty else { throw AccountChangeRefused("permissions", "a token needs at least one permission") }
        let held = try await roles().permissions(of: account.roles)
        let beyond = permissions.subtracting(held.intersection(principal.permissions))
        guard beyond.isEmpty else {
            throw AccountChangeRefused("permissions", "beyond what the account and you hold: \(beyond.sorted().map(\.rawValue).joined(separator: ", "))")
        }
        guard lifetime > 0, lifetime <= Self.maximumTokenLifetime else { throw AccountChangeRefused("lifetime", "a token lives between 1 second and 366 days") }
        let secret = Self.tokenPrefix + SecretToken.generate()
        let time = now()
        let token = APIToken(accountID: account.id!, name: name, prefix: String(secret.prefix(10)), tokenHash: SecretToken.hash(secret), permissions: permissions,
                             createdAt: time, expiresAt: time.addingTimeInterval(lifetime), createdBy: principal.username)
        let stored = try await store.createToken(token, audit: AuditRecord(time: time, actor: principal.auditName, action: "token.issue",
                                                                           target: "account:\(username)", purpose: "\(name): \(permissions.sorted().map(\.rawValue).joined(separator: ","))",
                                                                           requestID: requestID))
        return (secret, stored)
    }

    public func tokens(for principal: Principal) async throws -> [APIToken] {
        try principal.require(.tokenManage)
        let visible = Set(try await store.accounts().filter { principal.territory.contains($0.territory) }.compactMap(\.id))
        return try await store.tokens().filter { visible.contains($0.accountID) }
    }

    public func revokeToken(_ id: Int64, by principal: Principal, requestID: String? = nil) async throws {
        try principal.require(.tokenManage)
        guard let token = try await store.token(id: id), let account = try await store.account(id: token.accountID),
              principal.territory.contains(account.territory) else { throw AccessDenied.outsideTerritory }
        guard token.revokedAt == nil else { return }
        try await store.revokeToken(id: id, at: now(), audit: AuditRecord(time: now(), actor: principal.auditName, action: "token.revoke",
                                                                        target: "token:\(id)", purpose: token.name, requestID: requestID))
    }
}

/// Failed logins per client (address) in a sliding window: guessing from one place slows down
/// even across many account names.
public final class LoginThrottle: Sendable {
    public let limit: Int
    public let window: TimeInterval
    private let failures = Mutex<[String: [Date]]>([:])

    public init(limit: Int = 20, window: TimeInterval = 15 * 60) {
        self.limit = limit
        self.window = window
    }

    /// Takes one attempt's slot for the client, counted as a failure until ``forgive(client:at:)``:
    /// nil when the client may try, else the seconds to wait. Checking and counting are one step,
    /// so attempts sent at once cannot all pass the check before any of them is counted.
    public func reserve(client: String, at time: Date) -> Int? {
        failures.withLock { table in
            let recent = (table[client] ?? []).filter { time.timeIntervalSince($0) < window }
            if recent.count >= limit, let oldest = recent.first {
                table[client] = recent
                return max(1, Int((window - time.timeIntervalSince(oldest)).rounded(.up)))
            }
            if table.count > 100_000 { table.removeAll() }  // a flood of addresses must not grow memory without bound
            table[client] = recent + [time]
            return nil
        }
    }

    /// A successful attempt gives its slot back.
    public func forgive(client: String, at time: Date) {
        failures.withLock { table in
            guard var times = table[client], let i = times.lastIndex(of: time) else { return }
            times.remove(at: i)
            table[client] = times.isEmpty ? nil : times
        }
    }
}
