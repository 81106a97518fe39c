import Foundation
import GRDB
import Governance

extension SQLiteStore {
    public func account(username: String) async throws -> Account? {
        try await database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM account WHERE username = ? COLLATE NOCASE", arguments: [username]).map(Self.account) }
    }

    public func account(id: Int64) async throws -> Account? {
        try await database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM account WHERE id = ?", arguments: [id]).map(Self.account) }
    }

    public func accounts() async throws -> [Account] {
        try await database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM account ORDER BY username").map(Self.account) }
    }

    public func saveAccount(_ account: Account, audit: AuditRecord) async throws -> Account {
        try await database.write { db in
            var stored = account
            let taken = try Int64.fetchOne(db, sql: "SELECT id FROM account WHERE username = ? COLLATE NOCASE", arguments: [account.username])
            if let taken, taken != account.id { throw StoreConflict("the user name \(account.username) is taken") }
            let values: [DatabaseValue] = [
                account.username.databaseValue, account.displayName.databaseValue, account.roles.joined(separator: ",").databaseValue,
                account.territory.rawValue.databaseValue, account.department.databaseValue, account.passwordHash.databaseValue,
                account.status.rawValue.databaseValue, account.failedLogins.databaseValue, account.lockedUntil.map(Self.milliseconds).databaseValue,
                Self.milliseconds(account.passwordChangedAt).databaseValue, Self.milliseconds(account.createdAt).databaseValue,
            ]
            if let id = account.id {
                try db.execute(sql: """
                    UPDATE account SET username = ?, display_name = ?, roles = ?, territory = ?, department = ?, password_hash = ?, status = ?,
                      failed_logins = ?, locked_until = ?, password_changed_at = ?, created_at = ? WHERE id = ?
                    """, arguments: StatementArguments(values + [id.databaseValue]))
                guard db.changesCount == 1 else { throw StoreConflict("no account with id \(id)") }
            } else {
                try db.execute(sql: """
                    INSERT INTO account (username, display_name, roles, territory, department, password_hash, status, failed_logins, locked_until,
                      password_changed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: StatementArguments(values))
                stored.id = db.lastInsertedRowID
            }
            _ = try Self.appendAudit([audit], in: db)
            return stored
        }
    }

    public func recordLogin(accountID: Int64, failedLogins: Int, lockedUntil: Date?, audit: AuditRecord) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE account SET failed_logins = ?, failure_window_start = NULL, locked_until = ? WHERE id = ?",
                           arguments: [failedLogins, lockedUntil.map(Self.milliseconds), accountID])
            _ = try Self.appendAudit([audit], in: db)
        }
    }

    public func recordLoginFailure(accountID: Int64, rule: LockoutRule, at time: Date,
                                   audit: @Sendable (LoginFailureState) -> AuditRecord) async throws -> LoginFailureState {
        try await database.write { db in
            // The write transaction holds the database: read, decide and write are one step.
            guard let row = try Row.fetchOne(db, sql: "SELECT failed_logins, failure_window_start, locked_until FROM account WHERE id = ?",
                                             arguments: [accountID]) else { throw StoreConflict("no account with id \(accountID)") }
            let stored = LoginFailureState(failures: row[0], windowStart: (row[1] as Int64?).map(Self.date), lockedUntil: (row[2] as Int64?).map(Self.date))
            let next = rule.afterFailure(stored, at: time)
            try db.execute(sql: "UPDATE account SET failed_logins = ?, failure_window_start = ?, locked_until = ? WHERE id = ?",
                           arguments: [next.failures, next.windowStart.map(Self.milliseconds), next.lockedUntil.map(Self.milliseconds), accountID])
            _ = try Self.appendAudit([audit(next)], in: db)
            return next
        }
    }

    public func storedRoles() async throws -> [Role] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM role ORDER BY id").map { row in
                let names: String = row["permissions"]
                return Role(id: row["id"], name: row["name"], permissions: Set(names.split(separator: ",").compactMap { Permission(rawValue: String($0)) }),
                            needsDepartment: row["needs_department"])
            }
        }
    }

    public func saveRole(_ role: Role, audit: AuditRecord) async throws {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO role (id, name, permissions, needs_department) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, permissions = excluded.permissions, needs_department = excluded.needs_department
                """, arguments: [role.id, role.name, role.permissions.sorted().map(\.rawValue).joined(separator: ","), role.needsDepartment])
            _ = try Self.appendAudit([audit], in: db)
        }
    }

    public func createSession(_ session: Session, audit: AuditRecord) async throws {
        try await database.write { db in
            try db.execute(sql: "INSERT INTO session (token_hash, account_id, csrf_token, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [session.tokenHash, session.accountID, session.csrfToken, Self.milliseconds(session.createdAt),
                                       Self.milliseconds(session.expiresAt), Self.milliseconds(session.lastSeenAt)])
            // Expired sessions go when new ones come: the table stays the size of the logged-in users.
            try db.execute(sql: "DELETE FROM session WHERE expires_at < ?", arguments: [Self.milliseconds(session.createdAt)])
            _ = try Self.appendAudit([audit], in: db)
        }
    }

    public func session(tokenHash: String) async throws -> Session? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM session WHERE token_hash = ?", arguments: [tokenHash]).map { row in
                Session(tokenHash: row["token_hash"], accountID: row["account_id"], csrfToken: row["csrf_token"], createdAt: Self.date(row["created_at"]),
                        expiresAt: Self.date(row["expires_at"]), lastSeenAt: Self.date(row["last_seen_at"]))
            }
        }
    }

    public func touchSession(tokenHash: String, at time: Date) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE session SET last_seen_at = ? WHERE token_hash = ?", arguments: [Self.milliseconds(time), tokenHash])
        }
    }

    public func deleteSessions(tokenHash: String?, accountID: Int64?, audit: AuditRecord?) async throws {
        try await database.write { db in
            if let tokenHash { try db.execute(sql: "DELETE FROM session WHERE token_hash = ?", arguments: [tokenHash]) }
            if let accountID { try db.execute(sql: "DELETE FROM session WHERE account_id = ?", arguments: [accountID]) }
            if let audit { _ = try Self.appendAudit([audit], in: db) }
        }
    }

    public func createToken(_ token: APIToken, audit: AuditRecord) async throws -> APIToken {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO api_token (account_id, name, prefix, token_hash, permissions, created_at, expires_at, revoked_at, created_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)
                """, arguments: [token.accountID, token.name, token.prefix, token.tokenHash, token.permissions.sorted().map(\.rawValue).joined(separator: ","),
                                 Self.milliseconds(token.createdAt), Self.milliseconds(token.expiresAt), token.createdBy])
            var stored = token
            stored.id = db.lastInsertedRowID
            var record = audit
            record.target = "token:\(stored.id!)"
            _ = try Self.appendAudit([record], in: db)
            return stored
        }
    }

    public func token(hash: String) async throws -> APIToken? {
        try await database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM api_token WHERE token_hash = ?", arguments: [hash]).map(Self.token) }
    }

    public func token(id: Int64) async throws -> APIToken? {
        try await database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM api_token WHERE id = ?", arguments: [id]).map(Self.token) }
    }

    public func tokens() async throws -> [APIToken] {
        try await database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM api_token ORDER BY id").map(Self.token) }
    }

    public func revokeToken(id: Int64, at time: Date, audit: AuditRecord) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [Self.milliseconds(time), id])
            if db.changesCount > 0 { _ = try Self.appendAudit([audit], in: db) }
        }
    }

    public func purgeCredentials(endedBefore: Date, audit: AuditRecord) async throws -> (sessions: Int, tokens: Int) {
        try await database.write { db in
            let cutoff = Self.milliseconds(endedBefore)
            try db.execute(sql: "DELETE FROM session WHERE expires_at < ?", arguments: [cutoff])
            let sessions = db.changesCount
            try db.execute(sql: "DELETE FROM api_token WHERE expires_at < ? OR revoked_at < ?", arguments: [cutoff, cutoff])
            let tokens = db.changesCount
            _ = try Self.appendAudit([audit], in: db)
            return (sessions, tokens)
        }
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    static func account(_ row: Row) throws -> Account {
        let roles: String = row["roles"]
        let locked: Int64? = row["locked_until"]
        return Account(id: row["id"], username: row["username"], displayName: row["display_name"], roles: roles.split(separator: ",").map(String.init),
                       territory: try RegionCode(row["territory"] as String), department: row["department"], passwordHash: row["password_hash"],
                       status: Account.Status(rawValue: row["status"]) ?? .disabled, failedLogins: row["failed_logins"], lockedUntil: locked.map(date),
                       passwordChangedAt: date(row["password_changed_at"]), createdAt: date(row["created_at"]))
    }

    static func token(_ row: Row) -> APIToken {
        let names: String = row["permissions"]
        let revoked: Int64? = row["revoked_at"]
        return APIToken(id: row["id"], accountID: row["account_id"], name: row["name"], prefix: row["prefix"], tokenHash: row["token_hash"],
                        permissions: Set(names.split(separator: ",").compactMap { Permission(rawValue: String($0)) }),
                        createdAt: date(row["created_at"]), expiresAt: date(row["expires_at"]), revokedAt: revoked.map(date), createdBy: row["created_by"])
    }
}
