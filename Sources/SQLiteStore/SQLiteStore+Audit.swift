import Foundation
import GRDB
import Governance

extension SQLiteStore {
    public func appendAudit(_ records: [AuditRecord]) async throws -> [AuditEntry] {
        try await database.write { db in try Self.appendAudit(records, in: db) }
    }

    /// Appends to the chain inside the caller's transaction, so that a write and its audit entry
    /// are stored together or not at all.
    static func appendAudit(_ records: [AuditRecord], in db: Database) throws -> [AuditEntry] {
        var previous = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_entry ORDER BY sequence DESC LIMIT 1")
            .map { (sequence: $0["sequence"] as Int64, hash: $0["hash"] as String) }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO audit_entry (sequence, time, actor, action, target, purpose, request_id, previous_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var entries: [AuditEntry] = []
        for var record in records {
            // Kept to the millisecond, as the hash counts it.
            let milliseconds = Int64((record.time.timeIntervalSince1970 * 1000).rounded())
            record.time = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let entry = AuditChain.entry(after: previous, record)
            try insert.execute(arguments: [entry.sequence, milliseconds, record.actor, record.action, record.target, record.purpose,
                                           record.requestID, entry.previousHash, entry.hash])
            previous = (entry.sequence, entry.hash)
            entries.append(entry)
        }
        return entries
    }

    /// An import as an entry of the audit trail, in the import's own transaction.
    static func auditImport(_ batch: ImportBatch, in db: Database) throws {
        _ = try appendAudit([AuditRecord(time: batch.importedAt, actor: batch.actor, action: "import." + batch.kind.replacingOccurrences(of: " ", with: "-"),
                                         target: "batch:\(batch.id ?? 0)", purpose: batch.source)], in: db)
    }

    public func auditEntries(from sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_entry WHERE sequence >= ? ORDER BY sequence LIMIT ?", arguments: [sequence, limit])
                .map(Self.auditEntry)
        }
    }

    public func auditEntries(matching query: AuditQuery) async throws -> [AuditEntry] {
        var conditions: [String] = []
        var arguments: [DatabaseValue] = []
        if let actor = query.actor { conditions.append("actor = ?"); arguments.append(actor.databaseValue) }
        if let prefix = query.actionPrefix {
            conditions.append("(action = ? OR substr(action, 1, ?) = ?)")
            arguments += [prefix.databaseValue, (prefix.utf8.count + 1).databaseValue, (prefix + ".").databaseValue]
        }
        if let target = query.target { conditions.append("target = ?"); arguments.append(target.databaseValue) }
        if let from = query.from { conditions.append("time >= ?"); arguments.append(Self.milliseconds(from).databaseValue) }
        if let to = query.to { conditions.append("time < ?"); arguments.append(Self.milliseconds(to).databaseValue) }
        if let before = query.before { conditions.append("sequence < ?"); arguments.append(before.databaseValue) }
        let sql = "SELECT * FROM audit_entry" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY sequence DESC LIMIT ?"
        arguments.append(query.limit.databaseValue)
        let bound = StatementArguments(arguments)
        return try await database.read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.auditEntry) }
    }

    static func auditEntry(_ row: Row) -> AuditEntry {
        AuditEntry(sequence: row["sequence"],
                   record: AuditRecord(time: Date(timeIntervalSince1970: Double(row["time"] as Int64) / 1000), actor: row["actor"], action: row["action"], target: row["target"],
                                       purpose: row["purpose"], requestID: row["request_id"]),
                   previousHash: row["previous_hash"], hash: row["hash"])
    }
}

extension SQLiteStore {
    public func saveAuditCheckpoint(_ checkpoint: AuditCheckpoint) async throws {
        try await database.write { db in
            try db.execute(sql: "INSERT INTO audit_checkpoint (sequence, hash, time, signature) VALUES (?, ?, ?, ?) ON CONFLICT(sequence) DO NOTHING",
                           arguments: [checkpoint.sequence, checkpoint.hash, Self.milliseconds(checkpoint.time), checkpoint.signature])
        }
    }

    public func auditCheckpoints() async throws -> [AuditCheckpoint] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT sequence, hash, time, signature FROM audit_checkpoint ORDER BY sequence").map {
                AuditCheckpoint(sequence: $0[0], hash: $0[1], time: Self.date($0[2]), signature: $0[3])
            }
        }
    }
}
