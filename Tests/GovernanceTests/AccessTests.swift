import Foundation
import Governance
import SQLiteStore
import Synchronization
import Testing

/// A clock the tests move by hand.
final class TestClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_780_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Accounts on a real SQLite file, with bcrypt at its minimum cost.
struct AccessFixture {
    let store: SQLiteStore
    let accounts: AccountService
    let clock = TestClock()
    let console = Principal.console("test")
    static let district = try! RegionCode("330110")
    static let street = try! RegionCode("330110001")
    static let otherStreet = try! RegionCode("330110002")
    static let grid = try! RegionCode("33011000100101")
    static let password = "Correct-horse-42"

    init(throttle: LoginThrottle = LoginThrottle()) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-access-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        try await store.migrate()
        let clock = self.clock
        accounts = AccountService(store: store, hasher: PasswordHasher(cost: 4), throttle: throttle, now: { clock.now })
    }

    @discardableResult
    func add(_ username: String, _ role: Role, in territory: RegionCode = street, department: String? = nil) async throws -> Account {
        try await accounts.createAccount(.init(username: username, displayName: username, roles: [role.id], territory: territory,
                                               department: department, password: Self.password), by: console)
    }

    func principal(_ username: String) async throws -> Principal {
        try await accounts.principal(for: try #require(await store.account(username: username)), credential: .session)
    }
}

@Suite("Access: accounts, roles, territory, sessions, tokens")
struct AccessTests {
    @Test("a territory holds its subtree; a street's scope shows the district above it but not the next street")
    func territoryScope() {
        let scope = TerritoryScope(AccessFixture.street)
        #expect(scope.contains(AccessFixture.street))
        #expect(scope.contains(AccessFixture.grid))
        #expect(!scope.contains(AccessFixture.otherStreet))
        #expect(!scope.contains(AccessFixture.district))
        #expect(scope.shows(AccessFixture.district))
        #expect(!scope.shows(try! RegionCode("33011000200101")))
        #expect(!scope.includesAll)
        #expect(TerritoryScope(AccessFixture.district).includesAll)
        #expect(TerritoryScope.everything.contains(AccessFixture.grid))
    }

    @Test("the eleven built-in roles; administrators add to them but cannot take away")
    func roles() {
        #expect(Role.builtIn.count == 11)
        #expect(Set(Role.builtIn.map(\.id)).count == 11)
        #expect(!Role.districtAdministrator.permissions.contains(.auditRead), "who administers does not audit himself")
        #expect(Role.auditor.permissions == [.auditRead, .territoryRead])
        let catalog = RoleCatalog(stored: [Role(id: "grid-worker", name: "x", permissions: [.kpiRead]),
                                           Role(id: "safety-inspector", name: "安全检查员", permissions: [.caseRead])])
        #expect(catalog.role("grid-worker")!.permissions == Role.gridWorker.permissions.union([.kpiRead]))
        #expect(catalog.role("grid-worker")!.name == Role.gridWorker.name)
        #expect(catalog.permissions(of: ["safety-inspector", "citizen"]) == [.caseRead, .territoryRead, .caseReport, .caseEvaluate, .attachmentUpload])
    }

    @Test("nobody grants what he does not hold or reaches outside his territory")
    func noEscalation() async throws {
        let f = try await AccessFixture()
        try await f.add("street-admin", .streetAdministrator)
        let admin = try await f.principal("street-admin")
        // An analyst's permissions are all a street administrator's.
        _ = try await f.accounts.createAccount(.init(username: "analyst-1", displayName: "分析员", roles: ["analyst"], territory: AccessFixture.grid,
                                                     password: AccessFixture.password), by: admin)
        await #expect(throws: AccountChangeRefused.self) {
            _ = try await f.accounts.createAccount(.init(username: "boss", displayName: "x", roles: ["district-admin"], territory: AccessFixture.street,
                                                         password: AccessFixture.password), by: admin)
        }
        await #expect(throws: AccountChangeRefused("territory", "330110002000 is outside your territory")) {
            _ = try await f.accounts.createAccount(.init(username: "elsewhere", displayName: "x", roles: ["analyst"], territory: AccessFixture.otherStreet,
                                                         password: AccessFixture.password), by: admin)
        }
        await #expect(throws: AccessDenied.missingPermission(.roleManage)) {
            try await f.accounts.saveRole(Role(id: "mine", name: "x", permissions: [.caseRead]), by: admin)
        }
        // A district administrator defines roles, but only from what he holds.
        try await f.add("district-admin", .districtAdministrator, in: AccessFixture.district)
        let top = try await f.principal("district-admin")
        try await f.accounts.saveRole(Role(id: "safety-inspector", name: "安全检查员", permissions: [.caseRead, .caseInspect]), by: top)
        await #expect(throws: AccountChangeRefused.self) {
            try await f.accounts.saveRole(Role(id: "watcher", name: "x", permissions: [.auditRead]), by: top)
        }
        #expect(try await f.accounts.roles().role("safety-inspector")?.permissions == [.caseRead, .caseInspect])
        // Accounts of another street do not exist for him.
        try await f.add("far-away", .gridWorker, in: AccessFixture.otherStreet)
        await #expect(throws: AccessDenied.outsideTerritory) { _ = try await f.accounts.account("far-away", for: admin) }
        await #expect(throws: AccessDenied.outsideTerritory) {
            _ = try await f.accounts.changeRoles(of: "far-away", roles: ["analyst"], territory: nil, department: nil, by: admin)
        }
        #expect(try await f.accounts.accounts(for: admin).map(\.username) == ["analyst-1", "street-admin"])
        // A department handler needs a department.
        await #expect(throws: AccountChangeRefused("department", "a department handler needs a department")) {
            try await f.add("handler", .departmentHandler, in: AccessFixture.district)
        }
    }

    @Test("password rules")
    func passwordRules() {
        #expect(PasswordRule.problem(with: "short1", username: "lixia") != nil)
        #expect(PasswordRule.problem(with: "onlyletterslong", username: "lixia") != nil)
        #expect(PasswordRule.problem(with: "zhangsan-2026-x", username: "zhangsan") != nil)
        #expect(PasswordRule.problem(with: "网格巡查2026年度", username: "lixia") == nil)
    }

    @Test("five wrong passwords lock the account for 15 minutes; the attempts are on the audit trail")
    func lockout() async throws {
        let f = try await AccessFixture()
        try await f.add("wang", .gridWorker)
        for _ in 0..<5 {
            await #expect(throws: LoginRefused.wrongCredentials) { _ = try await f.accounts.login(username: "wang", password: "wrong-guess-1", client: "10.0.0.1") }
        }
        // Locked: even the right password is refused, with the same message.
        await #expect(throws: LoginRefused.wrongCredentials) { _ = try await f.accounts.login(username: "wang", password: AccessFixture.password, client: "10.0.0.1") }
        f.clock.advance(AccountService.lockoutDuration + 1)
        let grant = try await f.accounts.login(username: "wang", password: AccessFixture.password, client: "10.0.0.1")
        #expect(grant.principal.username == "wang")
        #expect(try await f.store.account(username: "wang")?.failedLogins == 0)
        let actions = try await f.store.auditEntries(matching: AuditQuery(actionPrefix: "login", limit: 100)).map(\.record.action).reversed()
        #expect(Array(actions) == ["login.failed", "login.failed", "login.failed", "login.failed", "login.lockout", "login.locked", "login.reset", "login"])
        // Unknown names fail the same way and are recorded without guessing who was meant.
        await #expect(throws: LoginRefused.wrongCredentials) { _ = try await f.accounts.login(username: "nobody", password: "x", client: "10.0.0.2") }
        #expect(try await f.store.auditEntries(matching: AuditQuery(actionPrefix: "login.failed", limit: 1)).first?.record.target == "account:?")
        #expect(AuditChain.verify(try await f.store.auditEntries(from: 1, limit: 10_000)).isEmpty)
    }

    @Test("too many failures from one client are throttled, across account names")
    func throttle() async throws {
        let f = try await AccessFixture(throttle: LoginThrottle(limit: 3, window: 60))
        for name in ["a-1", "a-2", "a-3"] {
            await #expect(throws: LoginRefused.wrongCredentials) { _ = try await f.accounts.login(username: name, password: "x", client: "10.9.9.9") }
        }
        do {
            _ = try await f.accounts.login(username: "a-4", password: "x", client: "10.9.9.9")
            Issue.record("the fourth attempt should be throttled")
        } catch let LoginRefused.throttled(retryAfter) {
            #expect((1...60).contains(retryAfter))
        }
        // Another client is not affected; after the window the first may try again.
        await #expect(throws: LoginRefused.wrongCredentials) { _ = try await f.accounts.login(username: "a-1", password: "x", client: "10.9.9.8") }
        f.clock.advance(61)
        await #expect(throws: LoginRefused.wrongCredentials) { _ = try await f.accounts.login(username: "a-1", password: "x", client: "10.9.9.9") }
    }

    @Test("sessions: stored hashed, end after idling, on logout, on password change and when roles change")
    func sessions() async throws {
        let f = try await AccessFixture()
        try await f.add("lixia", .communityLeader)
        let grant = try await f.accounts.login(username: "lixia", password: AccessFixture.password, client: "c")
        #expect(try await f.store.session(tokenHash: grant.sessionToken) == nil, "the token itself is not stored")
        #expect(try await f.accounts.authenticate(sessionToken: grant.sessionToken)?.0.username == "lixia")
        #expect(try await f.accounts.authenticate(sessionToken: grant.sessionToken + "x") == nil)
        f.clock.advance(AccountService.sessionIdleLimit + 1)
        #expect(try await f.accounts.authenticate(sessionToken: grant.sessionToken) == nil, "idle too long")

        let second = try await f.accounts.login(username: "lixia", password: AccessFixture.password, client: "c")
        try await f.accounts.changeOwnPassword(second.principal, old: AccessFixture.password, new: "Another-pass-77")
        #expect(try await f.accounts.authenticate(sessionToken: second.sessionToken) == nil)

        let third = try await f.accounts.login(username: "lixia", password: "Another-pass-77", client: "c")
        _ = try await f.accounts.changeRoles(of: "lixia", roles: ["grid-worker"], territory: AccessFixture.grid, department: nil, by: f.console)
        #expect(try await f.accounts.authenticate(sessionToken: third.sessionToken) == nil)
        let fourth = try await f.accounts.login(username: "lixia", password: "Another-pass-77", client: "c")
        #expect(fourth.principal.territory == TerritoryScope(AccessFixture.grid))
        #expect(fourth.principal.permissions == Role.gridWorker.permissions)
        try await f.accounts.logout(sessionToken: fourth.sessionToken, principal: fourth.principal)
        #expect(try await f.accounts.authenticate(sessionToken: fourth.sessionToken) == nil)
        let actions = try await f.store.auditEntries(matching: AuditQuery(target: "account:lixia", limit: 100)).map(\.record.action)
        #expect(actions.contains("account.roles") && actions.contains("account.password.change") && actions.contains("logout"))
    }

    @Test("API tokens: shown once, hashed, narrowed to their permissions, expiring and revocable")
    func tokens() async throws {
        let f = try await AccessFixture()
        try await f.add("city-12345", .externalSystem, in: AccessFixture.district)
        let (secret, token) = try await f.accounts.issueToken(for: "city-12345", name: "12345 hotline", permissions: [.caseReport, .territoryRead],
                                                              lifetime: 86400, by: f.console)
        #expect(secret.hasPrefix(AccountService.tokenPrefix))
        #expect(token.tokenHash == SecretToken.hash(secret) && !token.tokenHash.contains(secret))
        let principal = try #require(try await f.accounts.authenticate(apiToken: secret))
        #expect(principal.permissions == [.caseReport, .territoryRead])
        #expect(principal.auditName == "city-12345#token\(token.id!)")
        // More than the account holds is refused.
        await #expect(throws: AccountChangeRefused.self) {
            _ = try await f.accounts.issueToken(for: "city-12345", name: "x", permissions: [.auditRead], lifetime: 60, by: f.console)
        }
        #expect(try await f.accounts.authenticate(apiToken: "cbt_forged") == nil)
        f.clock.advance(86401)
        #expect(try await f.accounts.authenticate(apiToken: secret) == nil, "expired")
        let (second, issued) = try await f.accounts.issueToken(for: "city-12345", name: "again", permissions: [.caseRead], lifetime: 3600, by: f.console)
        #expect(try await f.accounts.authenticate(apiToken: second) != nil)
        try await f.accounts.revokeToken(issued.id!, by: f.console)
        #expect(try await f.accounts.authenticate(apiToken: second) == nil, "revoked")
        // Managing tokens does not need the right to manage accounts (but the keeper must hold
        // everything the account he issues for holds).
        try await f.accounts.saveRole(Role(id: "token-keeper", name: "令牌管理员", permissions: Role.externalSystem.permissions.union([.tokenManage])),
                                      by: f.console)
        try await f.add("keeper", Role(id: "token-keeper", name: "", permissions: []), in: AccessFixture.district)
        let keeper = try await f.principal("keeper")
        #expect(!keeper.may(.accountManage))
        let (_, kept) = try await f.accounts.issueToken(for: "city-12345", name: "by keeper", permissions: [.caseRead], lifetime: 60, by: keeper)
        #expect(try await f.accounts.tokens(for: keeper).contains { $0.id == kept.id })
        // Disabling the account stops its tokens too.
        let (third, _) = try await f.accounts.issueToken(for: "city-12345", name: "third", permissions: [.caseRead], lifetime: 3600, by: f.console)
        try await f.accounts.setStatus(of: "city-12345", .disabled, by: f.console)
        #expect(try await f.accounts.authenticate(apiToken: third) == nil)
    }
}
