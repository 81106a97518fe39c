import Foundation
import GRDB
import GeoKit
import Governance

extension SQLiteStore {
    /// A string-to-string map as a JSON object, leaving out the entries whose value is `omitting`.
    static func json(_ map: [String: String], omitting: String? = nil) -> String {
        var w = JSONWriter(reservingCapacity: 256)
        w.raw("{")
        var first = true
        for (key, value) in map where value != omitting {
            if !first { w.raw(",") }
            first = false
            w.string(key)
            w.raw(":")
            w.string(value)
        }
        w.raw("}")
        return w.string
    }

    static func map(_ text: String) throws -> [String: String] {
        guard let object = try JSONParser.parse(text).objectValue else { throw StoreConflict("a registry record holds malformed fields") }
        var result: [String: String] = [:]
        for (k, v) in object { result[k] = v.stringValue }
        return result
    }

    static func entry(_ row: Row) throws -> RegistryEntry {
        let kind: String = row["kind"]
        let source: String = row["source"]
        let fields = try map(row["fields"])
        // Only the sources that differ from the record's are stored.
        var sources = try map(row["field_sources"])
        for f in fields.keys + ["address"] where sources[f] == nil { sources[f] = source }
        return RegistryEntry(
            kind: RegistryKind(rawValue: kind) ?? .person, key: row["key"], addressCode: row["address_code"], gridCode: nil,
            fields: fields, fieldSources: sources, source: source,
            importBatch: row["import_batch"], updatedAt: row["updated_at"], needsReview: row["needs_review"])
    }

    static let entryColumns = "kind, key, address_code, fields, field_sources, source, import_batch, updated_at, needs_review"

    public func registryEntries(_ kind: RegistryKind, keys: [String]) async throws -> [RegistryEntry] {
        guard !keys.isEmpty else { return [] }
        return try await database.read { db in
            let marks = Array(repeating: "?", count: keys.count).joined(separator: ", ")
            return try Row.fetchAll(db, sql: "SELECT \(Self.entryColumns) FROM registry_entry WHERE kind = ? AND key IN (\(marks))",
                                    arguments: StatementArguments([kind.rawValue] + keys)).map(Self.entry)
        }
    }

    public func existingRegistryKeys(_ kind: RegistryKind, keys: [String]) async throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        return try await database.read { db in
            var found = Set<String>()
            var start = 0
            while start < keys.count {
                let slice = Array(keys[start..<min(keys.count, start + 500)])
                let marks = Array(repeating: "?", count: slice.count).joined(separator: ", ")
                let statement = try db.cachedStatement(sql: "SELECT key FROM registry_entry WHERE kind = ? AND key IN (\(marks))")
                for key in try String.fetchAll(statement, arguments: StatementArguments([kind.rawValue] + slice)) { found.insert(key) }
                start += 500
            }
            return found
        }
    }

    public func registryEntries(_ kind: RegistryKind, addressCodes: [String]) async throws -> [RegistryEntry] {
        guard !addressCodes.isEmpty else { return [] }
        return try await database.read { db in
            var result: [RegistryEntry] = []
            var start = 0
            while start < addressCodes.count {
                let slice = Array(addressCodes[start..<min(addressCodes.count, start + 500)])
                let marks = Array(repeating: "?", count: slice.count).joined(separator: ", ")
                result += try Row.fetchAll(db, sql: "SELECT \(Self.entryColumns) FROM registry_entry WHERE kind = ? AND address_code IN (\(marks)) ORDER BY key",
                                           arguments: StatementArguments([kind.rawValue] + slice)).map(Self.entry)
                start += 500
            }
            return result
        }
    }

    /// The secondary indexes of registry_entry, as migration 0003 created them. A large import drops
    /// them and builds them again at the end (in the same transaction): one sorted build is much
    /// cheaper than millions of random insertions.
    static let registrySecondaryIndexes = [
        ("registry_entry_address", "CREATE INDEX registry_entry_address ON registry_entry(kind, address_code)"),
        ("registry_entry_category", "CREATE INDEX registry_entry_category ON registry_entry(kind, category)"),
        ("registry_entry_review", "CREATE INDEX registry_entry_review ON registry_entry(kind, needs_review) WHERE needs_review = 1"),
    ]
    static let bulkThreshold = 50_000

    public func saveRegistryEntries(_ entries: [RegistryEntry], conflicts: [FieldConflict], batch: ImportBatch, basedOnBatch: Int64?) async throws -> ImportBatch {
        try await database.write { db in
            let batch = try Self.beginBatch(batch, basedOn: basedOnBatch, in: db)
            // Worth it only when the batch is large beside what the table already holds.
            let bulkLoad = try entries.count >= Self.bulkThreshold
                && entries.count * 2 >= (Int.fetchOne(db, sql: "SELECT count(*) FROM registry_entry") ?? 0)
            if bulkLoad { for (name, _) in Self.registrySecondaryIndexes { try db.execute(sql: "DROP INDEX IF EXISTS \(name)") } }
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO registry_entry (kind, key, address_code, category, tags, fields, field_sources, source, import_batch, updated_at, needs_review)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(kind, key) DO UPDATE SET
                  address_code = excluded.address_code, category = excluded.category, tags = excluded.tags, fields = excluded.fields,
                  field_sources = excluded.field_sources, source = excluded.source, import_batch = excluded.import_batch,
                  updated_at = excluded.updated_at, needs_review = excluded.needs_review
                """)
            var bulk = BulkStatement(upsert)
            var dates = DateText()
            for e in entries {
                bulk.text(e.kind.rawValue)
                bulk.text(e.key)
                bulk.text(e.addressCode)
                bulk.text(e.category)
                bulk.text(e.fields["tags"])
                bulk.text(Self.json(e.fields))
                bulk.text(Self.json(e.fieldSources, omitting: e.source))
                bulk.text(e.source)
                bulk.integer(batch.id)
                bulk.text(dates(e.updatedAt))
                bulk.integer(e.needsReview ? 1 : 0)
                try bulk.step(db)
            }
            let claim = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO field_conflict (kind, key, field, value, source, import_batch, observed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            if bulkLoad { for (_, create) in Self.registrySecondaryIndexes { try db.execute(sql: create) } }
            // Claims of this batch carry its id; earlier claims keep theirs.
            for c in conflicts {
                let batchID = c.importBatch.map { $0 < 0 ? batch.id : $0 } ?? nil
                try claim.execute(arguments: [c.kind.rawValue, c.key, c.field, c.value, c.source, batchID, c.observedAt])
            }
            return batch
        }
    }

    public func registryCount(_ kind: RegistryKind) async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM registry_entry WHERE kind = ?", arguments: [kind.rawValue]) ?? 0 }
    }

    public func fieldConflicts(_ kind: RegistryKind, key: String) async throws -> [FieldConflict] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM field_conflict WHERE kind = ? AND key = ? ORDER BY id", arguments: [kind.rawValue, key]).map { row in
                FieldConflict(kind: kind, key: row["key"], field: row["field"], value: row["value"], source: row["source"],
                              importBatch: row["import_batch"], observedAt: row["observed_at"])
            }
        }
    }

    public func addressCensus() async throws -> [AddressCensus] {
        try await database.read { db in
            var census: [String: AddressCensus] = [:]
            let people = try Row.fetchCursor(db, sql: """
                SELECT address_code, count(*), count(DISTINCT json_extract(fields, '$.household')), sum(tags IS NOT NULL AND tags <> '')
                FROM registry_entry WHERE kind = 'person' GROUP BY address_code
                """)
            while let row = try people.next() {
                var c = AddressCensus(addressCode: row[0])
                c.people = row[1]
                c.households = row[2]
                c.vulnerable = row[3]
                census[c.addressCode] = c
            }
            let others = try Row.fetchCursor(db, sql: "SELECT kind, address_code, count(*) FROM registry_entry WHERE kind IN ('enterprise', 'place') GROUP BY kind, address_code")
            while let row = try others.next() {
                let kind: String = row[0], code: String = row[1], n: Int = row[2]
                var c = census[code] ?? AddressCensus(addressCode: code)
                if kind == "enterprise" { c.enterprises = n } else { c.places = n }
                census[code] = c
            }
            return Array(census.values)
        }
    }

    public func entriesNeedingReview(_ kind: RegistryKind, limit: Int) async throws -> [RegistryEntry] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.entryColumns) FROM registry_entry WHERE kind = ? AND needs_review = 1 ORDER BY key LIMIT ?",
                             arguments: [kind.rawValue, limit]).map(Self.entry)
        }
    }
}
