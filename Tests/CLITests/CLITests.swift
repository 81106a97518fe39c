import DemoData
import Foundation
import GeoKit
import Governance
@testable import SQLiteStore
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The built executable, next to the test bundle in the products folder.
let executable: URL = {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("citybrain").path), folder.path != "/" {
        folder = folder.deletingLastPathComponent()
    }
    return folder.appendingPathComponent("citybrain")
}()

struct RunResult {
    var status: Int32
    var output: String
    var errors: String
}

func run(_ arguments: [String]) throws -> RunResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return RunResult(status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self), errors: String(decoding: errData, as: UTF8.self))
}

func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

@Suite("Command line", .serialized)
struct CLITests {
    @Test("demo, export, a refused import of a broken file, and a clean re-import")
    func demoExportImport() throws {
        let folder = try temporaryFolder()
        let demoDB = folder.appendingPathComponent("demo.sqlite").path
        let demo = try run(["demo", "--preset", "tiny", "--no-serve", "--database", demoDB])
        #expect(demo.status == 0, "\(demo.errors)")
        #expect(demo.output.contains("Territory: 1 district, 20 streets, 3 communities, 6 grids"))

        let exported = folder.appendingPathComponent("regions.geojson")
        let export = try run(["export", "regions", "--database", demoDB, "-o", exported.path])
        #expect(export.status == 0, "\(export.errors)")
        var features = try GeoJSON.decodeFeatures(Data(contentsOf: exported))
        #expect(features.count == 30)

        // Break one grid's ring: the whole import is refused and says where.
        let index = try #require(features.firstIndex { $0.properties["level"]?.stringValue == "grid" })
        var broken = features[index].geometry!.asMultiPolygon!
        broken.polygons[0].exterior.coordinates.removeLast()
        features[index].geometry = .multiPolygon(broken)
        let brokenFile = folder.appendingPathComponent("broken.geojson")
        try GeoJSON.encode(features).write(to: brokenFile)
        let otherDB = folder.appendingPathComponent("other.sqlite").path
        let refused = try run(["import", "regions", brokenFile.path, "--database", otherDB, "--report", folder.appendingPathComponent("report.csv").path])
        #expect(refused.status == 1)
        #expect(refused.errors.contains("feature \(index)"))
        #expect(refused.errors.contains("not closed"))
        #expect(refused.errors.contains("Nothing was written"))
        let report = try String(contentsOf: folder.appendingPathComponent("report.csv"), encoding: .utf8)
        #expect(report.contains("\(index),\(features[index].properties["code"]!.stringValue!),,error,notClosed"))
        let empty = try run(["export", "regions", "--database", otherDB])
        #expect(try GeoJSON.decodeFeatures(Data(empty.output.utf8)).isEmpty)

        // The export imports cleanly into a new database and exports the same regions again.
        let accepted = try run(["import", "regions", exported.path, "--database", otherDB, "--valid-from", "2019-01-01"])
        #expect(accepted.status == 0, "\(accepted.errors)")
        #expect(accepted.output.contains("Imported 30 regions"))
        let again = try run(["export", "regions", "--database", otherDB])
        let reexported = try GeoJSON.decodeFeatures(Data(again.output.utf8))
        #expect(reexported.map(\.geometry) == (try GeoJSON.decodeFeatures(Data(contentsOf: exported))).map(\.geometry))
    }

    @Test("a demo interrupted after its regions is completed by the next run")
    func resumeDemo() async throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("demo.sqlite").path
        // What an interrupted run leaves: the pending mark and the regions, but no grid workers.
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        try await store.setSetting("demo.pending", "tiny 20190101")
        let service = RegionService(store: store)
        try await service.load()
        let demo = try DemoDistrictGenerator(preset: .tiny).generate()
        _ = try await service.importRegions(demo.regions, options: demo.importOptions)
        let resumed = try run(["demo", "--no-serve", "--database", path])
        #expect(resumed.status == 0, "\(resumed.errors)")
        #expect(resumed.errors.contains("Generated the tiny demo district"))
        #expect(resumed.output.contains("6 grids; 7 grid workers"))
        #expect(try await store.setting("demo.pending") == nil)
        #expect(try await store.setting("demo.preset") == "tiny")
        // And the run after that leaves it alone.
        let again = try run(["demo", "--no-serve", "--database", path])
        #expect(again.errors.contains("Using the existing data"))
    }

    @Test("addresses from a GBK file: refused with a rejects file, then imported with --keep-going, then matched")
    func addresses() throws {
        let folder = try temporaryFolder()
        let db = folder.appendingPathComponent("demo.sqlite").path
        #expect(try run(["demo", "--preset", "tiny", "--no-serve", "--database", db]).status == 0)
        // A point inside the first grid of the tiny demo.
        let demo = try DemoDistrictGenerator(preset: .tiny).generate()
        let p = demo.regions.first { $0.code.level == .grid }!.geometry.representativePoint!
        let text = """
            地址编码,街路巷,门牌号,小区,幢,单元,室,经度,纬度
            X1,测试路,1,测试小区,1,1,101,\(p.longitude),\(p.latitude)
            X2,测试路,2,,,,,\(p.longitude),\(p.latitude)
            X3,测试路,3,,,,,东经,\(p.latitude)

            """
        let gbk = try #require(text.replacingOccurrences(of: "\n", with: "\r\n").data(using: String.Encoding(rawValue: 0x8000_0632)))
        let file = folder.appendingPathComponent("地址.csv")
        try gbk.write(to: file)
        let refused = try run(["import", "addresses", file.path, "--database", db])
        #expect(refused.status == 1)
        #expect(refused.errors.contains("line 4, column 经度"))
        let rejects = try String(contentsOf: URL(fileURLWithPath: file.path + ".rejects.csv"), encoding: .utf8)
        #expect(rejects.contains("4,经度,东经,error"))
        let kept = try run(["import", "addresses", file.path, "--database", db, "--keep-going"])
        #expect(kept.status == 0, "\(kept.errors)")
        #expect(kept.output.contains("2 new"))
        #expect(kept.output.contains("1 rows rejected"))

        let queries = folder.appendingPathComponent("queries.csv")
        try Data("编号,地址\n1,测试小区1栋1单元101室\n2,测试路２号附近\n3,没有这个地方\n".utf8).write(to: queries)
        let matched = try run(["address", "match", queries.path, "--database", db])
        #expect(matched.status == 0, "\(matched.errors)")
        #expect(matched.output.contains("2 matched"))
        let out = try String(contentsOf: URL(fileURLWithPath: queries.path + ".matched.csv"), encoding: .utf8)
        let lines = out.split(separator: "\r\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[1].contains(",X1,") && lines[1].contains("matched"))
        #expect(lines[2].contains(",X2,"))
        #expect(lines[3].hasSuffix("unmatched,\"no road, compound or village of the library was found in the text\","))
    }

    @Test("an import killed with SIGKILL at any moment leaves the database as it was, or wholly imported", .timeLimit(.minutes(3)))
    func killedImport() async throws {
        let folder = try temporaryFolder()
        let base = folder.appendingPathComponent("base.sqlite").path
        #expect(try run(["demo", "--preset", "tiny", "--no-serve", "--database", base]).status == 0)
        // 30,000 people at the demo's addresses, by address code: birth year and sequence number
        // make each ID number different.
        let store = try SQLiteStore(path: base)
        let codes = try await store.loadAddresses().map(\.code)
        let before = try await store.registryCount(.person)
        let rows = 30_000
        var csv = "身份证号,姓名,地址编码\n"
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        for i in 0..<rows {
            let body = "110101" + String(1950 + i % 50) + "0101" + String(format: "%03d", i / 50)
            let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
            csv += "\(body)\(Array("10X98765432")[sum % 11]),测试\(i),\(codes[i % codes.count])\n"
        }
        let file = folder.appendingPathComponent("people.csv")
        try Data(csv.utf8).write(to: file)

        func copy(_ name: String) throws -> String {
            let path = folder.appendingPathComponent(name).path
            for suffix in ["", "-wal", "-shm", ".keys"] where FileManager.default.fileExists(atPath: base + suffix) {
                try FileManager.default.copyItem(atPath: base + suffix, toPath: path + suffix)
            }
            return path
        }
        func importProcess(_ db: String) throws -> Process {
            let p = Process()
            p.executableURL = executable
            p.arguments = ["import", "people", file.path, "--source", "测试", "--database", db]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        // How long a whole import takes here.
        let full = try copy("full.sqlite")
        let start = Date()
        let whole = try importProcess(full)
        whole.waitUntilExit()
        let duration = Date().timeIntervalSince(start)
        #expect(whole.terminationStatus == 0)
        #expect(try await SQLiteStore(path: full).registryCount(.person) == before + rows)

        var interrupted = 0
        for (n, fraction) in [0.4, 0.7, 0.9].enumerated() {
            let db = try copy("trial\(n).sqlite")
            let p = try importProcess(db)
            try await Task.sleep(for: .milliseconds(Int(duration * fraction * 1000)))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let reopened = try SQLiteStore(path: db)
            try await reopened.migrate()
            let count = try await reopened.registryCount(.person)
            #expect(count == before || count == before + rows, "trial \(n): \(count) people, neither before nor after")
            #expect(try await reopened.integrityCheck() == "ok")
            if p.terminationReason == .uncaughtSignal && count == before { interrupted += 1 }
        }
        #expect(interrupted > 0, "no trial was killed before the import finished")
    }

    @Test("people streamed in chunks: a bad row late in the file or a broken file writes nothing; --keep-going writes the rest")
    func streamedPeople() async throws {
        let folder = try temporaryFolder()
        let db = folder.appendingPathComponent("demo.sqlite").path
        #expect(try run(["demo", "--preset", "tiny", "--no-serve", "--database", db]).status == 0)
        let store = try SQLiteStore(path: db)
        let codes = try await store.loadAddresses().map(\.code)
        let before = try await store.registryCount(.person)
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        var lines = ["身份证号,姓名,地址编码"]
        for i in 0..<20_000 {
            let body = "110101" + String(1950 + i % 50) + "0101" + String(format: "%03d", i / 50)
            let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
            lines.append("\(body)\(Array("10X98765432")[sum % 11]),测试\(i),\(codes[i % codes.count])")
        }
        // Line 15,002 has a wrong check character, line 19,002 an unknown address: both after
        // the first chunks went to the store.
        lines[15_001] = String(lines[15_001].prefix(17)) + (lines[15_001].dropFirst(17).first == "0" ? "1" : "0") + lines[15_001].dropFirst(18)
        lines[19_001] = lines[19_001].split(separator: ",").prefix(2).joined(separator: ",") + ",NO-SUCH-ADDRESS"
        let file = folder.appendingPathComponent("people.csv")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)

        let refused = try run(["import", "people", file.path, "--source", "公安", "--database", db])
        #expect(refused.status == 1)
        #expect(refused.errors.contains("line 15002, column 身份证号") && refused.errors.contains("line 19002, column 地址编码"), "\(refused.errors)")
        #expect(try await store.registryCount(.person) == before)

        let kept = try run(["import", "people", file.path, "--source", "公安", "--database", db, "--keep-going"])
        #expect(kept.status == 0, "\(kept.errors)")
        #expect(kept.output.contains("19998 new") && kept.output.contains("2 rows rejected"), "\(kept.output)")
        #expect(try await store.registryCount(.person) == before + 19_998)
        let again = try run(["import", "people", file.path, "--source", "公安", "--database", db, "--keep-going"])
        #expect(again.output.contains("0 new, 0 merged, 19998 unchanged"), "\(again.output)")

        // The same people renamed, with a broken quote near the end: nothing of the file is written.
        let broken = lines.prefix(18_000).joined(separator: "\n").replacingOccurrences(of: ",测试", with: ",改名")
            .replacingOccurrences(of: ",改名17990,", with: ",\"改名17990,")
        let other = folder.appendingPathComponent("broken.csv")
        try Data((broken + "\n").utf8).write(to: other)
        let failed = try run(["import", "people", other.path, "--source", "公安", "--database", db, "--keep-going"])
        #expect(failed.status == 2)
        #expect(failed.errors.contains("broken.csv:17992, column 2: a quoted field is never closed") && failed.errors.contains("Nothing was written"), "\(failed.errors)")
        let first = try #require(lines[1].split(separator: ",").first.map(String.init))
        // Read as the application does: by the ID number's blind index, opened with the key file.
        let vault = PersonalDataVault(try KeyRing.load(from: URL(fileURLWithPath: db + ".keys")))
        func name() async throws -> String? {
            try await store.registryEntries(.person, keys: [vault.storageKey(.person, key: first)]).first.map { try vault.opened($0).fields["name"] } ?? nil
        }
        #expect(try await name() == "测试0")
        // Without the break the renaming goes through (the same source corrects itself).
        try Data((broken.replacingOccurrences(of: ",\"改名17990,", with: ",改名17990,") + "\n").utf8).write(to: other)
        let renamed = try run(["import", "people", other.path, "--source", "公安", "--database", db, "--keep-going"])
        #expect(renamed.output.contains("17998 merged, 0 unchanged, 0 flagged for review; 1 rows rejected"), "\(renamed.output)")
        #expect(try await name() == "改名0")
    }

    @Test("keys: the demo creates its key file; rotate re-encrypts; without the key file the database is refused")
    func keys() async throws {
        let folder = try temporaryFolder()
        let db = folder.appendingPathComponent("demo.sqlite").path
        let demo = try run(["demo", "--preset", "tiny", "--no-serve", "--database", db])
        #expect(demo.status == 0 && demo.errors.contains("Created the key file \(db).keys"), "\(demo.errors)")
        let before = try KeyRing.load(from: URL(fileURLWithPath: db + ".keys"))
        let rotated = try run(["keys", "rotate", "--database", db])
        #expect(rotated.status == 0, "\(rotated.errors)")
        #expect(rotated.output.contains("Re-encrypted") && rotated.output.contains("with key version 2"), "\(rotated.output)")
        let after = try KeyRing.load(from: URL(fileURLWithPath: db + ".keys"))
        #expect(after.current == 2 && after.secrets.count == 1 && after.secrets[2] != before.secrets[1])
        // The data still opens: the demo runs again on it without creating anything.
        #expect(try run(["demo", "--preset", "tiny", "--no-serve", "--database", db]).status == 0)
        // The wrong key file, or none, is refused before anything is written.
        try FileManager.default.moveItem(atPath: db + ".keys", toPath: db + ".keys.saved")
        let missing = try run(["demo", "--preset", "tiny", "--no-serve", "--database", db])
        #expect(missing.status != 0 && missing.errors.contains("holds encrypted personal data, but there is no key file"), "\(missing.errors)")
        try KeyRing.generate().save(to: URL(fileURLWithPath: db + ".keys"))
        let wrong = try run(["demo", "--preset", "tiny", "--no-serve", "--database", db])
        #expect(wrong.status != 0 && wrong.errors.contains("do not open the personal data of this database"), "\(wrong.errors)")
    }

    @Test("audit verify: the demo's imports form an intact chain; an edit or a cut-off end is reported")
    func auditVerify() async throws {
        let folder = try temporaryFolder()
        let db = folder.appendingPathComponent("demo.sqlite").path
        #expect(try run(["demo", "--preset", "tiny", "--no-serve", "--database", db]).status == 0)
        let intact = try run(["audit", "verify", "--database", db])
        #expect(intact.status == 0, "\(intact.errors)")
        #expect(intact.output.contains("the chain is intact"))
        let anchor = try #require(intact.output.split(separator: " ").last.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) })
        let head = String(try #require(anchor.split(separator: ":").last))
        #expect(head.count == 64)
        let store = try SQLiteStore(path: db)
        let count = try await store.auditEntries(from: 1, limit: 100).count
        #expect(count >= 6, "regions, grid workers, addresses and four registries are imports")
        #expect(try run(["audit", "verify", "--database", db, "--expect-head", head]).status == 0)
        #expect(try run(["audit", "verify", "--database", db, "--expect", anchor]).status == 0)
        // Someone with the file removes the last entry, around the guard.
        try await store.execute("DROP TRIGGER audit_entry_no_delete; DELETE FROM audit_entry WHERE sequence = \(count)")
        let cut = try run(["audit", "verify", "--database", db])
        #expect(cut.status == 0, "the chain alone cannot see its end cut off")
        let checked = try run(["audit", "verify", "--database", db, "--expect-head", head])
        #expect(checked.status == 1 && checked.errors.contains("entries were removed or rewritten"), "\(checked.errors)")
        let anchored = try run(["audit", "verify", "--database", db, "--expect", anchor])
        #expect(anchored.status == 1 && anchored.errors.contains("is gone"), "\(anchored.errors)")
        try await store.execute("DROP TRIGGER audit_entry_no_update; UPDATE audit_entry SET actor = 'someone' WHERE sequence = 2")
        let edited = try run(["audit", "verify", "--database", db])
        #expect(edited.status == 1 && edited.errors.contains("entry 2 was changed"), "\(edited.errors)")
    }

    @Test("a syntax error in the file is reported with its line")
    func syntaxError() throws {
        let folder = try temporaryFolder()
        let file = folder.appendingPathComponent("bad.geojson")
        try Data("{\"type\": \"FeatureCollection\",\n \"features\": [}".utf8).write(to: file)
        let result = try run(["import", "regions", file.path, "--database", folder.appendingPathComponent("db.sqlite").path])
        #expect(result.status == 2)
        #expect(result.errors.contains("line 2"))
    }

    @Test("every command has help")
    func help() throws {
        let top = try run(["--help"])
        for command in ["serve", "demo", "migrate", "import", "export", "bench"] { #expect(top.output.contains(command)) }
        let importHelp = try run(["import", "regions", "--help"])
        #expect(importHelp.output.contains("--crs"))
        #expect(importHelp.output.contains("--valid-from"))
        for path in [["serve"], ["demo"], ["migrate"], ["export", "regions"], ["bench", "locate"], ["bench", "locate-http"], ["bench", "points"]] {
            let r = try run(path + ["--help"])
            #expect(r.status == 0 && r.output.contains("USAGE"), "\(path)")
        }
    }

    @Test("serve answers over real HTTP to the demo's accounts, and only to them")
    func serve() async throws {
        let folder = try temporaryFolder()
        let db = folder.appendingPathComponent("demo.sqlite").path
        let demo = try run(["demo", "--preset", "tiny", "--no-serve", "--database", db])
        #expect(demo.status == 0)
        // Every role has an account, printed with its password.
        let printed = demo.output.split(separator: "\n").filter { $0.hasPrefix("  ") }.map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(Set(printed.compactMap { $0.count >= 3 ? String($0[2]) : nil }) == Set(Role.builtIn.map(\.id)))
        let gridWorker = try #require(printed.first { $0.first == "grid-worker" })
        let password = String(gridWorker[1])
        // A second run prints the same passwords (from the file beside the database), creating nothing.
        #expect(try run(["demo", "--preset", "tiny", "--no-serve", "--database", db]).output.contains(password))
        let port = 20_000 + Int.random(in: 0..<20_000)
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--database", db, "--port", String(port), "--log-level", "error"]
        try process.run()
        defer { process.terminate() }
        var answer: (Data, URLResponse)?
        for _ in 0..<100 {
            answer = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/api/v1/regions/locate?lat=30.47&lon=120.19")!)
            if answer != nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let (refusal, anonymous) = try #require(answer)
        #expect((anonymous as? HTTPURLResponse)?.statusCode == 401, "\(String(decoding: refusal, as: UTF8.self))")
        // Log in as the grid worker; the session cookie comes back HttpOnly and SameSite=Strict.
        let session = URLSession(configuration: .ephemeral)
        var login = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/session")!)
        login.httpMethod = "POST"
        login.setValue("application/json", forHTTPHeaderField: "Content-Type")
        login.httpBody = Data(#"{"username": "grid-worker", "password": "\#(password)"}"#.utf8)
        let (loginBody, loginResponse) = try await session.data(for: login)
        let http = try #require(loginResponse as? HTTPURLResponse)
        #expect(http.statusCode == 200, "\(String(decoding: loginBody, as: UTF8.self))")
        let cookie = try #require(http.value(forHTTPHeaderField: "Set-Cookie"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        let (data, response) = try await session.data(from: URL(string: "http://127.0.0.1:\(port)/api/v1/regions/locate?lat=30.47&lon=120.19")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let body = try JSONParser.parse(data).objectValue
        #expect(body?["regions"]?.arrayValue?.first?.objectValue?["code"]?.stringValue == "330110000000")
        // The console creates an account and issues a token for it.
        let added = try run(["account", "add", "ops-1", "--name", "运维", "--role", "analyst", "--territory", "330110", "--database", db])
        #expect(added.status == 0 && added.output.contains("Created ops-1 with the password"))
        let issued = try run(["account", "token", "ops-1", "--name", "kpi export", "--permission", "kpi.read", "territory.read", "--days", "7", "--database", db])
        let secret = try #require(issued.output.split(separator: "\n").last.map(String.init))
        var tokenRequest = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/regions?level=street")!)
        tokenRequest.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
        #expect(((try await URLSession(configuration: .ephemeral).data(for: tokenRequest)).1 as? HTTPURLResponse)?.statusCode == 200)
        #expect(try run(["account", "token", "ops-1", "--name", "too much", "--permission", "audit.read", "--database", db]).status != 0)
    }

    @Test("case writes from several clients survive a SIGKILL of the server: every acknowledged write is there, nothing else", .timeLimit(.minutes(3)))
    func acknowledgedCaseWritesSurviveSIGKILL() async throws {
        let folder = try temporaryFolder()
        let db = folder.appendingPathComponent("demo.sqlite").path
        #expect(try run(["demo", "--preset", "tiny", "--no-serve", "--database", db]).status == 0)
        let issued = try run(["account", "token", "admin", "--name", "sigkill", "--permission", "case.report", "case.register", "case.read", "--days", "1", "--database", db])
        let token = try #require(issued.output.split(separator: "\n").last.map(String.init))
        let demo = try DemoDistrictGenerator(preset: .tiny).generate()
        let points = demo.regions.filter { $0.code.level == .grid }.prefix(4).map { $0.geometry.representativePoint! }
        let port = 20_000 + Int.random(in: 0..<20_000)
        func start() throws -> Process {
            let p = Process()
            p.executableURL = executable
            p.arguments = ["serve", "--database", db, "--port", String(port), "--log-level", "error"]
            try p.run()
            return p
        }
        let base = "http://127.0.0.1:\(port)/api/v1"
        func call(_ method: String, _ path: String, _ body: String?, key: String? = nil) async throws -> (Int, JSONObject?) {
            var request = URLRequest(url: URL(string: base + path)!)
            request.httpMethod = method
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            if let key { request.setValue(key, forHTTPHeaderField: "Idempotency-Key") }
            request.httpBody = body.map { Data($0.utf8) }
            request.timeoutInterval = 5
            let (data, response) = try await URLSession(configuration: .ephemeral).data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONParser.parse(data).objectValue)
        }
        func waitUntilUp() async throws {
            for _ in 0..<150 {
                if let (status, _) = try? await call("GET", "/cases?limit=1", nil), status == 200 { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw TestFailure("the server did not come up")
        }
        var server = try start()
        try await waitUntilUp()

        /// What a client was told: case numbers by idempotency key, and the versions acknowledged.
        struct Acknowledged: Sendable { var created: [String: String] = [:]; var registered: [String: Int] = [:]; var sent: Set<String> = [] }
        let clients = 4
        let results = try await withThrowingTaskGroup(of: Acknowledged.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var mine = Acknowledged()
                    for n in 0..<10_000 {
                        let key = "client\(client)-\(n)"
                        let p = points[(client + n) % points.count]
                        mine.sent.insert(key)
                        guard let (status, body) = try? await call("POST", "/cases", #"{"source": "hotline", "classCode": "E0102", "description": "写入 \#(key)", "location": {"longitude": \#(p.longitude), "latitude": \#(p.latitude)}}"#, key: key),
                              status == 201 || status == 200, let number = body?["case"]?.objectValue?["number"]?.stringValue else { return mine }
                        mine.created[key] = number
                        if n % 2 == 0 {
                            guard let (s, b) = try? await call("POST", "/cases/\(number)/register", #"{"version": 1}"#), s == 200,
                                  let v = b?["version"]?.doubleValue else { return mine }
                            mine.registered[number] = Int(v)
                        }
                    }
                    return mine
                }
            }
            try await Task.sleep(for: .milliseconds(1500))
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
            return try await group.reduce(into: [Acknowledged]()) { $0.append($1) }
        }
        let created = results.reduce(into: [String: String]()) { $0.merge($1.created) { a, _ in a } }
        let registered = results.reduce(into: [String: Int]()) { $0.merge($1.registered) { a, _ in a } }
        let sent = results.reduce(into: Set<String>()) { $0.formUnion($1.sent) }
        #expect(created.count > 20, "the clients wrote too little before the kill to prove anything")

        server = try start()
        defer { server.terminate() }
        try await waitUntilUp()
        // Every acknowledged case and step is there.
        for (key, number) in created {
            let (status, body) = try await call("GET", "/cases/\(number)", nil)
            #expect(status == 200, "\(key) → \(number) was acknowledged but is gone")
            if let version = registered[number] { #expect(body?["version"]?.doubleValue.map(Int.init) ?? 0 >= version && body?["status"]?.stringValue == "registered") }
        }
        // Nothing else: every case the clients' account reported came from a key a client sent, each key once.
        let store = try SQLiteStore(path: db)
        let admin = try #require(try await store.account(username: "admin")?.id)
        let stored = try await store.cases({ var q = CaseQuery(); q.reporterAccount = admin; q.limit = 100_000; return q }())
        let keys = stored.map { String($0.description.dropFirst(3)) }
        #expect(Set(keys).count == keys.count)
        #expect(Set(keys).isSubset(of: sent))
        #expect(Set(created.keys).isSubset(of: Set(keys)))
        // A retried request after the restart gets the stored case, not a second one.
        if let (key, number) = created.first {
            let p = points[0]
            let (status, body) = try await call("POST", "/cases", #"{"source": "hotline", "classCode": "E0102", "description": "写入 \#(key)", "location": {"longitude": \#(p.longitude), "latitude": \#(p.latitude)}}"#, key: key)
            #expect(status == 200 && body?["case"]?.objectValue?["number"]?.stringValue == number)
        }
    }
}

struct TestFailure: Error { var message: String; init(_ m: String) { message = m } }
