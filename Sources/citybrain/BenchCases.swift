import ArgumentParser
import DemoData
import Foundation
import GeoKit
import GRDB
import Governance
import SQLiteStore

struct BenchCases: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases",
        abstract: "Case writes (reports and full-lifecycle steps) beside bare inserts of the same rows, and KPI queries from the read model beside the same figures computed by scanning the cases table.",
        discussion: """
            Writes: every report and every step is one transaction with its timeline entry, audit record and read-model \
            update, as the API does it; the baseline inserts the same case rows, one transaction each, into a table \
            without indexes. KPIs: the preset's case history (1.32 million cases for `district`) is generated and \
            loaded first; then whole-district, street, department and grid-worker KPIs for a year and for months are \
            asked through the service, and the district's year is recounted by one SQL pass over the cases table.
            """)

    @Option(help: "Demo scale of the territory and the history.") var preset: DemoPreset = .small
    @Option(help: "Seed.") var seed: UInt64 = 20_261_129
    @Option(help: "Cases reported and taken around the loop in the write benchmark.") var cases = 3000
    @Option(help: "KPI queries timed.") var queries = 400

    func run() async throws {
        let progress = Progress()
        let bench = try await BenchDistrict(preset: preset, seed: seed, progress: progress)
        defer { bench.cleanUp() }
        let store = bench.store
        let service = CaseService(store: store, regions: bench.regions, addresses: bench.addresses, vault: PersonalDataVault(.generate()),
                                  attachments: AttachmentVault(directory: bench.folder.appendingPathComponent("attachments")))
        try await service.load()
        let console = Principal.console("bench")
        let territory = bench.regions.territory()
        let streets = territory.regions(level: .street, under: bench.demo.districtCode).map { (code: $0.code, name: $0.name) }
        for d in DemoDepartments.departments(streets: streets) { try await service.saveDepartment(d, by: console) }
        try await service.saveRoutes(DemoDepartments.routes(district: bench.demo.districtCode, streets: streets), by: console)

        // Writes.
        let grids = territory.regions(level: .grid, under: nil)
        var random = DemoRandom(seed: seed).substream("bench-cases")
        let points = (0..<cases).map { _ in grids.randomElement(using: &random)!.geometry.representativePoint! }
        let classes = ["E0102", "E0104", "E0402", "E0404", "C0104"].map { try! CaseClassCode($0) }
        progress.update("reporting \(cases) cases")
        var reported: [Case] = []
        let reportStart = DispatchTime.now().uptimeNanoseconds
        for (i, p) in points.enumerated() {
            reported.append(try await service.report(CaseIntake(source: .patrol, classCode: classes[i % classes.count], description: "基准测试案件 \(i)", location: p),
                                                     by: console).case)
        }
        let reportTime = Double(DispatchTime.now().uptimeNanoseconds - reportStart) / 1e9
        progress.update("taking \(cases) cases around the loop")
        let steps: [(CaseCommand, String?)] = [(.register(classCode: nil, urgency: nil), nil), (.dispatch(department: "urban-management", assisting: [], assistingLimit: nil), nil),
                                               (.accept, nil), (.reportHandled, "已处置"), (.inspect(passed: true), nil), (.evaluate(satisfaction: 5), nil)]
        let stepStart = DispatchTime.now().uptimeNanoseconds
        var finished: [Case] = []
        for c in reported {
            var current = c
            for (command, note) in steps {
                current = try await service.perform(command, on: current.number, version: current.version, note: note, by: console)
            }
            finished.append(current)
        }
        let stepTime = Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e9
        progress.update("reporting \(cases) cases from 4 concurrent clients")
        let concurrentStart = DispatchTime.now().uptimeNanoseconds
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<4 {
                group.addTask {
                    for i in stride(from: client, to: points.count, by: 4) {
                        _ = try await service.report(CaseIntake(source: .hotline, classCode: classes[i % classes.count], description: "并发基准 \(i)", location: points[i]),
                                                     by: console)
                    }
                }
            }
            try await group.waitForAll()
        }
        let concurrentTime = Double(DispatchTime.now().uptimeNanoseconds - concurrentStart) / 1e9

        // Baseline: the same case rows (their final JSON), one bare INSERT per transaction, and all in one.
        progress.update("bare inserts")
        let bodies = try finished.map { c -> (String, String) in
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .millisecondsSince1970
            return (c.number, String(decoding: try encoder.encode(c), as: UTF8.self))
        }
        let bare = try DatabasePool(path: bench.folder.appendingPathComponent("bare.sqlite").path,
                                    configuration: { var c = Configuration(); c.prepareDatabase { try $0.execute(sql: "PRAGMA synchronous = NORMAL") }; return c }())
        try await bare.write { db in try db.execute(sql: "CREATE TABLE bare (number TEXT, body TEXT); CREATE TABLE bare_once (number TEXT, body TEXT)") }
        let bareStart = DispatchTime.now().uptimeNanoseconds
        for (number, body) in bodies {
            try await bare.write { db in try db.cachedStatement(sql: "INSERT INTO bare VALUES (?, ?)").execute(arguments: [number, body]) }
        }
        let bareTime = Double(DispatchTime.now().uptimeNanoseconds - bareStart) / 1e9
        let onceStart = DispatchTime.now().uptimeNanoseconds
        try await bare.write { db in
            let insert = try db.makeStatement(sql: "INSERT INTO bare_once VALUES (?, ?)")
            for (number, body) in bodies { try insert.execute(arguments: [number, body]) }
        }
        let onceTime = Double(DispatchTime.now().uptimeNanoseconds - onceStart) / 1e9

        // KPIs at the preset's scale of history.
        let generator = DemoCaseGenerator(district: bench.demo, end: CivilDay(iso: "2026-11-30")!, routes: try await store.dispatchRoutes(), calendar: service.calendar)
        let feed = CaseHistoryFeed(generator, progress: { progress.update($0) })
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let historyCount = try await store.importCaseHistory(audit: AuditRecord(actor: "bench", action: "import.cases", target: ""), next: { feed.next() })
        let loadTime = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
        let year = (CivilDay(iso: "2025-01-01")!, CivilDay(iso: "2026-01-01")!)
        let now = CivilDay(iso: "2026-11-30")!.start
        let district = KPIScope.region(bench.demo.districtCode)
        var scopes: [KPIScope] = [district] + streets.prefix(5).map { .region($0.code) } + ["urban-management", "market-supervision"].map { .department($0) }
        scopes += bench.regions.gridWorkers.workers.prefix(5).map { .grids($0.gridCodes) }
        progress.update("\(queries) KPI queries")
        var latencies: [Double] = []
        var districtYear = KPIReport(counters: KPICounters())
        for q in 0..<queries {
            let scope = q % 2 == 0 ? district : scopes[q % scopes.count]
            let month = 1 + q % 12
            let (from, to) = q % 3 == 0 ? year : (CivilDay(year: 2025, month: month, day: 1)!, month == 12 ? year.1 : CivilDay(year: 2025, month: month + 1, day: 1)!)
            let start = DispatchTime.now().uptimeNanoseconds
            let k = try await service.kpis(scope, from: from, to: to, now: now)
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            if scope == district && from == year.0 && to == year.1 { districtYear = k.current }
        }
        let districtYearLatencies = try await (0..<60).asyncMap { _ -> Double in
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try await service.kpiReport(district, from: year.0, to: year.1, now: now)
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
        progress.update("recounting the district's 2025 by scanning the cases table")
        let reader = try DatabaseQueue(path: store.path)
        let scanStart = DispatchTime.now().uptimeNanoseconds
        let scanned = try await reader.read { db in try Self.scanDistrictYear(db, from: year.0, to: year.1) }
        let scanTime = Double(DispatchTime.now().uptimeNanoseconds - scanStart) / 1e3 / 1e3
        progress.finish()

        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        print("case writes, \(preset.rawValue) preset (\(grids.count) grids), \(cases) cases, one transaction per write, SQLite WAL:")
        print("  report (number, grid, clock, timeline, audit, read model)   \(formatRate(Double(cases) / reportTime)) cases")
        print("  lifecycle steps (register … evaluate, 6 per case)            \(formatRate(Double(cases * steps.count) / stepTime)) steps  (\(formatRate(Double(cases) / stepTime)) whole lifecycles)")
        print("  report from 4 concurrent clients                             \(formatRate(Double(cases) / concurrentTime)) cases")
        print("  baseline: bare INSERT of the same rows, one transaction each \(formatRate(Double(cases) / bareTime)) rows"
              + String(format: "  (report is %.1f× slower, a step %.1f×)", (reportTime / Double(cases)) / (bareTime / Double(cases)), (stepTime / Double(cases * steps.count)) / (bareTime / Double(cases))))
        print("  baseline: bare INSERT, all rows in one transaction           \(formatRate(Double(cases) / onceTime)) rows")
        print("case history: \(historyCount) cases loaded in \(String(format: "%.1f", loadTime)) s (\(formatRate(Double(historyCount) / loadTime)) cases with their timelines)")
        print("KPI queries from the read model (\(queries) queries: district, streets, departments, grid workers; a year or a month; each with 环比 and 同比):")
        print(String(format: "  p50 %.2f ms   p95 %.2f ms   p99 %.2f ms per comparison (3 periods)", percentile(latencies, 0.5), percentile(latencies, 0.95), percentile(latencies, 0.99)))
        print(String(format: "  the district's 2025 alone: p50 %.2f ms   p95 %.2f ms", percentile(districtYearLatencies, 0.5), percentile(districtYearLatencies, 0.95)))
        print(String(format: "  baseline: the same year recounted by scanning the cases table  %.0f ms (%.0f× the read model's p95)", scanTime,
                     scanTime / percentile(districtYearLatencies, 0.95)))
        let c = districtYear.counters
        var compared = KPICounters()
        (compared.reported, compared.handleDue, compared.handledOnTime) = (c.reported, c.handleDue, c.handledOnTime)
        (compared.closeDue, compared.closed, compared.closedOnTime) = (c.closeDue, c.closed, c.closedOnTime)
        let agree = compared == scanned
        let closingRate = String(format: "%.2f", 100 * (districtYear.closingRate ?? 0))
        let onTimeRate = String(format: "%.2f", 100 * (districtYear.closedOnTimeRate ?? 0))
        let verdict = agree ? "agrees" : "DISAGREES: \(scanned)"
        print("  2025: \(c.closeDue) due for closing, \(c.closed) closed (结案率 \(closingRate) %), \(c.closedOnTime) on time (按期结案率 \(onTimeRate) %); the scan \(verdict)")
    }

    /// The district's KPI counters for the days, by one pass over every case row (no read model).
    static func scanDistrictYear(_ db: Database, from: CivilDay, to: CivilDay) throws -> KPICounters {
        let (f, t) = (Int64(from.start.timeIntervalSince1970 * 1000), Int64(to.start.timeIntervalSince1970 * 1000))
        let row = try Row.fetchOne(db, sql: """
            SELECT
              sum(reported_at >= :f AND reported_at < :t),
              sum(dispatched AND handle_due_at >= :f AND handle_due_at < :t),
              sum(dispatched AND handle_due_at >= :f AND handle_due_at < :t AND status IN ('handled', 'closed', 'evaluated') AND json_extract(body, '$.onTime.handle') = 1),
              sum(dispatched AND close_due_at >= :f AND close_due_at < :t),
              sum(dispatched AND close_due_at >= :f AND close_due_at < :t AND status IN ('closed', 'evaluated')),
              sum(dispatched AND close_due_at >= :f AND close_due_at < :t AND status IN ('closed', 'evaluated') AND json_extract(body, '$.closedAt') <= close_due_at)
            FROM (SELECT *, status NOT IN ('rejected', 'merged') AND json_extract(body, '$.dispatchedAt') IS NOT NULL AS dispatched FROM case_record)
            """, arguments: ["f": f, "t": t])!
        var k = KPICounters()
        k.reported = row[0] ?? 0
        k.handleDue = row[1] ?? 0
        k.handledOnTime = row[2] ?? 0
        k.closeDue = row[3] ?? 0
        k.closed = row[4] ?? 0
        k.closedOnTime = row[5] ?? 0
        return k
    }
}

extension Range where Bound == Int {
    func asyncMap<T>(_ transform: (Int) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for i in self { result.append(try await transform(i)) }
        return result
    }
}
