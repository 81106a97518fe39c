import ArgumentParser
import Foundation
import Governance
import PostgresStore
import SQLiteStore

/// Moves a deployment from the embedded SQLite file to PostgreSQL, whole, and proves it.
struct MigrateData: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-data",
        abstract: "Move a deployment from its SQLite file to PostgreSQL, and compare both sides table by table.",
        discussion: """
            The target must be a new, empty database (or schema): it is migrated first, then every table is \
            copied in one transaction — interrupted, nothing is left behind. Afterwards each table's row count \
            and checksum are compared on both sides; exit status 1 when any differs. Stop the servers using the \
            SQLite file first. Personal data moves sealed: keep using the same key file, and give the \
            attachments folder to every instance (--key-file, --attachments).
            """)

    @Option(help: "The SQLite database file (or sqlite:PATH).") var from: String
    @Option(help: "The PostgreSQL database: postgres://user[:password]@host[:port]/database[?schema=name].") var to: String
    @Option(help: "Rows per COPY batch.") var batchSize = 20_000

    func run() async throws {
        let path = from.hasPrefix("sqlite:") ? String(from.dropFirst("sqlite:".count)) : from
        guard !StoreOptions.isPostgres(path) else { throw ValidationError("--from: a SQLite file (moving between PostgreSQL databases is pg_dump's job)") }
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("--from \(path): no such file") }
        guard StoreOptions.isPostgres(to) else { throw ValidationError("--to: a postgres:// URL") }
        let source = try SQLiteStore(path: path)
        try await source.migrate()
        let target: PostgresStore
        do { target = try PostgresStore(url: to) } catch let error as PostgresStore.InvalidURL { throw ValidationError(error.description) }
        try await target.migrate()
        let progress = Progress()
        let report: TransferReport
        do {
            report = try await StoreTransfer(source: source, target: target, batchSize: batchSize).run { table, rows in
                progress.update(rows > 0 ? "\(table): \(rows) rows" : table)
            }
        } catch let conflict as StoreConflict {
            await target.shutdown()
            throw ValidationError("nothing was moved: \(conflict.reason)")
        } catch {
            await target.shutdown()
            throw ValidationError("the move failed (\(PostgresStore.explain(error))); what the transaction had copied was rolled back")
        }
        await target.shutdown()
        progress.finish(String(format: "Moved %d rows in %d tables in %.1f s (%.0f rows/s).", report.rows, report.tables.count, report.seconds,
                               Double(report.rows) / max(report.seconds, 0.001)))
        for table in report.tables {
            print([table.name, String(table.sourceRows), String(table.targetRows), table.sourceChecksum, table.matches ? "same" : "DIFFERENT: \(table.targetChecksum)"]
                .joined(separator: "\t"))
        }
        guard report.matches else {
            printError("the copy differs from the source in \(report.tables.filter { !$0.matches }.map(\.name).joined(separator: ", "))")
            throw ExitCode(1)
        }
        print("Every table has the same rows on both sides. Serve it with --database \(PostgresStore.redacted(to)) --key-file \(path).keys --attachments \(path).attachments (or your own key file and folder).")
    }
}
