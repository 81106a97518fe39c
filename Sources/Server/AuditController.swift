import Foundation
import Governance
import Hummingbird

/// `GET /api/v1/audit`: the trail for auditors, newest first, read only (nothing in the
/// application changes it; the store refuses updates and deletes).
struct AuditController {
    let store: any CityBrainStore

    func addRoutes(to routes: PolicedRoutes) {
        routes.get("audit", .permission(.auditRead), use: list)
    }

    struct EntryBody: Encodable {
        var sequence: Int64
        var time: String
        var actor: String
        var action: String
        var target: String
        var purpose: String?
        var requestId: String?
        var hash: String
        var previousHash: String
    }

    struct Page: Encodable {
        var entries: [EntryBody]
        /// Pass as `cursor` for the next (older) page; absent on the last page.
        var nextCursor: String?
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let q = request.uri.queryParameters
        var errors: [Problem.FieldError] = []
        var query = AuditQuery()
        query.actor = q["actor"].map(String.init)
        query.actionPrefix = q["action"].map(String.init)
        query.target = q["target"].map(String.init)
        for (name, keyPath) in [("from", \AuditQuery.from), ("to", \AuditQuery.to)] {
            guard let text = q[Substring(name)].map(String.init) else { continue }
            if let date = parseInstant(text) { query[keyPath: keyPath] = date } else { errors.append(.init(field: name, reason: "an ISO-8601 date or time")) }
        }
        if let text = q["limit"].map(String.init) {
            if let n = Int(text), (1...1000).contains(n) { query.limit = n } else { errors.append(.init(field: "limit", reason: "an integer from 1 to 1000")) }
        }
        if let text = q["cursor"].map(String.init) {
            if let n = Int64(text), n > 0 { query.before = n } else { errors.append(.init(field: "cursor", reason: "the nextCursor of the previous page")) }
        }
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        let entries = try await store.auditEntries(matching: query)
        return try JSONResponse.make(Page(
            entries: entries.map {
                EntryBody(sequence: $0.sequence, time: isoTimestamp($0.record.time), actor: $0.record.actor, action: $0.record.action, target: $0.record.target,
                          purpose: $0.record.purpose, requestId: $0.record.requestID, hash: $0.hash, previousHash: $0.previousHash)
            },
            nextCursor: entries.count == query.limit ? entries.last.map { String($0.sequence) } : nil))
    }
}
