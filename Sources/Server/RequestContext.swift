import Foundation
import Governance
import Hummingbird
import Logging

/// The request context of every CityBrain route: Hummingbird's core storage, the request id that
/// ties log lines, responses and audit entries together, and who is asking.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String
    /// Set by ``AuthenticationMiddleware``; nil for anonymous requests.
    public var principal: Principal?
    /// The browser session behind `principal`, with the cookie's token (for logout).
    public var session: Session?
    public var sessionToken: String?
    /// The API token the request came with (checked again during live streams).
    public var apiToken: String?
    /// The peer's address, for login throttling and the audit trail.
    public var client: String

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.client = source.channel.remoteAddress?.ipAddress ?? "local"
    }

    /// Large enough for a batch of 10,000 points with ids.
    public var maxUploadSize: Int { 4 * 1024 * 1024 }

    /// The principal, or 401 when the request is anonymous.
    public func requirePrincipal() throws(AccessDenied) -> Principal {
        guard let principal else { throw AccessDenied.notAuthenticated }
        return principal
    }
}
