import ArgumentParser
import Foundation
import Governance

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Check the audit trail and sign checkpoints of it.",
                                                    subcommands: [VerifyAudit.self, CheckpointAudit.self])
}

struct VerifyAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain of the audit trail and its signed checkpoints: any entry changed, removed, reordered or rewritten is reported.",
        discussion: """
            The chain alone cannot see a trail rewritten with freshly computed hashes, nor entries cut off at its end. \
            Signed checkpoints (`citybrain audit checkpoint`, and daily while serving) can: each must carry the audit key's \
            signature and its entry must still have its hash. Anchors printed by this command or by a checkpoint (SEQUENCE:HASH) \
            and kept elsewhere (a ticket, a signed mail) are checked with --expect, which holds on a live server too. \
            Exit status 1 when the trail was tampered with.
            """)

    @OptionGroup var store: StoreOptions
    @Option(name: .customLong("expect"), help: "An anchor recorded earlier, SEQUENCE:HASH (repeatable): that entry must still have that hash.")
    var anchors: [String] = []
    @Option(help: "A head hash recorded earlier: it must still be in the chain (entries after it may have been added since).") var expectHead: String?

    func run() async throws {
        let opened = try await openStore(store)
        var parsed: [(sequence: Int64, hash: String)] = []
        for anchor in anchors {
            let parts = anchor.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let sequence = Int64(parts[0]), parts[1].count == 64 else {
                throw ValidationError("--expect \(anchor): give SEQUENCE:HASH, as `audit verify` and `audit checkpoint` print it")
            }
            parsed.append((sequence, String(parts[1])))
        }
        var entries: [AuditEntry] = []
        var from: Int64 = 1
        while true {
            let page = try await opened.auditEntries(from: from, limit: 10_000)
            entries += page
            guard let last = page.last else { break }
            from = last.sequence + 1
        }
        let checkpoints = try await opened.auditCheckpoints()
        let key = try openAuditKey(store, create: false)
        if key == nil && !checkpoints.isEmpty {
            printError("\(store.displayName): no audit key file: the \(checkpoints.count) checkpoints are checked against the chain, not for their signatures")
        }
        let findings = AuditChain.verify(entries, checkpoints: checkpoints, key: key, anchors: parsed, expectedHead: expectHead)
        guard findings.isEmpty else {
            for f in findings.prefix(50) { printError("\(store.displayName): audit trail: \(f)") }
            if findings.count > 50 { printError("… and \(findings.count - 50) more") }
            throw ExitCode(1)
        }
        let head = entries.last.map { "\($0.sequence):\($0.hash)" } ?? "0:\(AuditChain.genesis)"
        let newest = checkpoints.last.map { " The newest checkpoint covers entry \($0.sequence), signed \($0.time.formatted(.iso8601))." } ?? " No checkpoint yet."
        print("\(entries.count) audit entries and \(checkpoints.count) checkpoints; the chain is intact.\(newest) Anchor: \(head)")
    }
}

struct CheckpointAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign a checkpoint of the audit trail's newest entry with the audit key (made at the first checkpoint) and print its anchor.",
        discussion: "A running server makes one every day as well (--audit-checkpoint-hours). Keep the printed anchor somewhere the database's administrators cannot change.")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let opened = try await openStore(store)
        guard let key = try openAuditKey(store, create: true) else { throw ExitCode(1) }
        guard let checkpoint = try await AuditCheckpoints(audit: opened, checkpoints: opened, key: key).make(actor: cliActor) else {
            print("The audit trail is empty: nothing to sign.")
            return
        }
        print("Signed checkpoint of entry \(checkpoint.sequence). Anchor: \(checkpoint.anchor)")
    }
}
