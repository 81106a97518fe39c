import ArgumentParser
import Foundation

@main
struct CityBrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "citybrain",
        abstract: "CityBrain: grid-based community governance on one map.",
        discussion: """
            Every option can also be set with an environment variable named CITYBRAIN_ plus the \
            option in capitals (CITYBRAIN_DATABASE, CITYBRAIN_PORT, …); a flag on the command line wins.
            """,
        subcommands: [Serve.self, Demo.self, Migrate.self, Import.self, Export.self, AddressCommand.self, LayerCommand.self, AuditCommand.self, AccountCommand.self, KeysCommand.self, RetentionCommand.self, Bench.self])
}

/// Options every command that opens the store shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "SQLite database file (env CITYBRAIN_DATABASE).")
    var database: String = ProcessInfo.processInfo.environment["CITYBRAIN_DATABASE"] ?? "./citybrain.sqlite"

    @Option(name: .long, help: "Key file that protects personal data at rest (env CITYBRAIN_KEY_FILE; default: the database path + .keys). CITYBRAIN_KEYS may hold the file's content instead.")
    var keyFile: String?

    var keyFilePath: String { keyFile ?? ProcessInfo.processInfo.environment["CITYBRAIN_KEY_FILE"] ?? database + ".keys" }

    @Option(name: .long, help: "Folder of case photos and documents (env CITYBRAIN_ATTACHMENTS; default: the database path + .attachments).")
    var attachments: String?

    var attachmentFolder: URL {
        URL(fileURLWithPath: attachments ?? ProcessInfo.processInfo.environment["CITYBRAIN_ATTACHMENTS"] ?? database + ".attachments", isDirectory: true)
    }

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error (env CITYBRAIN_LOG_LEVEL).")
    var logLevel: String = ProcessInfo.processInfo.environment["CITYBRAIN_LOG_LEVEL"] ?? "info"

    func validate() throws {
        if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
            throw ValidationError("PostgreSQL storage is not available in this build yet; use a SQLite file path")
        }
    }
}

struct ListenOptions: ParsableArguments {
    @Option(name: .long, help: "Address to listen on (env CITYBRAIN_HOST).")
    var host: String = ProcessInfo.processInfo.environment["CITYBRAIN_HOST"] ?? "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (env CITYBRAIN_PORT).")
    var port: Int = Int(ProcessInfo.processInfo.environment["CITYBRAIN_PORT"] ?? "") ?? 8080

    @Flag(name: .long, help: "Behind HTTPS: session cookies get the Secure attribute and responses HSTS (env CITYBRAIN_SECURE_COOKIES=1).")
    var secureCookies = ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment["CITYBRAIN_SECURE_COOKIES"]?.lowercased() ?? "")
}
