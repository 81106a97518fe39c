import ArgumentParser
import Foundation
import PostgresStore
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
        subcommands: [Serve.self, Demo.self, Migrate.self, MigrateData.self, Import.self, Export.self, AddressCommand.self, LayerCommand.self, AuditCommand.self, AccountCommand.self, KeysCommand.self, RetentionCommand.self, Bench.self])
}

/// Options every command that opens the store shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "SQLite database file, or PostgreSQL as postgres://user[:password]@host[:port]/database[?schema=name&sslmode=require] (env CITYBRAIN_DATABASE).")
    var database: String = ProcessInfo.processInfo.environment["CITYBRAIN_DATABASE"] ?? "./citybrain.sqlite"

    @Option(name: .long, help: "Key file that protects personal data at rest (env CITYBRAIN_KEY_FILE; default with SQLite: the database path + .keys; required with PostgreSQL). CITYBRAIN_KEYS may hold the file's content instead.")
    var keyFile: String?

    @Option(name: .long, help: "Folder of case photos and documents (env CITYBRAIN_ATTACHMENTS; default with SQLite: the database path + .attachments; required with PostgreSQL, the same folder for every instance).")
    var attachments: String?

    @Option(name: .long, help: "Fewest people a cell of a person layer (elderly living alone, disabled …) shows to accounts that may not reveal personal data; smaller cells are left out (env CITYBRAIN_LAYER_MINIMUM_COUNT).")
    var layerMinimumCount: Int = Int(ProcessInfo.processInfo.environment["CITYBRAIN_LAYER_MINIMUM_COUNT"] ?? "") ?? 5

    @Option(name: .long, help: "Key file that signs the audit trail's checkpoints, kept apart from the database (env CITYBRAIN_AUDIT_KEY_FILE; default with SQLite: the database path + .audit-key).")
    var auditKeyFile: String?

    var auditKeyPath: String? { auditKeyFile ?? ProcessInfo.processInfo.environment["CITYBRAIN_AUDIT_KEY_FILE"] ?? (isPostgres ? nil : database + ".audit-key") }

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error (env CITYBRAIN_LOG_LEVEL).")
    var logLevel: String = ProcessInfo.processInfo.environment["CITYBRAIN_LOG_LEVEL"] ?? "info"

    var isPostgres: Bool { Self.isPostgres(database) }

    static func isPostgres(_ location: String) -> Bool { location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") }

    /// The database as messages name it: a PostgreSQL URL without its password.
    var displayName: String { isPostgres ? PostgresStore.redacted(database) : database }

    /// The key file named by option or environment, else SQLite's default beside the database; nil
    /// with PostgreSQL, whose instances must all be given the same keys.
    var keyFilePath: String? { keyFile ?? ProcessInfo.processInfo.environment["CITYBRAIN_KEY_FILE"] ?? (isPostgres ? nil : database + ".keys") }

    func attachmentFolder() throws -> URL {
        guard let path = attachments ?? ProcessInfo.processInfo.environment["CITYBRAIN_ATTACHMENTS"] ?? (isPostgres ? nil : database + ".attachments") else {
            throw ValidationError("with PostgreSQL give the folder of case photos and documents with --attachments or CITYBRAIN_ATTACHMENTS (one folder every instance can reach)")
        }
        return URL(fileURLWithPath: path, isDirectory: true)
    }
}

struct ListenOptions: ParsableArguments {
    @Option(name: .long, help: "Address to listen on (env CITYBRAIN_HOST).")
    var host: String = ProcessInfo.processInfo.environment["CITYBRAIN_HOST"] ?? "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (env CITYBRAIN_PORT).")
    var port: Int = Int(ProcessInfo.processInfo.environment["CITYBRAIN_PORT"] ?? "") ?? 8080

    @Flag(name: .long, help: "Behind HTTPS: session cookies get the Secure attribute and responses HSTS (env CITYBRAIN_SECURE_COOKIES=1).")
    var secureCookies = ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment["CITYBRAIN_SECURE_COOKIES"]?.lowercased() ?? "")

    @Option(name: .customLong("tiles"), help: "Base map tiles: an XYZ URL template with {z}/{x}/{y} (env CITYBRAIN_TILES). Without it the maps show outlines on a plain background.")
    var tilesOption: String?

    var tiles: String? { tilesOption ?? ProcessInfo.processInfo.environment["CITYBRAIN_TILES"] }

    @Option(name: .long, help: "Datum the tiles are drawn in: wgs84, or gcj02 for Chinese providers (env CITYBRAIN_TILES_DATUM).")
    var tilesDatum: String = ProcessInfo.processInfo.environment["CITYBRAIN_TILES_DATUM"] ?? "wgs84"

    @Option(name: .long, help: "Attribution the tile provider requires (env CITYBRAIN_TILES_ATTRIBUTION).")
    var tilesAttribution: String = ProcessInfo.processInfo.environment["CITYBRAIN_TILES_ATTRIBUTION"] ?? ""

    @Option(name: .long, help: "Highest zoom the tiles offer.")
    var tilesMaxZoom: Int = 18

    @Option(name: .customLong("cockpits"), help: "Thematic cockpits: a JSON file (see docs/cockpits.md; env CITYBRAIN_COCKPITS). Default: the standard ones.")
    var cockpitsOption: String?

    var cockpits: String? { cockpitsOption ?? ProcessInfo.processInfo.environment["CITYBRAIN_COCKPITS"] }

    @Option(name: .long, help: "Seconds between two runs of supervision (yellow and red marks, escalations); with several instances one of them runs it (env CITYBRAIN_SUPERVISION_INTERVAL).")
    var supervisionInterval: Int64 = Int64(ProcessInfo.processInfo.environment["CITYBRAIN_SUPERVISION_INTERVAL"] ?? "") ?? 60

    @Option(name: .long, help: "Seconds a live-update stream stays open before the browser reconnects; below the idle timeout of any proxy in front (env CITYBRAIN_LIVE_STREAM_LIFETIME).")
    var liveStreamLifetime: Int64 = Int64(ProcessInfo.processInfo.environment["CITYBRAIN_LIVE_STREAM_LIFETIME"] ?? "") ?? 600

    @Option(name: .customLong("trusted-proxy"), parsing: .upToNextOption,
            help: "Reverse proxies (addresses or CIDR networks) whose Forwarded / X-Forwarded-For headers name the client; without one those headers are ignored (env CITYBRAIN_TRUSTED_PROXIES, comma-separated).")
    var trustedProxyOption: [String] = []

    @Option(name: .long, help: "Hours between two signed checkpoints of the audit trail (env CITYBRAIN_AUDIT_CHECKPOINT_HOURS).")
    var auditCheckpointHours: Int = Int(ProcessInfo.processInfo.environment["CITYBRAIN_AUDIT_CHECKPOINT_HOURS"] ?? "") ?? 24

    func trustedProxies() throws -> TrustedProxies {
        let entries = trustedProxyOption.isEmpty ? (ProcessInfo.processInfo.environment["CITYBRAIN_TRUSTED_PROXIES"].map { [$0] } ?? []) : trustedProxyOption
        do {
            return try TrustedProxies(entries)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func tileSource() throws -> TileSource? {
        guard let tiles, !tiles.isEmpty else { return nil }
        do {
            return try TileSource.parse(url: tiles, datum: tilesDatum, attribution: tilesAttribution, maxZoom: tilesMaxZoom)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
