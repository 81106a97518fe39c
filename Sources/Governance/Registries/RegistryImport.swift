import Foundation
import Synchronization

/// How to read a registry file.
public struct RegistryImportOptions: Sendable {
    /// The system the data comes from (公安人口库, 市场监管登记 …): recorded with every value.
    public var source: String
    public var keepGoing = false
    public var actor = "cli"
    public var fileName = ""
    /// Below this score a matched address text is not trusted.
    public var minimumAddressScore = 0.75
    /// The file's name for each field.
    public var columnNames: [String: String] = [:]

    public init(source: String) {
        self.source = source
    }

    func column(_ field: String) -> String { columnNames[field] ?? field }
}

/// What a registry import did.
public struct RegistryImportResult: Sendable {
    public var inserted: Int
    public var merged: Int
    public var unchanged: Int
    /// Records that now carry disagreeing values from two sources (flagged for review).
    public var flagged: Int
    public var issues: [ImportIssue]
    public var batch: ImportBatch?
    /// Seconds the store waited for checked rows, and the reading waited for the store.
    public var waits: (store: Double, producer: Double) = (0, 0)
    /// Seconds the store spent building indexes at the end.
    public var indexing = 0.0
}

public struct RegistryImportRejected: Error, CustomStringConvertible {
    public var issues: [ImportIssue]
    public var description: String {
        "the import was refused, nothing was written: \(Set(issues.filter { $0.severity == .error }.map(\.line)).count) rows have errors"
    }
}

/// Turns rows of a registry file into records, checking every field and resolving the address.
public struct RegistryRowReader: Sendable {
    public let schema: RegistrySchema
    public let header: [String]
    public let columns: [String: Int]
    public let options: RegistryImportOptions
    /// The address of a code or of a text, or why there is none.
    let resolveAddress: @Sendable (_ code: String?, _ text: String?) -> (address: AddressReference?, reason: String?)
    /// Each field of the schema with its column in the file (looked up once, not for every row).
    private let fieldColumns: [(field: RegistryField, column: Int?)]
    /// Seals the personal fields of every record before it leaves the reader.
    let vault: PersonalDataVault

    public init(schema: RegistrySchema, header: [String], columns: [String: Int], options: RegistryImportOptions, vault: PersonalDataVault,
                resolveAddress: @escaping @Sendable (_ code: String?, _ text: String?) -> (address: AddressReference?, reason: String?)) {
        self.schema = schema
        self.header = header
        self.columns = columns
        var options = options
        for (field, i) in columns { options.columnNames[field] = header[i] }
        self.options = options
        self.resolveAddress = resolveAddress
        self.vault = vault
        fieldColumns = schema.fields.map { ($0, columns[$0.name]) }
    }

    /// The columns the file must have besides the required fields: an address code or an address text.
    public static func missingAddressColumns(_ columns: [String: Int]) -> Bool {
        columns["address_code"] == nil && columns["address"] == nil
    }

    /// Reads a chunk of rows on every core, keeping their order, into records ready for the store.
    public func read(_ rows: [(fields: [String], line: Int)], at time: Date) -> [(line: Int, row: RegistryRow?, issues: [ImportIssue])] {
        let parts = rows.count < 512 ? 1 : max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let results = Mutex([[(line: Int, row: RegistryRow?, issues: [ImportIssue])]](repeating: [], count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let slice = rows[rows.count * part / parts ..< rows.count * (part + 1) / parts]
            var out: [(line: Int, row: RegistryRow?, issues: [ImportIssue])] = []
            out.reserveCapacity(slice.count)
            for raw in slice {
                let (entry, issues) = read(raw.fields, line: raw.line, at: time)
                out.append((raw.line, entry.map { RegistryRow(line: raw.line, sealing: $0, with: vault) }, issues))
            }
            results.withLock { $0[part] = out }
        }
        return results.withLock { $0.flatMap { $0 } }
    }

    public func read(_ row: [String], line: Int, at time: Date) -> (entry: RegistryEntry?, issues: [ImportIssue]) {
        var issues: [ImportIssue] = []
        var fields: [String: String] = [:]
        // Room for every field and the two an ID number gives: no rehashing while the row is read.
        fields.reserveCapacity(fieldColumns.count + 2)
        var addressCode: String?, addressText: String?
        for (field, index) in fieldColumns {
            let raw = index.flatMap { $0 < row.count ? row[$0].trimmingWhitespace : nil } ?? ""
            if raw.isEmpty {
                if field.required { issues.append(ImportIssue(.error, line: line, column: options.column(field.name), reason: "the \(field.name) is empty")) }
                continue
            }
            do {
                let (value, warning) = try field.normalize(raw)
                if let warning { issues.append(ImportIssue(.warning, line: line, column: options.column(field.name), value: raw, reason: warning)) }
                switch field.name {
                case "address_code": addressCode = value
                case "address": addressText = value
                default: fields[field.name] = value
                }
            } catch {
                issues.append(ImportIssue(.error, line: line, column: options.column(field.name), value: raw, reason: error.reason))
            }
        }
        if issues.contains(where: { $0.severity == .error }) { return (nil, issues) }
        let (address, reason) = resolveAddress(addressCode, addressText)
        guard let address else {
            let column = addressCode != nil ? options.column("address_code") : options.column("address")
            issues.append(ImportIssue(.error, line: line, column: column, value: addressCode ?? addressText,
                                      reason: reason ?? "no address: give an address code or an address text"))
            return (nil, issues)
        }
        // What an ID number says about its holder.
        if schema.kind == .person, let id = fields["id_number"] {
            for (name, value) in RegistrySchema.derivedFields(.person, key: id) { fields[name] = value }
            if fields["residence_type"] == nil { fields["residence_type"] = "registered" }
        }
        let key = fields[schema.keyField]!
        return (RegistryEntry(kind: schema.kind, key: key, addressCode: address.code, gridCode: address.gridCode, fields: fields,
                              fieldSources: [:], source: options.source, importBatch: nil, updatedAt: time), issues)
    }
}
