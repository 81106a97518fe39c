import Foundation
import GRDB
import GeoKit
import Governance

extension SQLiteStore {
    public func loadLayers() async throws -> [LayerDefinition] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, english_name, subject, rule FROM layer ORDER BY created_at, id").compactMap { row in
                let subject: String = row["subject"]
                let rule: String = row["rule"]
                guard let s = LayerSubject(rawValue: subject) else { return nil }
                return LayerDefinition(id: row["id"], name: row["name"], englishName: row["english_name"], subject: s,
                                       rule: try JSONDecoder().decode(LayerRule.self, from: Data(rule.utf8)))
            }
        }
    }

    public func saveLayer(_ layer: LayerDefinition, audit: AuditRecord) async throws {
        let rule = String(decoding: try JSONEncoder().encode(layer.rule), as: UTF8.self)
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO layer (id, name, english_name, subject, rule, created_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, english_name = excluded.english_name, subject = excluded.subject, rule = excluded.rule
                """, arguments: [layer.id, layer.name, layer.englishName, layer.subject.rawValue, rule, Date()])
            _ = try Self.appendAudit([audit], in: db)
        }
    }

    public func deleteLayer(_ id: String, audit: AuditRecord) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM layer WHERE id = ?", arguments: [id])
            guard db.changesCount > 0 else { return false }
            _ = try Self.appendAudit([audit], in: db)
            return true
        }
    }

    public func registryAddressCounts(_ kind: RegistryKind, rule: LayerRule) async throws -> [(addressCode: String, count: Int)] {
        try await database.read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = [kind.rawValue]
            var either: [String] = []
            if !rule.categories.isEmpty {
                either.append("category IN (\(Array(repeating: "?", count: rule.categories.count).joined(separator: ", ")))")
                arguments += rule.categories
            }
            for tag in rule.tags {
                // Tags are stored joined by 、; match whole tags only.
                either.append("('、' || tags || '、') LIKE ?")
                arguments.append("%、\(tag)、%")
            }
            if !either.isEmpty { conditions.append("(" + either.joined(separator: " OR ") + ")") }
            if !rule.keys.isEmpty {
                conditions.append("key IN (\(Array(repeating: "?", count: rule.keys.count).joined(separator: ", ")))")
                arguments += rule.keys
            }
            let sql = "SELECT address_code, count(*) FROM registry_entry WHERE kind = ?"
                + conditions.map { " AND " + $0 }.joined() + " GROUP BY address_code"
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { ($0[0], $0[1]) }
        }
    }
}
