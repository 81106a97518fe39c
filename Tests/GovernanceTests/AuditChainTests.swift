import Foundation
@testable import Governance
import Testing

@Suite("Audit chain")
struct AuditChainTests {
    func chain(_ n: Int) -> [AuditEntry] {
        var entries: [AuditEntry] = []
        for i in 1...n {
            let record = AuditRecord(time: Date(timeIntervalSince1970: 1_767_196_800 + Double(i)), actor: "user\(i)", action: "read.person",
                                     target: "person:\(i)", purpose: i % 2 == 0 ? "核查" : nil, requestID: "r\(i)")
            entries.append(AuditChain.entry(after: entries.last.map { ($0.sequence, $0.hash) }, record))
        }
        return entries
    }

    @Test("an untouched chain verifies, and its head is the last hash")
    func intact() {
        let entries = chain(6)
        #expect(AuditChain.verify(entries).isEmpty)
        #expect(AuditChain.verify(entries, expectedHead: entries.last!.hash).isEmpty)
        #expect(entries.first!.previousHash == AuditChain.genesis && entries[3].previousHash == entries[2].hash)
        #expect(Set(entries.map(\.hash)).count == 6)
    }

    @Test("a changed, removed, reordered or replaced entry is found and named")
    func tampering() {
        var changed = chain(6)
        changed[2].record.purpose = "其他"
        #expect(AuditChain.verify(changed) == [.modified(sequence: 3)])

        var removed = chain(6)
        removed.remove(at: 2)
        #expect(AuditChain.verify(removed) == [.missing(before: 4, expected: 3)])

        // Rows swapped, each keeping its place number.
        var reordered = chain(6)
        (reordered[1].record, reordered[2].record) = (reordered[2].record, reordered[1].record)
        #expect(AuditChain.verify(reordered) == [.modified(sequence: 2), .modified(sequence: 3)])

        // Entry 3 rewritten with a hash computed for it: the next entry no longer follows.
        var replaced = chain(6)
        replaced[2].record.actor = "someone else"
        replaced[2].hash = AuditChain.hash(sequence: 3, record: replaced[2].record, previousHash: replaced[2].previousHash)
        #expect(AuditChain.verify(replaced) == [.brokenLink(sequence: 4)])

        // The last entries cut off: only a head recorded elsewhere shows it.
        let full = chain(6)
        let cut = Array(full.prefix(4))
        #expect(AuditChain.verify(cut).isEmpty)
        #expect(AuditChain.verify(cut, expectedHead: full.last!.hash) == [.headMismatch(expected: full.last!.hash, found: cut.last!.hash)])
    }

    @Test("fields cannot be shifted from one to the next without changing the hash")
    func unambiguousEncoding() {
        let a = AuditRecord(time: Date(timeIntervalSince1970: 0), actor: "ab", action: "c", target: "t")
        let b = AuditRecord(time: Date(timeIntervalSince1970: 0), actor: "a", action: "bc", target: "t")
        let c = AuditRecord(time: Date(timeIntervalSince1970: 0), actor: "a", action: "bc", target: "t", purpose: "")
        let hashes = [a, b, c].map { AuditChain.hash(sequence: 1, record: $0, previousHash: AuditChain.genesis) }
        #expect(Set(hashes).count == 3)
    }
}
