import Foundation
import Governance
import PostgresNIO

extension PostgresStore: AccountStore {
    static let accountColumns = """
        id, username, display_name, roles, territory, department, password_hash, status, failed_logins, locked_until, password_changed_at, created_at
        """
    typealias AccountRow = (Int64, String, String, String, String, String?, String, String, Int, Int64?, Int64, Int64)

    static func account(_ c: AccountRow) throws -> Account {
        Account(id: c.0, username: c.1, displayName: c.2, roles: c.3.split(separator: ",").map(String.init), territory: try RegionCode(c.4),
                department: c.5, passwordHash: c.6, status: Account.Status(rawValue: c.7) ?? .disabled, failedLogins: c.8,
                lockedUntil: c.9.map(date), passwordChangedAt: date(c.10), createdAt: date(c.11))
    }

    func accounts(_ query: PostgresQuery) async throws -> [Account] {
        var found: [Account] = []
        for try await row in try await client.query(query, logger: logger).decode(AccountRow.self) { found.append(try Self.account(row)) }
        return found
    }

    public func account(username: String) async throws -> Account? {
        try await accounts(PostgresQuery(unsafeSQL: "SELECT \(Self.accountColumns) FROM account WHERE lower(username) = lower($1)",
                                         binds: try Self.bindings(username))).first
    }

    public func account(id: Int64) async throws -> Account? {
        try await accounts(PostgresQuery(unsafeSQL: "SELECT \(Self.accountColumns) FROM account WHERE id = $1", binds: try Self.bindings(id))).first
    }

    public func accounts() async throws -> [Account] {
        try await accounts(PostgresQuery(unsafeSQL: "SELECT \(Self.accountColumns) FROM account ORDER BY username"))
    }

    public func saveAccount(_ account: Account, audit: AuditRecord) async throws -> Account {
        try await transaction(locking: ["citybrain.account", Self.auditLock]) { connection in
            var stored = account
            for try await taken in try await connection.query("SELECT id FROM account WHERE lower(username) = lower(\(account.username))",
                                                              logger: self.logger).decode(Int64.self) where taken != account.id {
                throw StoreConflict("the user name \(account.username) is taken")
            }
            let roles = account.roles.joined(separator: ","), locked = account.lockedUntil.map(Self.milliseconds)
            let changed = Self.milliseconds(account.passwordChangedAt), created = Self.milliseconds(account.createdAt)
            if let id = account.id {
                let rows = try await connection.query("""
                    UPDATE account SET username = \(account.username), display_name = \(account.displayName), roles = \(roles),
                      territory = \(account.territory.rawValue), department = \(account.department), password_hash = \(account.passwordHash),
                      status = \(account.status.rawValue), failed_logins = \(account.failedLogins), locked_until = \(locked),
                      password_changed_at = \(changed), created_at = \(created)
                    WHERE id = \(id) RETURNING id
                    """, logger: self.logger).collect()
                guard rows.count == 1 else { throw StoreConflict("no account with id \(id)") }
            } else {
                for try await id in try await connection.query("""
                    INSERT INTO account (username, display_name, roles, territory, department, password_hash, status, failed_logins, locked_until,
                      password_changed_at, created_at)
                    VALUES (\(account.username), \(account.displayName), \(roles), \(account.territory.rawValue), \(account.department),
                            \(account.passwordHash), \(account.status.rawValue), \(account.failedLogins), \(locked), \(changed), \(created))
                    RETURNING id
                    """, logger: self.logger).decode(Int64.self) { stored.id = id }
            }
            _ = try await Self.appendAudit([audit], on: connection, logger: self.logger)
            return stored
        }
    }

    public func recordLogin(accountID: Int64, failedLogins: Int, lockedUntil: Date?, audit: AuditRecord) async throws {
        try await transaction(locking: [Self.auditLock]) { connection in
            try await connection.query("""
                UPDATE account SET failed_logins = \(failedLogins), failure_window_start = NULL, locked_until = \(lockedUntil.map(Self.milliseconds))
                WHERE id = \(accountID)
                """, logger: self.logger)
            _ = try await Self.appendAudit([audit], on: connection, logger: self.logger)
        }
    }

    public func recordLoginFailure(accountID: Int64, rule: LockoutRule, at time: Date,
                                   audit: @Sendable (LoginFailureState) -> AuditRecord) async throws -> LoginFailureState {
        try await transaction(locking: [Self.auditLock]) { connection in
            // FOR UPDATE holds the row until the decision is written, whichever instance asks.
            var stored: LoginFailureState?
            for try await (failures, start, locked) in try await connection.query("""
                SELECT failed_logins, failure_window_start, locked_until FROM account WHERE id = \(accountID) FOR UPDATE
                """, logger: self.logger).decode((Int, Int64?, Int64?).self) {
                stored = LoginFailureState(failures: failures, windowStart: start.map(Self.date), lockedUntil: locked.map(Self.date))
            }
            guard let stored else { throw StoreConflict("no account with id \(accountID)") }
            let next = rule.afterFailure(stored, at: time)
            _ = try await connection.query("""
                UPDATE account SET failed_logins = \(next.failures), failure_window_start = \(next.windowStart.map(Self.milliseconds)),
                  locked_until = \(next.lockedUntil.map(Self.milliseconds))
                WHERE id = \(accountID) RETURNING id
                """, logger: self.logger).collect()
            _ = try await Self.appendAudit([audit(next)], on: connection, logger: self.logger)
            return next
        }
    }

    public func storedRoles() async throws -> [Role] {
        var roles: [Role] = []
        for try await (id, name, permissions, needsDepartment) in try await client.query("SELECT id, name, permissions, needs_department FROM role ORDER BY id",
                                                                                        logger: logger).decode((String, String, String, Bool).self) {
            roles.append(Role(id: id, name: name, permissions: Set(permissions.split(separator: ",").compactMap { Permission(rawValue: String($0)) }),
                              needsDepartment: needsDepartment))
        }
        return roles
    }

    public func saveRole(_ role: Role, audit: AuditRecord) async throws {
        try await transaction(locking: [Self.auditLock]) { connection in
            try await connection.query("""
                INSERT INTO role (id, name, permissions, needs_department)
                VALUES (\(role.id), \(role.name), \(role.permissions.sorted().map(\.rawValue).joined(separator: ",")), \(role.needsDepartment))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, permissions = excluded.permissions, needs_department = excluded.needs_department
                """, logger: self.logger)
            _ = try await Self.appendAudit([audit], on: connection, logger: self.logger)
        }
    }

    public func createSession(_ session: Session, audit: AuditRecord) async throws {
        try await transaction(locking: [Self.auditLock]) { connection in
            try await connection.query("""
                INSERT INTO session (token_hash, account_id, csrf_token, created_at, expires_at, last_seen_at)
                VALUES (\(session.tokenHash), \(session.accountID), \(session.csrfToken), \(Self.milliseconds(session.createdAt)),
                        \(Self.milliseconds(session.expiresAt)), \(Self.milliseconds(session.lastSeenAt)))
                """, logger: self.logger)
            // Expired sessions go when new ones come: the table stays the size of the signed-in users.
            try await connection.query("DELETE FROM session WHERE expires_at < \(Self.milliseconds(session.createdAt))", logger: self.logger)
            _ = try await Self.appendAudit([audit], on: connection, logger: self.logger)
        }
    }

    public func session(tokenHash: String) async throws -> Session? {
        for try await (hash, account, csrf, created, expires, seen) in try await client.query("""
            SELECT token_hash, account_id, csrf_token, created_at, expires_at, last_seen_at FROM session WHERE token_hash = \(tokenHash)
            """, logger: logger).decode((String, Int64, String, Int64, Int64, Int64).self) {
            return Session(tokenHash: hash, accountID: account, csrfToken: csrf, createdAt: Self.date(created), expiresAt: Self.date(expires),
                           lastSeenAt: Self.date(seen))
        }
        return nil
    }

    public func touchSession(tokenHash: String, at time: Date) async throws {
        try await client.query("UPDATE session SET last_seen_at = \(Self.milliseconds(time)) WHERE token_hash = \(tokenHash)", logger: logger)
    }

    public func deleteSessions(tokenHash: String?, accountID: Int64?, audit: AuditRecord?) async throws {
        try await transaction(locking: audit == nil ? [] : [Self.auditLock]) { connection in
            if let tokenHash { try await connection.query("DELETE FROM session WHERE token_hash = \(tokenHash)", logger: self.logger) }
            if let accountID { try await connection.query("DELETE FROM session WHERE account_id = \(accountID)", logger: self.logger) }
            if let audit { _ = try await Self.appendAudit([audit], on: connection, logger: self.logger) }
        }
    }

    static let tokenColumns = "id, account_id, name, prefix, token_hash, permissions, created_at, expires_at, revoked_at, created_by"
    typealias TokenRow = (Int64, Int64, String, String, String, String, Int64, Int64, Int64?, String)

    func tokens(_ query: PostgresQuery) async throws -> [APIToken] {
        var found: [APIToken] = []
        for try await c in try await client.query(query, logger: logger).decode(TokenRow.self) {
            found.append(APIToken(id: c.0, accountID: c.1, name: c.2, prefix: c.3, tokenHash: c.4,
                                  permissions: Set(c.5.split(separator: ",").compactMap { Permission(rawValue: String($0)) }),
                                  createdAt: Self.date(c.6), expiresAt: Self.date(c.7), revokedAt: c.8.map(Self.date), createdBy: c.9))
        }
        return found
    }

    public func createToken(_ token: APIToken, audit: AuditRecord) async throws -> APIToken {
        try await transaction(locking: [Self.auditLock]) { connection in
            var stored = token
            for try await id in try await connection.query("""
                INSERT INTO api_token (account_id, name, prefix, token_hash, permissions, created_at, expires_at, revoked_at, created_by)
                VALUES (\(token.accountID), \(token.name), \(token.prefix), \(token.tokenHash), \(token.permissions.sorted().map(\.rawValue).joined(separator: ",")),
                        \(Self.milliseconds(token.createdAt)), \(Self.milliseconds(token.expiresAt)), NULL, \(token.createdBy))
                RETURNING id
                """, logger: self.logger).decode(Int64.self) { stored.id = id }
            var record = audit
            record.target = "token:\(stored.id ?? 0)"
            _ = try await Self.appendAudit([record], on: connection, logger: self.logger)
            return stored
        }
    }

    public func token(hash: String) async throws -> APIToken? {
        try await tokens(PostgresQuery(unsafeSQL: "SELECT \(Self.tokenColumns) FROM api_token WHERE token_hash = $1", binds: try Self.bindings(hash))).first
    }

    public func token(id: Int64) async throws -> APIToken? {
        try await tokens(PostgresQuery(unsafeSQL: "SELECT \(Self.tokenColumns) FROM api_token WHERE id = $1", binds: try Self.bindings(id))).first
    }

    public func tokens() async throws -> [APIToken] {
        try await tokens(PostgresQuery(unsafeSQL: "SELECT \(Self.tokenColumns) FROM api_token ORDER BY id"))
    }

    public func revokeToken(id: Int64, at time: Date, audit: AuditRecord) async throws {
        try await transaction(locking: [Self.auditLock]) { connection in
            let rows = try await connection.query("""
                UPDATE api_token SET revoked_at = \(Self.milliseconds(time)) WHERE id = \(id) AND revoked_at IS NULL RETURNING id
                """, logger: self.logger).collect()
            if !rows.isEmpty { _ = try await Self.appendAudit([audit], on: connection, logger: self.logger) }
        }
    }

    public func purgeCredentials(endedBefore: Date, audit: AuditRecord) async throws -> (sessions: Int, tokens: Int) {
        try await transaction(locking: [Self.auditLock]) { connection in
            let cutoff = Self.milliseconds(endedBefore)
            let sessions = try await connection.query("DELETE FROM session WHERE expires_at < \(cutoff) RETURNING 1", logger: self.logger).collect().count
            let tokens = try await connection.query("DELETE FROM api_token WHERE expires_at < \(cutoff) OR revoked_at < \(cutoff) RETURNING 1",
                                                    logger: self.logger).collect().count
            _ = try await Self.appendAudit([audit], on: connection, logger: self.logger)
            return (sessions, tokens)
        }
    }
}
