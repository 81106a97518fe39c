import Foundation
import Hummingbird
import Governance

/// An RFC 9457 problem: what went wrong and where, for API clients and for people.
public struct Problem: Error, Sendable, HTTPResponseError {
    public struct FieldError: Sendable, Encodable, Equatable {
        /// Where in the request: a query parameter name or a JSON path such as `points[12].lat`.
        public var field: String
        public var reason: String
        public init(field: String, reason: String) {
            self.field = field
            self.reason = reason
        }
    }

    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String
    public var errors: [FieldError]
    /// A short machine-readable kind, appended to the problem type URI.
    public var kind: String
    /// For a step the case's status does not allow: the steps it does allow.
    public var allowedActions: [String]?
    /// For a change based on an outdated version: the version now stored.
    public var currentVersion: Int?

    public init(_ status: HTTPResponse.Status, kind: String, title: String, detail: String, errors: [FieldError] = []) {
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.errors = errors
    }

    public static func invalid(_ errors: [FieldError], detail: String? = nil) -> Problem {
        Problem(.badRequest, kind: "invalid-request", title: "The request is invalid",
                detail: detail ?? errors.map { "\($0.field): \($0.reason)" }.joined(separator: "; "), errors: errors)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(.notFound, kind: "not-found", title: "Not found", detail: detail)
    }

    struct Body: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var instance: String?
        var requestId: String?
        var errors: [FieldError]?
        var allowedActions: [String]?
        var currentVersion: Int?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let id = (context as? AppRequestContext)?.requestID
        let language = ReaderLanguage(acceptLanguage: request.headers[.acceptLanguage])
        let p = written(for: language, path: request.uri.path)
        let body = Body(type: "tag:citybrain,2026:problem/\(kind)", title: p.title, status: Int(status.code), detail: p.detail,
                        instance: request.uri.path, requestId: id, errors: p.errors.isEmpty ? nil : p.errors,
                        allowedActions: allowedActions, currentVersion: currentVersion)
        let data = try JSONResponse.encoder.encode(body)
        return Response(status: status, headers: [.contentType: "application/problem+json", .contentLanguage: language == .chinese ? "zh-CN" : "en"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error into a problem document, so clients never see a bare error page.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return try problem.response(from: request, context: context)
        } catch let denied as AccessDenied {
            // Refusals say no more than needed: outside one's territory is "not found".
            context.logger.notice("access denied", metadata: ["path": "\(request.uri.path)", "reason": "\(denied)"])
            let problem: Problem = switch denied {
            case .notAuthenticated: Problem(.unauthorized, kind: "unauthenticated", title: "Authentication required", detail: "sign in or send an API token")
            case .missingPermission: Problem(.forbidden, kind: "forbidden", title: "Forbidden", detail: denied.description)
            case .outsideTerritory: .notFound("no resource at \(request.uri.path)")
            case .csrfTokenMissing: Problem(.forbidden, kind: "csrf", title: "Forbidden", detail: denied.description)
            case .sessionRequired: Problem(.forbidden, kind: "session-required", title: "Forbidden", detail: denied.description)
            }
            return try problem.response(from: request, context: context)
        } catch let refused as LoginRefused {
            var response: Response
            switch refused {
            case .wrongCredentials:
                response = try Problem(.unauthorized, kind: "login-failed", title: "Login failed", detail: refused.description).response(from: request, context: context)
            case .throttled(let seconds):
                response = try Problem(.tooManyRequests, kind: "throttled", title: "Too many failed logins", detail: refused.description).response(from: request, context: context)
                response.headers[.retryAfter] = "\(seconds)"
            }
            return response
        } catch let throttled as LookupThrottled {
            var response = try Problem(.tooManyRequests, kind: "throttled", title: "Too many look-ups", detail: throttled.description).response(from: request, context: context)
            response.headers[.retryAfter] = "3600"
            return response
        } catch let refused as AccountChangeRefused {
            return try Problem.invalid([.init(field: refused.field, reason: refused.reason)]).response(from: request, context: context)
        } catch let refused as CaseRefused {
            return try Problem.invalid([.init(field: refused.field, reason: refused.reason)]).response(from: request, context: context)
        } catch let refused as CaseTransitionRefused {
            var problem = Problem(.conflict, kind: "invalid-transition", title: "Not possible in this status", detail: refused.description)
            problem.allowedActions = refused.allowed.map(\.rawValue)
            return try problem.response(from: request, context: context)
        } catch let conflict as CaseVersionConflict {
            var problem = Problem(.conflict, kind: "version-conflict", title: "The case changed meanwhile", detail: conflict.description)
            problem.currentVersion = conflict.current
            return try problem.response(from: request, context: context)
        } catch let conflict as StoreConflict {
            return try Problem(.conflict, kind: "conflict", title: "Conflict", detail: conflict.reason).response(from: request, context: context)
        } catch let error as HTTPError {
            let problem: Problem
            switch error.status {
            case .notFound:
                problem = .notFound("no resource at \(request.uri.path)")
            case .methodNotAllowed:
                problem = Problem(.methodNotAllowed, kind: "method-not-allowed", title: "Method not allowed", detail: "\(request.method) is not supported on \(request.uri.path)")
            case .contentTooLarge:
                problem = Problem(.contentTooLarge, kind: "too-large", title: "Request body too large", detail: error.body ?? "the request body is larger than allowed")
            default:
                problem = Problem(error.status, kind: "http-\(error.status.code)", title: error.status.reasonPhrase, detail: error.body ?? error.status.reasonPhrase)
            }
            return try problem.response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return try Problem(.internalServerError, kind: "internal", title: "Internal error",
                               detail: "the server could not complete the request; it has been logged").response(from: request, context: context)
        }
    }
}

/// Gives each request an id (or keeps the caller's X-Request-Id), puts it in the logger and the
/// response, and sets the security headers every response carries.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// Served over HTTPS: tell browsers to keep to it.
    var strictTransport = false

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        let incoming = request.headers[.init("X-Request-Id")!].flatMap { id in
            id.utf8.count <= 64 && id.utf8.allSatisfy { $0 < 128 && (Character(Unicode.Scalar($0)).isLetter || Character(Unicode.Scalar($0)).isNumber || $0 == UInt8(ascii: "-")) } ? id : nil
        }
        context.requestID = incoming ?? UUID().uuidString.lowercased()
        context.logger[metadataKey: "request"] = .string(context.requestID)
        var response = try await next(request, context)
        response.headers[.init("X-Request-Id")!] = context.requestID
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        response.headers[.init("Permissions-Policy")!] = "camera=(self), geolocation=(self), microphone=()"
        if request.uri.path.hasPrefix("/api/") { response.headers[.cacheControl] = "no-store" }
        if strictTransport { response.headers[.init("Strict-Transport-Security")!] = "max-age=31536000" }
        if response.headers[.init("Content-Security-Policy")!] == nil {
            response.headers[.init("Content-Security-Policy")!] = "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
        }
        return response
    }
}

enum JSONResponse {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }()

    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func raw(_ bytes: [UInt8], contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
