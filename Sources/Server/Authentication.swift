import Foundation
import Governance
import Hummingbird
import Logging

/// Finds who is asking: an API token (`Authorization: Bearer cbt_…`) or a session cookie. A bad
/// token is refused at once (401); a bad cookie leaves the request anonymous, so that the route's
/// policy answers. Writes from a browser session must carry the session's CSRF token.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let accounts: AccountService

    static let cookieName = "cb_session"

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", let principal = try await accounts.authenticate(apiToken: String(parts[1])) else {
                context.logger.notice("API token refused", metadata: ["client": "\(context.client)", "path": "\(request.uri.path)"])
                throw Problem(.unauthorized, kind: "invalid-token", title: "Invalid token", detail: "the API token is unknown, expired or revoked")
            }
            // A stale or forged session cookie beside a token is refused too: a request's credentials
            // are either all good or refused, never partly ignored.
            if let cookie = request.cookies[Self.cookieName]?.value, try await accounts.authenticate(sessionToken: cookie) == nil {
                context.logger.notice("session cookie refused beside a token", metadata: ["client": "\(context.client)", "path": "\(request.uri.path)"])
                throw Problem(.unauthorized, kind: "invalid-token", title: "Invalid credentials", detail: "the session cookie sent with the token is unknown or expired")
            }
            context.principal = principal
            context.apiToken = String(parts[1])
            context.logger[metadataKey: "actor"] = .string(principal.auditName)
        } else if let token = request.cookies[Self.cookieName]?.value {
            if let (principal, session) = try await accounts.authenticate(sessionToken: token) {
                context.principal = principal
                context.session = session
                context.sessionToken = token
                context.logger[metadataKey: "actor"] = .string(principal.auditName)
            } else {
                context.logger.notice("session cookie refused", metadata: ["client": "\(context.client)", "path": "\(request.uri.path)"])
            }
        }
        if let session = context.session, ![.get, .head, .options].contains(request.method) {
            guard let sent = request.headers[.init("X-CSRF-Token")!], SecretToken.equal(sent, session.csrfToken) else {
                context.logger.notice("CSRF token missing or wrong", metadata: ["client": "\(context.client)", "path": "\(request.uri.path)"])
                throw AccessDenied.csrfTokenMissing
            }
        }
        return try await next(request, context)
    }

    static func sessionCookie(_ token: String, secure: Bool) -> Cookie {
        Cookie(name: cookieName, value: token, maxAge: Int(AccountService.sessionLifetime), path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    static func expiredCookie(secure: Bool) -> Cookie {
        Cookie(name: cookieName, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}
