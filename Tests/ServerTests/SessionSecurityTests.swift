import DemoData
import Foundation
import GeoKit
import Governance
import Hummingbird
import HummingbirdTesting
import Server
import Testing

@Suite("Sessions, CSRF, tokens and refusals over HTTP")
struct SessionSecurityTests {
    /// The shared district's store with its own account service (its own login throttle).
    static func app(throttle: LoginThrottle = LoginThrottle()) async throws -> (some ApplicationProtocol, CityBrainServices, MatrixFixture) {
        let f = try await AuthorizationMatrixTests.fixture()
        let shared = f.services
        let services = CityBrainServices(store: shared.store, regions: shared.regions, addresses: shared.addresses, layers: shared.layers,
                                         accounts: AccountService(store: shared.store, hasher: PasswordHasher(cost: 4), throttle: throttle),
                                         attachments: shared.cases.attachments)
        return (Application(router: buildRouter(services: services)), services, f)
    }

    static func loginBody(_ username: String, _ password: String = TestAccounts.password) -> ByteBuffer {
        ByteBuffer(string: #"{"username": "\#(username)", "password": "\#(password)"}"#)
    }

    @Test("a session cookie is HttpOnly and SameSite=Strict; forged, replayed after logout, or without CSRF token it is refused")
    func sessionCookie() async throws {
        let (app, _, _) = try await Self.app()
        try await app.test(.router) { client in
            let login = try await AuthorizationMatrixTests.login(client, "s-street-admin")
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: Self.loginBody("s-grid-worker")) { response in
                let cookie = response.headers[.setCookie] ?? ""
                #expect(cookie.hasPrefix("cb_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
                #expect(!cookie.contains("Secure"), "plain HTTP in tests; --secure-cookies adds it")
                #expect(response.headers[.cacheControl] == "no-store")
            }
            // Reads work with the cookie alone; writes need the CSRF token.
            try await client.execute(uri: "/api/v1/accounts", method: .get, headers: [.cookie: login.cookie]) { #expect($0.status == .ok) }
            let body = #"{"username": "csrf-test", "displayName": "x", "roles": ["analyst"], "territory": "\#(try await Self.app().2.inside)", "password": "New-account-2026"}"#
            try await client.execute(uri: "/api/v1/accounts", method: .post, headers: [.cookie: login.cookie, .contentType: "application/json"], body: ByteBuffer(string: body)) { response in
                #expect(response.status == .forbidden)
                let problem = try json(response)
                #expect(problem["type"]?.stringValue?.hasSuffix("/csrf") == true)
            }
            try await client.execute(uri: "/api/v1/accounts", method: .post,
                                     headers: [.cookie: login.cookie, .contentType: "application/json", .init("X-CSRF-Token")!: login.csrf + "x"],
                                     body: ByteBuffer(string: body)) { #expect($0.status == .forbidden) }
            // A forged cookie is anonymous.
            try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: "cb_session=forged-value"]) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.init("X-Content-Type-Options")!] == "nosniff")
                #expect(response.headers[.init("X-Frame-Options")!] == "DENY")
                #expect(response.headers[.init("Content-Security-Policy")!]?.contains("frame-ancestors 'none'") == true)
            }
            // Logged out: the same cookie no longer works.
            try await client.execute(uri: "/api/v1/session", method: .delete, headers: [.cookie: login.cookie, .init("X-CSRF-Token")!: login.csrf]) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.setCookie]?.contains("Max-Age=0") == true)
            }
            try await client.execute(uri: "/api/v1/accounts", method: .get, headers: [.cookie: login.cookie]) { #expect($0.status == .unauthorized) }
        }
    }

    @Test("wrong passwords: one message for unknown names and wrong passwords, lockout after five, 429 for a guessing client")
    func loginRefusals() async throws {
        let (app, services, _) = try await Self.app(throttle: LoginThrottle(limit: 8, window: 900))
        let console = Principal.console("test")
        _ = try await services.accounts.createAccount(.init(username: "lock-me-\(UUID().uuidString.prefix(8))", displayName: "x", roles: ["analyst"],
                                                            territory: try RegionCode("330110"), password: TestAccounts.password), by: console)
        let victim = try await services.store.accounts().last { $0.username.hasPrefix("lock-me-") }!.username
        try await app.test(.router) { client in
            var details = Set<String>()
            for name in [victim, "no-such-user"] {
                try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: Self.loginBody(name, "Wrong-password-1")) { response in
                    #expect(response.status == .unauthorized)
                    details.insert(try json(response)["detail"]?.stringValue ?? "")
                }
            }
            #expect(details.count == 1, "the answer does not tell which names exist")
            for _ in 0..<4 {
                try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: Self.loginBody(victim, "Wrong-password-1")) { _ in }
            }
            // Locked now: the right password is refused too.
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: Self.loginBody(victim)) { #expect($0.status == .unauthorized) }
            #expect(try await services.store.account(username: victim)?.lockedUntil != nil)
            // The client has failed 7 times; the 8th failure trips the throttle.
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: Self.loginBody("someone", "x")) { _ in }
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: Self.loginBody("s-analyst")) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 > 0)
            }
        }
        let trail = try await services.store.auditEntries(matching: AuditQuery(target: "account:\(victim)", limit: 20)).map(\.record.action)
        #expect(trail.contains("login.lockout") && trail.contains("login.locked"))
    }

    @Test("API tokens: a bad or revoked token is refused with 401; a token cannot do more than it was given")
    func tokens() async throws {
        let (app, services, f) = try await Self.app()
        let (secret, token) = try await services.accounts.issueToken(for: f.victim(.inside), name: "narrow", permissions: [.territoryRead], lifetime: 600,
                                                                    by: .console("test"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/regions?level=street", method: .get, headers: [.authorization: "Bearer \(secret)"]) { #expect($0.status == .ok) }
            // The account may read addresses; the token may not.
            try await client.execute(uri: "/api/v1/addresses/\(f.insideAddress.code)", method: .get, headers: [.authorization: "Bearer \(secret)"]) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/v1/regions", method: .get, headers: [.authorization: "Bearer cbt_made-up"]) { response in
                #expect(response.status == .unauthorized)
                let problem = try json(response)
                #expect(problem["type"]?.stringValue?.hasSuffix("/invalid-token") == true)
            }
            try await services.accounts.revokeToken(token.id!, by: .console("test"))
            try await client.execute(uri: "/api/v1/regions", method: .get, headers: [.authorization: "Bearer \(secret)"]) { #expect($0.status == .unauthorized) }
            // Tokens need no CSRF token: they are not sent by browsers on their own.
            let (writer, _) = try await services.accounts.issueToken(for: "test-admin", name: "writer", permissions: services.accounts.principal(for: try #require(await services.store.account(username: "test-admin")), credential: .session).permissions, lifetime: 600, by: .console("test"))
            try await client.execute(uri: "/api/v1/accounts/\(f.victim(.inside))/status", method: .put,
                                     headers: [.authorization: "Bearer \(writer)", .contentType: "application/json"], body: ByteBuffer(string: #"{"status": "active"}"#)) {
                #expect($0.status == .noContent)
            }
        }
        let revocation = try await services.store.auditEntries(matching: AuditQuery(actionPrefix: "token.revoke", target: "token:\(token.id!)", limit: 1))
        #expect(revocation.count == 1)
    }

    @Test("territory decides what lists and searches return")
    func territoryFiltering() async throws {
        let (app, services, f) = try await Self.app()
        try await app.test(.router) { client in
            let worker = try await AuthorizationMatrixTests.login(client, "s-grid-worker")
            // The area query around the outside point sees nothing; around the inside point it sees only inside grids.
            for side in Side.allCases {
                let p = f.point(side)
                let body = #"{"circle": {"lat": \#(p.latitude), "lon": \#(p.longitude), "radius": 2000}, "include": ["addresses", "people"]}"#
                try await client.execute(uri: "/api/v1/query/within", method: .post,
                                         headers: [.cookie: worker.cookie, .init("X-CSRF-Token")!: worker.csrf, .contentType: "application/json"],
                                         body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .ok)
                    let o = try json(response)
                    let grids = o["grids"]?.arrayValue?.compactMap { $0.objectValue?["grid"]?.stringValue } ?? []
                    #expect(grids.allSatisfy { $0.hasPrefix(f.inside.shortForm) }, "\(side): \(grids)")
                    let codes = o["addresses"]?.arrayValue?.compactMap { $0.objectValue?["grid"]?.stringValue } ?? []
                    #expect(codes.allSatisfy { $0.hasPrefix(f.inside.shortForm) })
                    if side == .inside { #expect(!grids.isEmpty) }
                }
            }
            // Matching an address of another community finds nothing for him.
            let text = f.outsideAddress.elements.standardText.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try await client.execute(uri: "/api/v1/addresses/match?q=\(text)", method: .get, headers: [.cookie: worker.cookie]) { response in
                let o = try json(response)
                #expect(o["best"] == nil || o["best"] == .null)
                #expect(o["reason"]?.stringValue == "no match in your territory")
            }
            // The region list holds his community, the regions above it, and nothing beside it.
            try await client.execute(uri: "/api/v1/regions?limit=1000", method: .get, headers: [.cookie: worker.cookie]) { response in
                let codes = try json(response)["items"]?.arrayValue?.compactMap { $0.objectValue?["code"]?.stringValue } ?? []
                #expect(codes.contains(f.inside.rawValue) && !codes.contains(f.outside.rawValue))
                #expect(codes.contains(services.regions.territory().regions(level: .district, under: nil)[0].code.rawValue))
            }
        }
    }

    @Test("auditors read the trail, filtered and paged; administrators cannot")
    func auditAPI() async throws {
        let (app, _, _) = try await Self.app()
        try await app.test(.router) { client in
            _ = try await AuthorizationMatrixTests.login(client, "s-analyst")
            let auditor = try await AuthorizationMatrixTests.login(client, "s-auditor")
            try await client.execute(uri: "/api/v1/audit?action=login&actor=s-analyst&limit=1", method: .get, headers: [.cookie: auditor.cookie]) { response in
                #expect(response.status == .ok)
                let o = try json(response)
                let entry = o["entries"]?.arrayValue?.first?.objectValue
                #expect(entry?["action"]?.stringValue == "login" && entry?["actor"]?.stringValue == "s-analyst")
                #expect(entry?["hash"]?.stringValue?.count == 64)
                let cursor = try #require(o["nextCursor"]?.stringValue)
                try await client.execute(uri: "/api/v1/audit?limit=2&cursor=\(cursor)", method: .get, headers: [.cookie: auditor.cookie]) { next in
                    let sequences = try json(next)["entries"]?.arrayValue?.compactMap { $0.objectValue?["sequence"]?.doubleValue } ?? []
                    #expect(sequences.count == 2 && sequences.allSatisfy { $0 < Double(cursor)! })
                }
            }
            try await client.execute(uri: "/api/v1/audit?from=yesterday", method: .get, headers: [.cookie: auditor.cookie]) { response in
                #expect(response.status == .badRequest)
                let problem = try json(response)
                #expect(problem["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue == "from")
            }
            let admin = try await AuthorizationMatrixTests.login(client, "s-district-admin")
            try await client.execute(uri: "/api/v1/audit", method: .get, headers: [.cookie: admin.cookie]) { #expect($0.status == .forbidden) }
        }
    }

    @Test("a record is masked by default; revealed only with a purpose, and both reads are on the trail")
    func personalData() async throws {
        let (app, services, f) = try await Self.app()
        try await app.test(.router) { client in
            let leader = try await AuthorizationMatrixTests.login(client, "s-community-leader")
            let headers: HTTPFields = [.cookie: leader.cookie, .init("X-CSRF-Token")!: leader.csrf, .contentType: "application/json"]
            let key = f.person(.inside)
            try await client.execute(uri: "/api/v1/registries/person/lookup", method: .post, headers: headers, body: ByteBuffer(string: #"{"key": "\#(key)", "purpose": "核对住户"}"#)) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                let fields = body["fields"]?.objectValue
                #expect(body["key"]?.stringValue == PersonalDataClass.idNumber.mask(key))
                #expect(fields?["name"]?.stringValue?.hasSuffix("*") == true)
                #expect(fields?["id_number"]?.stringValue?.contains("********") == true)
                #expect(!String(buffer: response.body).contains(key), "the ID number appears nowhere in clear")
            }
            try await client.execute(uri: "/api/v1/registries/person/reveal", method: .post, headers: headers, body: ByteBuffer(string: #"{"key": "\#(key)"}"#)) { response in
                #expect(response.status == .badRequest)
                let body = try json(response)
                #expect(body["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue == "purpose")
            }
            try await client.execute(uri: "/api/v1/registries/person/reveal", method: .post, headers: headers,
                                     body: ByteBuffer(string: #"{"key": "\#(key)", "purpose": "入户走访核实"}"#)) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                #expect(body["key"]?.stringValue == key && body["masked"] == .bool(false))
            }
            // Someone of another community does not exist for him.
            try await client.execute(uri: "/api/v1/registries/person/lookup", method: .post, headers: headers,
                                     body: ByteBuffer(string: #"{"key": "\#(f.person(.outside))", "purpose": "核对住户"}"#)) { #expect($0.status == .notFound) }
        }
        let trail = try await services.store.auditEntries(matching: AuditQuery(actor: "s-community-leader", limit: 10))
        let reveal = try #require(trail.first { $0.record.action == "reveal.person" })
        #expect(reveal.record.purpose == "入户走访核实")
        #expect(reveal.record.target == "person:" + services.vault.storageKey(.person, key: f.person(.inside)), "the trail names the person by blind index")
        #expect(trail.contains { $0.record.action == "read.person" })
    }

    @Test("an export of people is a CSV that names who exported it, when and why; it is audited and kept to the territory")
    func export() async throws {
        let (app, services, f) = try await Self.app()
        try await app.test(.router) { client in
            let admin = try await AuthorizationMatrixTests.login(client, "s-district-admin")
            let headers: HTTPFields = [.cookie: admin.cookie, .init("X-CSRF-Token")!: admin.csrf, .contentType: "application/json"]
            try await client.execute(uri: "/api/v1/registries/person/export", method: .post, headers: headers,
                                     body: ByteBuffer(string: #"{"region": "\#(f.inside)", "purpose": "疫情防控入户排查"}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/csv") == true)
                #expect(response.headers[.contentDisposition]?.contains("attachment") == true)
                let text = String(decoding: Data(buffer: response.body).dropFirst(3), as: UTF8.self)
                let lines = text.split(separator: "\r\n")
                #expect(lines[0].contains("by s-district-admin") && lines[0].contains("purpose: 疫情防控入户排查"))
                #expect(lines[1].hasPrefix("id_number,name,phone"))
                #expect(text.contains(f.person(.inside)) && !text.contains(f.person(.outside)))
            }
            try await client.execute(uri: "/api/v1/registries/person/export", method: .post, headers: headers,
                                     body: ByteBuffer(string: #"{"region": "\#(f.outside)", "purpose": "疫情防控入户排查"}"#)) { #expect($0.status == .notFound) }
            let leader = try await AuthorizationMatrixTests.login(client, "s-community-leader")
            try await client.execute(uri: "/api/v1/registries/person/export", method: .post,
                                     headers: [.cookie: leader.cookie, .init("X-CSRF-Token")!: leader.csrf, .contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"region": "\#(f.inside)", "purpose": "疫情防控入户排查"}"#)) { #expect($0.status == .forbidden) }
        }
        let entry = try #require(try await services.store.auditEntries(matching: AuditQuery(actor: "s-district-admin", actionPrefix: "export", limit: 1)).first)
        #expect(entry.record.action == "export.person" && entry.record.target == "region:\(f.inside)" && entry.record.purpose?.hasPrefix("疫情防控入户排查") == true)
    }

    @Test("bad bodies name the field")
    func badBodies() async throws {
        let (app, _, f) = try await Self.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"username": "x"}"#)) { response in
                #expect(response.status == .badRequest)
                let problem = try json(response)
                #expect(problem["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue == "password")
            }
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{not json")) { response in
                #expect(response.status == .badRequest)
            }
            let admin = try await AuthorizationMatrixTests.login(client, "s-district-admin")
            try await client.execute(uri: "/api/v1/accounts", method: .post,
                                     headers: [.cookie: admin.cookie, .init("X-CSRF-Token")!: admin.csrf, .contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"username": "ok-name", "displayName": "x", "roles": ["analyst"], "territory": "33011", "password": "Long-enough-2026"}"#)) { response in
                #expect(response.status == .badRequest)
                let problem = try json(response)
                #expect(problem["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue == "territory")
            }
            try await client.execute(uri: "/api/v1/accounts", method: .post,
                                     headers: [.cookie: admin.cookie, .init("X-CSRF-Token")!: admin.csrf, .contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"username": "ok-name", "displayName": "x", "roles": ["analyst"], "territory": "\#(f.inside)", "password": "short"}"#)) { response in
                #expect(response.status == .badRequest)
                let problem = try json(response)
                #expect(problem["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue == "password")
            }
        }
    }
}
