import ArgumentParser
import Foundation
import Governance

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Manage the keys that protect personal data at rest.",
                                                    subcommands: [RotateKeys.self])
}

struct RotateKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Generate a new key version and re-encrypt all personal data with it (one transaction).",
        discussion: """
            The key file first gains the new version (the old one stays), then the database is re-encrypted, \
            then the old version is removed from the file. Interrupted at any point, the file still opens \
            everything the database holds. Run it with the server stopped.
            """)

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let opened = try await openStore(store)
        guard let path = store.keyFilePath else { throw ValidationError("give the key file to rotate with --key-file or CITYBRAIN_KEY_FILE") }
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("no key file at \(url.path)") }
        let old = try KeyRing.load(from: url)
        try await KeyCheck.verify(PersonalDataVault(old), stored: try await opened.setting(KeyCheck.setting), store: opened, origin: url.path)
        let rotated = old.rotated()
        try rotated.save(to: url)
        let started = Date()
        let count = try await KeyRotation(store: opened).reseal(with: PersonalDataVault(rotated), actor: cliActor)
        try rotated.retiringOldVersions().save(to: url)
        print(String(format: "Re-encrypted %d records with key version %d in %.1f s; %@ now holds only that version.", count, rotated.current,
                     Date().timeIntervalSince(started), url.path))
    }
}
