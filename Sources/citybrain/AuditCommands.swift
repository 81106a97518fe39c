import ArgumentParser
import Foundation
import Governance

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Check the audit trail.", subcommands: [VerifyAudit.self])
}

struct VerifyAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain of the audit trail: any entry changed, removed or reordered is reported with its number.",
        discussion: """
            The chain cannot see entries cut off at its end: record the head hash this command prints somewhere \
            else (a ticket, a signed mail) and give it back with --expect-head. Exit status 1 when the trail was tampered with.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "The head hash recorded at an earlier check; entries removed since are then detected too.") var expectHead: String?

    func run() async throws {
        let opened = try await openStore(store)
        var entries: [AuditEntry] = []
        var from: Int64 = 1
        while true {
            let page = try await opened.auditEntries(from: from, limit: 10_000)
            entries += page
            guard let last = page.last else { break }
            from = last.sequence + 1
        }
        let findings = AuditChain.verify(entries, expectedHead: expectHead)
        guard findings.isEmpty else {
            for f in findings.prefix(50) { printError("\(store.displayName): audit trail: \(f)") }
            if findings.count > 50 { printError("… and \(findings.count - 50) more") }
            throw ExitCode(1)
        }
        print("\(entries.count) audit entries; the chain is intact. Head: \(entries.last?.hash ?? AuditChain.genesis)")
    }
}
