import Foundation

/// Writes CSV, UTF-8 with a byte order mark so that Excel on Chinese Windows opens it correctly.
public struct CSVWriter: Sendable {
    public private(set) var data = Data([0xEF, 0xBB, 0xBF])

    public init() {}

    public mutating func row(_ fields: [String]) {
        let line = fields.map(Self.field).joined(separator: ",")
        data.append(contentsOf: Array((line + "\r\n").utf8))
    }

    /// One field, quoted when needed. A text a spreadsheet would run as a formula (`=HYPERLINK(…)`,
    /// `+…`, `-…`, `@…`, or a leading tab or carriage return) gets a leading apostrophe, as OWASP
    /// advises: addresses and names come from residents and departments, and an export must not
    /// turn them into code on the reader's machine. Numbers (`-12.5`) stay numbers.
    public static func field(_ raw: String) -> String {
        var f = raw
        if let first = f.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(f) == nil { f = "'" + f }
        return f.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
    }

    public func write(to path: String) throws {
        try data.write(to: URL(fileURLWithPath: path))
    }
}
