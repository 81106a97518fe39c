import ArgumentParser
import DataFiles
import Foundation
import GeoKit
import Governance

extension TextEncoding: ExpressibleByArgument {}

struct ImportAddresses: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "addresses",
        abstract: "Import standard addresses from a CSV or Excel file.",
        discussion: """
            Columns are found by their usual names (地址编码/code, 街道, 社区, 街路巷, 门牌号, 小区, 幢, 单元, 室, \
            经度/longitude, 纬度/latitude, 状态 …); a mapping file (`field = 列名` per line) names others. \
            The encoding (UTF-8, UTF-8 with BOM, GB 18030/GBK) is detected. Every row is checked; with \
            any error nothing is written, unless --keep-going, which writes the valid rows and the \
            rejected ones to a rejects file. Each address gets the grid its coordinates lie in.
            """)

    @Argument(help: "CSV or Excel (.xlsx) file with a header line.") var file: String
    @OptionGroup var store: StoreOptions
    @Option(help: "Column mapping file: `field = column name` per line.") var mapping: String?
    @Option(help: "The sheet of an Excel file (default: the first).") var sheet: String?
    @Option(help: "Encoding: utf8, utf8-bom or gb18030 (detected when absent).") var encoding: TextEncoding?
    @Option(help: "Datum of the coordinates: wgs84, cgcs2000, gcj02 or bd09.") var crs: CoordinateSystem = .wgs84
    @Flag(help: "Write the valid rows, and the others to the rejects file.") var keepGoing = false
    @Option(help: "Where to write the rejected rows (default: FILE.rejects.csv).") var rejects: String?

    func run() async throws {
        _ = makeLogger(store.logLevel)
        let progress = Progress()
        var columnMapping = AddressRowReader.mapping
        if let mapping {
            do {
                columnMapping = try columnMapping.applying(try String(contentsOfFile: mapping, encoding: .utf8))
            } catch let e as ColumnMapping.Invalid {
                throw ValidationError("\(mapping): \(e)")
            }
        }
        let services = try await openServices(store, progress: progress)
        var options = AddressImportOptions()
        options.coordinateSystem = crs
        options.keepGoing = keepGoing
        options.source = URL(fileURLWithPath: file).lastPathComponent
        options.actor = cliActor
        let territory = services.regions.territory()
        let rows = try readRows(file, sheet: sheet, encoding: encoding, mapping: columnMapping, progress: progress) { header, columns in
            let reader = AddressRowReader(header: header, columns: columns, territory: territory, options: options)
            options = reader.options
            return { fields, line in
                let (address, issues) = reader.read(fields, line: line)
                return (line: line, address: address, issues: issues)
            }
        }
        progress.update("checking and writing \(rows.count) addresses")
        do {
            let result = try await services.addresses.importAddresses(rows, options: options)
            try await checkpointAfterBulkWrite(services.store)
            progress.finish()
            try reportFindings(result.issues, file: file, rejects: rejects)
            print("Imported addresses: \(result.inserted) new, \(result.updated) updated, \(result.unchanged) unchanged; \(Set(result.issues.filter { $0.severity == .error }.map(\.line)).count) rows rejected.")
        } catch let rejected as AddressImportRejected {
            progress.finish()
            try reportFindings(rejected.issues, file: file, rejects: rejects)
            throw refusal(rejected.issues)
        }
    }
}

/// Opens a CSV or Excel file and finds the columns of `mapping`. An unreadable file or missing
/// columns end the command with the reason (exit status 2), nothing written.
func openMappedTable(
    _ file: String, sheet: String?, encoding: TextEncoding?, mapping: ColumnMapping, progress: Progress,
    alsoMissing: ([String: Int]) -> [String] = { _ in [] }
) throws -> (table: any TableSource, columns: [String: Int]) {
    do {
        let table = try openTable(path: file, sheet: sheet, encoding: encoding)
        let (columns, missing) = mapping.resolve(table.header)
        let needed = missing + alsoMissing(columns)
        guard needed.isEmpty else {
            progress.finish()
            printError("\(file):1: required columns missing: \(needed.joined(separator: ", ")); the header has: \(table.header.joined(separator: ", ")) (name them in a --mapping file)")
            throw ExitCode(2)
        }
        return (table, columns)
    } catch let error as DataFileError {
        throw unreadable(error, progress: progress)
    }
}

/// Says a file could not be read, and gives the exit status for it.
func unreadable(_ error: DataFileError, progress: Progress) -> ExitCode {
    progress.finish()
    printError("\(error)")
    printError("Nothing was written.")
    return ExitCode(2)
}

/// Reads every row of a CSV or Excel file through `reader`.
func readRows<Row>(
    _ file: String, sheet: String?, encoding: TextEncoding?, mapping: ColumnMapping, progress: Progress,
    alsoMissing: ([String: Int]) -> [String] = { _ in [] },
    reader makeReader: ([String], [String: Int]) -> ([String], Int) -> Row
) throws -> [Row] {
    let (table, columns) = try openMappedTable(file, sheet: sheet, encoding: encoding, mapping: mapping, progress: progress, alsoMissing: alsoMissing)
    do {
        let read = makeReader(table.header, columns)
        var rows: [Row] = []
        while let record = try table.next() {
            rows.append(read(record.fields, record.line))
            if rows.count % 50_000 == 0 { progress.update("read \(rows.count) rows (\(table.formatDescription))") }
        }
        return rows
    } catch {
        throw unreadable(error, progress: progress)
    }
}

/// Prints the findings of an import (the first fifty) and writes them all to a rejects CSV.
func reportFindings(_ issues: [ImportIssue], file: String, rejects: String?) throws {
    for issue in issues.prefix(50) { printError("\(file):\(issue)") }
    if issues.count > 50 { printError("… and \(issues.count - 50) more") }
    guard !issues.isEmpty else { return }
    var csv = CSVWriter()
    csv.row(["file", "line", "column", "value", "severity", "reason"])
    for i in issues { csv.row([file, String(i.line), i.column ?? "", i.value ?? "", i.severity.rawValue, i.reason]) }
    let path = rejects ?? file + ".rejects.csv"
    try csv.write(to: path)
    printError("Findings written to \(path).")
}

/// Says an import was refused, and gives the exit status for it.
func refusal(_ issues: [ImportIssue]) -> ExitCode {
    printError("Import refused: \(Set(issues.filter { $0.severity == .error }.map(\.line)).count) rows have errors. Nothing was written (use --keep-going to write the valid rows).")
    return ExitCode(1)
}

struct AddressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "address", abstract: "Work with the standard address library.", subcommands: [MatchAddresses.self])
}

struct MatchAddresses: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Match the free-text addresses of a CSV file to the standard address library.",
        discussion: "Writes the file again with columns added: the matched code, the standard address, the score, matched/ambiguous/unmatched, the reason and the grid.")

    @Argument(help: "CSV or Excel (.xlsx) file with a header line.") var file: String
    @OptionGroup var store: StoreOptions
    @Option(help: "The sheet of an Excel file (default: the first).") var sheet: String?
    @Option(help: "The column holding the address text (default: the one named 地址, 详细地址 or address, else the first).") var column: String?
    @Option(help: "Encoding: utf8, utf8-bom or gb18030 (detected when absent).") var encoding: TextEncoding?
    @Option(name: [.short, .long], help: "Output file (default: FILE.matched.csv).") var output: String?

    func run() async throws {
        _ = makeLogger(store.logLevel)
        let progress = Progress()
        let services = try await openServices(store, progress: progress)
        guard services.addresses.count > 0 else { throw ValidationError("the address library is empty: import addresses first (or run `citybrain demo`)") }
        let out = output ?? file + ".matched.csv"
        var csv = CSVWriter()
        var counts: [String: Int] = [:]
        do {
            let table = try openTable(path: file, sheet: sheet, encoding: encoding)
            let index: Int
            if let column {
                guard let i = table.header.firstIndex(of: column) else {
                    throw ValidationError("\(file): no column named \"\(column)\"; the header has: \(table.header.joined(separator: ", "))")
                }
                index = i
            } else {
                index = table.header.firstIndex { ["地址", "详细地址", "address", "事发地址", "住址"].contains($0.lowercased()) } ?? 0
            }
            csv.row(table.header + ["标准地址编码", "标准地址", "得分", "结果", "原因", "网格"])
            var n = 0
            while let record = try table.next() {
                let m = services.addresses.match(record.fields[index])
                let status = m.best == nil ? "unmatched" : (m.reason?.hasPrefix("ambiguous") == true ? "ambiguous" : "matched")
                counts[status, default: 0] += 1
                csv.row(record.fields + [
                    m.best?.address.code ?? "", m.best?.address.elements.standardText ?? "", m.best.map { String($0.score) } ?? "",
                    status, m.reason ?? "", m.best?.address.gridCode?.rawValue ?? "",
                ])
                n += 1
                if n % 20_000 == 0 { progress.update("matched \(n) rows") }
            }
        } catch let error as DataFileError {
            progress.finish()
            printError("\(error)")
            throw ExitCode(2)
        }
        try csv.write(to: out)
        progress.finish()
        print("Matched \(counts.values.reduce(0, +)) addresses: \(counts["matched"] ?? 0) matched, \(counts["ambiguous"] ?? 0) ambiguous, \(counts["unmatched"] ?? 0) unmatched. Written to \(out).")
    }
}
