import Foundation
import Hummingbird

/// Decodes a JSON request body, turning a decoding failure into a problem that names the field.
func decodeJSONBody<T: Decodable>(_ type: T.Type, request: Request, context: AppRequestContext) async throws -> T {
    let buffer = try await request.body.collect(upTo: context.maxUploadSize)
    do {
        return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
    } catch let error as DecodingError {
        let (path, reason): ([any CodingKey], String) = switch error {
        case .keyNotFound(let key, let c): (c.codingPath + [key], "is required")
        case .typeMismatch(let type, let c): (c.codingPath, "must be \(type == String.self ? "a string" : type == [String].self ? "a list of strings" : "\(type)")")
        case .valueNotFound(_, let c): (c.codingPath, "must not be null")
        case .dataCorrupted(let c): (c.codingPath, c.codingPath.isEmpty ? "the body is not valid JSON" : c.debugDescription)
        @unknown default: ([], "cannot be read")
        }
        let field = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }
        throw Problem.invalid([.init(field: field.isEmpty ? "body" : String(field), reason: reason)])
    }
}
