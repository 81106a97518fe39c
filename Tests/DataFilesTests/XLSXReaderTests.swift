import DataFiles
import Foundation
import Testing
import ZIPFoundation

/// Builds a minimal but real .xlsx (as Excel and WPS write them: shared strings, rich text, inline
/// strings, numbers, booleans, sparse rows).
func makeWorkbook(sheets: [(name: String, xml: String)], sharedStrings: [String]) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-xlsx-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent("book.xlsx")
    let archive = try Archive(url: url, accessMode: .create)
    func add(_ path: String, _ text: String) throws {
        let data = Data(text.utf8)
        try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }
    let ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    let rns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    try add("xl/workbook.xml", """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <workbook xmlns="\(ns)" xmlns:r="\(rns)"><sheets>\(sheets.enumerated().map { "<sheet name=\"\($1.name)\" sheetId=\"\($0 + 1)\" r:id=\"rId\($0 + 1)\"/>" }.joined())</sheets></workbook>
        """)
    try add("xl/_rels/workbook.xml.rels", """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\(sheets.indices.map { "<Relationship Id=\"rId\($0 + 1)\" Type=\"\(rns)/worksheet\" Target=\"worksheets/sheet\($0 + 1).xml\"/>" }.joined())</Relationships>
        """)
    try add("xl/sharedStrings.xml", """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <sst xmlns="\(ns)" count="\(sharedStrings.count)">\(sharedStrings.map { $0.hasPrefix("<") ? "<si>\($0)</si>" : "<si><t xml:space=\"preserve\">\($0)</t></si>" }.joined())</sst>
        """)
    for (i, sheet) in sheets.enumerated() {
        try add("xl/worksheets/sheet\(i + 1).xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <worksheet xmlns="\(ns)"><sheetData>\(sheet.xml)</sheetData></worksheet>
            """)
    }
    return url.path
}

@Suite("Excel reading")
struct XLSXReaderTests {
    @Test("shared, rich and inline strings, numbers, booleans, sparse cells, the chosen sheet")
    func read() throws {
        let path = try makeWorkbook(sheets: [
            ("说明", "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>4</v></c></row>"),
            ("人口", """
                <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>5</v></c></row>
                <row r="3"><c r="A3" t="s"><v>3</v></c><c r="C3"><v>330110198001010010</v></c><c r="D3" t="b"><v>1</v></c></row>
                <row r="4"><c r="B4" t="inlineStr"><is><t>临平街道</t></is></c><c r="D4"><v>3.5</v></c></row>
                """),
        ], sharedStrings: ["姓名", "街道", "身份证号", "<r><t>张</t></r><r><rPr><b/></rPr><t>三</t></r>", "只是说明", " 独居 "])
        let table = try XLSXTable(path: path, sheet: "人口")
        #expect(table.header == ["姓名", "街道", "身份证号", "独居"])
        #expect(table.formatDescription == "Excel, sheet 人口")
        let r1 = try #require(try table.next())
        #expect(r1.line == 3)
        #expect(r1.fields == ["张三", "", "330110198001010010", "TRUE"])
        let r2 = try #require(try table.next())
        #expect(r2.line == 4)
        #expect(r2.fields == ["", "临平街道", "", "3.5"])
        #expect(try table.next() == nil)
        // The first sheet by default.
        #expect(try XLSXSheet(path: path).sheetName == "说明")
    }

    @Test("what is not a workbook, or not the sheet asked for, says so")
    func errors() throws {
        let notZip = try temporaryFile(Array("a,b\n".utf8), name: "fake.xlsx")
        #expect { _ = try XLSXSheet(path: notZip) } throws: { ($0 as? DataFileError)?.reason.contains("not an Excel") ?? false }
        let path = try makeWorkbook(sheets: [("A", "")], sharedStrings: [])
        #expect { _ = try XLSXSheet(path: path, sheet: "B") } throws: { ($0 as? DataFileError)?.reason.contains("no sheet named") ?? false }
        #expect { _ = try XLSXTable(path: path) } throws: { ($0 as? DataFileError)?.reason.contains("empty") ?? false }
        #expect { _ = try openTable(path: "/tmp/x.xls") } throws: { ($0 as? DataFileError)?.reason.contains(".xlsx") ?? false }
        let badRef = try makeWorkbook(sheets: [("A", "<row r=\"1\"><c r=\"1A\" t=\"s\"><v>0</v></c></row>")], sharedStrings: ["x"])
        #expect { _ = try XLSXSheet(path: badRef) } throws: { ($0 as? DataFileError)?.line == 1 }
    }
}
