import DataFiles
import Foundation
import Governance
import Hummingbird

/// One registry record by key: masked, or revealed with a purpose. Keys travel in the body, never
/// in the URL, so that ID numbers stay out of logs and browser histories.
struct RegistryController {
    let registries: RegistryService

    func addRoutes(to routes: PolicedRoutes) {
        routes.post("registries/{kind}/lookup", .permission(.registryRead), use: lookUp)
        routes.post("registries/{kind}/reveal", .permission(.personalDataReveal), use: reveal)
        routes.post("registries/{kind}/erase", .permission(.personalDataErase), use: erase)
        routes.post("registries/{kind}/export", .permission(.personalDataExport), use: export)
    }

    struct ExportBody: Decodable {
        var region: String
        var purpose: String
    }

    /// A CSV file (UTF-8 with BOM, for Excel) whose first line names who exported it, when and why.
    @Sendable func export(request: Request, context: AppRequestContext) async throws -> Response {
        let text = try context.parameters.require("kind")
        guard let kind = RegistryKind(rawValue: text) else { throw Problem.notFound("no registry \(text) (person, house, enterprise, place)") }
        let body = try await decodeJSONBody(ExportBody.self, request: request, context: context)
        let region = try AccountController.regionCode(body.region, field: "region")
        let file = try await PersonalDataExport(registries: registries).export(kind, in: region, purpose: body.purpose, by: context.requirePrincipal(),
                                                                              requestID: context.requestID)
        var csv = CSVWriter()
        csv.row([file.notice])
        csv.row(file.header)
        for row in file.rows { csv.row(row) }
        var response = Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: csv.data)))
        response.headers[.contentDisposition] = "attachment; filename=\"citybrain-\(kind.rawValue)-\(region.shortForm).csv\""
        return response
    }

    struct KeyBody: Decodable {
        var key: String
        var purpose: String?
        var reason: String?
    }

    struct RecordBody: Encodable {
        struct Claim: Encodable {
            var field: String
            var value: String
            var source: String
            var observedAt: String
        }
        var kind: String
        var key: String
        var addressCode: String
        var grid: String?
        var fields: [String: String]
        var source: String
        var fieldSources: [String: String]
        var updatedAt: String
        var needsReview: Bool
        var masked: Bool
        var claims: [Claim]?

        init(_ e: RegistryEntry, masked: Bool, claims: [FieldConflict]?) {
            kind = e.kind.rawValue
            key = e.key
            addressCode = e.addressCode
            grid = e.gridCode?.rawValue
            fields = e.fields
            source = e.source
            fieldSources = e.fieldSources
            updatedAt = isoTimestamp(e.updatedAt)
            needsReview = e.needsReview
            self.masked = masked
            self.claims = claims?.map { Claim(field: $0.field, value: $0.value, source: $0.source, observedAt: isoTimestamp($0.observedAt)) }
        }
    }

    private func read(_ request: Request, context: AppRequestContext) async throws -> (RegistryKind, KeyBody) {
        let text = try context.parameters.require("kind")
        guard let kind = RegistryKind(rawValue: text) else {
            throw Problem.notFound("no registry \(text) (person, house, enterprise, place)")
        }
        let body = try await decodeJSONBody(KeyBody.self, request: request, context: context)
        guard !body.key.isEmpty, body.key.utf8.count <= 64 else { throw Problem.invalid([.init(field: "key", reason: "the record's key (1–64 characters)")]) }
        return (kind, body)
    }

    @Sendable func lookUp(request: Request, context: AppRequestContext) async throws -> Response {
        let (kind, body) = try await read(request, context: context)
        let (entry, claims) = try await registries.lookUp(kind, key: body.key, purpose: body.purpose, for: context.requirePrincipal(), requestID: context.requestID)
        return try JSONResponse.make(RecordBody(entry, masked: true, claims: claims))
    }

    struct ErasureBody: Encodable {
        var people: Int
        var houses: Int
    }

    /// The right to erasure: the person's identifying data goes, the anonymous statistics stay.
    @Sendable func erase(request: Request, context: AppRequestContext) async throws -> Response {
        let (kind, body) = try await read(request, context: context)
        guard kind == .person else { throw Problem.invalid([.init(field: "kind", reason: "erasure applies to people; other records name people only as owners or representatives")]) }
        guard let reason = body.reason else { throw Problem.invalid([.init(field: "reason", reason: "say why the data is erased")]) }
        let result = try await PersonalDataErasure(registries: registries).erase(person: body.key, reason: reason, by: context.requirePrincipal(), requestID: context.requestID)
        return try JSONResponse.make(ErasureBody(people: result.people, houses: result.houses))
    }

    @Sendable func reveal(request: Request, context: AppRequestContext) async throws -> Response {
        let (kind, body) = try await read(request, context: context)
        guard let purpose = body.purpose else { throw Problem.invalid([.init(field: "purpose", reason: "say why the data is needed")]) }
        let entry = try await registries.reveal(kind, key: body.key, purpose: purpose, for: context.requirePrincipal(), requestID: context.requestID)
        return try JSONResponse.make(RecordBody(entry, masked: false, claims: nil))
    }
}
