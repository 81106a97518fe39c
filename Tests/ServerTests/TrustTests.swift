import DemoData
import Foundation
import GeoKit
import Governance
import Hummingbird
import HummingbirdTesting
import Server
import Testing

/// The access holes found by trying the server as an attacker and as a careless administrator
/// would (issue 15): each test failed on the code before the fix.
@Suite("Trust: reporters by id, the grant ceiling, password changes")
struct TrustTests {
    static func headers(_ login: AuthorizationMatrixTests.Login) -> HTTPFields {
        [.cookie: login.cookie, .init("X-CSRF-Token")!: login.csrf, .contentType: "application/json"]
    }

    @Test("reports belong to account ids: no account may take a name the system uses, and one called anonymous reads no resident's report")
    func reportsBelongToAccountIDs() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let cases = f.services.cases
        for name in ["anonymous", "Anonymous", "supervision", "erasure"] {
            await #expect(throws: AccountChangeRefused.self) {
                _ = try await f.services.accounts.createAccount(.init(username: name, displayName: "x", roles: [Role.citizen.id], territory: f.inside,
                                                                      password: "Some-pass-2026"), by: .console("trust"))
            }
        }
        // A resident's report, and a signed-in account that happens to carry the resident's name
        // (made before the rule, or by a store edited by hand): the name gives it nothing.
        let resident = try await cases.publicReport(CaseIntake(source: .citizen, description: "路灯不亮", location: f.point(.inside), contactPhone: "13812345678"))
        let namedAnonymous = Principal(accountID: 987_654, username: "anonymous", roles: [Role.citizen.id], permissions: Role.citizen.permissions,
                                       territory: TerritoryScope(f.inside), credential: .session)
        await #expect(throws: AccessDenied.outsideTerritory) { _ = try await cases.case(resident.case.number, for: namedAnonymous) }
        await #expect(throws: AccessDenied.outsideTerritory) { _ = try await cases.timeline(resident.case.number, for: namedAnonymous) }
        #expect(try await cases.list(CaseQuery(), for: namedAnonymous).isEmpty)
        #expect(resident.case.reporterAccount == nil)

        // A signed-in resident's own report is his by id: he reads it and finds it under "mine".
        let app = Application(router: buildRouter(services: f.services))
        try await app.test(.router) { client in
            let citizen = Self.headers(try await AuthorizationMatrixTests.login(client, "s-citizen"))
            let p = f.point(.inside)
            let (status, created) = try await CaseAPITests.post(client, "/api/v1/cases", citizen,
                #"{"source": "citizen", "description": "井盖缺失", "location": {"longitude": \#(p.longitude), "latitude": \#(p.latitude)}}"#)
            #expect(status == .created)
            let number = try #require(created["case"]?.objectValue?["number"]?.stringValue)
            try await client.execute(uri: "/api/v1/cases?reporter=me", method: .get, headers: citizen) { response in
                let mine = try json(response)["items"]?.arrayValue?.compactMap { $0.objectValue?["number"]?.stringValue } ?? []
                #expect(mine.contains(number) && !mine.contains(resident.case.number))
            }
        }
        let stored = try #require(try await f.services.store.storedCase(number: resident.case.number))
        #expect(stored.reporterAccount == nil && stored.reporter == "anonymous")
    }

    @Test("an administrator cannot reset the password, change the roles or status, or issue a token of an account that holds more than he does")
    func grantCeiling() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let app = Application(router: buildRouter(services: f.services))
        // Each manager of accounts, and an account in his territory holding what he lacks.
        let cases: [(actor: String, targetRoles: [String])] = [
            ("s-street-admin", [Role.gridWorker.id]),       // case.report, case.inspect, attachment.upload
            ("s-street-admin", [Role.supervisor.id]),
            ("s-district-admin", [Role.auditor.id]),        // audit.read
        ]
        try await app.test(.router) { client in
            for (actor, targetRoles) in cases {
                let target = "strong-\(targetRoles[0])-\(UUID().uuidString.prefix(6))".lowercased()
                _ = try await f.services.accounts.createAccount(.init(username: target, displayName: "强账号", roles: targetRoles, territory: f.inside,
                                                                      password: TestAccounts.password), by: .console("trust"))
                let headers = Self.headers(try await AuthorizationMatrixTests.login(client, actor))
                let attempts: [(HTTPRequest.Method, String, String)] = [
                    (.put, "/api/v1/accounts/\(target)/password", #"{"password": "Taken-over-2026"}"#),
                    (.put, "/api/v1/accounts/\(target)/roles", #"{"roles": ["analyst"]}"#),
                    (.put, "/api/v1/accounts/\(target)/status", #"{"status": "disabled"}"#),
                    (.post, "/api/v1/tokens", #"{"account": "\#(target)", "name": "takeover", "permissions": ["territory.read"], "days": 1}"#),
                ]
                for (method, uri, body) in attempts {
                    try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: body)) { response in
                        #expect(response.status == .forbidden, "\(actor) \(method) \(uri) on \(targetRoles): \(response.status)")
                    }
                }
                // Nothing changed: the target still signs in with his own password and roles.
                let login = try await AuthorizationMatrixTests.login(client, target)
                let roles = try await client.execute(uri: "/api/v1/session", method: .get, headers: Self.headers(login)) { response in
                    try json(response)["roles"]?.arrayValue?.compactMap(\.stringValue)
                }
                #expect(roles == targetRoles)
                #expect(try await f.services.store.tokens().allSatisfy { $0.name != "takeover" })
            }
        }
    }

    @Test("only a signed-in session changes a password; wrong old passwords count toward the lockout; every attempt is audited")
    func passwordChange() async throws {
        let (app, services, f) = try await SessionSecurityTests.app()
        let name = "pw-\(UUID().uuidString.prefix(8))".lowercased()
        _ = try await services.accounts.createAccount(.init(username: name, displayName: "改密", roles: [Role.analyst.id], territory: f.inside,
                                                            password: TestAccounts.password), by: .console("trust"))
        let (token, _) = try await services.accounts.issueToken(for: name, name: "reader", permissions: [.territoryRead], lifetime: 600, by: .console("trust"))
        try await app.test(.router) { client in
            let change = { (old: String) in ByteBuffer(string: #"{"oldPassword": "\#(old)", "newPassword": "Changed-pass-2026"}"#) }
            // With an API token, even the right old password changes nothing.
            try await client.execute(uri: "/api/v1/session/password", method: .put, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                     body: change(TestAccounts.password)) { #expect($0.status == .forbidden) }
            let headers = Self.headers(try await AuthorizationMatrixTests.login(client, name))
            for i in 0..<5 {
                try await client.execute(uri: "/api/v1/session/password", method: .put, headers: headers, body: change("Wrong-old-\(i)")) { response in
                    #expect(response.status == .badRequest || response.status == .unprocessableContent, "\(response.status)")
                }
            }
            // The fifth wrong guess locked the account and ended its sessions.
            try await client.execute(uri: "/api/v1/session", method: .get, headers: headers) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: SessionSecurityTests.loginBody(name)) {
                #expect($0.status == .unauthorized)
            }
        }
        let trail = try await services.store.auditEntries(matching: AuditQuery(target: "account:\(name)", limit: 50)).map(\.record.action)
        #expect(trail.filter { $0 == "account.password.change.failed" }.count == 5)
        #expect(trail.contains("login.lockout") && !trail.contains("account.password.change"))
        await #expect(throws: LoginRefused.wrongCredentials) { _ = try await services.accounts.login(username: name, password: TestAccounts.password, client: "x") }
    }
}

@Suite("Nothing stored that cannot be read back")
struct ReadBackTests {
    @Test("a day outside the supported years, text no store keeps, and bodies that are not JSON are refused with the field named")
    func writesValidateAsReadersRead() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let app = Application(router: buildRouter(services: f.services))
        try await app.test(.router) { client in
            let admin = TrustTests.headers(try await AuthorizationMatrixTests.login(client, "s-district-admin"))
            for day in ["0361-01-01", "1899-12-31", "2200-01-01", "+026-01-01", "2026-13-01"] {
                let field = try await client.execute(uri: "/api/v1/calendar/\(day)", method: .put, headers: admin,
                                                     body: ByteBuffer(string: #"{"kind": "holiday", "name": "古代"}"#)) { response in
                    #expect(response.status == .badRequest, "\(day): \(response.status)")
                    return try json(response)["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue
                }
                #expect(field == "day")
            }
            let nul = try await client.execute(uri: "/api/v1/calendar/2027-10-01", method: .put, headers: admin,
                                               body: ByteBuffer(string: #"{"kind": "holiday", "name": "国庆\u0000节"}"#)) { response in
                #expect(response.status == .badRequest)
                return try json(response)["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue
            }
            #expect(nul == "name")
            let nested = try await client.execute(uri: "/api/v1/dispatch-routes", method: .put, headers: admin,
                                                  body: ByteBuffer(string: #"{"routes": [{"classPattern": "*", "territory": "330110", "department": "x\u0007"}]}"#)) { response in
                #expect(response.status == .badRequest)
                return try json(response)["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue
            }
            #expect(nested == "routes[0].department")
            // A cross-site form can send text/plain without asking first; JSON routes refuse it.
            var plain = admin
            plain[.contentType] = "text/plain"
            try await client.execute(uri: "/api/v1/calendar/2027-10-01", method: .put, headers: plain,
                                     body: ByteBuffer(string: #"{"kind": "holiday", "name": "国庆节"}"#)) { #expect($0.status == .unsupportedMediaType) }
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "text/plain"],
                                     body: SessionSecurityTests.loginBody("s-analyst")) { #expect($0.status == .unsupportedMediaType) }
            // Emoji and the longest name are fine, and read back as written.
            let name = "国庆节🎆" + String(repeating: "节", count: 94)
            try await client.execute(uri: "/api/v1/calendar/2199-10-01", method: .put, headers: admin,
                                     body: ByteBuffer(string: #"{"kind": "holiday", "name": "\#(name)"}"#)) { #expect($0.status == .ok) }
            let days = try await client.execute(uri: "/api/v1/calendar", method: .get, headers: admin) { try json($0)["days"]?.arrayValue ?? [] }
            #expect(days.contains { $0.objectValue?["day"]?.stringValue == "2199-10-01" && $0.objectValue?["name"]?.stringValue == name })
        }
    }
}

@Suite("Live streams follow their session")
struct StreamSessionTests {
    @Test("a live stream ends soon after its session does: a change made after logout never reaches it")
    func streamEndsWithSession() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        // Services of its own, so that no other test's stream shares the notice hub.
        let shared = f.services
        let services = CityBrainServices(store: shared.store, regions: shared.regions, addresses: shared.addresses, layers: shared.layers,
                                         accounts: AccountService(store: shared.store, hasher: PasswordHasher(cost: 4)), attachments: shared.cases.attachments)
        try await services.cases.load()
        let configuration = ServerConfiguration(liveStreamLifetime: .seconds(30), liveStreamCredentialCheck: .milliseconds(50))
        let app = Application(router: buildRouter(services: services, configuration: configuration))
        let name = "stream-\(UUID().uuidString.prefix(8))".lowercased()
        _ = try await services.accounts.createAccount(.init(username: name, displayName: name, roles: [Role.analyst.id], territory: f.inside,
                                                            password: TestAccounts.password), by: .console("trust"))
        try await app.test(.router) { client in
            let login = try await AuthorizationMatrixTests.login(client, name)
            let hub = services.cases.notices
            let baseline = hub.subscriberCount
            async let stream = client.execute(uri: "/api/v1/events", method: .get, headers: [.cookie: login.cookie]) { String(buffer: $0.body) }
            for _ in 0..<500 where hub.subscriberCount <= baseline { try await Task.sleep(for: .milliseconds(10)) }
            try await client.execute(uri: "/api/v1/session", method: .delete, headers: TrustTests.headers(login)) { #expect($0.status == .noContent) }
            // The event: the stream's subscription goes (well before the stream's 30 s lifetime).
            for _ in 0..<300 where hub.subscriberCount > baseline { try await Task.sleep(for: .milliseconds(10)) }
            let after = try await services.cases.report(CaseIntake(source: .patrol, classCode: try CaseClassCode("E0102"), description: "登出之后",
                                                                   location: f.point(.inside)), by: .console("trust"))
            let text = try await stream
            #expect(text.hasPrefix("retry: 3000\n") && !text.contains(after.case.number))
        }
    }
}

@Suite("Smaller trust findings")
struct SmallerTrustTests {
    @Test("an invalid Authorization header is refused even beside a valid session cookie")
    func badAuthorizationBesideCookie() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let app = Application(router: buildRouter(services: f.services))
        try await app.test(.router) { client in
            let login = try await AuthorizationMatrixTests.login(client, "s-analyst")
            for authorization in ["Bearer cbt_made-up", "Basic YWRtaW46eA==", "Bearer", ""] {
                try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: login.cookie, .authorization: authorization]) { response in
                    #expect(response.status == .unauthorized, "'\(authorization)': \(response.status)")
                }
            }
            try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: login.cookie]) { #expect($0.status == .ok) }
        }
    }

    @Test("a street's account reads no department's district-wide KPIs; the district and the department itself do")
    func departmentKPIsRespectTerritory() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let district = try #require(f.services.regions.territory().regions(level: .district, under: nil).first).code
        let analyst = "kpi-\(UUID().uuidString.prefix(8))".lowercased()
        _ = try await f.services.accounts.createAccount(.init(username: analyst, displayName: "区分析员", roles: [Role.analyst.id], territory: district,
                                                              password: TestAccounts.password), by: .console("trust"))
        let app = Application(router: buildRouter(services: f.services))
        try await app.test(.router) { client in
            for (user, expected) in [("s-street-admin", HTTPResponse.Status.notFound), ("s-analyst", .notFound), (analyst, .ok)] {
                let login = try await AuthorizationMatrixTests.login(client, user)
                try await client.execute(uri: "/api/v1/kpis?department=urban-management", method: .get, headers: [.cookie: login.cookie]) { response in
                    #expect(response.status == expected, "\(user): \(response.status)")
                }
            }
        }
        #expect(throws: Never.self) { _ = try f.services.cases.kpiScope(territory: nil, department: "urban-management", worker: nil, for: .console("trust")) }
    }

    @Test("a PDF is served as a download, a photo inline, both with nosniff")
    func pdfIsADownload() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let pdf = try await f.services.cases.upload(Array(MatrixFixture.uniquePDF("download").utf8), declaredType: "application/pdf", by: MatrixFixture.console)
        _ = try await f.services.cases.report(CaseIntake(source: .patrol, classCode: try CaseClassCode("E0102"), description: "附件", location: f.point(.inside),
                                                         attachments: [pdf.hash]), by: MatrixFixture.console)
        let app = Application(router: buildRouter(services: f.services))
        try await app.test(.router) { client in
            let login = try await AuthorizationMatrixTests.login(client, "s-dispatcher")
            try await client.execute(uri: "/api/v1/attachments/\(pdf.hash)", method: .get, headers: [.cookie: login.cookie]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentDisposition]?.hasPrefix("attachment") == true)
                #expect(response.headers[.init("X-Content-Type-Options")!] == "nosniff")
            }
        }
    }

    @Test("uploads no case cites are removed after a day; cited and recent ones stay; the batch is audited")
    func uncitedUploadsExpire() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let cases = f.services.cases
        let cited = try await cases.upload(Array(MatrixFixture.uniquePDF("cited").utf8), declaredType: "application/pdf", by: .anonymousCitizen)
        let orphan = try await cases.upload(Array(MatrixFixture.uniquePDF("orphan").utf8), declaredType: "application/pdf", by: .anonymousCitizen)
        let fresh = try await cases.upload(Array(MatrixFixture.uniquePDF("fresh").utf8), declaredType: "application/pdf", by: .anonymousCitizen)
        _ = try await cases.publicReport(CaseIntake(source: .citizen, description: "有照片", location: f.point(.inside), attachments: [cited.hash]))
        let now = Date()
        let folder = cases.attachments.directory
        for hash in [cited.hash, orphan.hash] {
            let file = folder.appendingPathComponent(String(hash.prefix(2))).appendingPathComponent(hash)
            try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-2 * 86400)], ofItemAtPath: file.path)
        }
        let wouldGo = try await cases.expireUncitedUploads(at: now, dryRun: true, actor: "test")
        #expect(wouldGo >= 1 && cases.attachments.exists(orphan.hash))
        let removed = try await cases.expireUncitedUploads(at: now, dryRun: false, actor: "test")
        #expect(removed >= 1)
        #expect(!cases.attachments.exists(orphan.hash) && cases.attachments.exists(cited.hash) && cases.attachments.exists(fresh.hash))
        #expect(try await f.services.store.auditEntries(matching: AuditQuery(actionPrefix: "retention.uploads", limit: 1)).first?.record.actor == "test")
    }
}

@Suite("Layers of people: cells, never doors; small cells only for those who may reveal")
struct PersonLayerPrivacyTests {
    @Test("a cluster of a person layer sits at its cell's centre, never at a member's address; without reveal, cells under k are gone from every zoom and the total")
    func personLayers() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let services = f.services
        let layers = LayerService(store: services.store, addresses: services.addresses, vault: services.vault, minimumPersonCount: 5)
        try await layers.load()
        let box = try #require(services.regions.territory().regions(level: .district, under: nil).first?.geometry.boundingBox)
        let revealing = Principal.console("trust")
        let analyst = Principal(accountID: 1, username: "analyst", roles: [Role.analyst.id], permissions: Role.analyst.permissions, territory: .everything,
                                credential: .session)
        let members = try await services.store.registryAddressCounts(.person, rule: LayerRule(tags: services.vault.storageTags(.person, tags: ["独居老人"])))
        let doors = Set(members.compactMap { services.addresses.address($0.addressCode) }.map { "\($0.coordinate.longitude),\($0.coordinate.latitude)" })
        #expect(!doors.isEmpty)
        var full = 0, shown = 0
        for zoom in [8, 11, 14, 18] {
            let all = try #require(try await layers.features("elderly-living-alone", in: box, zoom: zoom, for: revealing))
            #expect(all.items.allSatisfy { !doors.contains("\($0.coordinate.longitude),\($0.coordinate.latitude)") }, "zoom \(zoom): a cluster sits on a door")
            #expect(all.suppressedBelow == nil)
            let masked = try #require(try await layers.features("elderly-living-alone", in: box, zoom: zoom, for: analyst))
            #expect(masked.items.allSatisfy { $0.count >= 5 }, "zoom \(zoom): a cell under 5 shown")
            #expect(masked.suppressedBelow == 5)
            // Coarser counts are sums of the shown cells only: no difference reveals a small cell.
            #expect(masked.items.reduce(0) { $0 + $1.count } == masked.total)
            if zoom == 14 { full = all.total; shown = masked.total }
        }
        #expect(full == members.reduce(0) { $0 + $1.count })
        #expect(shown < full, "the demo should hold cells under 5 for this check to mean something")
        await #expect(throws: AccessDenied.self) {
            _ = try await layers.features("elderly-living-alone", in: box, zoom: 10,
                                          for: Principal(accountID: 2, username: "auditor", roles: [Role.auditor.id], permissions: Role.auditor.permissions,
                                                         territory: .everything, credential: .session))
        }
    }
}

@Suite("ID numbers cannot be inferred")
struct IDInferenceTests {
    @Test("a masked ID number keeps only its region: with birth year and sex known, at least 10,000 numbers remain")
    func maskLeavesEnoughCandidates() throws {
        let id = "33011019800101123X"
        let masked = PersonalDataClass.idNumber.mask(id)
        #expect(masked == "330110************")
        // What an answer without reveal shows: the masked number, the birth year, the sex (the
        // serial's parity). Count the valid numbers that agree with all three.
        let shown = Array(masked)
        var candidates = 0
        var day = CivilDay(year: 1980, month: 1, day: 1)!
        while day.components.year == 1980 {
            let c = day.components
            let date = String(c.year) + (c.month < 10 ? "0" : "") + String(c.month) + (c.day < 10 ? "0" : "") + String(c.day)
            for serial in stride(from: 1, to: 1000, by: 2) {  // odd: male, as 123X's 3
                let body = "330110" + date + String(format: "%03d", serial)
                let candidate = body + String(CitizenID.checkCharacter(body))
                if zip(Array(candidate), shown).allSatisfy({ $1 == "*" || $0 == $1 }) { candidates += 1 }
            }
            day = day.adding(days: 1)
        }
        #expect(candidates >= 10_000, "\(candidates) candidates")
        #expect((try CitizenID(id)).masked == masked)
    }

    @Test("a look-up by full ID number needs a purpose, is throttled per account, and every attempt, found or not, is audited with its purpose")
    func lookupsArePurposefulAndThrottled() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let shared = f.services
        let registries = RegistryService(store: shared.store, addresses: shared.addresses, vault: shared.vault, keyLookupsPerHour: 3)
        let leader = Principal(accountID: 424_242, username: "leader-\(UUID().uuidString.prefix(6))", roles: [Role.communityLeader.id],
                               permissions: Role.communityLeader.permissions, territory: TerritoryScope(f.inside), credential: .session)
        await #expect(throws: AccountChangeRefused.self) { _ = try await registries.lookUp(.person, key: f.person(.inside), for: leader) }
        let (found, _) = try await registries.lookUp(.person, key: f.person(.inside), purpose: "核对住户", for: leader)
        #expect(found.key == PersonalDataClass.idNumber.mask(f.person(.inside)))
        await #expect(throws: AccessDenied.outsideTerritory) { _ = try await registries.lookUp(.person, key: "110101199003074258", purpose: "核对住户", for: leader) }
        await #expect(throws: AccessDenied.outsideTerritory) { _ = try await registries.lookUp(.person, key: f.person(.outside), purpose: "核对住户", for: leader) }
        await #expect(throws: LookupThrottled.self) { _ = try await registries.lookUp(.person, key: f.person(.inside), purpose: "核对住户", for: leader) }
        let trail = try await shared.store.auditEntries(matching: AuditQuery(actor: leader.auditName, limit: 10)).map(\.record)
        #expect(trail.filter { $0.action == "read.person.miss" }.count == 2)
        #expect(trail.filter { $0.action == "read.person" }.count == 1)
        #expect(trail.allSatisfy { $0.purpose == "核对住户" && !$0.target.contains("110101199003074258") })
    }
}

@Suite("Problems in the reader's language")
struct ProblemLanguageTests {
    @Test("refusals are Chinese by default and English with Accept-Language: en; field reasons follow")
    func language() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let app = Application(router: buildRouter(services: f.services))
        try await app.test(.router) { client in
            let wrong = SessionSecurityTests.loginBody("s-analyst", "Wrong-password-1")
            let (zhDetail, zhLanguage) = try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: wrong) {
                (try json($0)["detail"]?.stringValue, $0.headers[.contentLanguage])
            }
            #expect(zhDetail == "用户名或密码错误，或账号因多次失败已被锁定" && zhLanguage == "zh-CN")
            let enDetail = try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json", .acceptLanguage: "en-GB,en;q=0.9,zh;q=0.5"],
                                                    body: wrong) { try json($0)["detail"]?.stringValue }
            #expect(enDetail?.hasPrefix("the user name or password is wrong") == true)
            // A field's reason, in Chinese, with the field named as before.
            let (field, reason, title) = try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json", .acceptLanguage: "zh-CN"],
                                                                   body: ByteBuffer(string: #"{"username": "x"}"#)) { response in
                let body = try json(response)
                let first = body["errors"]?.arrayValue?.first?.objectValue
                return (first?["field"]?.stringValue, first?["reason"]?.stringValue, body["title"]?.stringValue)
            }
            #expect(field == "password" && reason == "必填" && title == "请求有误")
            let forbidden = try await client.execute(uri: "/api/v1/audit", method: .get,
                                                     headers: [.cookie: try await AuthorizationMatrixTests.login(client, "s-analyst").cookie]) { try json($0)["detail"]?.stringValue }
            #expect(forbidden == "需要权限 audit.read")
        }
    }
}

@Suite("Operations: /metrics")
struct MetricsTests {
    @Test("/metrics counts requests by route (never by number), times them, and shows live streams, unreadable rows and the store")
    func metrics() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let metrics = ServerMetrics()
        let app = Application(router: buildRouter(services: f.services, configuration: ServerConfiguration(metrics: metrics)))
        try await app.test(.router) { client in
            let login = try await AuthorizationMatrixTests.login(client, "s-dispatcher")
            let number = try await f.services.cases.report(CaseIntake(source: .patrol, classCode: try CaseClassCode("E0102"), description: "指标",
                                                                      location: f.point(.inside)), by: .console("metrics")).case.number
            for _ in 0..<3 { try await client.execute(uri: "/api/v1/cases/\(number)", method: .get, headers: [.cookie: login.cookie]) { _ in } }
            try await client.execute(uri: "/api/v1/cases/no-such", method: .get, headers: [.cookie: login.cookie]) { _ in }
            let text = try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                return String(buffer: response.body)
            }
            #expect(text.contains(#"citybrain_http_requests_total{method="GET",route="/api/v1/cases/{number}",status="200"} 3"#), "\(text.prefix(2000))")
            #expect(text.contains(#"citybrain_http_requests_total{method="GET",route="/api/v1/cases/{number}",status="404"} 1"#))
            #expect(text.contains("citybrain_http_request_duration_seconds_bucket"))
            #expect(!text.contains(number), "no case number in a label")
            #expect(text.contains("citybrain_live_streams ") && text.contains("citybrain_unreadable_rows 0") && text.contains("citybrain_store_up 1"))
            metrics.storeStatement(store: "sqlite", kind: "select", seconds: 0.0004)
            let again = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(again.contains(#"citybrain_store_statement_duration_seconds_count{store="sqlite",kind="select"}"#))
        }
    }
}
