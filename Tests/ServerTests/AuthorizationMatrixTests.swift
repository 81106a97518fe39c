import DemoData
import Foundation
import GeoKit
import Governance
import Hummingbird
import HummingbirdTesting
import Server
import Synchronization
import Testing

/// Inside or outside the territory of the account that asks.
enum Side: String, CaseIterable, Sendable { case inside, outside }

/// What the matrix needs of the district: one community as "inside", another as "outside".
struct MatrixFixture: Sendable {
    let services: CityBrainServices
    let inside: RegionCode, outside: RegionCode
    let insideGrid: Region, outsideGrid: Region
    let insideAddress: StandardAddress, outsideAddress: StandardAddress
    let bbox: String
    let insidePerson: String, outsidePerson: String
    static let victimPassword = "Victim-pass-2026"

    func grid(_ side: Side) -> Region { side == .inside ? insideGrid : outsideGrid }
    func community(_ side: Side) -> RegionCode { side == .inside ? inside : outside }
    func address(_ side: Side) -> StandardAddress { side == .inside ? insideAddress : outsideAddress }
    func victim(_ side: Side) -> String { "victim-\(side.rawValue)" }
    func person(_ side: Side) -> String { side == .inside ? insidePerson : outsidePerson }

    /// A new person at the side's address, imported as a department would.
    func newPerson(_ side: Side) async throws -> String {
        let id = TestIDs.next()
        let person = RegistryEntry(kind: .person, key: id, addressCode: address(side).code, gridCode: nil, fields: ["id_number": id, "name": "临时\(id.suffix(4))"],
                                   fieldSources: [:], source: "矩阵测试", importBatch: nil, updatedAt: Date())
        _ = try await services.registries.importEntries(.person, rows: [(line: 2, entry: person, issues: [])], options: RegistryImportOptions(source: "矩阵测试"))
        return id
    }
    func point(_ side: Side) -> Coordinate { grid(side).geometry.representativePoint! }
}

/// One route of the API, how to call it inside and outside the territory, and what it answers
/// when allowed. The expected answer for every role follows from `policy` and the role's
/// permissions: this table is the single source of the authorisation matrix.
struct RouteCase: Sendable {
    var method: HTTPRequest.Method
    /// As the router names it.
    var route: String
    var policy: RoutePolicy
    var success: HTTPResponse.Status
    /// The answer outside the territory when it differs from `success` (404 for records).
    var outside: HTTPResponse.Status?
    /// Whether the call ends the caller's session (log out, change one's password).
    var endsSession = false
    /// The body's media type (uploads send files).
    var contentType = "application/json"
    var request: @Sendable (Side, MatrixFixture, String) async throws -> (uri: String, body: String?)
}

let matrix: [RouteCase] = {
    func fixed(_ uri: String, _ body: String? = nil) -> @Sendable (Side, MatrixFixture, String) async throws -> (uri: String, body: String?) {
        { _, _, _ in (uri, body) }
    }
    return [
        RouteCase(method: .get, route: "/healthz", policy: .open, success: .ok, request: fixed("/healthz")),
        RouteCase(method: .get, route: "/readyz", policy: .open, success: .ok, request: fixed("/readyz")),
        RouteCase(method: .get, route: "/metrics", policy: .open, success: .ok, request: fixed("/metrics")),
        RouteCase(method: .get, route: "/api/v1/openapi.json", policy: .open, success: .ok, request: fixed("/api/v1/openapi.json")),
        RouteCase(method: .post, route: "/api/v1/session", policy: .open, success: .ok) { side, f, _ in
            ("/api/v1/session", #"{"username": "\#(f.victim(side))", "password": "\#(MatrixFixture.victimPassword)"}"#)
        },
        RouteCase(method: .get, route: "/api/v1/session", policy: .signedIn, success: .ok, request: fixed("/api/v1/session")),
        RouteCase(method: .delete, route: "/api/v1/session", policy: .signedIn, success: .noContent, endsSession: true, request: fixed("/api/v1/session")),
        RouteCase(method: .put, route: "/api/v1/session/password", policy: .signedIn, success: .noContent, endsSession: true,
                  request: fixed("/api/v1/session/password", #"{"oldPassword": "\#(TestAccounts.password)", "newPassword": "\#(TestAccounts.password)"}"#)),
        RouteCase(method: .get, route: "/api/v1/accounts", policy: .permission(.accountManage), success: .ok, request: fixed("/api/v1/accounts")),
        RouteCase(method: .post, route: "/api/v1/accounts", policy: .permission(.accountManage), success: .created, outside: .badRequest) { side, f, role in
            ("/api/v1/accounts", #"{"username": "new-\#(role)-\#(side)", "displayName": "新账号", "roles": ["analyst"], "territory": "\#(f.community(side))", "password": "New-account-2026"}"#)
        },
        RouteCase(method: .get, route: "/api/v1/accounts/{username}", policy: .permission(.accountManage), success: .ok, outside: .notFound) { side, f, _ in
            ("/api/v1/accounts/\(f.victim(side))", nil)
        },
        RouteCase(method: .put, route: "/api/v1/accounts/{username}/roles", policy: .permission(.accountManage), success: .ok, outside: .notFound) { side, f, _ in
            ("/api/v1/accounts/\(f.victim(side))/roles", #"{"roles": ["analyst"]}"#)
        },
        RouteCase(method: .put, route: "/api/v1/accounts/{username}/password", policy: .permission(.accountManage), success: .noContent, outside: .notFound) { side, f, _ in
            ("/api/v1/accounts/\(f.victim(side))/password", #"{"password": "\#(MatrixFixture.victimPassword)"}"#)
        },
        RouteCase(method: .put, route: "/api/v1/accounts/{username}/status", policy: .permission(.accountManage), success: .noContent, outside: .notFound) { side, f, _ in
            ("/api/v1/accounts/\(f.victim(side))/status", #"{"status": "active"}"#)
        },
        RouteCase(method: .get, route: "/api/v1/roles", policy: .permission(.accountManage), success: .ok, request: fixed("/api/v1/roles")),
        RouteCase(method: .put, route: "/api/v1/roles/{id}", policy: .permission(.roleManage), success: .noContent) { side, _, role in
            ("/api/v1/roles/matrix-\(role)-\(side)", #"{"name": "矩阵角色", "permissions": ["territory.read"]}"#)
        },
        RouteCase(method: .get, route: "/api/v1/tokens", policy: .permission(.tokenManage), success: .ok, request: fixed("/api/v1/tokens")),
        RouteCase(method: .post, route: "/api/v1/tokens", policy: .permission(.tokenManage), success: .created, outside: .notFound) { side, f, _ in
            ("/api/v1/tokens", #"{"account": "\#(f.victim(side))", "name": "matrix", "permissions": ["territory.read"], "days": 1}"#)
        },
        RouteCase(method: .delete, route: "/api/v1/tokens/{id}", policy: .permission(.tokenManage), success: .noContent, outside: .notFound) { side, f, _ in
            let (_, token) = try await f.services.accounts.issueToken(for: f.victim(side), name: "to revoke", permissions: [.territoryRead], lifetime: 60,
                                                                      by: .console("matrix"))
            return ("/api/v1/tokens/\(token.id!)", nil)
        },
        RouteCase(method: .get, route: "/api/v1/audit", policy: .permission(.auditRead), success: .ok, request: fixed("/api/v1/audit?limit=5")),
        RouteCase(method: .get, route: "/api/v1/regions/locate", policy: .permission(.territoryRead), success: .ok) { side, f, _ in
            ("/api/v1/regions/locate?lat=\(f.point(side).latitude)&lon=\(f.point(side).longitude)", nil)
        },
        RouteCase(method: .post, route: "/api/v1/regions/locate", policy: .permission(.territoryRead), success: .ok) { side, f, _ in
            ("/api/v1/regions/locate", #"{"points": [{"lat": \#(f.point(side).latitude), "lon": \#(f.point(side).longitude)}]}"#)
        },
        RouteCase(method: .get, route: "/api/v1/regions", policy: .permission(.territoryRead), success: .ok, request: fixed("/api/v1/regions?level=grid")),
        RouteCase(method: .get, route: "/api/v1/regions.geojson", policy: .permission(.territoryRead), success: .ok, request: fixed("/api/v1/regions.geojson?level=community")),
        RouteCase(method: .get, route: "/api/v1/regions/{code}.geojson", policy: .permission(.territoryRead), success: .ok, outside: .notFound) { side, f, _ in
            ("/api/v1/regions/\(f.grid(side).code).geojson", nil)
        },
        RouteCase(method: .get, route: "/api/v1/regions/{code}", policy: .permission(.territoryRead), success: .ok, outside: .notFound) { side, f, _ in
            ("/api/v1/regions/\(f.grid(side).code)", nil)
        },
        RouteCase(method: .get, route: "/api/v1/regions/{code}/children", policy: .permission(.territoryRead), success: .ok, outside: .notFound) { side, f, _ in
            ("/api/v1/regions/\(f.community(side))/children", nil)
        },
        RouteCase(method: .get, route: "/api/v1/addresses/match", policy: .permission(.addressRead), success: .ok) { side, f, _ in
            ("/api/v1/addresses/match?q=\(f.address(side).elements.standardText.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", nil)
        },
        RouteCase(method: .get, route: "/api/v1/addresses/{code}", policy: .permission(.addressRead), success: .ok, outside: .notFound) { side, f, _ in
            ("/api/v1/addresses/\(f.address(side).code)", nil)
        },
        RouteCase(method: .get, route: "/api/v1/layers", policy: .permission(.layerRead), success: .ok, request: fixed("/api/v1/layers")),
        RouteCase(method: .get, route: "/api/v1/layers/{id}/features", policy: .permission(.layerRead), success: .ok) { _, f, _ in
            ("/api/v1/layers/standard-addresses/features?bbox=\(f.bbox)&zoom=11", nil)
        },
        RouteCase(method: .post, route: "/api/v1/registries/{kind}/lookup", policy: .permission(.registryRead), success: .ok, outside: .notFound) { side, f, _ in
            ("/api/v1/registries/person/lookup", #"{"key": "\#(f.person(side))", "purpose": "矩阵核对"}"#)
        },
        RouteCase(method: .post, route: "/api/v1/registries/{kind}/reveal", policy: .permission(.personalDataReveal), success: .ok, outside: .notFound) { side, f, _ in
            ("/api/v1/registries/person/reveal", #"{"key": "\#(f.person(side))", "purpose": "走访核实独居老人情况"}"#)
        },
        RouteCase(method: .post, route: "/api/v1/registries/{kind}/erase", policy: .permission(.personalDataErase), success: .ok, outside: .notFound) { side, f, _ in
            // A person of his own, so that erasing does not take anyone other tests look for.
            ("/api/v1/registries/person/erase", #"{"key": "\#(try await f.newPerson(side))", "reason": "本人申请删除个人信息"}"#)
        },
        RouteCase(method: .post, route: "/api/v1/registries/{kind}/export", policy: .permission(.personalDataExport), success: .ok, outside: .notFound) { side, f, _ in
            ("/api/v1/registries/enterprise/export", #"{"region": "\#(f.grid(side).code)", "purpose": "安全生产专项检查"}"#)
        },
        RouteCase(method: .post, route: "/api/v1/query/within", policy: .permission(.registryRead), success: .ok) { side, f, _ in
            ("/api/v1/query/within", #"{"circle": {"lat": \#(f.point(side).latitude), "lon": \#(f.point(side).longitude), "radius": 300}, "include": ["people"]}"#)
        },
    ] + caseMatrix
}()

/// The answer a role (nil: anonymous) must get.
func expectedStatus(_ c: RouteCase, role: Role?, side: Side) -> HTTPResponse.Status {
    switch c.policy {
    case .open: return c.success
    case .signedIn: return role == nil ? .unauthorized : c.success
    case .permission(let p):
        guard let role else { return .unauthorized }
        guard role.permissions.contains(p) else { return .forbidden }
        return side == .outside ? (c.outside ?? c.success) : c.success
    }
}

@Suite("Authorisation matrix", .serialized)
struct AuthorizationMatrixTests {
    static func fixture() async throws -> MatrixFixture {
        let (services, demo) = try await TinyDistrict.shared.get()
        return try await fixture(services, demo)
    }

    static func fixture(_ services: CityBrainServices, _ demo: DemoDistrict) async throws -> MatrixFixture {
        let territory = services.regions.territory()
        let communities = territory.regions(level: .community, under: demo.districtCode)
        let inside = communities[0].code, outside = communities[1].code
        func firstGrid(_ c: RegionCode) -> Region { territory.regions(level: .grid, under: c).first! }
        func firstAddress(_ g: Region) -> StandardAddress { services.addresses.addresses(in: PreparedPolygon(g.geometry)).first { $0.gridCode == g.code }! }
        let (insideGrid, outsideGrid) = (firstGrid(inside), firstGrid(outside))
        let box = territory.region(demo.districtCode)!.geometry.boundingBox!
        // Someone living in each community.
        let census = try await services.store.addressCensus().filter { $0.people > 0 }
        func someone(in community: RegionCode) async throws -> String {
            let code = census.first { c in services.addresses.address(c.addressCode)?.gridCode.map { TerritoryScope(community).contains($0) } == true }!.addressCode
            return try await services.registries.entries(.person, atAddresses: [code]).first!.key
        }
        return MatrixFixture(services: services, inside: inside, outside: outside, insideGrid: insideGrid, outsideGrid: outsideGrid,
                             insideAddress: firstAddress(insideGrid), outsideAddress: firstAddress(outsideGrid),
                             bbox: "\(box.minLongitude),\(box.minLatitude),\(box.maxLongitude),\(box.maxLatitude)",
                             insidePerson: try await someone(in: inside), outsidePerson: try await someone(in: outside))
    }

    /// Accounts of every role in the inside community, and the two accounts the administration
    /// routes act on (made once, with the shared district).
    static func prepareAccounts(_ f: MatrixFixture) async throws {
        let accounts = f.services.accounts, console = Principal.console("matrix")
        // "m-": the matrix's (it logs them out and changes their passwords); "s-": the other suites'.
        for prefix in ["m", "s"] {
            for role in Role.builtIn {
                _ = try await accounts.createAccount(.init(username: "\(prefix)-\(role.id)", displayName: role.name, roles: [role.id], territory: f.inside,
                                                           department: role.needsDepartment ? "urban-management" : nil, password: TestAccounts.password), by: console)
            }
        }
        for side in Side.allCases {
            _ = try await accounts.createAccount(.init(username: f.victim(side), displayName: "被操作账号", roles: ["analyst"], territory: f.community(side),
                                                       password: MatrixFixture.victimPassword), by: console)
        }
    }

    struct Login: Sendable { var cookie: String; var csrf: String }

    static func login(_ client: any TestClientProtocol, _ username: String) async throws -> Login {
        try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                 body: ByteBuffer(string: #"{"username": "\#(username)", "password": "\#(TestAccounts.password)"}"#)) { response in
            guard response.status == .ok, let cookie = response.headers[.setCookie]?.split(separator: ";").first,
                  let csrf = try json(response)["csrfToken"]?.stringValue else { throw TestFailure("login of \(username) failed: \(response.status)") }
            return Login(cookie: String(cookie), csrf: csrf)
        }
    }

    @Test("every route × every role × inside and outside its territory answers as the one table says, and only a reveal or an export shows personal data in clear")
    func matrixHolds() async throws {
        let f = try await Self.fixture()
        let app = Application(router: buildRouter(services: f.services, configuration: ServerConfiguration(liveStreamLifetime: .milliseconds(50))))
        // What must never appear in clear outside a reveal: the ID numbers, names and phones of the
        // people living where the routes are called.
        var secrets: [String] = []
        for side in Side.allCases {
            let p = try #require(try await f.services.registries.entry(.person, key: f.person(side)))
            secrets += [p.key] + ["name", "phone"].compactMap { p.fields[$0] }.filter { $0.count >= 3 }
        }
        let clearValues = secrets
        try await app.test(.router) { client in
            var mismatches: [String] = []
            var leaks: [String] = []
            var calls = 0
            for role in [nil] + Role.builtIn.map(Optional.some) {
                let username = role.map { "m-\($0.id)" }
                var login = try await username.asyncMap { try await Self.login(client, $0) }
                for c in matrix {
                    for side in Side.allCases {
                        let (uri, body) = try await c.request(side, f, role?.id ?? "anonymous")
                        var headers: HTTPFields = [:]
                        if let login {
                            headers[.cookie] = login.cookie
                            headers[.init("X-CSRF-Token")!] = login.csrf
                        }
                        if body != nil { headers[.contentType] = c.contentType }
                        let status = try await client.execute(uri: uri, method: c.method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
                            if response.status == .internalServerError { Issue.record("\(c.method) \(uri): \(String(buffer: response.body))") }
                            let text = String(buffer: response.body)
                            if !c.route.hasSuffix("/reveal") && !c.route.hasSuffix("/export"), let leaked = clearValues.first(where: { text.contains($0) }) {
                                leaks.append("\(role?.id ?? "anonymous") \(c.method) \(uri) shows \(leaked) in clear")
                            }
                            return response.status
                        }
                        calls += 1
                        let expected = expectedStatus(c, role: role, side: side)
                        if status != expected {
                            mismatches.append("\(role?.id ?? "anonymous") \(side) \(c.method) \(uri): \(status.code), expected \(expected.code)")
                        }
                        if c.endsSession, let username, status.code < 300 { login = try await Self.login(client, username) }
                    }
                }
            }
            #expect(calls == 12 * matrix.count * 2)
            #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(40).joined(separator: "\n"))")
            #expect(leaks.isEmpty, "\(leaks.prefix(20).joined(separator: "\n"))")
        }
    }

    @Test("no route without a declared policy, and the matrix covers every route with the declared one")
    func everyRouteHasAPolicy() async throws {
        let (services, _) = try await TinyDistrict.shared.get()
        let policies = RoutePolicies()
        let router = buildRouter(services: services, policies: policies)
        let served = router.routes.map(\.description)
        #expect(served.count >= 30)
        for route in served {
            #expect(policies.policy(for: route) != nil, "\(route) has no declared policy")
            let rows = matrix.filter { "\($0.method) \($0.route)" == route }
            #expect(rows.count == 1, "\(route) is not in the authorisation matrix")
            if let row = rows.first { #expect(row.policy == policies.policy(for: route), "\(route): the matrix says \(row.policy), the route declares \(policies.policy(for: route).map(\.description) ?? "nothing")") }
        }
        #expect(matrix.count == served.count)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

/// Valid, distinct 18-digit ID numbers (GB 11643 check digit) for people the tests create.
enum TestIDs {
    private static let counter = Mutex(0)

    static func next() -> String {
        let n = counter.withLock { $0 += 1; return $0 }
        let body = "650102" + String(1960 + n % 40) + "0315" + String(format: "%03d", n % 1000)
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        return body + String(Array("10X98765432")[sum % 11])
    }
}
