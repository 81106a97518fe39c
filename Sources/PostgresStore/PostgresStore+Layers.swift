import Foundation
import Governance
import PostgresNIO

/// Administrators' layers, and the per-address counts the map draws registry layers from.
extension PostgresStore: LayerStore {
    public func loadLayers() async throws -> [LayerDefinition] {
        var layers: [LayerDefinition] = []
        for try await (id, name, englishName, subject, rule) in try await client.query("""
            SELECT id, name, english_name, subject, rule FROM layer ORDER BY created_at, id
            """, logger: logger).decode((String, String, String, String, String).self) {
            // A subject this version does not know is left out, as SQLite leaves it out.
            guard let s = LayerSubject(rawValue: subject) else { continue }
            layers.append(LayerDefinition(id: id, name: name, englishName: englishName, subject: s,
                                          rule: try JSONDecoder().decode(LayerRule.self, from: Data(rule.utf8))))
        }
        return layers
    }

    /// A replaced layer keeps its place (its creation time).
    public func saveLayer(_ layer: LayerDefinition, audit: AuditRecord) async throws {
        let rule = String(decoding: try JSONEncoder().encode(layer.rule), as: UTF8.self)
        let now = Date()
        try await transaction(locking: [Self.auditLock]) { connection in
            try await connection.query("""
                INSERT INTO layer (id, name, english_name, subject, rule, created_at)
                VALUES (\(layer.id), \(layer.name), \(layer.englishName), \(layer.subject.rawValue), \(rule), \(now))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, english_name = excluded.english_name, subject = excluded.subject, rule = excluded.rule
                """, logger: self.logger)
            _ = try await Self.appendAudit([audit], on: connection, logger: self.logger)
        }
    }

    public func deleteLayer(_ id: String, audit: AuditRecord) async throws -> Bool {
        try await transaction(locking: [Self.auditLock]) { connection in
            let removed = try await connection.query("DELETE FROM layer WHERE id = \(id) RETURNING id", logger: self.logger).collect()
            guard !removed.isEmpty else { return false }
            _ = try await Self.appendAudit([audit], on: connection, logger: self.logger)
            return true
        }
    }

    /// One grouped count over the registry: records of a listed category or carrying a listed tag
    /// (whole tags of the stored column, which holds them joined by 、), and, when keys are listed,
    /// only those.
    public func registryAddressCounts(_ kind: RegistryKind, rule: LayerRule) async throws -> [(addressCode: String, count: Int)] {
        var bindings = PostgresBindings()
        func bind(_ value: some PostgresEncodable & Sendable) throws -> String {
            try bindings.append(value)
            return "$\(bindings.count)"
        }
        var sql = "SELECT address_code, count(*) FROM registry_entry WHERE kind = " + (try bind(kind.rawValue))
        var either: [String] = []
        if !rule.categories.isEmpty { either.append("category = ANY(\(try bind(rule.categories)))") }
        if !rule.tags.isEmpty { either.append("string_to_array(tags, '、') && \(try bind(rule.tags))::text[]") }
        if !either.isEmpty { sql += " AND (" + either.joined(separator: " OR ") + ")" }
        if !rule.keys.isEmpty { sql += " AND key = ANY(\(try bind(rule.keys)))" }
        sql += " GROUP BY address_code"
        var counts: [(addressCode: String, count: Int)] = []
        for try await (code, n) in try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).decode((String, Int).self) {
            counts.append((code, n))
        }
        return counts
    }
}
