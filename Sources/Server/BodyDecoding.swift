import Foundation
import GeoKit
import Governance
import Hummingbird

/// The longest string any JSON body may carry; fields have their own, smaller limits in the domain.
let longestBodyString = 100_000

/// Decodes a JSON request body, turning a decoding failure into a problem that names the field.
/// Bodies must say they are JSON (a cross-site form can send `text/plain` without asking the
/// browser first, never `application/json`), and no string in them may hold what no store can
/// keep and read back (``StoredText``): both are checked here, for every route at once.
func decodeJSONBody<T: Decodable>(_ type: T.Type, request: Request, context: AppRequestContext) async throws -> T {
    try requireJSONContentType(request)
    let buffer = try await request.body.collect(upTo: context.maxUploadSize)
    let data = Data(buffer: buffer)
    if let parsed = try? JSONParser.parse(data), let (field, reason) = refusedString(in: parsed, path: "") {
        throw Problem.invalid([.init(field: field.isEmpty ? "body" : field, reason: reason)])
    }
    do {
        return try JSONDecoder().decode(T.self, from: data)
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

/// `application/json` or `application/<something>+json`, with any parameters.
func requireJSONContentType(_ request: Request) throws {
    let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
    guard type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json")) else {
        throw Problem(.unsupportedMediaType, kind: "unsupported-media-type", title: "Unsupported media type",
                      detail: "send the body as application/json (Content-Type: \(type.isEmpty ? "none" : type))")
    }
}

/// The first string value that no store could keep, with its path (`items[2].name`).
func refusedString(in value: JSONValue, path: String) -> (String, String)? {
    switch value {
    case .string(let s):
        return StoredText.problem(s, maxLength: longestBodyString).map { (path, $0) }
    case .array(let items):
        for (i, item) in items.enumerated() {
            if let found = refusedString(in: item, path: path + "[\(i)]") { return found }
        }
    case .object(let object):
        for (key, member) in object {
            // Names are matched against the fields the route reads and never stored themselves.
            let here = path.isEmpty ? key : path + "." + key
            if let found = refusedString(in: member, path: here) { return found }
        }
    default:
        break
    }
    return nil
}
