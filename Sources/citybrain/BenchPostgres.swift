import ArgumentParser
import DemoData
import Foundation
import GeoKit
import Governance
import PostgresStore
import SQLiteStore

/// The PostgreSQL store beside SQLite and the in-memory indexes, on the demo district: writing the
/// address library (COPY vs SQLite's prepared upserts), point → grid (the in-memory grid index vs a
/// PostGIS join) and the radius query (the packed point index vs `ST_DWithin` with GiST).
struct BenchPostgres: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "PostgreSQL/PostGIS beside SQLite and the in-memory indexes: address import, point → grid, 500 m radius.",
        discussion: "Needs a server: scripts/with-postgres swift run -c release citybrain bench postgres (it sets CITYBRAIN_TEST_POSTGRES). Works in a schema of its own, dropped at the end.")

    @Option(help: "postgres://user@host:port/database (default: CITYBRAIN_TEST_POSTGRES).")
    var postgres: String = ProcessInfo.processInfo.environment["CITYBRAIN_TEST_POSTGRES"] ?? ""
    @Option(help: "Demo scale.") var preset: DemoPreset = .district
    @Option(help: "Random points for point → grid.") var points = 200_000
    @Option(help: "Radius queries.") var queries = 300
    @Option(help: "Radius in metres.") var radius = 500.0
    @Option(help: "Seed.") var seed: UInt64 = 20_190_101

    func run() async throws {
        guard !postgres.isEmpty else { throw ValidationError("--postgres URL is required (or run under scripts/with-postgres)") }
        let progress = Progress()
        let (demo, territory) = try demoTerritory(preset, seed: seed, progress: progress)
        let library = DemoAddressGenerator(district: demo).generate(progress: { progress.update($0) })
        let addresses = library.addresses
        let regions = demo.regions.map { Region(code: $0.code, name: $0.name, parentCode: $0.parentCode, geometry: $0.geometry, validFrom: demo.validFrom) }
        let schema = "bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let store = try PostgresStore(url: postgres + (postgres.contains("?") ? "&" : "?") + "schema=" + schema)
        try await store.migrate()
        func batch(_ kind: String, _ n: Int) -> ImportBatch { ImportBatch(kind: kind, source: "bench", actor: "bench", importedAt: Date(), recordCount: n) }

        // 1. Writing the address library.
        progress.update("PostgreSQL: regions and \(addresses.count) addresses by COPY")
        _ = try await store.commit(RegionChangeSet(closing: [], inserting: regions, batch: batch("regions", regions.count), basedOnBatch: nil))
        let start = Date()
        _ = try await store.saveAddresses(addresses, aliases: library.aliases, batch: batch("addresses", addresses.count), basedOnBatch: nil)
        let copyTime = Date().timeIntervalSince(start)
        progress.update("SQLite: the same addresses")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = try SQLiteStore(path: folder.appendingPathComponent("bench.sqlite").path)
        try await sqlite.migrate()
        let sqliteStart = Date()
        _ = try await sqlite.saveAddresses(addresses, aliases: library.aliases, batch: batch("addresses", addresses.count), basedOnBatch: nil)
        let sqliteTime = Date().timeIntervalSince(sqliteStart)

        // 2. Point → grid.
        let box = territory.region(demo.districtCode)!.geometry.boundingBox!
        let sample = randomPoints(in: box, count: points, seed: seed)
        progress.update("point → grid in memory")
        var inMemory: [RegionCode?] = []
        let memoryTime = measure { inMemory = sample.map { territory.grid(at: $0)?.code } }
        progress.update("point → grid by PostGIS")
        var postgis: [RegionCode?] = []
        let postgisStart = Date()
        for chunk in stride(from: 0, to: sample.count, by: 10_000) {
            postgis += try await store.gridCodes(containing: Array(sample[chunk..<min(chunk + 10_000, sample.count)]))
        }
        let postgisTime = Date().timeIntervalSince(postgisStart)
        let agree = zip(inMemory, postgis).filter { $0 == $1 }.count

        // 3. Radius around addresses.
        progress.update("\(Int(radius)) m radius: packed index and ST_DWithin")
        let coordinates = addresses.map(\.coordinate)
        let index = PackedPointIndex(coordinates.enumerated().map { (Int64($0.offset), $0.element) })
        var random = DemoRandom(seed: seed).substream("radius centres")
        let centres = (0..<queries).map { _ in coordinates.randomElement(using: &random)! }
        var indexTimes: [Double] = [], sqlTimes: [Double] = []
        var indexFound = 0, sqlFound = 0
        for c in centres {
            indexTimes.append(measure { indexFound += index.identifiers(within: radius, of: c).count })
            let t = Date()
            sqlFound += try await store.addressCount(within: radius, of: c)
            sqlTimes.append(Date().timeIntervalSince(t))
        }
        indexTimes.sort()
        sqlTimes.sort()
        progress.finish()

        func ms(_ t: Double) -> String { String(format: "%.3f ms", t * 1e3) }
        func p(_ times: [Double], _ q: Double) -> Double { times[min(times.count - 1, Int(Double(times.count) * q))] }
        print("PostgreSQL store on the \(preset.rawValue) demo (\(regions.count) regions, \(addresses.count) addresses):")
        print("  writing the address library   PostgreSQL COPY + upsert: \(formatRate(Double(addresses.count) / copyTime)) (\(String(format: "%.1f", copyTime)) s)")
        print("    baseline: SQLite             prepared upserts:         \(formatRate(Double(addresses.count) / sqliteTime)) (\(String(format: "%.1f", sqliteTime)) s)")
        print("    ratio                        \(String(format: "%.2f", sqliteTime / copyTime))× SQLite's rate")
        print("  point → grid, \(points) random points in the district's box")
        print("    in-memory grid index          \(formatRate(Double(points) / memoryTime))")
        print("    PostGIS ST_Covers join        \(formatRate(Double(points) / postgisTime)) (in batches of 10,000; \(agree) of \(points) answers agree)")
        print("    ratio                         \(String(format: "%.0f", postgisTime / memoryTime))× faster in memory")
        print("  \(Int(radius)) m radius around \(queries) addresses (\(indexFound / max(queries, 1)) addresses each on average; PostGIS found \(sqlFound / max(queries, 1)))")
        print("    packed point index            p50 \(ms(p(indexTimes, 0.5))), p99 \(ms(p(indexTimes, 0.99)))")
        print("    PostGIS ST_DWithin + GiST     p50 \(ms(p(sqlTimes, 0.5))), p99 \(ms(p(sqlTimes, 0.99))) (round trip included)")
        print("    ratio                         \(String(format: "%.0f", p(sqlTimes, 0.5) / p(indexTimes, 0.5)))× faster in memory at p50")
        try await store.dropSchema()
        await store.shutdown()
    }
}
