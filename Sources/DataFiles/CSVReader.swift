import Foundation

/// The text encodings of the files government departments send.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8
    /// UTF-8 with a byte order mark (Excel's "CSV UTF-8").
    case utf8BOM = "utf8-bom"
    /// GB 18030, a superset of GBK and GB 2312 (Excel's default "CSV" on Chinese Windows).
    case gb18030

    /// CoreFoundation's GB_18030_2000, which Foundation on Linux decodes.
    static let foundationGB18030 = String.Encoding(rawValue: 0x8000_0632)
}

/// Where a file is wrong: file, line (1-based), column (1-based field number), and what.
public struct DataFileError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var reason: String

    public init(file: String, line: Int? = nil, column: Int? = nil, reason: String) {
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let column { place += ", column \(column)" }
        return "\(place): \(reason)"
    }
}

/// One record of a CSV file.
public struct CSVRecord: Sendable, Equatable {
    /// The line on which the record starts (a quoted field may span lines).
    public var line: Int
    public var fields: [String]
}

/// A strict RFC 4180 CSV reader that streams (the file is never loaded whole), detects the encoding
/// (UTF-8 with or without byte order mark, else GB 18030), and reports malformed quoting or
/// undecodable text with its line and column.
///
/// Written here rather than taken from a package because imports must say where a file is wrong,
/// and the CSV packages available report errors without a position. The separator, quote and
/// line-break bytes are ASCII and never occur inside a GB 18030 multi-byte character, so records
/// are split on bytes and each field is decoded on its own.
public final class CSVReader {
    public let file: String
    public private(set) var encoding: TextEncoding
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var endOfFile = false
    private var line = 1
    private let separator: UInt8
    private static let chunkSize = 1 << 20

    /// Opens the file; `encoding` nil detects it from the first megabyte.
    public init(path: String, separator: Character = ",", encoding: TextEncoding? = nil) throws(DataFileError) {
        self.file = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DataFileError(file: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        guard let sep = separator.asciiValue else { throw DataFileError(file: path, reason: "the separator must be an ASCII character") }
        self.handle = handle
        self.separator = sep
        self.encoding = .utf8
        try fill()
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) {
            position = 3
            self.encoding = .utf8BOM
        } else if let encoding {
            self.encoding = encoding
        } else {
            self.encoding = Self.looksLikeUTF8(buffer[...], complete: endOfFile) ? .utf8 : .gb18030
        }
    }

    deinit { try? handle.close() }

    /// Whether the bytes are valid UTF-8, allowing a character cut at the end of an incomplete chunk.
    static func looksLikeUTF8(_ bytes: ArraySlice<UInt8>, complete: Bool) -> Bool {
        var end = bytes.endIndex
        if !complete {
            // Back up over a possibly cut multi-byte character.
            var k = end
            while k > bytes.startIndex, end - k < 4, bytes[k - 1] & 0xC0 == 0x80 { k -= 1 }
            if k > bytes.startIndex, bytes[k - 1] >= 0xC0 { end = k - 1 }
        }
        return String(validating: bytes[bytes.startIndex..<end], as: UTF8.self) != nil
    }

    private func fill() throws(DataFileError) {
        guard !endOfFile else { return }
        let data: Data
        do { data = try handle.read(upToCount: Self.chunkSize) ?? Data() } catch {
            throw DataFileError(file: file, line: line, reason: "read failed: \(error.localizedDescription)")
        }
        if data.isEmpty {
            endOfFile = true
            return
        }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        buffer.append(contentsOf: data)
    }

    @inline(__always) private func peek() throws(DataFileError) -> UInt8? {
        if position >= buffer.count {
            try fill()
            if position >= buffer.count { return nil }
        }
        return buffer[position]
    }

    /// The next record, or nil at the end of the file. Blank lines are skipped.
    public func next() throws(DataFileError) -> CSVRecord? {
        var fields: [String] = []
        var field: [UInt8] = []
        let startLine = line
        var quotedFieldLine = 0
        var sawAnything = false
        while true {
            guard let b = try peek() else {
                if !sawAnything { return nil }
                fields.append(try decode(field, column: fields.count + 1))
                return CSVRecord(line: startLine, fields: fields)
            }
            sawAnything = true
            position += 1
            if b == UInt8(ascii: "\"") && field.isEmpty {
                // A quoted field: up to the closing quote; "" is a quote.
                quotedFieldLine = line
                while true {
                    guard let q = try peek() else {
                        throw DataFileError(file: file, line: quotedFieldLine, column: fields.count + 1,
                                            reason: "a quoted field is never closed (the file ends inside it)")
                    }
                    position += 1
                    if q == UInt8(ascii: "\"") {
                        if try peek() == UInt8(ascii: "\"") {
                            position += 1
                            field.append(q)
                            continue
                        }
                        break
                    }
                    if q == 0x0A { line += 1 }
                    field.append(q)
                }
                // After the closing quote: a separator, a line break or the end.
                guard let after = try peek() else { continue }
                if after != separator && after != 0x0A && after != 0x0D {
                    throw DataFileError(file: file, line: line, column: fields.count + 1,
                                        reason: "unexpected character after a closing quote (a quote inside a quoted field must be doubled: \"\")")
                }
                continue
            }
            switch b {
            case separator:
                fields.append(try decode(field, column: fields.count + 1))
                field.removeAll(keepingCapacity: true)
            case 0x0D, 0x0A:
                if b == 0x0D, try peek() == 0x0A { position += 1 }
                if fields.isEmpty && field.isEmpty && quotedFieldLine == 0 {
                    // A blank line.
                    line += 1
                    return try next()
                }
                fields.append(try decode(field, column: fields.count + 1))
                line += 1
                return CSVRecord(line: startLine, fields: fields)
            case UInt8(ascii: "\""):
                throw DataFileError(file: file, line: line, column: fields.count + 1,
                                    reason: "a quote inside an unquoted field (quote the whole field and double the quote)")
            default:
                field.append(b)
            }
        }
    }

    private func decode(_ bytes: [UInt8], column: Int) throws(DataFileError) -> String {
        switch encoding {
        case .utf8, .utf8BOM:
            guard let s = String(validating: bytes, as: UTF8.self) else {
                throw DataFileError(file: file, line: line, column: column,
                                    reason: "text that is not valid UTF-8 (if the file is GBK/GB 18030, say so with --encoding gb18030)")
            }
            return s
        case .gb18030:
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            guard let s = String(bytes: bytes, encoding: TextEncoding.foundationGB18030) else {
                throw DataFileError(file: file, line: line, column: column, reason: "text that is neither UTF-8 nor GB 18030")
            }
            return s
        }
    }
}

/// A CSV file read as named columns: the first record is the header, every other record is checked
/// to have as many fields.
public final class CSVTable {
    public let reader: CSVReader
    public let header: [String]

    public init(path: String, separator: Character = ",", encoding: TextEncoding? = nil) throws(DataFileError) {
        reader = try CSVReader(path: path, separator: separator, encoding: encoding)
        guard let first = try reader.next() else { throw DataFileError(file: path, line: 1, reason: "the file is empty: a header line is expected") }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var seen = Set<String>()
        for (i, name) in header.enumerated() where !name.isEmpty && !seen.insert(name).inserted {
            throw DataFileError(file: path, line: first.line, column: i + 1, reason: "the column name \"\(name)\" appears twice in the header")
        }
    }

    /// The next record, with as many fields as the header.
    public func next() throws(DataFileError) -> CSVRecord? {
        guard let record = try reader.next() else { return nil }
        guard record.fields.count == header.count else {
            throw DataFileError(file: reader.file, line: record.line,
                                reason: "\(record.fields.count) fields where the header has \(header.count) (a separator inside an unquoted field?)")
        }
        return record
    }
}
