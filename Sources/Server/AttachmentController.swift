import Foundation
import Governance
import Hummingbird

/// `/api/v1/attachments`: photos and documents of case steps, uploaded first and referred to by
/// their hash in a report or a step.
struct AttachmentController {
    let cases: CaseService

    func addRoutes(to routes: PolicedRoutes) {
        routes.post("attachments", .permission(.attachmentUpload), use: upload)
        routes.get("attachments/{hash}", .permission(.caseRead), use: download)
    }

    @Sendable func upload(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let attachment = try await Self.receive(request, context: context) { bytes, type in
            try await cases.upload(bytes, declaredType: type, by: principal, requestID: context.requestID)
        }
        return try JSONResponse.make(attachment, status: .created)
    }

    /// Reads the raw body (up to the vault's limit) and hands it over; refusals become 400/413.
    static func receive(_ request: Request, context: AppRequestContext, maximumBytes: Int = AttachmentVault.defaultMaximumBytes,
                        store: ([UInt8], String?) async throws -> Attachment) async throws -> Attachment {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBytes)
        } catch {
            throw Problem(.contentTooLarge, kind: "too-large", title: "Attachment too large", detail: "an attachment has at most \(maximumBytes) bytes")
        }
        do {
            return try await store(Array(buffer.readableBytesView), request.headers[.contentType])
        } catch let refused as AttachmentRefused {
            throw Problem.invalid([.init(field: "body", reason: refused.reason)])
        }
    }

    @Sendable func download(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let (bytes, type) = try await cases.attachment(try context.parameters.require("hash"), for: principal)
        var response = JSONResponse.raw(bytes, contentType: type)
        response.headers[.cacheControl] = "private, max-age=86400, immutable"
        // Photos show in the page; a PDF is downloaded, never rendered in the site's origin (a PDF
        // can carry scripts and links). nosniff is on every response.
        response.headers[.contentDisposition] = type.hasPrefix("image/") ? "inline" : "attachment; filename=\"\(String(Self.downloadName(for: type)))\""
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        return response
    }

    /// A file name for a download: `attachment.pdf`.
    static func downloadName(for type: String) -> String {
        switch type {
        case "application/pdf": "attachment.pdf"
        default: "attachment.bin"
        }
    }
}
