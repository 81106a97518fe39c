import Foundation
import GeoKit
import Governance
import Hummingbird

/// `/api/v1/public/…`: residents without an account report a problem (with photos), get a
/// tracking code, follow the case and rate the handling. Writes are limited per client address;
/// what a tracking code shows is the case's progress, never who handled it or notes.
struct PublicCaseController {
    let cases: CaseService
    let reports: RateLimiter
    let uploads: RateLimiter
    let ratings: RateLimiter
    let lookups: RateLimiter

    func addRoutes(to routes: PolicedRoutes) {
        routes.post("public/attachments", .open, use: upload)
        routes.post("public/cases", .open, use: report)
        routes.get("public/cases/{trackingCode}", .open, use: track)
        routes.post("public/cases/{trackingCode}/evaluate", .open, use: evaluate)
        routes.get("public/outline", .open, use: outline)
    }

    /// The district's outline and its streets (or grids, `level=grid`: where reports are taken), for
    /// the residents' map: public administrative boundaries, nothing else.
    @Sendable func outline(request: Request, context: AppRequestContext) async throws -> Response {
        let level = request.uri.queryParameters["level"].map(String.init) ?? "street"
        guard let wanted = RegionLevel(rawValue: level), [.district, .street, .grid].contains(wanted) else {
            throw Problem.invalid([.init(field: "level", reason: "district, street or grid")])
        }
        let territory = cases.regions.territory()
        let regions = territory.regions(level: .district, under: nil) + (wanted == .district ? [] : territory.regions(level: wanted, under: nil))
        var w = JSONWriter(reservingCapacity: regions.count * 2048)
        GeoJSON.write(regions.map { RegionExport.feature($0, coordinateSystem: .wgs84) }, to: &w)
        return JSONResponse.raw(w.bytes, contentType: "application/geo+json")
    }

    func limit(_ limiter: RateLimiter, _ context: AppRequestContext) throws {
        guard limiter.allow(context.client) else {
            throw Problem(.tooManyRequests, kind: "throttled", title: "Too many requests", detail: "too many requests from this address; try again within the hour")
        }
    }

    @Sendable func upload(request: Request, context: AppRequestContext) async throws -> Response {
        try limit(uploads, context)
        let attachment = try await AttachmentController.receive(request, context: context) { bytes, type in
            try await cases.upload(bytes, declaredType: type, by: .anonymousCitizen, requestID: context.requestID)
        }
        return try JSONResponse.make(attachment, status: .created)
    }

    struct ReportBody: Decodable {
        var description: String
        var classCode: String?
        var location: CaseController.LocationBody?
        var addressText: String?
        var contactPhone: String?
        var attachments: [String]?
    }

    struct PublicCaseBody: Encodable {
        struct Step: Encodable {
            var action: String
            var actionName: String
            var time: String
        }
        var number: String
        var status: String
        var statusName: String
        var className: String?
        var description: String
        var reportedAt: String
        var closedAt: String?
        var satisfaction: Int?
        var canEvaluate: Bool
        var steps: [Step]
    }

    func body(_ c: Case, _ events: [CaseEvent]) -> PublicCaseBody {
        PublicCaseBody(number: c.number, status: c.status.rawValue, statusName: c.status.chineseName,
                       className: c.classCode.flatMap { cases.classes.class($0)?.name }, description: c.description,
                       reportedAt: isoTimestamp(c.reportedAt), closedAt: c.closedAt.map(isoTimestamp), satisfaction: c.satisfaction,
                       canEvaluate: c.status == .closed,
                       steps: events.filter { ![.warn, .escalate, .remind, .redact].contains($0.action) }.map {
                           PublicCaseBody.Step(action: $0.action.rawValue, actionName: $0.action.chineseName, time: isoTimestamp($0.time))
                       })
    }

    struct ReceiptBody: Encodable {
        var trackingCode: String?
        var `case`: PublicCaseBody
    }

    @Sendable func report(request: Request, context: AppRequestContext) async throws -> Response {
        try limit(reports, context)
        let input = try await decodeJSONBody(ReportBody.self, request: request, context: context)
        var classCode: CaseClassCode?
        if let text = input.classCode {
            do { classCode = try CaseClassCode(text) } catch { throw Problem.invalid([.init(field: "classCode", reason: error.description)]) }
        }
        let intake = CaseIntake(source: .citizen, classCode: classCode, description: input.description,
                                location: input.location.map { Coordinate(longitude: $0.longitude, latitude: $0.latitude) }, addressText: input.addressText,
                                contactPhone: input.contactPhone, attachments: input.attachments ?? [])
        let receipt = try await cases.publicReport(intake, idempotencyKey: request.headers[.init("Idempotency-Key")!].map { "public:" + context.client + ":" + $0 },
                                                   requestID: context.requestID)
        let events = try await cases.store.caseEvents(number: receipt.case.number)
        return try JSONResponse.make(ReceiptBody(trackingCode: receipt.trackingCode, case: body(receipt.case, events)), status: receipt.created ? .created : .ok)
    }

    @Sendable func track(request: Request, context: AppRequestContext) async throws -> Response {
        try limit(lookups, context)
        guard let c = try await cases.tracked(try context.parameters.require("trackingCode")) else {
            throw Problem.notFound("no case has this tracking code")
        }
        return try JSONResponse.make(body(c, try await cases.store.caseEvents(number: c.number)))
    }

    struct RatingBody: Decodable {
        var satisfaction: Int
        var comment: String?
    }

    @Sendable func evaluate(request: Request, context: AppRequestContext) async throws -> Response {
        try limit(ratings, context)
        let code = try context.parameters.require("trackingCode")
        let input = try await decodeJSONBody(RatingBody.self, request: request, context: context)
        let c = try await cases.evaluate(trackingCode: code, satisfaction: input.satisfaction, comment: input.comment, requestID: context.requestID)
        return try JSONResponse.make(body(c, try await cases.store.caseEvents(number: c.number)))
    }
}
