import Foundation
import Governance
import GRDB

/// The embedded store as the source of a move to another backend (`citybrain migrate-data`).
extension SQLiteStore: TransferSource {
    /// Tables the schema keeps for itself rather than for the deployment.
    static let ownTables: Set<String> = ["grdb_migrations"]

    public func transferTables() async throws -> [TransferTable] {
        try await database.read { db in
            let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                .filter { !Self.ownTables.contains($0) }
            var tables: [String: TransferTable] = [:]
            var parents: [String: Set<String>] = [:]
            for name in names {
                let info = try Row.fetchAll(db, sql: "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", arguments: [name])
                let columns = info.map { TransferTable.Column(name: $0["name"], declaredType: ($0["type"] as String).uppercased()) }
                let key = info.enumerated().filter { ($0.element["pk"] as Int) > 0 }.sorted { ($0.element["pk"] as Int) < ($1.element["pk"] as Int) }.map(\.offset)
                guard !key.isEmpty else { throw StoreConflict("table \(name) has no primary key: its rows cannot be paged through") }
                tables[name] = TransferTable(name: name, columns: columns, key: key)
                parents[name] = Set(try String.fetchAll(db, sql: "SELECT \"table\" FROM pragma_foreign_key_list(?)", arguments: [name])).subtracting([name])
            }
            // Parents first (a topological order; ties by name, so every run moves tables alike).
            var ordered: [TransferTable] = [], placed = Set<String>()
            while ordered.count < names.count {
                guard let next = names.first(where: { !placed.contains($0) && parents[$0, default: []].isSubset(of: placed) }) else {
                    throw StoreConflict("the tables' foreign keys form a cycle")
                }
                placed.insert(next)
                ordered.append(tables[next]!)
            }
            return ordered
        }
    }

    public func transferRows(_ table: TransferTable, after: [TransferValue]?, limit: Int) async throws -> [[TransferValue]] {
        let columns = table.columns.map { Self.quoted($0.name) }.joined(separator: ", ")
        let key = table.key.map { Self.quoted(table.columns[$0].name) }
        var sql = "SELECT \(columns) FROM \(Self.quoted(table.name))"
        var arguments: [DatabaseValue] = []
        if let after {
            sql += " WHERE (\(key.joined(separator: ", "))) > (\(Array(repeating: "?", count: key.count).joined(separator: ", ")))"
            arguments = after.map(\.databaseValue)
        }
        sql += " ORDER BY \(key.joined(separator: ", ")) LIMIT \(limit)"
        let (query, values) = (sql, arguments)
        return try await database.read { db in
            try Row.fetchAll(db, sql: query, arguments: StatementArguments(values)).map { row in
                (0..<row.count).map { TransferValue(row[$0] as DatabaseValue) }
            }
        }
    }

    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

extension TransferValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let i): self = .integer(i)
        case .double(let d): self = .real(d)
        case .string(let s): self = .text(s)
        case .blob(let b): self = .blob(Array(b))
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let i): i.databaseValue
        case .real(let d): d.databaseValue
        case .text(let s): s.databaseValue
        case .blob(let b): Data(b).databaseValue
        }
    }
}
