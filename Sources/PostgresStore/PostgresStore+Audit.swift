import Foundation
import Governance
import PostgresNIO

extension PostgresStore: AuditStore {
    /// Every chain append holds this lock until its transaction ends: the next link is read and
    /// written by one writer at a time, whichever instance it runs in.
    static let auditLock = "citybrain.audit"

    public func appendAudit(_ records: [AuditRecord]) async throws -> [AuditEntry] {
        try await transaction(locking: [Self.auditLock]) { connection in
            try await Self.appendAudit(records, on: connection, logger: self.logger)
        }
    }

    /// Appends inside the caller's transaction, which must hold ``auditLock``, so that a write and its
    /// audit entry are stored together or not at all.
    static func appendAudit(_ records: [AuditRecord], on connection: PostgresConnection, logger: Logger) async throws -> [AuditEntry] {
        var previous: (sequence: Int64, hash: String)?
        for try await (sequence, hash) in try await connection.query("SELECT sequence, hash FROM audit_entry ORDER BY sequence DESC LIMIT 1",
                                                                     logger: logger).decode((Int64, String).self) {
            previous = (sequence, hash)
        }
        var entries: [AuditEntry] = []
        for var record in records {
            // Kept to the millisecond, as the hash counts it.
            let ms = milliseconds(record.time)
            record.time = date(ms)
            let entry = AuditChain.entry(after: previous, record)
            try await connection.query("""
                INSERT INTO audit_entry (sequence, time, actor, action, target, purpose, request_id, previous_hash, hash)
                VALUES (\(entry.sequence), \(ms), \(record.actor), \(record.action), \(record.target), \(record.purpose), \(record.requestID),
                        \(entry.previousHash), \(entry.hash))
                """, logger: logger)
            previous = (entry.sequence, entry.hash)
            entries.append(entry)
        }
        return entries
    }

    /// An import as an entry of the audit trail, in the import's own transaction.
    static func auditImport(_ batch: ImportBatch, on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await appendAudit([AuditRecord(time: batch.importedAt, actor: batch.actor, action: "import." + batch.kind.replacingOccurrences(of: " ", with: "-"),
                                               target: "batch:\(batch.id ?? 0)", purpose: batch.source)], on: connection, logger: logger)
    }

    public func auditEntries(from sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await entries(try await client.query("""
            SELECT sequence, time, actor, action, target, purpose, request_id, previous_hash, hash
            FROM audit_entry WHERE sequence >= \(sequence) ORDER BY sequence LIMIT \(limit)
            """, logger: logger))
    }

    public func auditEntries(matching query: AuditQuery) async throws -> [AuditEntry] {
        var conditions: [String] = []
        var bindings = PostgresBindings()
        func bind(_ value: some PostgresEncodable & Sendable) throws -> String {
            try bindings.append(value)
            return "$\(bindings.count)"
        }
        if let actor = query.actor { conditions.append("actor = " + (try bind(actor))) }
        if let prefix = query.actionPrefix {
            conditions.append("(action = \(try bind(prefix)) OR action LIKE \(try bind(Self.likePattern(prefix + ".") + "%")))")
        }
        if let target = query.target { conditions.append("target = " + (try bind(target))) }
        if let from = query.from { conditions.append("time >= " + (try bind(Self.milliseconds(from)))) }
        if let to = query.to { conditions.append("time < " + (try bind(Self.milliseconds(to)))) }
        if let before = query.before { conditions.append("sequence < " + (try bind(before))) }
        let limit = try bind(query.limit)
        let sql = PostgresQuery(unsafeSQL: """
            SELECT sequence, time, actor, action, target, purpose, request_id, previous_hash, hash FROM audit_entry
            """ + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY sequence DESC LIMIT " + limit, binds: bindings)
        return try await entries(try await client.query(sql, logger: logger))
    }

    /// `%`, `_` and `\` taken literally in a LIKE pattern.
    static func likePattern(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    func entries(_ rows: PostgresRowSequence) async throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        for try await (sequence, time, actor, action, target, purpose, request, previous, hash) in rows.decode(
            (Int64, Int64, String, String, String, String?, String?, String, String).self) {
            entries.append(AuditEntry(sequence: sequence, record: AuditRecord(time: Self.date(time), actor: actor, action: action, target: target,
                                                                              purpose: purpose, requestID: request),
                                      previousHash: previous, hash: hash))
        }
        return entries
    }
}

extension PostgresStore: AuditCheckpointStore {
    public func saveAuditCheckpoint(_ checkpoint: AuditCheckpoint) async throws {
        _ = try await client.query("""
            INSERT INTO audit_checkpoint (sequence, hash, time, signature)
            VALUES (\(checkpoint.sequence), \(checkpoint.hash), \(Self.milliseconds(checkpoint.time)), \(checkpoint.signature))
            ON CONFLICT (sequence) DO NOTHING RETURNING sequence
            """, logger: logger).collect()
    }

    public func auditCheckpoints() async throws -> [AuditCheckpoint] {
        var found: [AuditCheckpoint] = []
        for try await (sequence, hash, time, signature) in try await client.query("SELECT sequence, hash, time, signature FROM audit_checkpoint ORDER BY sequence",
                                                                                 logger: logger).decode((Int64, String, Int64, String).self) {
            found.append(AuditCheckpoint(sequence: sequence, hash: hash, time: Self.date(time), signature: signature))
        }
        return found
    }
}
