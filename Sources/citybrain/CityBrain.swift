import ArgumentParser
import Foundation
import Server

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

    @Option(name: .long, help: "Base map tiles: an XYZ URL template with {z}/{x}/{y} (env CITYBRAIN_TILES). Without it the maps show outlines on a plain background.")
    var tiles: String? = ProcessInfo.processInfo.environment["CITYBRAIN_TILES"]

    @Option(name: .long, help: "Datum the tiles are drawn in: wgs84, or gcj02 for Chinese providers (env CITYBRAIN_TILES_DATUM).")
    var tilesDatum: String = ProcessInfo.processInfo.environment["CITYBRAIN_TILES_DATUM"] ?? "wgs84"

    @Option(name: .long, help: "Attribution the tile provider requires (env CITYBRAIN_TILES_ATTRIBUTION).")
    var tilesAttribution: String = ProcessInfo.processInfo.environment["CITYBRAIN_TILES_ATTRIBUTION"] ?? ""

    @Option(name: .long, help: "Highest zoom the tiles offer.")
    var tilesMaxZoom: Int = 18

    @Option(name: .long, help: "Thematic cockpits: a JSON file (see docs/cockpits.md; env CITYBRAIN_COCKPITS). Default: the standard ones.")
    var cockpits: String? = ProcessInfo.processInfo.environment["CITYBRAIN_COCKPITS"]

    func tileSource() throws -> TileSource? {
        guard let tiles, !tiles.isEmpty else { return nil }
        do {
            return try TileSource.parse(url: tiles, datum: tilesDatum, attribution: tilesAttribution, maxZoom: tilesMaxZoom)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
