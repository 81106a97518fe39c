/// A finding about one row of an imported file: what is wrong and where.
public struct ImportIssue: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }

    public var severity: Severity
    /// Line of the file (1-based; the header is line 1).
    public var line: Int
    /// The column as the file names it, when the finding is about one field.
    public var column: String?
    /// The offending value, as read.
    public var value: String?
    public var reason: String

    public init(_ severity: Severity, line: Int, column: String? = nil, value: String? = nil, reason: String) {
        self.severity = severity
        self.line = line
        self.column = column
        self.value = value
        self.reason = reason
    }

    public var description: String {
        "line \(line)\(column.map { ", column \($0)" } ?? ""): \(severity.rawValue): \(reason)\(value.map { " (value: \"\($0)\")" } ?? "")"
    }
}

/// Which file column holds which field. Each field has the names it is usually found under in
/// department exports (Chinese and English); a mapping file adds or overrides them, one
/// `field = 列名` per line (`#` starts a comment).
public struct ColumnMapping: Sendable {
    public var fields: [(field: String, headers: [String])]
    public var required: Set<String>

    public init(fields: [(field: String, headers: [String])], required: Set<String>) {
        self.fields = fields
        self.required = required
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "mapping line \(line): \(reason)" }
    }

    /// This mapping with the lines of a mapping file applied on top: the named column comes first.
    public func applying(_ text: String) throws(Invalid) -> ColumnMapping {
        var copy = self
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !line.isEmpty else { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { String($0).trimmingWhitespace }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw Invalid(line: n + 1, reason: "expected `field = column name`, found \"\(line)\"")
            }
            guard let i = copy.fields.firstIndex(where: { $0.field == parts[0] }) else {
                throw Invalid(line: n + 1, reason: "unknown field \"\(parts[0])\"; fields are \(fields.map(\.field).joined(separator: ", "))")
            }
            copy.fields[i].headers.insert(parts[1], at: 0)
        }
        return copy
    }

    /// The column index of each field found in the header, and the required fields that are missing.
    public func resolve(_ header: [String]) -> (columns: [String: Int], missing: [String]) {
        var columns: [String: Int] = [:]
        let normalized = header.map { $0.trimmingWhitespace.lowercased() }
        for (field, headers) in fields {
            if let i = headers.lazy.compactMap({ normalized.firstIndex(of: $0.lowercased()) }).first { columns[field] = i }
        }
        let missing = fields.map(\.field).filter { required.contains($0) && columns[$0] == nil }
        return (columns, missing)
    }
}
