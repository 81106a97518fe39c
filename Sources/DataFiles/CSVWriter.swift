import Foundation

/// Writes CSV, UTF-8 with a byte order mark so that Excel on Chinese Windows opens it correctly.
public struct CSVWriter: Sendable {
    public private(set) var data = Data([0xEF, 0xBB, 0xBF])

    public init() {}

    public mutating func row(_ fields: [String]) {
        let line = fields.map { f in
            f.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
        }.joined(separator: ",")
        data.append(contentsOf: Array((line + "\r\n").utf8))
    }

    public func write(to path: String) throws {
        try data.write(to: URL(fileURLWithPath: path))
    }
}
