import Foundation
import GeoKit
import Governance
import Logging
import PostgresNIO
import Synchronization

/// PostgreSQL (15 or later, with PostGIS) for a city: several CityBrain instances on one database.
///
/// Every store protocol the embedded store implements (checked by the same shared suite against a
/// real server), with PostGIS geometry columns and GiST indexes beside the coordinates, COPY for
/// bulk writes, LISTEN/NOTIFY for the instances' live views and leases for scheduled jobs. Writes that other
/// instances could race (an import's "based on the latest batch" check, the audit chain's next link,
/// migrations) take a transaction-scoped advisory lock, so they serialise across processes exactly
/// as SQLite's single writer serialises them within one.
public final class PostgresStore: Sendable {
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger: Logger
    /// The reading statements of a move's comparison, built once per table (`transferRows`).
    let transferReads = Mutex<[TransferTable: (first: String, next: String)]>([:])
    /// The schema the tables live in (nil: the database's default search path).
    public let schema: String?
    public let unreadableRows = UnreadableRows()
    /// Transactions' times (single statements outside transactions are not measured yet).
    public let timings = StoreTimings()

    public struct InvalidURL: Error, CustomStringConvertible {
        public var description: String
    }

    /// `postgres://user[:password]@host[:port]/database[?schema=name][&sslmode=disable|require]`.
    /// The connection pool runs until ``shutdown()``.
    public init(url: String, logger: Logger = Logger(label: "citybrain.postgres")) throws {
        guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? ""),
              let host = parts.host, !host.isEmpty, let user = parts.user, !user.isEmpty else {
            throw InvalidURL(description: "\(Self.redacted(url)): expected postgres://user[:password]@host[:port]/database")
        }
        let database = String(parts.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw InvalidURL(description: "\(Self.redacted(url)): name the database after the host (…/citybrain)") }
        let items = Dictionary(parts.queryItems?.map { ($0.name, $0.value ?? "") } ?? [], uniquingKeysWith: { $1 })
        let tls: PostgresClient.Configuration.TLS
        switch items["sslmode"] ?? "disable" {
        case "disable": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        case let other: throw InvalidURL(description: "\(Self.redacted(url)): sslmode \(other): disable or require")
        }
        var configuration = PostgresClient.Configuration(host: host, port: parts.port ?? 5432, username: user, password: parts.password,
                                                         database: database, tls: tls)
        if let schema = items["schema"] {
            guard Self.isPlainName(schema) else { throw InvalidURL(description: "schema \(schema): lower-case letters, digits and underscores") }
            // PostGIS's types stay reachable in public.
            configuration.options.additionalStartupParameters = [("search_path", "\(schema),public")]
            self.schema = schema
        } else {
            self.schema = nil
        }
        self.logger = logger
        // The pool's own chatter (a lease queued before `run()` has started, reconnects) is not news;
        // its errors are.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        self.client = client
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Closes the pool's connections.
    public func shutdown() async {
        runner.cancel()
        await runner.value
    }

    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (97...122).contains(first) || first == 95 else { return false }
        return name.utf8.count <= 63 && name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 }
    }

    /// What went wrong, in the server's own words where it said any (PostgresNIO's errors hide
    /// them from their description, lest they leak into logs unasked).
    public static func explain(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            return "PostgreSQL: \(message)" + (error.serverInfo?[.detail].map { " (\($0))" } ?? "")
        }
        return "PostgreSQL: \(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
    }

    /// The URL without its password, for messages.
    public static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "***"
        return parts.string ?? url
    }

    /// Runs `body` in one transaction holding the advisory locks of `names` (released at commit or
    /// rollback). The body's own error comes out as it was thrown (a ``StoreConflict`` stays one).
    func transaction<T: Sendable>(locking names: [String] = [], _ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            timings.record("transaction", seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await Self.lock(names, on: connection, logger: logger)
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            if let thrown = error.closureError { throw thrown }
            throw error
        }
    }

    /// Takes transaction-scoped advisory locks, in the one order every writer follows so that no two
    /// wait for each other in a cycle: by name, the audit chain's last — writers that append to the
    /// chain at the end of a long import take it then, after their other locks. The locks belong to
    /// the schema: deployments sharing a database (a province's districts) never wait on each other.
    static func lock(_ names: [String], on connection: PostgresConnection, logger: Logger) async throws {
        for name in names.sorted(by: { ($0 == auditLock ? 1 : 0, $0) < ($1 == auditLock ? 1 : 0, $1) }) {
            // Consumed: the statement's error (a deadlock, a cancellation) comes with its rows.
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':' || \(name)))", logger: logger).collect()
        }
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}

/// Every store protocol, as the embedded store: the services run on either.
extension PostgresStore: CityBrainStore {}

extension PostgresStore: MigratingStore {
    /// Applies the pending migrations, each in its own transaction, under an advisory lock so that
    /// instances starting together migrate once.
    public func migrate() async throws {
        // One lock for the whole database, not the schema's: CREATE EXTENSION and CREATE SCHEMA are not
        // per schema, and two instances starting together must not both try them.
        let globalLock: PostgresQuery = "SELECT pg_advisory_xact_lock(hashtext('citybrain.migrate'))"
        try await transaction { connection in
            _ = try await connection.query(globalLock, logger: self.logger).collect()
            if let schema = self.schema {
                // A district's own schema (or a test's): created on first use.
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: self.logger)
            }
            try await connection.query("CREATE TABLE IF NOT EXISTS schema_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                                       logger: self.logger)
        }
        for migration in PostgresMigrations.all {
            try await transaction { connection in
                _ = try await connection.query(globalLock, logger: self.logger).collect()
                let rows = try await connection.query("SELECT 1 FROM schema_migration WHERE name = \(migration.name)", logger: self.logger).collect()
                guard rows.isEmpty else { return }
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                try await connection.query("INSERT INTO schema_migration (name) VALUES (\(migration.name))", logger: self.logger)
            }
        }
    }
}
