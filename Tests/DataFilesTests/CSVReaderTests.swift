import DataFiles
import Foundation
import Testing

func temporaryFile(_ bytes: [UInt8], name: String = "data.csv") throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-csv-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

func readAll(_ path: String, encoding: TextEncoding? = nil) throws -> (TextEncoding, [CSVRecord]) {
    let reader = try CSVReader(path: path, encoding: encoding)
    var records: [CSVRecord] = []
    while let r = try reader.next() { records.append(r) }
    return (reader.encoding, records)
}

@Suite("CSV reading")
struct CSVReaderTests {
    let sample = "编码,名称,备注\r\n1,星河苑,\"含,逗号\"\r\n\r\n2,\"阳光\n花园\",\"说\"\"你好\"\"\"\r\n3,末行,"

    @Test("UTF-8, UTF-8 with BOM and GB 18030 are detected and read alike")
    func encodings() throws {
        let expected: [[String]] = [["编码", "名称", "备注"], ["1", "星河苑", "含,逗号"], ["2", "阳光\n花园", "说\"你好\""], ["3", "末行", ""]]
        let utf8 = Array(sample.utf8)
        let gb = try #require(sample.data(using: String.Encoding(rawValue: 0x8000_0632)))
        for (bytes, encoding) in [(utf8, TextEncoding.utf8), ([0xEF, 0xBB, 0xBF] + utf8, .utf8BOM), ([UInt8](gb), .gb18030)] {
            let (detected, records) = try readAll(try temporaryFile(bytes))
            #expect(detected == encoding)
            #expect(records.map(\.fields) == expected)
            // Lines: a blank line is skipped, a quoted line break counts.
            #expect(records.map(\.line) == [1, 2, 4, 6])
        }
    }

    @Test("a file larger than one read chunk, with characters cut at chunk edges")
    func largeFile() throws {
        var text = "a,b\n"
        for i in 0..<60_000 { text += "\(i),临平街道西大街社区迎宾路\(i)号\n" }
        let (encoding, records) = try readAll(try temporaryFile(Array(text.utf8)))
        #expect(encoding == .utf8)
        #expect(records.count == 60_001)
        #expect(records.last?.fields == ["59999", "临平街道西大街社区迎宾路59999号"])
        #expect(records.last?.line == 60_001)
    }

    @Test("broken quoting and bad bytes say line and column", arguments: [
        ("a,b\n1,\"open\n2,3\n", 2, 2, "never closed"),
        ("a,b\n1,\"x\"y\n", 2, 2, "after a closing quote"),
        ("a,b\n1,x\"y\n", 2, 2, "quote inside an unquoted field"),
    ])
    func brokenQuoting(text: String, line: Int, column: Int, reason: String) throws {
        let path = try temporaryFile(Array(text.utf8))
        #expect {
            _ = try readAll(path)
        } throws: { error in
            guard let e = error as? DataFileError else { return false }
            return e.line == line && e.column == column && e.reason.contains(reason) && e.file == path
        }
    }

    @Test("invalid UTF-8 in a file read as UTF-8")
    func badUTF8() throws {
        let path = try temporaryFile(Array("a,b\n1,ok\n".utf8) + [0x32, 0x2C, 0xFF, 0xFE, 0x0A])
        #expect {
            _ = try readAll(path, encoding: .utf8)
        } throws: { error in
            (error as? DataFileError).map { $0.line == 3 && $0.column == 2 && $0.reason.contains("UTF-8") } ?? false
        }
    }

    @Test("a table checks its header and the number of fields")
    func table() throws {
        let good = try CSVTable(path: try temporaryFile(Array("a,b\n1,2\n".utf8)))
        #expect(good.header == ["a", "b"])
        #expect(try good.next()?.fields == ["1", "2"])
        #expect(try good.next() == nil)
        let short = try CSVTable(path: try temporaryFile(Array("a,b\n1,2\n3\n".utf8)))
        _ = try short.next()
        #expect(throws: DataFileError.self) { _ = try short.next() }
        #expect(throws: DataFileError.self) { _ = try CSVTable(path: try temporaryFile(Array("a,a\n".utf8))) }
        #expect(throws: DataFileError.self) { _ = try CSVTable(path: try temporaryFile([])) }
        #expect(throws: DataFileError.self) { _ = try CSVTable(path: "/nonexistent/file.csv") }
    }
}
