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
        let now = Date()
        let resolve: @Sendable (String?, String?) -> (address: StandardAddress?, reason: String?) = { code, text in
            registries.resolveAddress(code: code, text: text, minimumScore: 0.75)
        }
        let rows = try readRows(file, sheet: sheet, encoding: encoding, mapping: columnMapping, progress: progress,
                                alsoMissing: { RegistryRowReader.missingAddressColumns($0) ? ["address_code or address"] : [] }) { header, columns in
            let reader = RegistryRowReader(schema: schema, header: header, columns: columns, options: options, resolveAddress: resolve)
            options = reader.options
            return { fields, line in
                let (entry, issues) = reader.read(fields, line: line, at: now)
                return (line: line, entry: entry, issues: issues)
            }
        }
        progress.update("merging and writing \(rows.count) records")
        do {
            let result = try await registries.importEntries(kind, rows: rows, options: options)
            progress.finish()
            try reportFindings(result.issues, file: file, rejects: rejects)
            print("Imported \(kind.chineseName) (\(kind.rawValue)): \(result.inserted) new, \(result.merged) merged, \(result.unchanged) unchanged, \(result.flagged) flagged for review; \(Set(result.issues.filter { $0.severity == .error }.map(\.line)).count) rows rejected.")
        } catch let rejected as RegistryImportRejected {
            progress.finish()
            try reportFindings(rejected.issues, file: file, rejects: rejects)
            throw refusal(rejected.issues)
        }
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
