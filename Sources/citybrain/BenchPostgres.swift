import ArgumentParser
import DemoData
import Foundation
import GeoKit
import Governance
import PostgresStore
import SQLiteStore
import Synchronization

/// The PostgreSQL store beside SQLite and the in-memory indexes, on the demo district: the district
/// import — address library, registries, case history — by COPY vs SQLite's prepared statements,
/// point → grid (the in-memory grid index vs a PostGIS join) and the radius query (the packed point
/// index vs `ST_DWithin` with GiST).
struct BenchPostgres: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "PostgreSQL/PostGIS beside SQLite and the in-memory indexes: district import, point → grid, 500 m radius.",
        discussion: "Needs a server: scripts/with-postgres swift run -c release citybrain bench postgres (it sets CITYBRAIN_TEST_POSTGRES). Works in a schema of its own, dropped at the end.")

    @Option(help: "postgres://user@host:port/database (default: CITYBRAIN_TEST_POSTGRES).")
    var postgres: String = ProcessInfo.processInfo.environment["CITYBRAIN_TEST_POSTGRES"] ?? ""
    @Option(help: "Demo scale.") var preset: DemoPreset = .district
    @Option(help: "Random points for point → grid.") var points = 200_000
    @Option(help: "Radius queries.") var queries = 300
    @Option(help: "Radius in metres.") var radius = 500.0
    @Option(help: "Seed.") var seed: UInt64 = 20_190_101
    @Option(name: .customLong("registries"), help: "Also import the registries (true/false).") var importRegistries = true
    @Option(name: .customLong("cases"), help: "Also import the case history (true/false).") var importCases = true

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

        // The rest of the district import: the registries (generated once, unsealed: the stores'
        // cost alone) and the case history, the same rows into both stores.
        var registryRows: [RegistryKind: [RegistryRow]] = [:]
        if importRegistries {
            let generator = DemoRegistryGenerator(district: demo, library: library)
            let allocator = DemoRegistryGenerator.CodeAllocator()
            let now = Date()
            for i in 0..<generator.communityCount {
                for (kind, entries) in generator.records(ofCommunity: i, at: now, allocator: allocator) {
                    registryRows[kind, default: []] += entries.map { RegistryRow(line: 0, entry: $0) }
                }
                if i % 20 == 0 { progress.update("generating registries: community \(i + 1)/\(generator.communityCount)") }
            }
        }
        var registryTimes: [(kind: RegistryKind, rows: Int, postgres: Double, sqlite: Double)] = []
        for kind in RegistryKind.allCases {
            guard let rows = registryRows.removeValue(forKey: kind), !rows.isEmpty else { continue }
            progress.update("registries: \(rows.count) \(kind.rawValue) records into PostgreSQL, then SQLite")
            let family = ImportFamily.of(kind).rawValue
            var t = Date()
            _ = try await store.writeRegistry(kind, feed: RegistryFeed(rows), batch: batch(family, rows.count), basedOnBatch: nil)
            let postgresTime = Date().timeIntervalSince(t)
            t = Date()
            _ = try await sqlite.writeRegistry(kind, feed: RegistryFeed(rows), batch: batch(family, rows.count), basedOnBatch: nil)
            registryTimes.append((kind, rows.count, postgresTime, Date().timeIntervalSince(t)))
        }
        var history: [[(Case, [CaseEvent])]] = []
        if importCases {
            let generator = DemoCaseGenerator(district: demo, end: CivilDay(Date()), routes: DemoDepartments.routes(
                district: demo.districtCode, streets: territory.regions(level: .street, under: demo.districtCode).map { (code: $0.code, name: $0.name) }))
            for month in generator.months.indices {
                history.append(generator.cases(ofMonth: month))
                progress.update("generating case history: month \(month + 1)/\(generator.months.count)")
            }
        }
        let caseCount = history.reduce(0) { $0 + $1.count }, eventCount = history.reduce(0) { $0 + $1.reduce(0) { $0 + $1.1.count } }
        var caseTimes: (postgres: Double, sqlite: Double) = (0, 0)
        if caseCount > 0 {
            let months = history
            func feed() -> @Sendable () throws -> [(Case, [CaseEvent])]? {
                let next = Mutex(0)
                return { next.withLock { i in defer { i += 1 }; return i < months.count ? months[i] : nil } }
            }
            let audit = AuditRecord(actor: "bench", action: "import.cases", target: "")
            progress.update("case history: \(caseCount) cases, \(eventCount) events into PostgreSQL")
            var t = Date()
            _ = try await store.importCaseHistory(audit: audit, next: feed())
            caseTimes.postgres = Date().timeIntervalSince(t)
            progress.update("case history: the same into SQLite")
            t = Date()
            _ = try await sqlite.importCaseHistory(audit: audit, next: feed())
            caseTimes.sqlite = Date().timeIntervalSince(t)
        }
        history = []

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
        for r in registryTimes {
            print("  registry \(r.kind.rawValue) (\(r.rows) records)   PostgreSQL COPY: \(formatRate(Double(r.rows) / r.postgres)) (\(String(format: "%.1f", r.postgres)) s)")
            print("    baseline: SQLite             \(formatRate(Double(r.rows) / r.sqlite)) (\(String(format: "%.1f", r.sqlite)) s); ratio \(String(format: "%.2f", r.sqlite / r.postgres))× SQLite's rate")
        }
        if caseCount > 0 {
            let rows = Double(caseCount + eventCount)
            print("  case history (\(caseCount) cases, \(eventCount) events)   PostgreSQL COPY: \(formatRate(rows / caseTimes.postgres)) rows (\(String(format: "%.1f", caseTimes.postgres)) s)")
            print("    baseline: SQLite             \(formatRate(rows / caseTimes.sqlite)) rows (\(String(format: "%.1f", caseTimes.sqlite)) s); ratio \(String(format: "%.2f", caseTimes.sqlite / caseTimes.postgres))× SQLite's rate")
        }
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
