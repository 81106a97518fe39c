import Foundation
import Governance
import GRDB

extension SQLiteStore {
    public func acquireLease(_ job: String, holder: String, now: Date, until: Date) async throws -> Bool {
        try await database.write { db in
            // The conditional upsert leaves a live lease of another holder as it is.
            try db.execute(sql: """
                INSERT INTO job_lease (job, holder, expires_at) VALUES (?, ?, ?)
                ON CONFLICT(job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE job_lease.expires_at <= ? OR job_lease.holder = excluded.holder
                """, arguments: [job, holder, Self.milliseconds(until), Self.milliseconds(now)])
            return try String.fetchOne(db, sql: "SELECT holder FROM job_lease WHERE job = ?", arguments: [job]) == holder
        }
    }

    public func leaseHolder(_ job: String, at now: Date) async throws -> String? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT holder FROM job_lease WHERE job = ? AND expires_at > ?", arguments: [job, Self.milliseconds(now)])
        }
    }

    public func releaseLease(_ job: String, holder: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM job_lease WHERE job = ? AND holder = ?", arguments: [job, holder])
        }
    }
}
