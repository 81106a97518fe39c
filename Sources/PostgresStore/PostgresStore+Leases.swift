import Foundation
import Governance
import PostgresNIO

extension PostgresStore: JobLeaseStore {
    public func acquireLease(_ job: String, holder: String, now: Date, until: Date) async throws -> Bool {
        // One statement: two instances asking at once are ordered by the row lock, and the one that
        // comes second sees the first one's live lease and leaves it (no row returned).
        let rows = try await client.query("""
            INSERT INTO job_lease (job, holder, expires_at) VALUES (\(job), \(holder), \(until))
            ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE job_lease.expires_at <= \(now) OR job_lease.holder = excluded.holder
            RETURNING holder
            """, logger: logger).collect()
        return rows.count == 1
    }

    public func leaseHolder(_ job: String, at now: Date) async throws -> String? {
        for try await holder in try await client.query("SELECT holder FROM job_lease WHERE job = \(job) AND expires_at > \(now)", logger: logger).decode(String.self) {
            return holder
        }
        return nil
    }

    public func releaseLease(_ job: String, holder: String) async throws {
        try await client.query("DELETE FROM job_lease WHERE job = \(job) AND holder = \(holder)", logger: logger)
    }
}
