import Foundation

/// How the stores keep a case (and its class) as JSON: dates as milliseconds, keys sorted. One
/// definition for both backends, so a body moved by `migrate-data` reads back alike on either.
public enum CaseCoding {
    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .millisecondsSince1970
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .millisecondsSince1970
        return d
    }()
}
