import Foundation
import Governance
import Hummingbird

/// Logging in and out, the current session, and changing one's own password.
struct SessionController {
    let accounts: AccountService
    let secureCookies: Bool

    func addRoutes(to routes: PolicedRoutes) {
        routes.post("session", .open, use: login)
        routes.get("session", .signedIn, use: current)
        routes.delete("session", .signedIn, use: logout)
        routes.put("session/password", .signedIn, use: changePassword)
    }

    struct Credentials: Decodable {
        var username: String
        var password: String
    }

    struct SessionBody: Encodable {
        var username: String
        var roles: [String]
        var permissions: [String]
        var territory: String
        var department: String?
        /// Send back as `X-CSRF-Token` with every write (sessions only).
        var csrfToken: String?
        var expiresAt: String?

        init(_ principal: Principal, session: Session?) {
            username = principal.username
            roles = principal.roles
            permissions = principal.permissions.sorted().map(\.rawValue)
            territory = principal.territory.root?.rawValue ?? ""
            department = principal.department
            csrfToken = session?.csrfToken
            expiresAt = session.map { isoTimestamp($0.expiresAt) }
        }
    }

    @Sendable func login(request: Request, context: AppRequestContext) async throws -> Response {
        let credentials = try await decodeJSONBody(Credentials.self, request: request, context: context)
        let grant = try await accounts.login(username: credentials.username, password: credentials.password, client: context.client, requestID: context.requestID)
        var response = try JSONResponse.make(SessionBody(grant.principal, session: grant.session))
        response.setCookie(AuthenticationMiddleware.sessionCookie(grant.sessionToken, secure: secureCookies))
        return response
    }

    @Sendable func current(request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse.make(SessionBody(try context.requirePrincipal(), session: context.session))
    }

    @Sendable func logout(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let token = context.sessionToken else {
            throw Problem.invalid([.init(field: "Authorization", reason: "API tokens are revoked, not logged out")])
        }
        try await accounts.logout(sessionToken: token, principal: principal, requestID: context.requestID)
        var response = Response(status: .noContent)
        response.setCookie(AuthenticationMiddleware.expiredCookie(secure: secureCookies))
        return response
    }

    struct PasswordChange: Decodable {
        var oldPassword: String
        var newPassword: String
    }

    /// Ends every session of the account, this one included: sign in again with the new password.
    @Sendable func changePassword(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let change = try await decodeJSONBody(PasswordChange.self, request: request, context: context)
        try await accounts.changeOwnPassword(principal, old: change.oldPassword, new: change.newPassword, client: context.client, requestID: context.requestID)
        var response = Response(status: .noContent)
        response.setCookie(AuthenticationMiddleware.expiredCookie(secure: secureCookies))
        return response
    }
}
