import ArgumentParser
import Foundation
import Governance
import PostgresStore
import SQLiteStore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Case API throughput with one and with two `citybrain serve` processes on the same PostgreSQL,
/// after moving a demo deployment there with migrate-data (whose rate it prints too).
struct BenchInstances: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instances",
        abstract: "Case API throughput: two serve processes on one PostgreSQL against one; and migrate-data's rate.",
        discussion: """
            Give a demo SQLite file (citybrain demo --preset small --no-serve --database DEMO.sqlite). Needs a server: \
            scripts/with-postgres .build/release/citybrain bench instances --from DEMO.sqlite. Works in a schema of its own.
            """)

    @Option(help: "The demo's SQLite file (its .keys and .attachments beside it).") var from: String
    @Option(help: "postgres://user@host:port/database (default: CITYBRAIN_TEST_POSTGRES).")
    var postgres: String = ProcessInfo.processInfo.environment["CITYBRAIN_TEST_POSTGRES"] ?? ""
    @Option(help: "Seconds of load per configuration.") var seconds = 15.0
    @Option(help: "Concurrent clients.") var clients = 16

    func run() async throws {
        guard !postgres.isEmpty else { throw ValidationError("--postgres URL is required (or run under scripts/with-postgres)") }
        let schema = "bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let url = postgres + (postgres.contains("?") ? "&" : "?") + "schema=" + schema
        let source = try SQLiteStore(path: from)
        try await source.migrate()
        let target = try PostgresStore(url: url)
        try await target.migrate()
        let progress = Progress()
        let report = try await StoreTransfer(source: source, target: target, batchSize: 20_000).run { table, rows in progress.update("migrate-data: \(table) \(rows)") }
        guard report.matches else { throw ValidationError("the moved copy differs from the source") }
        progress.finish(String(format: "migrate-data: %d rows in %.1f s = %.0f rows/s (copy and both sides' checksums)", report.rows, report.seconds,
                               Double(report.rows) / report.seconds))
        let (secret, _) = try await AccountService(store: target).issueToken(for: "admin", name: "bench", permissions: [.caseReport, .caseRegister, .caseRead],
                                                                              lifetime: 86_400, by: .console(cliActor))
        let points = try await target.cases({ var q = CaseQuery(); q.limit = 200; return q }()).map(\.location)
        guard !points.isEmpty else { throw ValidationError("\(from) holds no cases to take positions from: use a demo database") }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        var figures: [Int: Double] = [:]
        for count in [1, 2] {
            var servers: [Process] = []
            var bases: [String] = []
            for _ in 0..<count {
                let port = 20_000 + Int.random(in: 0..<20_000)
                let p = Process()
                p.executableURL = executable
                p.arguments = ["serve", "--database", url, "--key-file", from + ".keys", "--attachments", from + ".attachments", "--port", String(port), "--log-level", "error"]
                try p.run()
                servers.append(p)
                bases.append("http://127.0.0.1:\(port)/api/v1")
            }
            defer { for p in servers { p.terminate(); p.waitUntilExit() } }
            for base in bases {
                var up = false
                for _ in 0..<600 where !up {
                    up = (try? await Self.request("POST", base + "/cases", token: secret, body: nil))?.0 != nil
                    if !up { try await Task.sleep(for: .milliseconds(100)) }
                }
                guard up else { throw ValidationError("an instance did not come up") }
            }
            progress.update("\(count) instance(s): \(clients) clients for \(Int(seconds)) s")
            let deadline = Date().addingTimeInterval(seconds)
            let started = Date()
            let done = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for client in 0..<clients {
                    let base = bases[client % bases.count]
                    group.addTask {
                        var (ok, failed) = (0, 0)
                        var n = client
                        while Date() < deadline {
                            let p = points[n % points.count]
                            n += clients
                            // A hotline report, its registration and a read of it: the loop's hot path.
                            let body = #"{"source": "hotline", "classCode": "E0102", "description": "负载", "location": {"longitude": \#(p.longitude), "latitude": \#(p.latitude)}}"#
                            guard let (status, data) = try? await Self.request("POST", base + "/cases", token: secret, body: body), status == 201,
                                  let number = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]).flatMap({ ($0["case"] as? [String: Any])?["number"] as? String }) else {
                                failed += 1
                                continue
                            }
                            ok += 1
                            if let (s, _) = try? await Self.request("POST", base + "/cases/\(number)/register", token: secret, body: #"{"version": 1}"#), s == 200 { ok += 1 } else { failed += 1 }
                            if let (s, _) = try? await Self.request("GET", base + "/cases/\(number)", token: secret, body: nil), s == 200 { ok += 1 } else { failed += 1 }
                        }
                        return (ok, failed)
                    }
                }
                return try await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
            }
            let rate = Double(done.0) / Date().timeIntervalSince(started)
            figures[count] = rate
            progress.finish(String(format: "%d instance(s): %.0f requests/s (%d answered, %d failed)", count, rate, done.0, done.1))
        }
        try await target.dropSchema()
        await target.shutdown()
        print(String(format: "case API, %d clients: 2 instances %.0f requests/s vs 1 instance %.0f requests/s (%.2f×) on one PostgreSQL",
                     clients, figures[2] ?? 0, figures[1] ?? 0, (figures[2] ?? 0) / max(figures[1] ?? 1, 1)))
    }

    static func request(_ method: String, _ url: String, token: String, body: String?) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.timeoutInterval = 30
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.utf8)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}
