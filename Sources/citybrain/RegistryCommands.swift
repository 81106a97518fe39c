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
        let registries = services.registries
        var options = RegistryImportOptions(source: source)
        options.keepGoing = keepGoing
        options.fileName = URL(fileURLWithPath: file).lastPathComponent
        options.actor = cliActor
        let (table, columns) = try openMappedTable(file, sheet: sheet, encoding: encoding, mapping: columnMapping, progress: progress,
                                                   alsoMissing: { RegistryRowReader.missingAddressColumns($0) ? ["address_code or address"] : [] })
        let reader = RegistryRowReader(schema: schema, header: table.header, columns: columns, options: options, vault: registries.vault,
                                       resolveAddress: registries.addressResolver(minimumScore: 0.75))
        options = reader.options
        let rows = TableChunks(table) { n in progress.update("read \(n) rows (\(table.formatDescription))") }
        do {
            let result = try await registries.importRows(kind, reader: reader, at: Date(), nextRows: rows.next)
            try await checkpointAfterBulkWrite(services.store)
            progress.finish()
            try reportFindings(result.issues, file: file, rejects: rejects)
            print("Imported \(kind.chineseName) (\(kind.rawValue)): \(result.inserted) new, \(result.merged) merged, \(result.unchanged) unchanged, \(result.flagged) flagged for review; \(Set(result.issues.filter { $0.severity == .error }.map(\.line)).count) rows rejected.")
        } catch let rejected as RegistryImportRejected {
            progress.finish()
            try reportFindings(rejected.issues, file: file, rejects: rejects)
            throw refusal(rejected.issues)
        } catch let error as DataFileError {
            throw unreadable(error, progress: progress)
        }
    }
}

/// The records of a table handed out a chunk at a time, to the one thread that reads them.
final class TableChunks: @unchecked Sendable {
    private let table: any TableSource
    private let progress: (Int) -> Void
    private var count = 0
    let chunkSize: Int

    init(_ table: any TableSource, chunkSize: Int = 8_192, progress: @escaping (Int) -> Void = { _ in }) {
        self.table = table
        self.chunkSize = chunkSize
        self.progress = progress
    }

    func next() throws -> [(fields: [String], line: Int)]? {
        var chunk: [(fields: [String], line: Int)] = []
        chunk.reserveCapacity(chunkSize)
        while chunk.count < chunkSize, let record = try table.next() { chunk.append((record.fields, record.line)) }
        guard !chunk.isEmpty else { return nil }
        let before = count
        count += chunk.count
        if before / 100_000 != count / 100_000 { progress(count) }
        return chunk
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
