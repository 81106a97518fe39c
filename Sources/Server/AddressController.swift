import Foundation
import GeoKit
import Governance
import Hummingbird

/// The address library API: matching free text, and one address by code.
struct AddressController {
    let addresses: AddressService

    /// Both answer only with addresses in the account's territory.
    func addRoutes(to routes: PolicedRoutes) {
        routes.get("addresses/match", .permission(.addressRead), use: match)
        routes.get("addresses/{code}", .permission(.addressRead), use: detail)
    }

    struct AddressBody: Encodable {
        var code: String
        var address: String
        var elements: AddressElements
        var position: Position
        var grid: String?
        var status: String

        init(_ a: StandardAddress) {
            code = a.code
            address = a.elements.standardText
            elements = a.elements
            position = Position(a.coordinate)
            grid = a.gridCode?.rawValue
            status = a.status.rawValue
        }
    }

    struct Candidate: Encodable {
        var score: Double
        var address: AddressBody
    }

    struct MatchBody: Encodable {
        var query: String
        var normalized: String
        /// The elements read from the text.
        var parsed: AddressElements
        var status: String
        var best: Candidate?
        var candidates: [Candidate]
        var reason: String?
    }

    @Sendable func match(request: Request, context: AppRequestContext) async throws -> Response {
        guard let q = request.uri.queryParameters["q"].map(String.init), !q.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw Problem.invalid([.init(field: "q", reason: "the address text to match is required")])
        }
        guard q.count <= 200 else { throw Problem.invalid([.init(field: "q", reason: "at most 200 characters")]) }
        let scope = try context.requirePrincipal().territory
        var m = addresses.match(q)
        if !scope.includesAll {
            // Matching runs on the whole library (the best match must not change with who asks);
            // candidates outside the territory are then withheld.
            if let best = m.best, !scope.contains(address: best.address) {
                m.best = nil
                m.reason = "no match in your territory"
            }
            m.runnersUp = m.runnersUp.filter { scope.contains(address: $0.address) }
        }
        let status = m.best == nil ? "unmatched" : (m.reason?.hasPrefix("ambiguous") == true ? "ambiguous" : "matched")
        return try JSONResponse.make(MatchBody(
            query: q, normalized: m.parsed.normalized, parsed: m.parsed.elements, status: status,
            best: m.best.map { Candidate(score: $0.score, address: AddressBody($0.address)) },
            candidates: m.runnersUp.map { Candidate(score: $0.score, address: AddressBody($0.address)) },
            reason: m.reason))
    }

    @Sendable func detail(request: Request, context: AppRequestContext) async throws -> Response {
        let code = try context.parameters.require("code")
        guard let a = addresses.address(code), try context.requirePrincipal().territory.contains(address: a) else {
            throw Problem.notFound("no address with code \(code)")
        }
        return try JSONResponse.make(AddressBody(a))
    }
}
