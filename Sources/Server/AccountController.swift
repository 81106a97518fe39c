import Foundation
import Governance
import Hummingbird

/// Administration of accounts, roles and API tokens, each limited to the administrator's territory
/// and to the permissions he holds himself.
struct AccountController {
    let accounts: AccountService

    func addRoutes(to routes: PolicedRoutes) {
        routes.get("accounts", .permission(.accountManage), use: list)
        routes.post("accounts", .permission(.accountManage), use: create)
        routes.get("accounts/{username}", .permission(.accountManage), use: detail)
        routes.put("accounts/{username}/roles", .permission(.accountManage), use: changeRoles)
        routes.put("accounts/{username}/password", .permission(.accountManage), use: resetPassword)
        routes.put("accounts/{username}/status", .permission(.accountManage), use: setStatus)
        routes.get("roles", .permission(.accountManage), use: roles)
        routes.put("roles/{id}", .permission(.roleManage), use: saveRole)
        routes.get("tokens", .permission(.tokenManage), use: tokens)
        routes.post("tokens", .permission(.tokenManage), use: issueToken)
        routes.delete("tokens/{id}", .permission(.tokenManage), use: revokeToken)
    }

    struct AccountBody: Encodable {
        var username: String
        var displayName: String
        var roles: [String]
        var territory: String
        var department: String?
        var status: String
        var locked: Bool
        var passwordChangedAt: String
        var createdAt: String

        init(_ a: Account, now: Date) {
            username = a.username
            displayName = a.displayName
            roles = a.roles
            territory = a.territory.rawValue
            department = a.department
            status = a.status.rawValue
            locked = (a.lockedUntil ?? .distantPast) > now
            passwordChangedAt = isoTimestamp(a.passwordChangedAt)
            createdAt = isoTimestamp(a.createdAt)
        }
    }

    struct NewAccountBody: Decodable {
        var username: String
        var displayName: String
        var roles: [String]
        var territory: String
        var department: String?
        var password: String
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let now = accounts.now()
        return try JSONResponse.make(["accounts": try await accounts.accounts(for: context.requirePrincipal()).map { AccountBody($0, now: now) }])
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decodeJSONBody(NewAccountBody.self, request: request, context: context)
        let territory = try Self.regionCode(body.territory, field: "territory")
        let account = try await accounts.createAccount(.init(username: body.username, displayName: body.displayName, roles: body.roles, territory: territory,
                                                             department: body.department, password: body.password),
                                                       by: context.requirePrincipal(), requestID: context.requestID)
        return try JSONResponse.make(AccountBody(account, now: accounts.now()), status: .created)
    }

    @Sendable func detail(request: Request, context: AppRequestContext) async throws -> Response {
        let account = try await accounts.account(try context.parameters.require("username"), for: context.requirePrincipal())
        return try JSONResponse.make(AccountBody(account, now: accounts.now()))
    }

    struct RolesBody: Decodable {
        var roles: [String]
        var territory: String?
        var department: String?
    }

    @Sendable func changeRoles(request: Request, context: AppRequestContext) async throws -> Response {
        let username = try context.parameters.require("username")
        let principal = try context.requirePrincipal()
        _ = try await accounts.account(username, for: principal)
        let body = try await decodeJSONBody(RolesBody.self, request: request, context: context)
        let territory = try body.territory.map { try Self.regionCode($0, field: "territory") }
        let account = try await accounts.changeRoles(of: username, roles: body.roles, territory: territory, department: body.department,
                                                     by: principal, requestID: context.requestID)
        return try JSONResponse.make(AccountBody(account, now: accounts.now()))
    }

    struct PasswordBody: Decodable { var password: String }

    @Sendable func resetPassword(request: Request, context: AppRequestContext) async throws -> Response {
        let username = try context.parameters.require("username")
        let principal = try context.requirePrincipal()
        _ = try await accounts.account(username, for: principal)
        let body = try await decodeJSONBody(PasswordBody.self, request: request, context: context)
        try await accounts.resetPassword(of: username, to: body.password, by: principal, requestID: context.requestID)
        return Response(status: .noContent)
    }

    struct StatusBody: Decodable { var status: String }

    @Sendable func setStatus(request: Request, context: AppRequestContext) async throws -> Response {
        let username = try context.parameters.require("username")
        let principal = try context.requirePrincipal()
        _ = try await accounts.account(username, for: principal)
        let body = try await decodeJSONBody(StatusBody.self, request: request, context: context)
        guard let status = Account.Status(rawValue: body.status) else { throw Problem.invalid([.init(field: "status", reason: "active or disabled")]) }
        try await accounts.setStatus(of: username, status, by: principal, requestID: context.requestID)
        return Response(status: .noContent)
    }

    struct RoleBody: Codable {
        /// Given by the path when saving.
        var id: String?
        var name: String
        var permissions: [String]
        var needsDepartment: Bool?
        var builtIn: Bool?
    }

    @Sendable func roles(request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse.make(["roles": try await accounts.roles().all.map {
            RoleBody(id: $0.id, name: $0.name, permissions: $0.permissions.sorted().map(\.rawValue), needsDepartment: $0.needsDepartment, builtIn: $0.isBuiltIn)
        }])
    }

    @Sendable func saveRole(request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await decodeJSONBody(RoleBody.self, request: request, context: context)
        let permissions = try Self.permissions(body.permissions)
        try await accounts.saveRole(Role(id: id, name: body.name, permissions: permissions, needsDepartment: body.needsDepartment ?? false),
                                    by: context.requirePrincipal(), requestID: context.requestID)
        return Response(status: .noContent)
    }

    struct TokenBody: Encodable {
        var id: Int64
        var account: String
        var name: String
        var prefix: String
        var permissions: [String]
        var createdAt: String
        var expiresAt: String
        var revokedAt: String?
        var createdBy: String
        /// Only in the answer that issues the token: it is not stored and cannot be shown again.
        var secret: String?
    }

    struct NewTokenBody: Decodable {
        var account: String
        var name: String
        var permissions: [String]
        var days: Int
    }

    @Sendable func tokens(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let names = Dictionary(try await accounts.store.accounts().compactMap { a in a.id.map { ($0, a.username) } }, uniquingKeysWith: { a, _ in a })
        return try JSONResponse.make(["tokens": try await accounts.tokens(for: principal).map { Self.body($0, account: names[$0.accountID] ?? "") }])
    }

    @Sendable func issueToken(request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decodeJSONBody(NewTokenBody.self, request: request, context: context)
        let permissions = try Self.permissions(body.permissions)
        guard (1...366).contains(body.days) else { throw Problem.invalid([.init(field: "days", reason: "from 1 to 366")]) }
        let (secret, token) = try await accounts.issueToken(for: body.account, name: body.name, permissions: permissions, lifetime: Double(body.days) * 86400,
                                                            by: context.requirePrincipal(), requestID: context.requestID)
        var answer = Self.body(token, account: body.account)
        answer.secret = secret
        return try JSONResponse.make(answer, status: .created)
    }

    @Sendable func revokeToken(request: Request, context: AppRequestContext) async throws -> Response {
        guard let id = Int64(try context.parameters.require("id")) else { throw AccessDenied.outsideTerritory }
        try await accounts.revokeToken(id, by: context.requirePrincipal(), requestID: context.requestID)
        return Response(status: .noContent)
    }

    static func body(_ t: APIToken, account: String) -> TokenBody {
        TokenBody(id: t.id ?? 0, account: account, name: t.name, prefix: t.prefix, permissions: t.permissions.sorted().map(\.rawValue),
                  createdAt: isoTimestamp(t.createdAt), expiresAt: isoTimestamp(t.expiresAt), revokedAt: t.revokedAt.map(isoTimestamp),
                  createdBy: t.createdBy, secret: nil)
    }

    /// Permission names of a request body, each checked.
    static func permissions(_ names: [String]) throws -> Set<Permission> {
        var permissions = Set<Permission>()
        for (i, name) in names.enumerated() {
            guard let p = Permission(rawValue: name) else { throw Problem.invalid([.init(field: "permissions[\(i)]", reason: "unknown permission \(name)")]) }
            permissions.insert(p)
        }
        return permissions
    }

    static func regionCode(_ text: String, field: String) throws -> RegionCode {
        do { return try RegionCode(text) } catch { throw Problem.invalid([.init(field: field, reason: error.description)]) }
    }
}
