import Foundation
import GeoKit
import Governance
@testable import SQLiteStore
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("Starting with an unreadable row")
struct DegradedStartTests {
    @Test("one unreadable row does not stop the server: it starts, names the row on /readyz as degraded, and the dictionaries still take writes",
          .timeLimit(.minutes(3)))
    func serverStartsDegraded() async throws {
        let folder = try temporaryFolder()
        let db = folder.appendingPathComponent("demo.sqlite").path
        #expect(try run(["demo", "--preset", "tiny", "--no-serve", "--database", db]).status == 0)
        do {
            let store = try SQLiteStore(path: db)
            try await store.database.write { db in
                try db.execute(sql: "INSERT INTO calendar_day (day, kind, name) VALUES ('361-01-01', 'holiday', '古代')")
            }
        }
        let issued = try run(["account", "token", "admin", "--name", "degraded", "--permission", "case.configure", "territory.read", "--days", "1", "--database", db])
        let token = try #require(issued.output.split(separator: "\n").last.map(String.init))
        let port = 20_000 + Int.random(in: 0..<20_000)
        let server = Process()
        server.executableURL = executable
        server.arguments = ["serve", "--database", db, "--port", String(port), "--log-level", "error"]
        let log = Pipe()
        server.standardError = log
        try server.run()
        defer { server.terminate() }
        func call(_ method: String, _ path: String, _ body: String? = nil) async throws -> (Int, JSONObject?) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body.map { Data($0.utf8) }
            let (data, response) = try await URLSession(configuration: .ephemeral).data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONParser.parse(data).objectValue)
        }
        // Waits for the server to answer (it is starting: the event is its first answer).
        var ready: (Int, JSONObject?)?
        for _ in 0..<300 where server.isRunning {
            if let answer = try? await call("GET", "/readyz") { ready = answer; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let (status, body) = try #require(ready, "the server did not start")
        #expect(status == 200 && body?["status"]?.stringValue == "degraded")
        let row = body?["unreadableRows"]?.arrayValue?.first?.objectValue
        #expect(row?["table"]?.stringValue == "calendar_day" && row?["key"]?.stringValue == "361-01-01")
        let (saved, _) = try await call("PUT", "/api/v1/departments/street-cleaning", #"{"name": "环卫所"}"#)
        #expect(saved == 200)
        server.terminate()
        server.waitUntilExit()
        let logged = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(logged.contains("unreadable row") && logged.contains("calendar_day") && logged.contains("361-01-01"))
    }
}
