import Foundation
import Governance
import Hummingbird
import HummingbirdTesting
import Server
import Testing

@Suite("Trusted proxies: who the client is behind a reverse proxy")
struct TrustedProxyTests {
    @Test("forwarding headers are believed only from a listed proxy, and only up to the first hop that is not one")
    func chain() throws {
        let proxies = try TrustedProxies(["10.0.0.0/8", "::1", "fd00::/8"])
        #expect(proxies.client(peer: "198.51.100.9", forwarded: [], forwardedFor: ["203.0.113.5"]) == "198.51.100.9", "not a proxy: its header is the client's word")
        #expect(proxies.client(peer: "10.1.2.3", forwarded: [], forwardedFor: ["203.0.113.5"]) == "203.0.113.5")
        // A client's own X-Forwarded-For is kept left of the proxy's entry and ignored.
        #expect(proxies.client(peer: "10.1.2.3", forwarded: [], forwardedFor: ["6.6.6.6, 203.0.113.5", "10.9.9.9"]) == "203.0.113.5")
        #expect(proxies.client(peer: "::1", forwarded: [#"for=192.0.2.60;proto=http, for="[2001:db8::1]:4711""#], forwardedFor: ["7.7.7.7"]) == "2001:db8::1")
        #expect(proxies.client(peer: "::ffff:10.0.0.7", forwarded: ["for=192.0.2.61:8080"], forwardedFor: []) == "192.0.2.61")
        #expect(proxies.client(peer: "10.0.0.7", forwarded: [], forwardedFor: []) == "10.0.0.7")
        #expect(proxies.client(peer: "fd12::1", forwarded: [], forwardedFor: ["10.0.0.2"]) == "10.0.0.2", "all hops trusted: the farthest")
        #expect(throws: TrustedProxyRefused.self) { try TrustedProxies(["10.0.0.0/33"]) }
        #expect(throws: TrustedProxyRefused.self) { try TrustedProxies(["proxy.local"]) }
        #expect(!TrustedProxies.none.trusts("127.0.0.1"))
    }

    @Test("over real HTTP: behind a trusted proxy each resident has his own login throttle; without the setting the header changes nothing")
    func throttlePerForwardedClient() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        for (trusted, expectSeparate) in [(["127.0.0.1", "::1"], true), ([], false)] {
            let shared = f.services
            let services = CityBrainServices(store: shared.store, regions: shared.regions, addresses: shared.addresses, layers: shared.layers,
                                             accounts: AccountService(store: shared.store, hasher: PasswordHasher(cost: 4), throttle: LoginThrottle(limit: 3, window: 900)),
                                             attachments: shared.cases.attachments)
            let configuration = ServerConfiguration(trustedProxies: try TrustedProxies(trusted))
            let app = Application(router: buildRouter(services: services, configuration: configuration))
            try await app.test(.live) { client in
                func attempt(_ forwardedFor: String) async throws -> HTTPResponse.Status {
                    try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json", .init("X-Forwarded-For")!: forwardedFor],
                                             body: SessionSecurityTests.loginBody("no-such-user", "Wrong-password-1")) { $0.status }
                }
                var first: [HTTPResponse.Status] = []
                for _ in 0..<4 { first.append(try await attempt("198.51.100.1")) }
                #expect(first == [.unauthorized, .unauthorized, .unauthorized, .tooManyRequests])
                let other = try await attempt("198.51.100.2")
                #expect(other == (expectSeparate ? .unauthorized : .tooManyRequests))
            }
        }
    }
}
