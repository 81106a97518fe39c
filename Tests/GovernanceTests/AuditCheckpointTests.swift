import Foundation
import Governance
import Testing

@Suite("Audit checkpoints")
struct AuditCheckpointTests {
    static func trail(_ n: Int, from start: [AuditEntry] = []) -> [AuditEntry] {
        var entries = start
        for i in 0..<n {
            let record = AuditRecord(time: Date(timeIntervalSince1970: 1_780_000_000 + Double(entries.count)), actor: "a\(i % 3)", action: "case.report",
                                     target: "case:\(entries.count + 1)")
            entries.append(AuditChain.entry(after: entries.last.map { ($0.sequence, $0.hash) }, record))
        }
        return entries
    }

    @Test("an anchor holds on a live trail that grew since; a rewrite with fresh hashes, a cut end and a forged checkpoint are all found")
    func checkpoints() {
        let key = AuditCheckpointKey.generate()
        let early = Self.trail(10)
        let checkpoint = key.sign(sequence: 10, hash: early[9].hash, time: Date(timeIntervalSince1970: 1_780_000_100))
        let grown = Self.trail(5, from: early)
        // The server went on writing: no false alarm, whether by checkpoint, anchor or recorded head.
        #expect(AuditChain.verify(grown, checkpoints: [checkpoint], key: key, anchors: [(10, early[9].hash)], expectedHead: early[9].hash).isEmpty)
        // An insider rewrites entry 4 and recomputes every hash after it: the chain alone is fooled …
        var rewritten = Array(grown[..<3])
        var changed = grown[3].record
        changed.actor = "someone-else"
        rewritten = Self.rechain(rewritten, [changed] + grown[4...].map(\.record))
        #expect(AuditChain.verify(rewritten).isEmpty, "the chain alone cannot see it")
        // … the checkpoint is not.
        #expect(AuditChain.verify(rewritten, checkpoints: [checkpoint], key: key) == [.anchorMismatch(sequence: 10, expected: early[9].hash, found: rewritten[9].hash)])
        // Cut at the end, before the checkpoint's entry.
        let cut = Array(grown[..<8])
        #expect(AuditChain.verify(cut, checkpoints: [checkpoint], key: key) == [.anchorMismatch(sequence: 10, expected: early[9].hash, found: nil)])
        // A checkpoint made up to cover the rewrite does not carry the key's signature.
        var forged = checkpoint
        forged.hash = rewritten[9].hash
        #expect(AuditChain.verify(rewritten, checkpoints: [forged], key: key) == [.forgedCheckpoint(sequence: 10)])
        #expect(AuditChain.verify(rewritten, checkpoints: [AuditCheckpointKey.generate().sign(sequence: 10, hash: rewritten[9].hash, time: Date())], key: key)
                == [.forgedCheckpoint(sequence: 10)])
    }

    static func rechain(_ prefix: [AuditEntry], _ records: [AuditRecord]) -> [AuditEntry] {
        var entries = prefix
        for r in records { entries.append(AuditChain.entry(after: entries.last.map { ($0.sequence, $0.hash) }, r)) }
        return entries
    }

    @Test("the key file is refused when others may read it, and a key read back signs alike")
    func keyFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-audit-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("audit-key")
        let key = AuditCheckpointKey.generate()
        try key.save(to: url)
        let c = key.sign(sequence: 3, hash: String(repeating: "a", count: 64), time: Date(timeIntervalSince1970: 1_780_000_000.123))
        #expect(try AuditCheckpointKey.load(from: url).isGenuine(c))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
        #expect(throws: KeyRingError.self) { try AuditCheckpointKey.load(from: url) }
    }
}
