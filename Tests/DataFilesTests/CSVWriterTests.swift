import DataFiles
import Foundation
import Testing

@Suite("CSV writer")
struct CSVWriterTests {
    @Test("texts a spreadsheet would run as formulas get a leading apostrophe; numbers stay numbers; quoting as RFC 4180")
    func formulasAreNeutralised() {
        #expect(CSVWriter.field("=HYPERLINK(\"http://x\",\"点我\")") == "\"'=HYPERLINK(\"\"http://x\"\",\"\"点我\"\")\"")
        #expect(CSVWriter.field("+86 138") == "'+86 138")
        #expect(CSVWriter.field("-cmd") == "'-cmd")
        #expect(CSVWriter.field("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVWriter.field("\tx") == "'\tx")
        #expect(CSVWriter.field("-12.5") == "-12.5")
        #expect(CSVWriter.field("+3") == "+3")
        #expect(CSVWriter.field("余杭区, 临平街道") == "\"余杭区, 临平街道\"")
        #expect(CSVWriter.field("张三") == "张三")
        var csv = CSVWriter()
        csv.row(["=1+1", "a"])
        #expect(String(decoding: csv.data.dropFirst(3), as: UTF8.self) == "'=1+1,a\r\n")
    }
}
