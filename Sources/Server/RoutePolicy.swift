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
