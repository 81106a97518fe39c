import Foundation
import Governance
import Hummingbird
import Synchronization

/// Who may call a route. Every route declares one: routes are added only through ``PolicedRoutes``,
/// and a test fails when the router holds a route without a declared policy.
public enum RoutePolicy: Sendable, Hashable, CustomStringConvertible {
    /// Anyone, signed in or not (health checks, the login itself, citizen pages).
    case open
    /// Any signed-in account or token.
    case signedIn
    /// A principal holding the permission; the handler checks territory through Governance.
    case permission(Permission)

    func check(_ context: AppRequestContext) throws(AccessDenied) {
        switch self {
        case .open: return
        case .signedIn: _ = try context.requirePrincipal()
        case .permission(let p): try context.requirePrincipal().require(p)
        }
    }

    public var description: String {
        switch self {
        case .open: "open"
        case .signedIn: "signed in"
        case .permission(let p): p.rawValue
        }
    }
}

/// The declared policy of every route, by `METHOD /path`.
public final class RoutePolicies: Sendable {
    private let table = Mutex<[String: RoutePolicy]>([:])

    public init() {}

    func declare(_ method: HTTPRequest.Method, _ path: String, _ policy: RoutePolicy) {
        table.withLock { $0["\(method) \(RouterPath(path))"] = policy }
    }

    /// The policy declared for a route as the router describes it (`GET /api/v1/regions/{code}`).
    public func policy(for route: String) -> RoutePolicy? { table.withLock { $0[route] } }

    public var all: [String: RoutePolicy] { table.withLock { $0 } }

    /// The methods some route takes at `path` (for a 405's `Allow`), sorted.
    public func allowedMethods(at path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var methods: Set<String> = []
        for key in table.withLock({ Array($0.keys) }) {
            let parts = key.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let pattern = parts[1].split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == segments.count, zip(pattern, segments).allSatisfy(Self.matches) else { continue }
            methods.insert(String(parts[0]))
        }
        return methods.sorted()
    }

    /// `{code}` takes any segment, `{code}.geojson` any segment with that suffix, others themselves.
    static func matches(_ pattern: Substring, _ segment: Substring) -> Bool {
        guard pattern.hasPrefix("{"), let close = pattern.firstIndex(of: "}") else { return pattern == segment }
        let suffix = pattern[pattern.index(after: close)...]
        return segment.count > suffix.count && segment.hasSuffix(suffix)
    }
}

/// A path that exists with other methods answers 405 with `Allow`, not 404 (RFC 9110 §15.5.6).
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let policies: RoutePolicies

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = policies.allowedMethods(at: request.uri.path)
            guard !allowed.isEmpty else { throw error }
            var response = try Problem(.methodNotAllowed, kind: "method-not-allowed", title: "Method not allowed",
                                       detail: "\(request.method) is not supported on \(request.uri.path); use \(allowed.joined(separator: ", "))")
                .response(from: request, context: context)
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
    }
}

/// A router group that only takes routes with a policy, and checks the policy before the handler.
public struct PolicedRoutes {
    let group: RouterGroup<AppRequestContext>
    let prefix: String
    let policies: RoutePolicies

    init(_ group: RouterGroup<AppRequestContext>, prefix: String, policies: RoutePolicies) {
        self.group = group
        self.prefix = prefix
        self.policies = policies
    }

    @discardableResult
    func on<Output: ResponseGenerator>(_ method: HTTPRequest.Method, _ path: String, _ policy: RoutePolicy,
                                       use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) -> Self {
        policies.declare(method, prefix.isEmpty ? path : prefix + "/" + path, policy)
        group.on(RouterPath(path), method: method) { request, context in
            try policy.check(context)
            return try await handler(request, context)
        }
        return self
    }

    @discardableResult
    func get<Output: ResponseGenerator>(_ path: String, _ policy: RoutePolicy, use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) -> Self {
        on(.get, path, policy, use: handler)
    }

    @discardableResult
    func post<Output: ResponseGenerator>(_ path: String, _ policy: RoutePolicy, use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) -> Self {
        on(.post, path, policy, use: handler)
    }

    @discardableResult
    func put<Output: ResponseGenerator>(_ path: String, _ policy: RoutePolicy, use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) -> Self {
        on(.put, path, policy, use: handler)
    }

    @discardableResult
    func delete<Output: ResponseGenerator>(_ path: String, _ policy: RoutePolicy, use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) -> Self {
        on(.delete, path, policy, use: handler)
    }
}
