import Foundation
import GRDB
import GeoKit
import Governance

extension SQLiteStore {
    static func entry(_ row: Row) throws -> RegistryEntry {
        let kind = RegistryKind(rawValue: row["kind"]) ?? .person
        let key: String = row["key"]
        let source: String = row["source"]
        return RegistryEntry(
            kind: kind, key: key, addressCode: row["address_code"], gridCode: nil,
            fields: try RegistryFieldsEncoding.decode(row["fields"], kind: kind, key: key),
            fieldSources: try RegistryFieldsEncoding.textObject(row["field_sources"]), source: source,
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

    /// The indexes of registry_entry, as migration 0005 left them. A first load drops them and builds
    /// them at the end of its transaction: one sorted build is much cheaper than millions of random
    /// insertions (the ID numbers of a district come in no useful order). Keeping the category and
    /// review indexes, whose rows always append, measured the same: what the end saves, the rows pay.
    static let registryIndexes = [
        ("registry_entry_key", "CREATE UNIQUE INDEX registry_entry_key ON registry_entry(kind, key)"),
        ("registry_entry_address", "CREATE INDEX registry_entry_address ON registry_entry(kind, address_code)"),
        ("registry_entry_category", "CREATE INDEX registry_entry_category ON registry_entry(kind, category)"),
        ("registry_entry_review", "CREATE INDEX registry_entry_review ON registry_entry(kind, needs_review) WHERE needs_review = 1"),
    ]
    /// Below this many stored records an import counts as a first load.
    static let bulkThreshold = 50_000

    public func writeRegistry(_ kind: RegistryKind, feed: RegistryFeed, batch: ImportBatch, basedOnBatch: Int64?) async throws -> RegistryWriteResult {
        // Whatever ends the transaction, a producer waiting to hand over a chunk is released.
        defer { feed.close() }
        return try await database.write { db in
            var batch = try Self.beginBatch(batch, basedOn: basedOnBatch, in: db)
            let batchID = batch.id!
            var dates = DateText()
            let time = dates(batch.importedAt)
            // A first load (into a table that holds little) goes without indexes and finds repeated
            // keys in memory; any other import lets the key index find the records stored before.
            let bulkLoad = try (Int.fetchOne(db, sql: "SELECT count(*) FROM registry_entry") ?? 0) < Self.bulkThreshold
            var rowids: [String: Int64] = [:]
            if bulkLoad {
                let stored = try Row.fetchCursor(db, sql: "SELECT key, id FROM registry_entry WHERE kind = ?", arguments: [kind.rawValue])
                while let row = try stored.next() { rowids[row[0]] = row[1] }
                for (name, _) in Self.registryIndexes { try db.execute(sql: "DROP INDEX IF EXISTS \(name)") }
            }
            let columns = "kind, key, address_code, category, tags, fields, field_sources, source, import_batch, updated_at, needs_review"
            var insert = BulkStatement(try db.cachedStatement(sql: bulkLoad
                ? "INSERT INTO registry_entry (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                : "INSERT INTO registry_entry (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(kind, key) DO NOTHING"))
            let update = try db.cachedStatement(sql: """
                UPDATE registry_entry SET address_code = ?, category = ?, tags = ?, fields = ?, field_sources = ?, source = ?,
                  import_batch = ?, updated_at = ?, needs_review = ? WHERE id = ?
                """)
            let claim = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO field_conflict (kind, key, field, value, source, import_batch, observed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            var result = RegistryWriteResult()
            var flagged: [String: Int] = [:]
            while let chunk = try feed.next() {
                var clashes: [RegistryRow] = []
                for row in chunk {
                    if bulkLoad && rowids[row.key] != nil {
                        clashes.append(row)
                        continue
                    }
                    insert.text(kind.rawValue)
                    insert.text(row.key)
                    insert.text(row.addressCode)
                    insert.text(row.category)
                    insert.text(row.tags)
                    insert.text(row.storedFields)
                    insert.text(JSONWriter.object(row.fieldSources, omitting: row.source))
                    insert.text(row.source)
                    insert.integer(batchID)
                    insert.text(time)
                    insert.integer(row.needsReview ? 1 : 0)
                    try insert.step(db)
                    if db.changesCount == 0 {
                        clashes.append(row)
                    } else {
                        result.inserted += 1
                        if bulkLoad { rowids[row.key] = db.lastInsertedRowID }
                    }
                }
                for row in clashes {
                    var incoming = row.entry
                    incoming.importBatch = batchID
                    incoming.updatedAt = batch.importedAt
                    let storedRow = bulkLoad
                        ? try Row.fetchOne(db, sql: "SELECT id, tags, \(Self.entryColumns) FROM registry_entry WHERE id = ?", arguments: [rowids[row.key]])
                        : try Row.fetchOne(db, sql: "SELECT id, tags, \(Self.entryColumns) FROM registry_entry WHERE kind = ? AND key = ?", arguments: [kind.rawValue, row.key])
                    guard let storedRow else { continue }
                    let stored = try Self.entry(storedRow)
                    let outcome = try ProvenanceMerge.resolve(stored: stored, incoming: incoming) {
                        try Self.fieldConflicts(kind, key: incoming.key, in: db)
                    }
                    let merged: RegistryEntry, claims: [FieldConflict]
                    switch outcome {
                    case .unchanged:
                        result.unchanged += 1
                        continue
                    case .merged(let m, let c):
                        (merged, claims) = (m, c)
                        result.merged += 1
                    case .repeated(let m, let c):
                        (merged, claims) = (m, c)
                    }
                    let id: Int64 = storedRow["id"]
                    // The tags column may hold blind indexes of sealed tags: take the incoming row's
                    // when the merged tags are its tags, else keep what is stored.
                    let storedTags: String? = storedRow["tags"]
                    let tagsColumn: String? = merged.fields["tags"] == incoming.fields["tags"] ? row.tags
                        : merged.fields["tags"] == stored.fields["tags"] ? storedTags
                        : ProvenanceMerge.tagUnion(storedTags, row.tags)
                    try update.execute(arguments: [merged.addressCode, merged.category, tagsColumn, RegistryFieldsEncoding.encode(merged),
                                                   JSONWriter.object(merged.fieldSources, omitting: merged.source), merged.source, batchID, time,
                                                   merged.needsReview ? 1 : 0, id])
                    for c in claims {
                        try claim.execute(arguments: [kind.rawValue, c.key, c.field, c.value, c.source, c.importBatch, c.observedAt])
                    }
                    if !claims.isEmpty {
                        let fields = Set(claims.map(\.field)).sorted()
                        if let i = flagged[merged.key] {
                            result.flagged[i].fields = Array(Set(result.flagged[i].fields + fields)).sorted()
                        } else {
                            flagged[merged.key] = result.flagged.count
                            result.flagged.append((merged.key, row.line, fields))
                        }
                    }
                }
            }
            if bulkLoad {
                let start = DispatchTime.now().uptimeNanoseconds
                for (_, create) in Self.registryIndexes { try db.execute(sql: create) }
                result.indexing = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            let written = result.inserted + result.merged
            guard written > 0 || !result.flagged.isEmpty else {
                try db.execute(sql: "DELETE FROM import_batch WHERE id = ?", arguments: [batchID])
                return result
            }
            var note = "\(result.inserted) new, \(result.merged) merged, \(result.flagged.count) flagged"
            if !feed.note.isEmpty { note += ", " + feed.note }
            batch.recordCount = written
            batch.note = note
            try db.execute(sql: "UPDATE import_batch SET record_count = ?, note = ? WHERE id = ?", arguments: [written, note, batchID])
            try Self.auditImport(batch, in: db)
            result.batch = batch
            return result
        }
    }

    public func houses(ownedBy sealedOwnerID: String) async throws -> [RegistryEntry] {
        try await database.read { db in
            // The expression and the kind as written in the index of migration 0008, so that it is used.
            try Row.fetchAll(db, sql: """
                SELECT \(Self.entryColumns) FROM registry_entry
                WHERE kind = 'house' AND json_extract(fields, '$.owner_id_number') = ? ORDER BY key
                """, arguments: [sealedOwnerID]).map(Self.entry)
        }
    }

    public func registryEntries(_ kind: RegistryKind, category: String, updatedBefore before: Date, limit: Int) async throws -> [RegistryEntry] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.entryColumns) FROM registry_entry WHERE kind = ? AND category = ? AND updated_at < ? AND substr(key, 1, ?) <> ?
                ORDER BY updated_at LIMIT ?
                """, arguments: [kind.rawValue, category, before, RegistryEntry.erasedKeyPrefix.utf8.count, RegistryEntry.erasedKeyPrefix, limit]).map(Self.entry)
        }
    }

    public func registryCount(_ kind: RegistryKind, category: String, updatedBefore before: Date) async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM registry_entry WHERE kind = ? AND category = ? AND updated_at < ? AND substr(key, 1, ?) <> ?",
                             arguments: [kind.rawValue, category, before, RegistryEntry.erasedKeyPrefix.utf8.count, RegistryEntry.erasedKeyPrefix]) ?? 0
        }
    }

    public func replaceRegistryEntries(_ replacements: [RegistryReplacement], audit: [AuditRecord]) async throws {
        try await database.write { db in
            for r in replacements {
                let e = r.replacement
                try db.execute(sql: """
                    UPDATE registry_entry SET key = ?, address_code = ?, category = ?, tags = ?, fields = ?, field_sources = ?, source = ?, needs_review = ?
                    WHERE kind = ? AND key = ?
                    """, arguments: [e.key, e.addressCode, e.category, r.tagsColumn, RegistryFieldsEncoding.encode(e), JSONWriter.object(e.fieldSources, omitting: e.source),
                                     e.source, e.needsReview, r.kind.rawValue, r.storedKey])
                guard db.changesCount == 1 else { throw StoreConflict("no \(r.kind.rawValue) record with the stored key \(r.storedKey)") }
                try db.execute(sql: "DELETE FROM field_conflict WHERE kind = ? AND key = ?", arguments: [r.kind.rawValue, r.storedKey])
            }
            _ = try Self.appendAudit(audit, in: db)
        }
    }

    public func rewriteRegistries(audit: AuditRecord,
                                  record: @escaping @Sendable (RegistryEntry, String?) throws -> (RegistryEntry, String?),
                                  claim: @escaping @Sendable (FieldConflict) throws -> FieldConflict) async throws -> Int {
        try await database.write { db in
            let update = try db.cachedStatement(sql: "UPDATE registry_entry SET key = ?, fields = ?, tags = ? WHERE id = ?")
            let rekeyClaims = try db.cachedStatement(sql: "UPDATE field_conflict SET key = ? WHERE kind = ? AND key = ?")
            var count = 0
            // Read whole before writing: a cursor must not see the rows it changes.
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM registry_entry ORDER BY id")
            var start = 0
            while start < ids.count {
                let slice = ids[start..<min(ids.count, start + 10_000)]
                let rows = try Row.fetchAll(db, sql: "SELECT id, tags, \(Self.entryColumns) FROM registry_entry WHERE id BETWEEN ? AND ? ORDER BY id",
                                            arguments: [slice.first!, slice.last!])
                for row in rows {
                    let stored = try Self.entry(row)
                    let (entry, tags) = try record(stored, row["tags"])
                    try update.execute(arguments: [entry.key, RegistryFieldsEncoding.encode(entry), tags, row["id"] as Int64])
                    // Claims are filed under the record's key, which may be a blind index that changed.
                    if entry.key != stored.key { try rekeyClaims.execute(arguments: [entry.key, stored.kind.rawValue, stored.key]) }
                    count += 1
                }
                start += 10_000
            }
            let claims = try Row.fetchAll(db, sql: "SELECT * FROM field_conflict ORDER BY id")
            let rewriteClaim = try db.cachedStatement(sql: "UPDATE field_conflict SET key = ?, value = ? WHERE id = ?")
            for row in claims {
                let c = try claim(FieldConflict(kind: RegistryKind(rawValue: row["kind"]) ?? .person, key: row["key"], field: row["field"], value: row["value"],
                                                source: row["source"], importBatch: row["import_batch"], observedAt: row["observed_at"]))
                try rewriteClaim.execute(arguments: [c.key, c.value, row["id"] as Int64])
            }
            _ = try Self.appendAudit([audit], in: db)
            return count
        }
    }

    public func registryCount(_ kind: RegistryKind) async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM registry_entry WHERE kind = ?", arguments: [kind.rawValue]) ?? 0 }
    }

    public func fieldConflicts(_ kind: RegistryKind, key: String) async throws -> [FieldConflict] {
        try await database.read { db in try Self.fieldConflicts(kind, key: key, in: db) }
    }

    static func fieldConflicts(_ kind: RegistryKind, key: String, in db: Database) throws -> [FieldConflict] {
        try Row.fetchAll(db, sql: "SELECT * FROM field_conflict WHERE kind = ? AND key = ? ORDER BY id", arguments: [kind.rawValue, key]).map { row in
            FieldConflict(kind: kind, key: row["key"], field: row["field"], value: row["value"], source: row["source"],
                          importBatch: row["import_batch"], observedAt: row["observed_at"])
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
