import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reverse proxies allowed to say who the client is. Behind a proxy every request comes from
/// the proxy's address, so login throttling and the public pages' limits would treat all
/// residents as one; but a header saying "I am someone else" is believed only from a listed
/// proxy, else any client could pick a fresh address for every guess.
///
/// Parsed by hand: the address parsing is the C library's (`inet_pton`); no package here reads
/// RFC 7239 `Forwarded`.
public struct TrustedProxies: Sendable, Hashable {
    /// A network: the address's bytes and the prefix length.
    struct Network: Sendable, Hashable {
        var bytes: [UInt8]
        var prefix: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var bits = prefix
            for i in 0..<bytes.count where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if address[i] & mask != bytes[i] & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    let networks: [Network]

    public static let none = TrustedProxies(networks: [])

    init(networks: [Network]) { self.networks = networks }

    /// `10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8` …; a malformed entry is refused with its text.
    public init(_ entries: [String]) throws(TrustedProxyRefused) {
        var networks: [Network] = []
        for entry in entries.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let bytes = Self.parse(parts[0]) else { throw TrustedProxyRefused(entry: entry, reason: "is not an IPv4 or IPv6 address") }
            var prefix = bytes.count * 8
            if parts.count == 2 {
                guard let p = Int(parts[1]), (0...bytes.count * 8).contains(p) else {
                    throw TrustedProxyRefused(entry: entry, reason: "has a prefix length outside 0–\(bytes.count * 8)")
                }
                prefix = p
            }
            networks.append(Network(bytes: bytes, prefix: prefix))
        }
        self.networks = networks
    }

    public var isEmpty: Bool { networks.isEmpty }

    public func trusts(_ address: String) -> Bool {
        guard let bytes = Self.parse(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client behind `peer`: the peer itself unless it is a trusted proxy; then the nearest
    /// address in the forwarding chain (`Forwarded` first, else `X-Forwarded-For`) that is not
    /// itself a trusted proxy. Entries left of it were written by the client and prove nothing.
    public func client(peer: String, forwarded: [String], forwardedFor: [String]) -> String {
        guard trusts(peer) else { return peer }
        let chain = forwarded.isEmpty ? Self.forwardedFor(forwardedFor) : Self.forwardedElements(forwarded)
        var client = peer
        for hop in chain.reversed() {
            client = hop
            if !trusts(hop) { break }
        }
        return client
    }

    /// `X-Forwarded-For: client, proxy1, proxy2`, possibly over several header lines.
    static func forwardedFor(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { normalized(String($0)) }.filter { !$0.isEmpty }
    }

    /// The `for=` of each element of RFC 7239 `Forwarded: for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"`.
    static func forwardedElements(_ values: [String]) -> [String] {
        var hops: [String] = []
        for element in values.flatMap({ $0.split(separator: ",") }) {
            for pair in element.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == "for" else { continue }
                hops.append(normalized(String(kv[1])))
            }
        }
        return hops.filter { !$0.isEmpty }
    }

    /// Without quotes, brackets and port: `"[2001:db8::1]:4711"` → `2001:db8::1`, `192.0.2.1:80` → `192.0.2.1`.
    static func normalized(_ text: String) -> String {
        var s = text.trimmingCharacters(in: .whitespaces)
        if s.hasPrefix("\""), s.hasSuffix("\""), s.count >= 2 { s = String(s.dropFirst().dropLast()) }
        if s.hasPrefix("["), let end = s.firstIndex(of: "]") { return String(s[s.index(after: s.startIndex)..<end]) }
        if s.filter({ $0 == ":" }).count == 1, let colon = s.firstIndex(of: ":") { return String(s[..<colon]) }
        return s
    }

    /// 4 or 16 bytes, nil when the text is no address.
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            // An IPv4-mapped IPv6 peer (::ffff:10.0.0.5) is the IPv4 address.
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
            return bytes
        }
        return nil
    }
}

public struct TrustedProxyRefused: Error, CustomStringConvertible {
    public var entry: String
    public var reason: String
    public var description: String { "trusted proxy \(entry) \(reason)" }
}

import Hummingbird

/// Sets the request's client address from the forwarding headers of a trusted proxy (see
/// ``TrustedProxies``); with no proxy configured the headers are ignored.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let proxies: TrustedProxies

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard !proxies.isEmpty else { return try await next(request, context) }
        var context = context
        context.client = proxies.client(peer: context.client, forwarded: request.headers[values: .init("Forwarded")!],
                                        forwardedFor: request.headers[values: .init("X-Forwarded-For")!])
        return try await next(request, context)
    }
}
