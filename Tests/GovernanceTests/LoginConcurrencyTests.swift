import Foundation
import Governance
import Testing

/// Logins tried as an attacker would: many at once, from one client or against one account, and
/// slowly enough to dodge a lockout that never forgets.
@Suite("Logins under concurrency and over time")
struct LoginConcurrencyTests {
    @Test("60 wrong passwords sent at once from one client: only the throttle's 20 are evaluated, the rest wait")
    func concurrentGuessesFromOneClient() async throws {
        let f = try await AccessFixture(throttle: LoginThrottle(limit: 20, window: 900))
        try await f.add("zhao", .gridWorker)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for i in 0..<60 {
                group.addTask {
                    do {
                        _ = try await f.accounts.login(username: i.isMultiple(of: 2) ? "zhao" : "nobody-\(i)", password: "wrong-guess-\(i)", client: "198.51.100.7")
                        return "signed in"
                    } catch LoginRefused.throttled {
                        return "throttled"
                    } catch {
                        return "refused"
                    }
                }
            }
            return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        #expect(outcomes == ["refused": 20, "throttled": 40])
        let evaluated = try await f.store.auditEntries(matching: AuditQuery(actionPrefix: "login", limit: 1000)).count
        #expect(evaluated == 20, "every evaluated attempt is on the trail, and only 20 were evaluated")
    }

    @Test("concurrent wrong passwords against one account from many clients all count: the account locks, once")
    func concurrentFailuresCount() async throws {
        let f = try await AccessFixture()
        try await f.add("qian", .gridWorker)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<12 {
                group.addTask { _ = try? await f.accounts.login(username: "qian", password: "wrong-guess-\(i)", client: "203.0.113.\(i)") }
            }
        }
        let account = try #require(try await f.store.account(username: "qian"))
        #expect(account.lockedUntil.map { $0 > f.clock.now } == true, "twelve failures must lock the account")
        let actions = try await f.store.auditEntries(matching: AuditQuery(target: "account:qian", limit: 100)).map(\.record.action)
        #expect(actions.filter { $0 == "login.lockout" }.count == 1)
        #expect(actions.filter { $0 == "login.failed" }.count == 4)
        #expect(actions.filter { $0 == "login.locked" }.count == 7)
        await #expect(throws: LoginRefused.wrongCredentials) { _ = try await f.accounts.login(username: "qian", password: AccessFixture.password, client: "192.0.2.1") }
    }

    @Test("failures count within a window: one wrong guess every 16 minutes never locks the account")
    func failuresInAWindow() async throws {
        let f = try await AccessFixture()
        try await f.add("sun", .gridWorker)
        for i in 0..<12 {
            await #expect(throws: LoginRefused.wrongCredentials) { _ = try await f.accounts.login(username: "sun", password: "wrong-\(i)", client: "192.0.2.9") }
            f.clock.advance(16 * 60)
        }
        #expect(try await f.store.account(username: "sun")?.lockedUntil == nil)
        #expect(try await f.accounts.login(username: "sun", password: AccessFixture.password, client: "192.0.2.9").principal.username == "sun")
        // Within the window five do lock it, and when the lock ends the count starts afresh.
        for i in 0..<5 {
            await #expect(throws: LoginRefused.wrongCredentials) { _ = try await f.accounts.login(username: "sun", password: "wrong-\(i)", client: "192.0.2.9") }
        }
        #expect(try await f.store.account(username: "sun")?.lockedUntil != nil)
        f.clock.advance(LockoutRule.standard.duration + 1)
        await #expect(throws: LoginRefused.wrongCredentials) { _ = try await f.accounts.login(username: "sun", password: "wrong-again", client: "192.0.2.9") }
        #expect(try await f.accounts.login(username: "sun", password: AccessFixture.password, client: "192.0.2.9").principal.username == "sun")
    }

    @Test("the lockout rule: counting, the window, the lock and the fresh start are pure decisions")
    func lockoutRule() {
        let rule = LockoutRule(threshold: 3, window: 60, duration: 600)
        let t = Date(timeIntervalSince1970: 1_780_000_000)
        var s = LoginFailureState()
        s = rule.afterFailure(s, at: t)
        #expect(s.failures == 1 && s.windowStart == t && !s.lockedNow)
        s = rule.afterFailure(s, at: t.addingTimeInterval(61))
        #expect(s.failures == 1 && s.windowStart == t.addingTimeInterval(61), "the first failure fell out of the window")
        s = rule.afterFailure(s, at: t.addingTimeInterval(70))
        s = rule.afterFailure(s, at: t.addingTimeInterval(80))
        #expect(s.lockedNow && s.lockedUntil == t.addingTimeInterval(680) && s.failures == 0)
        let during = rule.afterFailure(s, at: t.addingTimeInterval(100))
        #expect(!during.lockedNow && during.lockedUntil == s.lockedUntil, "a failure while locked does not lengthen the lock")
        #expect(rule.afterFailure(during, at: t.addingTimeInterval(700)).failures == 1)
    }
}
