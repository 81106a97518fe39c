import Foundation
import Governance
import PostgresStore
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A deployment moved from its SQLite file to PostgreSQL, then served by two `citybrain serve`
/// processes on that one database, as behind a load balancer.
@Suite("Several instances on PostgreSQL", .serialized)
struct InstancesTests {
    struct Instance {
        var process: Process
        var base: String
    }

    static func call(_ method: String, _ url: String, body: String? = nil, headers: [String: String] = [:]) async throws -> (Int, Data, HTTPURLResponse?) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 20
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession(configuration: .ephemeral).data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, data, http)
    }

    static func json(_ data: Data) -> [String: Any] { (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:] }

    @Test("migrate-data moves the demo whole and refuses a second time; two instances then share sessions, live updates, one supervision and one winner per step",
          .timeLimit(.minutes(5)))
    func twoInstances() async throws {
        guard let server = ProcessInfo.processInfo.environment["CITYBRAIN_TEST_POSTGRES"], !server.isEmpty else {
            throw TestFailure("CITYBRAIN_TEST_POSTGRES is not set: run the tests with scripts/test (scripts/with-postgres)")
        }
        let folder = try temporaryFolder()
        let db = folder.appendingPathComponent("demo.sqlite").path
        let demo = try run(["demo", "--preset", "tiny", "--no-serve", "--database", db])
        #expect(demo.status == 0, "\(demo.errors)")
        let accounts = demo.output.split(separator: "\n").filter { $0.hasPrefix("  ") }.map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        let password = String(try #require(accounts.first { $0.first == "admin" })[1])

        // The move: every table compared on both sides; a second move into the same schema is refused.
        let url = server + (server.contains("?") ? "&" : "?") + "schema=moved_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let moved = try run(["migrate-data", "--from", db, "--to", url])
        #expect(moved.status == 0, "\(moved.errors.suffix(2000))")
        #expect(moved.output.contains("Every table has the same rows on both sides."))
        for table in ["region_version", "address", "registry_entry", "case_record", "case_event", "audit_entry", "account"] {
            let line = try #require(moved.output.split(separator: "\n").first { $0.hasPrefix(table + "\t") }, "\(table) was not moved")
            let fields = line.split(separator: "\t")
            #expect(fields.count == 5 && fields[1] == fields[2] && Int(fields[1]) ?? 0 > 0 && fields[4] == "same", "\(line)")
        }
        let again = try run(["migrate-data", "--from", db, "--to", url])
        #expect(again.status != 0 && again.errors.contains("nothing was moved") && again.errors.contains("already holds data"), "\(again.errors)")

        let common = ["--database", url, "--key-file", db + ".keys", "--attachments", db + ".attachments"]
        let issued = try run(["account", "token", "admin", "--name", "instances", "--permission", "case.report", "case.register", "case.read", "--days", "1"] + common)
        #expect(issued.status == 0, "\(issued.errors)")
        let token = try #require(issued.output.split(separator: "\n").last.map(String.init))
        let bearer = ["Authorization": "Bearer \(token)"]

        var instances: [Instance] = []
        defer { for i in instances { i.process.terminate() } }
        for _ in 0..<2 {
            let port = 20_000 + Int.random(in: 0..<20_000)
            let p = Process()
            p.executableURL = executable
            p.arguments = ["serve"] + common + ["--port", String(port), "--log-level", "error", "--supervision-interval", "1", "--live-stream-lifetime", "4"]
            try p.run()
            instances.append(Instance(process: p, base: "http://127.0.0.1:\(port)/api/v1"))
        }
        for instance in instances {
            var up = false
            for _ in 0..<300 where !up {
                up = (try? await Self.call("GET", instance.base + "/cases?limit=1", headers: bearer))?.0 == 200
                if !up { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(up, "\(instance.base) did not come up")
        }
        let (one, two) = (instances[0].base, instances[1].base)

        // A session opened on one instance works on the other; signed out there, it ends on both.
        func login(_ base: String) async throws -> (cookie: String, csrf: String) {
            let (status, data, response) = try await Self.call("POST", base + "/session", body: #"{"username": "admin", "password": "\#(password)"}"#)
            #expect(status == 200)
            let cookie = try #require(response?.value(forHTTPHeaderField: "Set-Cookie")?.split(separator: ";").first.map(String.init))
            return (cookie, try #require(Self.json(data)["csrfToken"] as? String))
        }
        let session = try await login(one)
        #expect(try await Self.call("GET", two + "/session", headers: ["Cookie": session.cookie]).0 == 200)
        #expect(try await Self.call("DELETE", two + "/session", headers: ["Cookie": session.cookie, "X-CSRF-Token": session.csrf]).0 == 204)
        #expect(try await Self.call("GET", one + "/session", headers: ["Cookie": session.cookie]).0 == 401)

        // A report on one instance reaches a live view connected to the other (LISTEN/NOTIFY).
        let viewer = try await login(two)
        async let stream = Self.call("GET", two + "/events", headers: ["Cookie": viewer.cookie])
        try await Task.sleep(for: .seconds(1))
        let (reportStatus, reportData, _) = try await Self.call("POST", one + "/cases", body: """
            {"source": "hotline", "classCode": "E0102", "description": "两个实例", "location": {"longitude": 120.19, "latitude": 30.47}}
            """, headers: bearer)
        #expect(reportStatus == 201, "\(String(decoding: reportData, as: UTF8.self))")
        let number = try #require((Self.json(reportData)["case"] as? [String: Any])?["number"] as? String)
        let (streamStatus, streamData, _) = try await stream
        #expect(streamStatus == 200)
        #expect(String(decoding: streamData, as: UTF8.self).contains("\"number\":\"\(number)\""), "the other instance's stream did not carry \(number)")

        // The same step sent to both instances at once: one succeeds, the other is told the case changed.
        async let first = Self.call("POST", one + "/cases/\(number)/register", body: #"{"version": 1}"#, headers: bearer)
        async let second = Self.call("POST", two + "/cases/\(number)/register", body: #"{"version": 1}"#, headers: bearer)
        let statuses = try await [first.0, second.0].sorted()
        #expect(statuses == [200, 409])
        let (_, caseData, _) = try await Self.call("GET", one + "/cases/\(number)", headers: bearer)
        #expect(Self.json(caseData)["version"] as? Int == 2 && Self.json(caseData)["status"] as? String == "registered")

        // Supervision runs in one instance, the lease's holder; killed, the other takes over.
        let store = try PostgresStore(url: url)
        func holder() async throws -> Int? {
            guard let name = try await store.leaseHolder("case-supervision", at: Date()) else { return nil }
            return instances.firstIndex { name.contains("-\($0.process.processIdentifier)-") }
        }
        var held: Int?
        for _ in 0..<100 where held == nil {
            held = try await holder()
            if held == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let running = try #require(held, "no instance holds the supervision lease")
        kill(instances[running].process.processIdentifier, SIGKILL)
        instances[running].process.waitUntilExit()
        var next: Int?
        for _ in 0..<100 where next == nil || next == running {
            next = try await holder()
            if next == nil || next == running { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(next == 1 - running, "the surviving instance did not take supervision over")
        await store.shutdown()
    }
}
