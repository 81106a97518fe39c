import Dispatch
import Foundation
import GeoKit
import Governance
import Logging
import NIOCore
import PostgresNIO

/// The registries: records merged by key with the provenance of their values, the claims of
/// disagreeing sources, and the reads the services make of them.
///
/// An import is one transaction holding its family's advisory lock (the stale-write check) and, at
/// its end only, the audit lock. Each chunk of the feed goes by COPY into a temporary staging table,
/// from which one `INSERT … ON CONFLICT DO NOTHING` adds the new keys in feed order; the rows whose
/// key is already stored (before, or earlier in the feed) are read back in one query, merged in
/// Swift by ``ProvenanceMerge`` exactly as SQLite does it, and written back by COPY and one
/// `UPDATE … FROM`, their claims by one `INSERT … SELECT FROM unnest(…)`.
extension PostgresStore: RegistryStore {
    static let registryEntryColumns = "kind, key, address_code, fields, field_sources, source, import_batch, updated_at, needs_review"
    typealias RegistryEntryRow = (String, String, String, String, String, String, Int64?, Date, Bool)

    static func registryEntry(_ r: RegistryEntryRow) throws -> RegistryEntry {
        let kind = RegistryKind(rawValue: r.0) ?? .person
        return RegistryEntry(kind: kind, key: r.1, addressCode: r.2, gridCode: nil, fields: try RegistryFieldsEncoding.decode(r.3, kind: kind, key: r.1),
                             fieldSources: try RegistryFieldsEncoding.textObject(r.4), source: r.5, importBatch: r.6, updatedAt: r.7, needsReview: r.8)
    }

    func registryEntries(_ query: PostgresQuery) async throws -> [RegistryEntry] {
        var found: [RegistryEntry] = []
        for try await row in try await client.query(query, logger: logger).decode(RegistryEntryRow.self) { found.append(try Self.registryEntry(row)) }
        return found
    }

    /// PostgreSQL's text cannot hold the character NUL, and its JSON functions refuse the escape
    /// `\u0000`: a record carrying one is refused whole, rather than stored where the owner index
    /// or the census could not read it. True when the JSON text holds that escape.
    static func holdsNUL(_ json: String) -> Bool {
        // JSONWriter escapes only what needs it: most records have no backslash at all.
        guard json.utf8.contains(UInt8(ascii: "\\")) else { return false }
        let b = Array(json.utf8), zero = UInt8(ascii: "0")
        var i = 0
        while i < b.count {
            guard b[i] == UInt8(ascii: "\\") else { i += 1; continue }
            if i + 5 < b.count && b[i + 1] == UInt8(ascii: "u") && b[i + 2] == zero && b[i + 3] == zero && b[i + 4] == zero && b[i + 5] == zero {
                return true
            }
            // Past the escaped character (a \uXXXX's digits are never a backslash).
            i += 2
        }
        return false
    }

    struct UnstorableText: Error, CustomStringConvertible {
        var key: String
        var line: Int?
        var description: String {
            "the record \(key)\(line.map { " (line \($0))" } ?? "") holds the character NUL, which PostgreSQL cannot store"
        }
    }

    public func registryEntries(_ kind: RegistryKind, keys: [String]) async throws -> [RegistryEntry] {
        guard !keys.isEmpty else { return [] }
        return try await registryEntries(PostgresQuery(unsafeSQL: """
            SELECT \(Self.registryEntryColumns) FROM registry_entry WHERE kind = $1 AND key = ANY($2) ORDER BY key
            """, binds: try Self.bindings(kind.rawValue, keys)))
    }

    public func registryEntries(_ kind: RegistryKind, addressCodes: [String]) async throws -> [RegistryEntry] {
        // Slices of 500 codes, each sorted by key, as SQLite answers.
        var result: [RegistryEntry] = []
        var start = 0
        while start < addressCodes.count {
            let slice = Array(addressCodes[start..<min(addressCodes.count, start + 500)])
            result += try await registryEntries(PostgresQuery(unsafeSQL: """
                SELECT \(Self.registryEntryColumns) FROM registry_entry WHERE kind = $1 AND address_code = ANY($2) ORDER BY key
                """, binds: try Self.bindings(kind.rawValue, slice)))
            start += 500
        }
        return result
    }

    public func registryCount(_ kind: RegistryKind) async throws -> Int {
        for try await n in try await client.query("SELECT count(*) FROM registry_entry WHERE kind = \(kind.rawValue)", logger: logger).decode(Int.self) {
            return n
        }
        return 0
    }

    public func fieldConflicts(_ kind: RegistryKind, key: String) async throws -> [FieldConflict] {
        try await client.withConnection { connection in try await Self.fieldConflicts(kind, keys: [key], on: connection, logger: self.logger) }
    }

    /// The claims filed under the keys, oldest first.
    static func fieldConflicts(_ kind: RegistryKind, keys: [String], on connection: PostgresConnection, logger: Logger) async throws -> [FieldConflict] {
        var claims: [FieldConflict] = []
        for try await (key, field, value, source, batch, observed) in try await connection.query("""
            SELECT key, field, value, source, import_batch, observed_at FROM field_conflict WHERE kind = \(kind.rawValue) AND key = ANY(\(keys)) ORDER BY id
            """, logger: logger).decode((String, String, String, String, Int64?, Date).self) {
            claims.append(FieldConflict(kind: kind, key: key, field: field, value: value, source: source, importBatch: batch, observedAt: observed))
        }
        return claims
    }

    public func entriesNeedingReview(_ kind: RegistryKind, limit: Int) async throws -> [RegistryEntry] {
        try await registryEntries(PostgresQuery(unsafeSQL: """
            SELECT \(Self.registryEntryColumns) FROM registry_entry WHERE kind = $1 AND needs_review ORDER BY key LIMIT $2
            """, binds: try Self.bindings(kind.rawValue, limit)))
    }

    public func houses(ownedBy sealedOwnerID: String) async throws -> [RegistryEntry] {
        // The expression and the condition as written in the index registry_house_owner, so that it is used.
        try await registryEntries(PostgresQuery(unsafeSQL: """
            SELECT \(Self.registryEntryColumns) FROM registry_entry
            WHERE kind = 'house' AND (fields::json ->> 'owner_id_number') = $1 ORDER BY key
            """, binds: try Self.bindings(sealedOwnerID)))
    }

    public func registryEntries(_ kind: RegistryKind, category: String, updatedBefore before: Date, limit: Int) async throws -> [RegistryEntry] {
        try await registryEntries(PostgresQuery(unsafeSQL: """
            SELECT \(Self.registryEntryColumns) FROM registry_entry
            WHERE kind = $1 AND category = $2 AND updated_at < $3 AND NOT starts_with(key, $4)
            ORDER BY updated_at, id LIMIT $5
            """, binds: try Self.bindings(kind.rawValue, category, before, RegistryEntry.erasedKeyPrefix, limit)))
    }

    public func registryCount(_ kind: RegistryKind, category: String, updatedBefore before: Date) async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT count(*) FROM registry_entry WHERE kind = $1 AND category = $2 AND updated_at < $3 AND NOT starts_with(key, $4)
            """, binds: try Self.bindings(kind.rawValue, category, before, RegistryEntry.erasedKeyPrefix)), logger: logger)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    public func addressCensus() async throws -> [AddressCensus] {
        var census: [String: AddressCensus] = [:]
        // People, households (distinct household numbers; none counts none) and people with a tag.
        for try await (code, people, households, vulnerable) in try await client.query("""
            SELECT address_code, count(*), count(DISTINCT fields::json ->> 'household'), count(*) FILTER (WHERE tags <> '')
            FROM registry_entry WHERE kind = 'person' GROUP BY address_code
            """, logger: logger).decode((String, Int, Int, Int).self) {
            var c = AddressCensus(addressCode: code)
            (c.people, c.households, c.vulnerable) = (people, households, vulnerable)
            census[code] = c
        }
        for try await (kind, code, n) in try await client.query("""
            SELECT kind, address_code, count(*) FROM registry_entry WHERE kind IN ('enterprise', 'place') GROUP BY kind, address_code
            """, logger: logger).decode((String, String, Int).self) {
            var c = census[code] ?? AddressCensus(addressCode: code)
            if kind == "enterprise" { c.enterprises = n } else { c.places = n }
            census[code] = c
        }
        return Array(census.values)
    }

    // MARK: imports

    /// A stored record as an import sees it: its row id, its tags column, the record as read back,
    /// the claims on record under its key (read when first needed) and those added by this chunk.
    struct StoredRecord {
        var id: Int64
        var tags: String?
        var entry: RegistryEntry
        var recorded: [FieldConflict]?
        var added: [FieldConflict] = []
    }

    public func writeRegistry(_ kind: RegistryKind, feed: RegistryFeed, batch: ImportBatch, basedOnBatch: Int64?) async throws -> RegistryWriteResult {
        // Whatever ends the transaction, a producer waiting to hand over a chunk is released.
        defer { feed.close() }
        return try await transaction(locking: [Self.lockName(batch)]) { connection in
            let logger = self.logger
            var batch = try await Self.beginBatch(batch, basedOn: basedOnBatch, on: connection, logger: logger)
            let batchID = batch.id!
            // What a record written now reads back as (the time to the microsecond, as bound).
            let time = Self.storedDate(batch.importedAt)
            for statement in [
                """
                CREATE TEMP TABLE registry_incoming (ord integer, key text COLLATE "C", address_code text, category text, tags text, fields text,
                  field_sources text, source text, needs_review boolean) ON COMMIT DROP
                """,
                """
                CREATE TEMP TABLE registry_merged (id bigint, address_code text, category text, tags text, fields text, field_sources text,
                  source text, needs_review boolean) ON COMMIT DROP
                """,
            ] {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            var result = RegistryWriteResult()
            var flagged: [String: Int] = [:]
            while let chunk = try await Self.offPool({ try feed.next() }) {
                guard !chunk.isEmpty else { continue }
                // 1. The chunk into the staging table, then every key not stored yet into the
                //    registry, in feed order: of a key repeated in the chunk the first row is added.
                try await connection.query("TRUNCATE registry_incoming", logger: logger)
                try await Self.copyRows(into: "registry_incoming",
                                                columns: ["ord", "key", "address_code", "category", "tags", "fields", "field_sources", "source", "needs_review"],
                                                chunk.indices, on: connection, logger: logger) { i in
                    let row = chunk[i]
                    if Self.holdsNUL(row.storedFields) { throw UnstorableText(key: row.key, line: row.line) }
                    return [String(i), row.key, row.addressCode, row.category, row.tags, row.storedFields, JSONWriter.object(row.fieldSources, omitting: row.source),
                            row.source, row.needsReview ? "t" : "f"]
                }
                var inserted = Set<String>()
                for try await key in try await connection.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO registry_entry (kind, key, address_code, category, tags, fields, field_sources, source, import_batch, updated_at, needs_review)
                    SELECT $1, key, address_code, category, tags, fields, field_sources, source, $2, $3, needs_review FROM registry_incoming ORDER BY ord
                    ON CONFLICT (kind, key) DO NOTHING RETURNING key
                    """, binds: try Self.bindings(kind.rawValue, batchID, batch.importedAt)), logger: logger).decode(String.self) {
                    inserted.insert(key)
                }
                result.inserted += inserted.count
                // 2. The other rows meet a stored record: the first row of an inserted key was the one added.
                var clashes: [RegistryRow] = []
                var added = Set<String>()
                for row in chunk {
                    if inserted.contains(row.key) && added.insert(row.key).inserted { continue }
                    clashes.append(row)
                }
                guard !clashes.isEmpty else { continue }
                var stored: [String: StoredRecord] = [:]
                for try await (id, tags, k, key, address, fields, sources, source, importBatch, updatedAt, needsReview) in try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT id, tags, \(Self.registryEntryColumns) FROM registry_entry WHERE kind = $1 AND key = ANY($2)",
                                  binds: try Self.bindings(kind.rawValue, Array(Set(clashes.map(\.key))))), logger: logger
                ).decode((Int64, String?, String, String, String, String, String, String, Int64?, Date, Bool).self) {
                    let entry = try Self.registryEntry((k, key, address, fields, sources, source, importBatch, updatedAt, needsReview))
                    stored[key] = StoredRecord(id: id, tags: tags, entry: entry)
                }
                // The claims on record of the records already flagged, in one query.
                let flaggedKeys = stored.values.filter(\.entry.needsReview).map(\.entry.key)
                if !flaggedKeys.isEmpty {
                    var recorded = Dictionary(uniqueKeysWithValues: flaggedKeys.map { ($0, [FieldConflict]()) })
                    for c in try await Self.fieldConflicts(kind, keys: flaggedKeys, on: connection, logger: logger) { recorded[c.key]?.append(c) }
                    for (key, claims) in recorded { stored[key]?.recorded = claims }
                }
                // 3. Merged in feed order, each row against the record as the rows before it left it.
                var updates: [Int64: (entry: RegistryEntry, fields: String, tags: String?)] = [:]
                var updateOrder: [Int64] = []
                var claims: [FieldConflict] = []
                for row in clashes {
                    guard var record = stored[row.key] else { continue }
                    var incoming = row.entry
                    incoming.importBatch = batchID
                    incoming.updatedAt = batch.importedAt
                    if record.entry.needsReview && record.recorded == nil {
                        // Flagged by an earlier row of this chunk: what was on record before it.
                        record.recorded = try await Self.fieldConflicts(kind, keys: [row.key], on: connection, logger: logger)
                    }
                    let known = (record.recorded ?? []) + record.added
                    let outcome = ProvenanceMerge.resolve(stored: record.entry, incoming: incoming) { known }
                    let merged: RegistryEntry, newClaims: [FieldConflict]
                    switch outcome {
                    case .unchanged:
                        result.unchanged += 1
                        continue
                    case .merged(let m, let c):
                        (merged, newClaims) = (m, c)
                        result.merged += 1
                    case .repeated(let m, let c):
                        (merged, newClaims) = (m, c)
                    }
                    // The tags column may hold blind indexes of sealed tags: take the incoming row's
                    // when the merged tags are its tags, else keep what is stored.
                    let tagsColumn: String? = merged.fields["tags"] == incoming.fields["tags"] ? row.tags
                        : merged.fields["tags"] == record.entry.fields["tags"] ? record.tags
                        : ProvenanceMerge.tagUnion(record.tags, row.tags)
                    let encoded = RegistryFieldsEncoding.encode(merged)
                    if Self.holdsNUL(encoded) { throw UnstorableText(key: merged.key, line: row.line) }
                    if updates[record.id] == nil { updateOrder.append(record.id) }
                    updates[record.id] = (merged, encoded, tagsColumn)
                    // The record as it now reads back, for the next row with its key. (Its fields
                    // read back as they are: the stored record's carried every field its key
                    // implies, and a merge removes none.)
                    var now = merged
                    now.fieldSources = merged.fieldSources.filter { $0.value != merged.source }
                    now.gridCode = nil
                    now.importBatch = batchID
                    now.updatedAt = time
                    record.entry = now
                    record.tags = tagsColumn
                    record.added += newClaims
                    stored[row.key] = record
                    claims += newClaims
                    if !newClaims.isEmpty {
                        let fields = Set(newClaims.map(\.field)).sorted()
                        if let i = flagged[merged.key] {
                            result.flagged[i].fields = Array(Set(result.flagged[i].fields + fields)).sorted()
                        } else {
                            flagged[merged.key] = result.flagged.count
                            result.flagged.append((merged.key, row.line, fields))
                        }
                    }
                }
                // 4. The merged records back, in one statement, and their claims (a claim on record already is kept once).
                if !updateOrder.isEmpty {
                    try await connection.query("TRUNCATE registry_merged", logger: logger)
                    try await Self.copyRows(into: "registry_merged",
                                                    columns: ["id", "address_code", "category", "tags", "fields", "field_sources", "source", "needs_review"],
                                                    updateOrder, on: connection, logger: logger) { id in
                        let u = updates[id]!
                        return [String(id), u.entry.addressCode, u.entry.category, u.tags, u.fields, JSONWriter.object(u.entry.fieldSources, omitting: u.entry.source),
                                u.entry.source, u.entry.needsReview ? "t" : "f"]
                    }
                    // Counted, so that the planner joins by the primary key rather than scanning the registry.
                    try await connection.query("ANALYZE registry_merged", logger: logger)
                    try await connection.query(PostgresQuery(unsafeSQL: """
                        UPDATE registry_entry e SET address_code = m.address_code, category = m.category, tags = m.tags, fields = m.fields,
                          field_sources = m.field_sources, source = m.source, import_batch = $1, updated_at = $2, needs_review = m.needs_review
                        FROM registry_merged m WHERE e.id = m.id
                        """, binds: try Self.bindings(batchID, batch.importedAt)), logger: logger)
                }
                try await Self.insertClaims(claims, on: connection, logger: logger)
            }
            let written = result.inserted + result.merged
            guard written > 0 || !result.flagged.isEmpty else {
                try await connection.query("DELETE FROM import_batch WHERE id = \(batchID)", logger: logger)
                return result
            }
            var note = "\(result.inserted) new, \(result.merged) merged, \(result.flagged.count) flagged"
            if !feed.note.isEmpty { note += ", " + feed.note }
            batch.recordCount = written
            batch.note = note
            try await connection.query("UPDATE import_batch SET record_count = \(written), note = \(note) WHERE id = \(batchID)", logger: logger)
            // The audit lock only now: other instances' audited writes go on while the rows stream in.
            try await Self.lockAudit(on: connection, logger: logger)
            try await Self.auditImport(batch, on: connection, logger: logger)
            result.batch = batch
            return result
        }
    }

    /// A date as it reads back from a `timestamptz` it was bound to (PostgresNIO sends whole microseconds).
    static func storedDate(_ date: Date) -> Date {
        let epoch = Date(timeIntervalSince1970: 946_684_800)
        let microseconds = Int64(date.timeIntervalSince(epoch) * 1_000_000)
        return Date(timeInterval: Double(microseconds) / 1_000_000, since: epoch)
    }

    /// The lock an import of the registry holds (``lockName(_:)`` of its batches).
    static func registryLock(_ kind: RegistryKind) -> String { "citybrain.batch." + ImportFamily.of(kind).rawValue }

    /// Takes the audit chain's lock inside a transaction that holds other locks already. Every
    /// registry write takes it last, after its family locks, so that no two writers wait on each other.
    static func lockAudit(on connection: PostgresConnection, logger: Logger) async throws {
        try await lock([auditLock], on: connection, logger: logger)
    }

    /// Claims in order, each (kind, key, field, value, source) once, by one statement over arrays.
    static func insertClaims(_ claims: [FieldConflict], on connection: PostgresConnection, logger: Logger) async throws {
        guard !claims.isEmpty else { return }
        // Batch ids start at 1: 0 stands for none.
        try await connection.query("""
            INSERT INTO field_conflict (kind, key, field, value, source, import_batch, observed_at)
            SELECT kind, key, field, value, source, nullif(batch, 0), observed
            FROM unnest(\(claims.map(\.kind.rawValue))::text[], \(claims.map(\.key))::text[], \(claims.map(\.field))::text[], \(claims.map(\.value))::text[],
                        \(claims.map(\.source))::text[], \(claims.map { $0.importBatch ?? 0 })::int8[], \(claims.map(\.observedAt))::timestamptz[])
                 WITH ORDINALITY AS c(kind, key, field, value, source, batch, observed, ord)
            ORDER BY ord
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    // MARK: erasure and key rotation

    public func replaceRegistryEntries(_ replacements: [RegistryReplacement], audit: [AuditRecord]) async throws {
        // The import locks of the registries touched: no import merges into a record while it is replaced.
        try await transaction(locking: Set(replacements.map { Self.registryLock($0.kind) }).sorted()) { connection in
            let logger = self.logger
            if !replacements.isEmpty {
                try await connection.query("""
                    CREATE TEMP TABLE registry_replacement (ord integer, kind text COLLATE "C", stored_key text COLLATE "C", key text, address_code text,
                      category text, tags text, fields text, field_sources text, source text, needs_review boolean) ON COMMIT DROP
                    """, logger: logger)
            }
            // In runs without a stored key twice, each run one statement: as if one after the other.
            var start = 0
            while start < replacements.count {
                var seen = Set<String>()
                var end = start
                while end < replacements.count && seen.insert(replacements[end].kind.rawValue + "|" + replacements[end].storedKey).inserted { end += 1 }
                let run = Array(replacements[start..<end])
                try await connection.query("TRUNCATE registry_replacement", logger: logger)
                try await Self.copyRows(into: "registry_replacement",
                                                columns: ["ord", "kind", "stored_key", "key", "address_code", "category", "tags", "fields", "field_sources", "source", "needs_review"],
                                                run.indices, on: connection, logger: logger) { i in
                    let r = run[i], e = r.replacement
                    let fields = RegistryFieldsEncoding.encode(e)
                    if Self.holdsNUL(fields) { throw UnstorableText(key: e.key, line: nil) }
                    return [String(i), r.kind.rawValue, r.storedKey, e.key, e.addressCode, e.category, r.tagsColumn, fields,
                            JSONWriter.object(e.fieldSources, omitting: e.source), e.source, e.needsReview ? "t" : "f"]
                }
                try await connection.query("ANALYZE registry_replacement", logger: logger)
                var replaced = Set<Int>()
                for try await ord in try await connection.query("""
                    UPDATE registry_entry e SET key = r.key, address_code = r.address_code, category = r.category, tags = r.tags, fields = r.fields,
                      field_sources = r.field_sources, source = r.source, needs_review = r.needs_review
                    FROM registry_replacement r WHERE e.kind = r.kind AND e.key = r.stored_key
                    RETURNING r.ord
                    """, logger: logger).decode(Int.self) {
                    replaced.insert(ord)
                }
                if let missing = run.indices.first(where: { !replaced.contains($0) }) {
                    throw StoreConflict("no \(run[missing].kind.rawValue) record with the stored key \(run[missing].storedKey)")
                }
                try await connection.query("""
                    DELETE FROM field_conflict c USING registry_replacement r WHERE c.kind = r.kind AND c.key = r.stored_key
                    """, logger: logger)
                start = end
            }
            try await Self.lockAudit(on: connection, logger: logger)
            _ = try await Self.appendAudit(audit, on: connection, logger: logger)
        }
    }

    public func rewriteRegistries(audit: AuditRecord,
                                  record: @escaping @Sendable (RegistryEntry, String?) throws -> (RegistryEntry, String?),
                                  claim: @escaping @Sendable (FieldConflict) throws -> FieldConflict) async throws -> Int {
        // Every registry's import lock: no import merges into a record while it is rewritten.
        return try await transaction(locking: RegistryKind.allCases.map(Self.registryLock)) { connection in
            let logger = self.logger
            try await connection.query("""
                CREATE TEMP TABLE registry_rewrite (id bigint, kind text COLLATE "C", old_key text COLLATE "C", key text COLLATE "C", fields text, tags text)
                ON COMMIT DROP
                """, logger: logger)
            var count = 0
            var last: Int64 = 0
            // Pages by id: a page is read whole, rewritten, and written back by COPY and one UPDATE.
            while true {
                var page: [(id: Int64, stored: RegistryEntry, entry: RegistryEntry, tags: String?)] = []
                for try await (id, tags, k, key, address, fields, sources, source, importBatch, updatedAt, needsReview) in try await connection.query("""
                    SELECT id, tags, kind, key, address_code, fields, field_sources, source, import_batch, updated_at, needs_review
                    FROM registry_entry WHERE id > \(last) ORDER BY id LIMIT 10000
                    """, logger: logger).decode((Int64, String?, String, String, String, String, String, String, Int64?, Date, Bool).self) {
                    let stored = try Self.registryEntry((k, key, address, fields, sources, source, importBatch, updatedAt, needsReview))
                    let (entry, newTags) = try record(stored, tags)
                    page.append((id, stored, entry, newTags))
                }
                guard let end = page.last?.id else { break }
                try await connection.query("TRUNCATE registry_rewrite", logger: logger)
                try await Self.copyRows(into: "registry_rewrite", columns: ["id", "kind", "old_key", "key", "fields", "tags"], page,
                                                on: connection, logger: logger) { r in
                    let fields = RegistryFieldsEncoding.encode(r.entry)
                    if Self.holdsNUL(fields) { throw UnstorableText(key: r.entry.key, line: nil) }
                    return [String(r.id), r.stored.kind.rawValue, r.stored.key, r.entry.key, fields, r.tags]
                }
                try await connection.query("ANALYZE registry_rewrite", logger: logger)
                try await connection.query("""
                    UPDATE registry_entry e SET key = r.key, fields = r.fields, tags = r.tags FROM registry_rewrite r WHERE e.id = r.id
                    """, logger: logger)
                // Claims are filed under the record's key, which may be a blind index that changed.
                try await connection.query("""
                    UPDATE field_conflict c SET key = r.key FROM registry_rewrite r WHERE r.key <> r.old_key AND c.kind = r.kind AND c.key = r.old_key
                    """, logger: logger)
                count += page.count
                last = end
            }
            var lastClaim: Int64 = 0
            while true {
                var ids: [Int64] = [], keys: [String] = [], values: [String] = []
                for try await (id, kind, key, field, value, source, batch, observed) in try await connection.query("""
                    SELECT id, kind, key, field, value, source, import_batch, observed_at FROM field_conflict WHERE id > \(lastClaim) ORDER BY id LIMIT 10000
                    """, logger: logger).decode((Int64, String, String, String, String, String, Int64?, Date).self) {
                    let c = try claim(FieldConflict(kind: RegistryKind(rawValue: kind) ?? .person, key: key, field: field, value: value, source: source,
                                                    importBatch: batch, observedAt: observed))
                    ids.append(id)
                    keys.append(c.key)
                    values.append(c.value)
                }
                guard let end = ids.last else { break }
                try await connection.query("""
                    UPDATE field_conflict c SET key = u.key, value = u.value
                    FROM unnest(\(ids)::int8[], \(keys)::text[], \(values)::text[]) AS u(id, key, value) WHERE c.id = u.id
                    """, logger: logger)
                lastClaim = end
            }
            try await Self.lockAudit(on: connection, logger: logger)
            _ = try await Self.appendAudit([audit], on: connection, logger: logger)
            return count
        }
    }
}
