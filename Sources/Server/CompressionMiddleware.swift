import CompressNIO
import Hummingbird

/// gzip for the API's JSON and GeoJSON answers when the client accepts it: map layers, region
/// outlines and case lists are repetitive text that shrinks 5–10×. Only whole bodies of a known
/// length from 1 KiB up are compressed (one buffer, one gzip member); event streams, files and
/// small answers pass through.
struct CompressionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let minimumSize = 1024
    static let compressible = ["application/json", "application/geo+json", "application/problem+json"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard request.method != .head, request.uri.path.hasPrefix("/api/"),
              let accepted = request.headers[.acceptEncoding], Self.accepts(gzip: accepted),
              response.headers[.contentEncoding] == nil,
              let length = response.body.contentLength, length >= Self.minimumSize,
              let type = response.headers[.contentType], Self.compressible.contains(where: type.hasPrefix) else {
            return response
        }
        response.body = response.body.map { buffer in
            var input = buffer
            return try input.compress(with: CompressionAlgorithm.gzip(configuration: ZlibConfiguration(compressionLevel: .fastestCompression)))
        }
        response.headers[.contentEncoding] = "gzip"
        response.headers[.contentLength] = nil
        response.headers[values: .vary].append("Accept-Encoding")
        return response
    }

    /// `gzip` listed without `q=0`.
    static func accepts(gzip header: String) -> Bool {
        header.split(separator: ",").contains { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first?.lowercased() == "gzip" else { return false }
            return !parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "").hasPrefix("q=0") && !$0.hasPrefix("q=0.") }
        }
    }
}
