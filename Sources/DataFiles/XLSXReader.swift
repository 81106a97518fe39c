import Foundation
import XMLCoder
import ZIPFoundation

/// Reads one worksheet of an Excel (.xlsx) workbook as rows of text, the way the registries of
/// government departments usually arrive.
///
/// An .xlsx file is a ZIP archive of XML parts (ZIPFoundation opens it, XMLCoder decodes the
/// parts): the workbook names the sheets, the relationships say which part holds each, shared
/// strings hold the text of string cells. Cells are given as written: numbers in their stored form
/// (an ID number typed as a number loses nothing up to 15 digits; beyond, Excel has already lost
/// it — the row checks will say so), booleans as TRUE/FALSE, errors as their text (#N/A).
public final class XLSXSheet {
    public let file: String
    public let sheetName: String
    /// Rows in order, each with its row number in the sheet and its cells by column (empty cells "").
    public let rows: [(number: Int, cells: [String])]

    public init(path: String, sheet: String? = nil) throws(DataFileError) {
        file = path
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw DataFileError(file: path, reason: FileManager.default.fileExists(atPath: path)
                                ? "not an Excel .xlsx workbook (a ZIP archive was expected; an old .xls must be saved as .xlsx first)" : "no such file")
        }
        func part(_ name: String) throws(DataFileError) -> Data? {
            guard let entry = archive[name] else { return nil }
            var data = Data()
            do { _ = try archive.extract(entry, skipCRC32: false) { data.append($0) } } catch {
                throw DataFileError(file: path, reason: "the part \(name) of the workbook cannot be read (\(error))")
            }
            return data
        }
        func decode<T: Decodable>(_ type: T.Type, _ name: String) throws(DataFileError) -> T? {
            guard let data = try part(name) else { return nil }
            do {
                let decoder = XMLDecoder()
                decoder.shouldProcessNamespaces = false
                decoder.trimValueWhitespaces = false
                return try decoder.decode(T.self, from: data)
            } catch {
                throw DataFileError(file: path, reason: "the part \(name) of the workbook is not valid (\(error))")
            }
        }

        guard let workbook = try decode(Workbook.self, "xl/workbook.xml") else {
            throw DataFileError(file: path, reason: "not an Excel workbook (xl/workbook.xml is missing)")
        }
        let sheets = workbook.sheets.sheet
        guard !sheets.isEmpty else { throw DataFileError(file: path, reason: "the workbook has no sheet") }
        let chosen: Workbook.Sheet
        if let sheet {
            guard let s = sheets.first(where: { $0.name == sheet }) else {
                throw DataFileError(file: path, reason: "no sheet named \"\(sheet)\"; the sheets are \(sheets.map(\.name).joined(separator: ", "))")
            }
            chosen = s
        } else {
            chosen = sheets[0]
        }
        sheetName = chosen.name
        let relationships = try decode(Relationships.self, "xl/_rels/workbook.xml.rels")?.relationship ?? []
        guard let target = relationships.first(where: { $0.id == chosen.relationshipID })?.target else {
            throw DataFileError(file: path, reason: "the workbook does not say where sheet \"\(chosen.name)\" is stored")
        }
        let sheetPart = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
        let shared = try decode(SharedStrings.self, "xl/sharedStrings.xml")?.si.map(\.text) ?? []
        guard let worksheet = try decode(Worksheet.self, sheetPart) else {
            throw DataFileError(file: path, reason: "the sheet part \(sheetPart) is missing")
        }

        var rows: [(number: Int, cells: [String])] = []
        var nextRow = 1
        for row in worksheet.sheetData.row ?? [] {
            let number = row.r ?? nextRow
            nextRow = number + 1
            var cells: [String] = []
            var nextColumn = 0
            for cell in row.c ?? [] {
                var column = nextColumn
                if let reference = cell.r {
                    guard let c = Self.columnIndex(reference) else {
                        throw DataFileError(file: path, line: number, reason: "sheet \(chosen.name): bad cell reference \"\(reference)\"")
                    }
                    column = c
                }
                nextColumn = column + 1
                let text: String
                switch cell.t {
                case "s":
                    guard let i = cell.v.flatMap({ Int($0) }), shared.indices.contains(i) else {
                        throw DataFileError(file: path, line: number, column: column + 1, reason: "sheet \(chosen.name): a shared string that does not exist")
                    }
                    text = shared[i]
                case "inlineStr":
                    text = cell.inline?.text ?? ""
                case "b":
                    text = cell.v == "1" ? "TRUE" : "FALSE"
                default:
                    text = cell.v ?? ""
                }
                if cells.count < column { cells += Array(repeating: "", count: column - cells.count) }
                if cells.count == column { cells.append(text) } else { cells[column] = text }
            }
            rows.append((number, cells))
        }
        self.rows = rows
    }

    /// "C12" → 2 (columns from 0).
    static func columnIndex(_ reference: String) -> Int? {
        var value = 0
        var letters = 0
        for s in reference.unicodeScalars {
            if s.value >= 65 && s.value <= 90 {
                value = value * 26 + Int(s.value - 64)
                letters += 1
            } else {
                break
            }
        }
        return letters > 0 && letters <= 3 ? value - 1 : nil
    }

    // MARK: the XML parts

    struct Workbook: Decodable {
        struct Sheets: Decodable { var sheet: [Sheet] }
        struct Sheet: Decodable {
            var name: String
            var relationshipID: String
            enum CodingKeys: String, CodingKey {
                case name
                case relationshipID = "r:id"
            }
        }
        var sheets: Sheets
    }

    struct Relationships: Decodable {
        struct Relationship: Decodable {
            var id: String
            var target: String
            enum CodingKeys: String, CodingKey {
                case id = "Id"
                case target = "Target"
            }
        }
        var relationship: [Relationship]
        enum CodingKeys: String, CodingKey { case relationship = "Relationship" }
    }

    /// Text that may be plain (<t>) or made of formatted runs (<r><t>…</t></r>).
    struct RichText: Decodable {
        struct Text: Decodable {
            var value: String
            enum CodingKeys: String, CodingKey { case value = "" }
            init(from decoder: any Decoder) throws {
                if let c = try? decoder.container(keyedBy: CodingKeys.self), let v = try? c.decode(String.self, forKey: .value) {
                    value = v
                } else {
                    value = (try? decoder.singleValueContainer().decode(String.self)) ?? ""
                }
            }
        }
        struct Run: Decodable { var t: Text? }
        var t: Text?
        var r: [Run]?
        var text: String { t?.value ?? (r ?? []).map { $0.t?.value ?? "" }.joined() }
    }

    struct SharedStrings: Decodable { var si: [RichText] }

    struct Worksheet: Decodable {
        struct SheetData: Decodable { var row: [Row]? }
        struct Row: Decodable {
            var r: Int?
            var c: [Cell]?
        }
        struct Cell: Decodable {
            var r: String?
            var t: String?
            var v: String?
            var inline: RichText?
            enum CodingKeys: String, CodingKey {
                case r, t, v
                case inline = "is"
            }
        }
        var sheetData: SheetData
    }
}

/// Rows of a file with a header, whatever the format.
public protocol TableSource: AnyObject {
    var file: String { get }
    var header: [String] { get }
    /// What the format says about itself (the detected encoding, the sheet).
    var formatDescription: String { get }
    /// The next record; `line` is the line (CSV) or row number (Excel) of the file.
    func next() throws(DataFileError) -> CSVRecord?
}

extension CSVTable: TableSource {
    public var file: String { reader.file }
    public var formatDescription: String { "CSV, \(reader.encoding.rawValue)" }
}

/// A worksheet read as a table: the first non-empty row is the header; rows are padded to it.
public final class XLSXTable: TableSource {
    public let sheet: XLSXSheet
    public let header: [String]
    private var index: Int

    public init(path: String, sheet name: String? = nil) throws(DataFileError) {
        sheet = try XLSXSheet(path: path, sheet: name)
        guard let first = sheet.rows.firstIndex(where: { $0.cells.contains { !$0.isEmpty } }) else {
            throw DataFileError(file: path, reason: "sheet \(sheet.sheetName) is empty: a header row is expected")
        }
        header = sheet.rows[first].cells.map { $0.trimmingCharacters(in: .whitespaces) }
        index = first + 1
        var seen = Set<String>()
        for (i, name) in header.enumerated() where !name.isEmpty && !seen.insert(name).inserted {
            throw DataFileError(file: path, line: sheet.rows[first].number, column: i + 1, reason: "the column name \"\(name)\" appears twice in the header")
        }
    }

    public var file: String { sheet.file }
    public var formatDescription: String { "Excel, sheet \(sheet.sheetName)" }

    public func next() throws(DataFileError) -> CSVRecord? {
        while index < sheet.rows.count {
            let row = sheet.rows[index]
            index += 1
            guard row.cells.contains(where: { !$0.isEmpty }) else { continue }
            guard row.cells.count <= header.count || row.cells[header.count...].allSatisfy(\.isEmpty) else {
                throw DataFileError(file: file, line: row.number, column: header.count + 1, reason: "a value beyond the last column of the header")
            }
            let cells = Array(row.cells.prefix(header.count))
            return CSVRecord(line: row.number, fields: cells + Array(repeating: "", count: header.count - cells.count))
        }
        return nil
    }
}

/// Opens a CSV or Excel file as a table, by its extension.
public func openTable(path: String, sheet: String? = nil, encoding: TextEncoding? = nil) throws(DataFileError) -> any TableSource {
    if path.lowercased().hasSuffix(".xlsx") { return try XLSXTable(path: path, sheet: sheet) }
    if path.lowercased().hasSuffix(".xls") {
        throw DataFileError(file: path, reason: "the old Excel format (.xls) is not read: save the file as .xlsx or CSV")
    }
    return try CSVTable(path: path, encoding: encoding)
}
