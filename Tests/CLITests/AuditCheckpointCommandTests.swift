import Foundation
import Governance
@testable import SQLiteStore
import Testing

@Suite("audit checkpoint and verify")
struct AuditCheckpointCommandTests {
    @Test("a signed checkpoint's anchor holds while the trail grows; a trail rewritten with fresh hashes by someone with the database fails verify")
    func checkpointAndVerify() async throws {
        let folder = try temporaryFolder()
        let db = folder.appendingPathComponent("demo.sqlite").path
        #expect(try run(["demo", "--preset", "tiny", "--no-serve", "--database", db]).status == 0)
        let signed = try run(["audit", "checkpoint", "--database", db])
        #expect(signed.status == 0, "\(signed.errors)")
        let anchor = try #require(signed.output.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(FileManager.default.fileExists(atPath: db + ".audit-key"))
        // The trail grows (an account is added): the anchor still holds.
        #expect(try run(["account", "add", "ops-2", "--name", "运维", "--role", "analyst", "--territory", "330110", "--database", db]).status == 0)
        let verified = try run(["audit", "verify", "--database", db, "--expect", anchor])
        #expect(verified.status == 0, "\(verified.errors)")
        #expect(verified.output.contains("1 checkpoints") || verified.output.contains("checkpoints; the chain is intact"))
        // An insider with the database (not the audit key) rewrites an entry and every hash after it.
        let store = try SQLiteStore(path: db)
        let entries = try await store.auditEntries(from: 1, limit: 1_000_000)
        let from = try #require(entries.dropFirst(2).first).sequence
        var chain = Array(entries.prefix { $0.sequence < from })
        for e in entries where e.sequence >= from {
            var r = e.record
            if e.sequence == from { r.actor = "nobody" }
            chain.append(AuditChain.entry(after: chain.last.map { ($0.sequence, $0.hash) }, r))
        }
        #expect(AuditChain.verify(chain).isEmpty, "the rewritten chain is consistent in itself")
        let rewritten = chain
        try await store.database.write { db in
            try db.execute(sql: "DROP TRIGGER audit_entry_no_update")
            for e in rewritten where e.sequence >= from {
                try db.execute(sql: "UPDATE audit_entry SET actor = ?, previous_hash = ?, hash = ? WHERE sequence = ?",
                               arguments: [e.record.actor, e.previousHash, e.hash, e.sequence])
            }
        }
        let tampered = try run(["audit", "verify", "--database", db])
        #expect(tampered.status == 1)
        #expect(tampered.errors.contains("checkpoint or anchor"), "\(tampered.errors)")
    }
}
