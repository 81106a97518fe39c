import ArgumentParser
import DataFiles
import Foundation
import Governance

/// Options shared by the registry imports.
struct RegistryImportArguments: ParsableArguments {
    @Argument(help: "CSV or Excel (.xlsx) file with a header line.") var file: String
    @OptionGroup var store: StoreOptions
    @Option(help: "The system the data comes from (公安人口库, 市场监管 …), recorded with every value.") var source: String
    @Option(help: "Column mapping file: `field = column name` per line.") var mapping: String?
    @Option(help: "The sheet of an Excel file (default: the first).") var sheet: String?
    @Option(help: "Encoding of a CSV file: utf8, utf8-bom or gb18030 (detected when absent).") var encoding: TextEncoding?
    @Flag(help: "Write the valid rows, and the others to the rejects file.") var keepGoing = false
    @Option(help: "Where to write the findings (default: FILE.rejects.csv).") var rejects: String?

    func run(_ kind: RegistryKind) async throws {
        _ = makeLogger(store.logLevel)
        let progress = Progress()
        let schema = RegistrySchema.of(kind)
        var columnMapping = schema.mapping
        if let mapping {
            do { columnMapping = try columnMapping.applying(try String(contentsOfFile: mapping, encoding: .utf8)) } catch let e as ColumnMapping.Invalid {
                throw ValidationError("\(mapping): \(e)")
            }
        }
        let services = try await openServices(store, progress: progress)
        let registries = RegistryService(store: services.store, addresses: services.addresses)
        var options = RegistryImportOptions(source: source)
        options.keepGoing = keepGoing
        options.fileName = URL(fileURLWithPath: file).lastPathComponent
        options.actor = "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "unknown")"
        var rows: [(line: Int, entry: RegistryEntry?, issues: [ImportIssue])] = []
        do {
            let table = try openTable(path: file, sheet: sheet, encoding: encoding)
            let (columns, missing) = columnMapping.resolve(table.header)
            if !missing.isEmpty || RegistryRowReader.missingAddressColumns(columns) {
                progress.finish()
                let needed = missing + (RegistryRowReader.missingAddressColumns(columns) ? ["address_code or address"] : [])
                printError("\(file):1: required columns missing: \(needed.joined(separator: ", ")); the header has: \(table.header.joined(separator: ", ")) (name them in a --mapping file)")
                throw ExitCode(2)
            }
            let resolve: @Sendable (String?, String?) -> (address: StandardAddress?, reason: String?) = { code, text in
                registries.resolveAddress(code: code, text: text, minimumScore: 0.75)
            }
            let reader = RegistryRowReader(schema: schema, header: table.header, columns: columns, options: options, resolveAddress: resolve)
            options = reader.options
            let now = Date()
            while let record = try table.next() {
                let (entry, issues) = reader.read(record.fields, line: record.line, at: now)
                rows.append((record.line, entry, issues))
                if rows.count % 50_000 == 0 { progress.update("read \(rows.count) rows (\(table.formatDescription))") }
            }
        } catch let error as DataFileError {
            progress.finish()
            printError("\(error)")
            printError("Nothing was written.")
            throw ExitCode(2)
        }
        progress.update("merging and writing \(rows.count) records")
        do {
            let result = try await registries.importEntries(kind, rows: rows, options: options)
            progress.finish()
            try report(result.issues)
            print("Imported \(kind.chineseName) (\(kind.rawValue)): \(result.inserted) new, \(result.merged) merged, \(result.unchanged) unchanged, \(result.flagged) flagged for review; \(Set(result.issues.filter { $0.severity == .error }.map(\.line)).count) rows rejected.")
        } catch let rejected as RegistryImportRejected {
            progress.finish()
            try report(rejected.issues)
            printError("Import refused: \(Set(rejected.issues.filter { $0.severity == .error }.map(\.line)).count) rows have errors. Nothing was written (use --keep-going to write the valid rows).")
            throw ExitCode(1)
        }
    }

    private func report(_ issues: [ImportIssue]) throws {
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
}

struct ImportPeople: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "people", abstract: "Import people (人口): ID number, name, phone, household, residence type, tags, address.",
        discussion: "People are merged by ID number, never doubled. A value another source gave differently is kept beside the current one and the person is flagged for review.")
    @OptionGroup var arguments: RegistryImportArguments
    func run() async throws { try await arguments.run(.person) }
}

struct ImportHouses: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "houses", abstract: "Import houses (房屋): house code, use, area, owner, address.")
    @OptionGroup var arguments: RegistryImportArguments
    func run() async throws { try await arguments.run(.house) }
}

struct ImportEnterprises: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enterprises", abstract: "Import enterprises (企业): credit code, name, industry, legal representative, risk tags, address.")
    @OptionGroup var arguments: RegistryImportArguments
    func run() async throws { try await arguments.run(.enterprise) }
}

struct ImportPlaces: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "places", abstract: "Import key places and parts (重点场所、部位): code, name, kind, tags, address.")
    @OptionGroup var arguments: RegistryImportArguments
    func run() async throws { try await arguments.run(.place) }
}
