import ArgumentParser
import Foundation
import Governance

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retention", abstract: "Enforce how long personal data is kept.",
                                                    subcommands: [EnforceRetention.self])
}

struct EnforceRetention: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enforce",
        abstract: "Erase what is past its retention period (run daily, e.g. from cron).",
        discussion: """
            Floating and overseas residents not confirmed by any import for \(RetentionPolicy.standard.peopleYears["floating"]!) years \
            keep only their anonymous statistics (household, residence type, sex, birth year, tags); ended sessions and expired or \
            revoked API tokens go after \(RetentionPolicy.standard.credentialDays) days; uploaded photos and documents that no case \
            cites go after \(Int(CaseService.uncitedUploadLifetime / 3600)) hours. Each batch is on the audit trail.
            """)

    @OptionGroup var store: StoreOptions
    @Flag(help: "Only count what would be erased.") var dryRun = false

    func run() async throws {
        let services = try await openServices(store)
        let report = try await RetentionEnforcement(registries: services.registries).enforce(at: Date(), dryRun: dryRun, actor: cliActor)
        let uploads = try await services.cases.expireUncitedUploads(dryRun: dryRun, actor: cliActor)
        let people = report.erased.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        if dryRun {
            print("Would erase the personal data of \(people.isEmpty ? "no one" : people + " residents") and remove \(uploads) uploads no case cites.")
        } else {
            print("Erased the personal data of \(people.isEmpty ? "no one" : people + " residents") (and as owners of \(report.houses) houses); "
                  + "deleted \(report.sessions) ended sessions and \(report.tokens) old API tokens; removed \(uploads) uploads no case cites.")
        }
    }
}
