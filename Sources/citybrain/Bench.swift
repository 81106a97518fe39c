import ArgumentParser
import DataFiles
import DemoData
import Foundation
import GeoKit
import Governance
import GRDB
import Hummingbird
import Logging
import SQLiteStore
import Server
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks of the hot paths, each beside a baseline measured in the same run.",
        discussion: "Build in release mode for meaningful figures: swift run -c release citybrain bench locate",
        subcommands: [BenchLocate.self, BenchLocateHTTP.self, BenchPoints.self, BenchAddressMatch.self, BenchRegistryImport.self, BenchSeal.self, BenchCases.self, BenchPostgres.self, BenchInstances.self])
}

/// Wall-clock time of `body`, in seconds.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func formatRate(_ perSecond: Double) -> String {
    perSecond >= 1e6 ? String(format: "%.2f M/s", perSecond / 1e6) : String(format: "%.0f /s", perSecond)
}

/// A store in a temporary folder with the demo district's regions imported, and the services over it.
/// The folder is removed by `cleanUp`.
struct BenchDistrict {
    let folder: URL
    let store: SQLiteStore
    let regions: RegionService
    let addresses: AddressService
    let demo: DemoDistrict

    init(preset: DemoPreset, seed: UInt64, progress: Progress) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try SQLiteStore(path: folder.appendingPathComponent("bench.sqlite").path)
        try await store.migrate()
        regions = RegionService(store: store)
        addresses = AddressService(store: store, regions: regions)
        demo = try DemoDistrictGenerator(preset: preset, seed: seed).generate(progress: { progress.update($0) })
        progress.update("importing the demo district")
        _ = try await regions.importRegions(demo.regions, options: demo.importOptions)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: folder) }
}

/// The demo territory in memory, without a database.
func demoTerritory(_ preset: DemoPreset, seed: UInt64, progress: Progress) throws -> (DemoDistrict, Territory) {
    let demo = try DemoDistrictGenerator(preset: preset, seed: seed).generate(progress: { progress.update($0) })
    let regions = demo.regions.map { Region(code: $0.code, name: $0.name, parentCode: $0.parentCode, geometry: $0.geometry, validFrom: demo.validFrom) }
    progress.update("building the grid index")
    return (demo, RegionCatalog(versions: regions).territory(at: demo.validFrom))
}

/// Uniform random positions in the district's bounding box (about half fall inside the district).
func randomPoints(in box: BoundingBox, count: Int, seed: UInt64) -> [Coordinate] {
    var random = DemoRandom(seed: seed).substream("benchmark points")
    return (0..<count).map { _ in
        Coordinate(longitude: Double.random(in: box.minLongitude...box.maxLongitude, using: &random),
                   latitude: Double.random(in: box.minLatitude...box.maxLatitude, using: &random))
    }
}

struct BenchLocate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locate",
        abstract: "Point → grid: the raster grid index against brute force (bounding box + point-in-polygon over every grid).")

    @Option(help: "Demo scale.") var preset: DemoPreset = .district
    @Option(help: "Points looked up with the index.") var points = 5_000_000
    @Option(help: "Points looked up by brute force (slower).") var baselinePoints = 100_000
    @Option(help: "Seed of district and points.") var seed: UInt64 = 20_190_101

    func run() throws {
        let progress = Progress()
        let (demo, territory) = try demoTerritory(preset, seed: seed, progress: progress)
        let grids = territory.regions(level: .grid, under: nil)
        let box = territory.region(demo.districtCode)!.geometry.boundingBox!
        progress.update("preparing \(points) points")
        let sample = randomPoints(in: box, count: points, seed: seed)

        let prepared = grids.map { PreparedPolygon($0.geometry) }
        let boxes = prepared.map(\.boundingBox)
        let index = PolygonRasterIndex(prepared)
        let stats = index.statistics

        progress.update("brute force over \(baselinePoints) points")
        var bruteAnswers: [Int?] = []
        bruteAnswers.reserveCapacity(baselinePoints)
        let bruteTime = measure {
            for p in sample.prefix(baselinePoints) {
                var found: Int?
                for i in prepared.indices where boxes[i].contains(p) && prepared[i].contains(p) {
                    found = i
                    break
                }
                bruteAnswers.append(found)
            }
        }
        progress.update("raster index over \(points) points")
        var checksum = 0
        var inGrid = 0
        let indexTime = measure {
            for p in sample {
                if let s = index.slot(containing: p) {
                    checksum &+= s
                    inGrid += 1
                }
            }
        }
        let mismatches = zip(sample.prefix(baselinePoints), bruteAnswers).filter { index.slot(containing: $0) != $1 }.count
        // The same measurement on the points that do fall in a grid (no quick "outside" answers).
        let inside = sample.filter { index.slot(containing: $0) != nil }
        var insideChecksum = 0
        let insideTime = measure {
            for p in inside { insideChecksum &+= index.slot(containing: p)! }
        }
        progress.finish()
        let indexRate = Double(points) / indexTime, bruteRate = Double(baselinePoints) / bruteTime
        print("point → grid, \(preset.rawValue) preset: \(grids.count) grids, \(points) random points in the district's bounding box (\(String(format: "%.1f", 100 * Double(inGrid) / Double(points))) % fall in a grid)")
        print("  raster index: \(stats.cells) cells, \(String(format: "%.1f", 100 * Double(stats.boundaryCells) / Double(stats.cells))) % boundary cells")
        let insideRate = Double(inside.count) / insideTime
        print("  raster grid index        \(formatRate(indexRate))  (\(String(format: "%.1f", 1e9 / indexRate)) ns per lookup, one core)")
        print("    points inside grids    \(formatRate(insideRate))  (\(String(format: "%.1f", 1e9 / insideRate)) ns per lookup, \(inside.count) points, checksum \(insideChecksum))")
        print("  baseline: bbox + PIP     \(formatRate(bruteRate))  (\(String(format: "%.1f", 1e9 / bruteRate)) ns per lookup)")
        print("  ratio                    \(String(format: "%.0f", indexRate / bruteRate))× faster; answers differ on \(mismatches) of \(baselinePoints) points (checksum \(checksum))")
    }
}

struct BenchPoints: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "points",
        abstract: "Radius queries over the demo's standard addresses (packed point index), p50/p99, against a scan of all addresses.")

    @Option(help: "Demo scale.") var preset: DemoPreset = .district
    @Option(help: "Number of queries.") var queries = 1000
    @Option(help: "Radius in metres.") var radius = 500.0
    @Option(help: "Seed.") var seed: UInt64 = 20_190_101

    func run() throws {
        let progress = Progress()
        let district = try DemoDistrictGenerator(preset: preset, seed: seed).generate(progress: { progress.update($0) })
        let library = DemoAddressGenerator(district: district).generate(progress: { progress.update($0) })
        let coordinates = library.addresses.map(\.coordinate)
        progress.update("indexing \(coordinates.count) addresses")
        var index: PackedPointIndex!
        let buildTime = measure { index = PackedPointIndex(coordinates.enumerated().map { (Int64($0.offset), $0.element) }) }
        // Centres at addresses: where incidents happen.
        var random = DemoRandom(seed: seed).substream("radius centres")
        let centres = (0..<queries).map { _ in coordinates.randomElement(using: &random)! }
        progress.update("index queries")
        var times: [Double] = []
        var found = 0
        for c in centres {
            let t = measure { found += index.identifiers(within: radius, of: c).count }
            times.append(t)
        }
        times.sort()
        progress.update("scan queries")
        let scanQueries = min(queries, 20)
        var scanned = 0
        let scanTime = measure {
            for c in centres.prefix(scanQueries) {
                scanned += coordinates.reduce(0) { GreatCircle.distance(c, $1) <= radius ? $0 + 1 : $0 }
            }
        }
        progress.finish()
        func ms(_ t: Double) -> String { String(format: "%.3f ms", t * 1e3) }
        print("\(Int(radius)) m radius around addresses, \(preset.rawValue) preset: \(coordinates.count) addresses (index built in \(String(format: "%.2f", buildTime)) s), \(found / max(queries, 1)) addresses per query on average:")
        print("  packed Hilbert R-tree    p50 \(ms(times[times.count / 2])), p99 \(ms(times[Int(Double(times.count) * 0.99)])), max \(ms(times.last!))")
        print("  baseline: full scan      \(ms(scanTime / Double(scanQueries))) per query")
        print("  ratio                    \(String(format: "%.0f", (scanTime / Double(scanQueries)) / times[times.count / 2]))× faster at p50")
    }
}

struct BenchLocateHTTP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locate-http",
        abstract: "POST /api/v1/regions/locate with 10,000 points per request, end to end over HTTP, against the same lookups in process.")

    @Option(help: "Demo scale.") var preset: DemoPreset = .district
    @Option(help: "Requests to send.") var requests = 30
    @Option(help: "Points per request (at most 10,000).") var batch = 10_000
    @Option(help: "Seed.") var seed: UInt64 = 20_190_101

    func run() async throws {
        let progress = Progress()
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let bench = try await BenchDistrict(preset: preset, seed: seed, progress: progress)
        defer { bench.cleanUp() }
        let (store, regions, addresses, demo) = (bench.store, bench.regions, bench.addresses, bench.demo)
        let territory = regions.territory()
        let box = territory.region(demo.districtCode)!.geometry.boundingBox!
        let sample = randomPoints(in: box, count: batch, seed: seed)
        var w = JSONWriter(reservingCapacity: batch * 48)
        w.raw("{\"points\":[")
        for (i, p) in sample.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"lat\":")
            w.number(p.latitude)
            w.raw(",\"lon\":")
            w.number(p.longitude)
            w.raw("}")
        }
        w.raw("]}")
        let body = w.data

        progress.update("parsing the request body in process")
        var parsed = 0
        let parseTime = measure {
            for _ in 0..<requests { parsed &+= ((try? JSONParser.parse(body))?.objectValue?["points"]?.arrayValue?.count ?? 0) }
        }
        progress.update("in-process baseline")
        var inProcess = 0
        let baselineTime = measure {
            for _ in 0..<requests { for p in sample { inProcess &+= territory.locateIndexes(p).count } }
        }

        // The API asks who is calling: an external system's account with a token, as in production.
        let accounts = AccountService(store: store)
        let console = Principal.console("bench")
        _ = try await accounts.createAccount(.init(username: "bench-system", displayName: "benchmark client", roles: [Role.externalSystem.id],
                                                   territory: demo.districtCode, password: SecretToken.generate() + "7a"), by: console)
        let (token, _) = try await accounts.issueToken(for: "bench-system", name: "bench", permissions: [.territoryRead], lifetime: 3600, by: console)
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: buildRouter(services: CityBrainServices(store: store, regions: regions, addresses: addresses,
                                                            layers: LayerService(store: store, addresses: addresses, vault: PersonalDataVault(.generate())),
                                                            accounts: accounts,
                                                            attachments: AttachmentVault(directory: FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-bench-attachments"))),
                                logger: logger),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "CityBrain"),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { return }
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/regions/locate")!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            request.httpBody = body
            // One warm-up request, then the measured ones.
            _ = try await URLSession.shared.data(for: request)
            progress.update("\(requests) requests of \(batch) points")
            var bytes = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<requests {
                let (data, response) = try await URLSession.shared.data(for: request)
                guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                    throw ValidationError("the server answered \((response as? HTTPURLResponse)?.statusCode ?? 0): \(String(decoding: data, as: UTF8.self))")
                }
                bytes += data.count
            }
            let httpTime = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            progress.finish()
            let httpRate = Double(requests * batch) / httpTime, baseRate = Double(requests * batch) / baselineTime
            print("POST /api/v1/regions/locate, \(preset.rawValue) preset, \(requests) requests × \(batch) points (request \(body.count / 1024) KiB, response \(bytes / requests / 1024) KiB):")
            print("  end to end over HTTP     \(formatRate(httpRate)) points  (\(String(format: "%.1f", httpTime / Double(requests) * 1e3)) ms per request)")
            print("  baseline: in process     \(formatRate(baseRate)) points  (lookup with ancestors, no HTTP/JSON)")
            print("  ratio                    HTTP + JSON costs \(String(format: "%.1f", baseRate / httpRate))× the lookup itself")
            print("  of which: parsing the request body takes \(String(format: "%.1f", parseTime / Double(requests) * 1e3)) ms per request (\(parsed / requests) points)")
            group.cancelAll()
        }
    }
}

struct BenchAddressMatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "address-match",
        abstract: "Address matching on noisy texts written from the demo library: speed per core and top-1 accuracy, against exact lookup of the normalised text.")

    @Option(help: "Demo scale.") var preset: DemoPreset = .small
    @Option(help: "Noisy texts to match.") var queries = 100_000
    @Option(help: "Seed.") var seed: UInt64 = 20_190_101
    @Flag(help: "Print some of the noisy texts and every failure.") var verbose = false

    func run() throws {
        let progress = Progress()
        let district = try DemoDistrictGenerator(preset: preset, seed: seed).generate(progress: { progress.update($0) })
        let library = DemoAddressGenerator(district: district).generate(progress: { progress.update($0) })
        progress.update("indexing \(library.addresses.count) addresses")
        var matcher: AddressMatcher!
        let indexTime = measure {
            matcher = AddressMatcher(addresses: library.addresses, aliases: library.aliases, administrativeNames: DemoAddressGenerator.administrativeNames)
        }
        progress.update("writing \(queries) noisy texts")
        var writer = NoisyAddressWriter(library: library, seed: seed)
        var random = DemoRandom(seed: seed).substream("benchmark queries")
        var texts: [String] = []
        var expected: [String] = []
        for _ in 0..<queries {
            let a = library.addresses.randomElement(using: &random)!
            texts.append(writer.write(a))
            expected.append(a.code)
        }
        progress.update("matching")
        var found: [String?] = []
        found.reserveCapacity(queries)
        let matchTime = measure {
            for t in texts { found.append(matcher.match(t).best?.address.code) }
        }
        var parsedCount = 0
        let parseTime = measure {
            for t in texts { parsedCount &+= matcher.parser.parse(t).roads.count }
        }
        // Baseline: what a spreadsheet lookup does, the normalised text against the normalised standard texts.
        progress.update("baseline")
        var exact: [String: String] = [:]
        for a in library.addresses {
            exact[AddressNormalizer.normalize(a.elements.localText)] = a.code
            exact[AddressNormalizer.normalize(a.elements.standardText)] = a.code
        }
        var baselineFound: [String?] = []
        baselineFound.reserveCapacity(queries)
        let baselineTime = measure {
            for t in texts { baselineFound.append(exact[AddressNormalizer.normalize(t)]) }
        }
        progress.finish()
        let correct = zip(found, expected).filter { $0 == $1 }.count
        let wrong = zip(found, expected).filter { $0 != nil && $0 != $1 }.count
        let baselineCorrect = zip(baselineFound, expected).filter { $0 == $1 }.count
        if verbose {
            for i in 0..<min(20, texts.count) { print("  sample: \(texts[i])") }
            for i in texts.indices where found[i] != expected[i] {
                let m = matcher.match(texts[i])
                let want = library.addresses.first { $0.code == expected[i] }!.elements.localText
                print("  miss: \(texts[i]) → \(m.best?.address.elements.localText ?? "none") (\(m.reason ?? "")); expected \(want)")
            }
        }
        print("address matching, \(preset.rawValue) preset: \(library.addresses.count) addresses (indexed in \(String(format: "%.2f", indexTime)) s), \(queries) noisy texts")
        print("  parse + match            \(formatRate(Double(queries) / matchTime)) texts per core, top-1 accuracy \(String(format: "%.2f", 100 * Double(correct) / Double(queries))) % (\(wrong) wrong, \(queries - correct - wrong) unmatched)")
        print("  baseline: exact lookup   \(formatRate(Double(queries) / baselineTime)) texts, accuracy \(String(format: "%.2f", 100 * Double(baselineCorrect) / Double(queries))) %")
        print("  ratio                    matching is \(String(format: "%.1f", baselineTime / matchTime))× the speed of exact lookup")
        print("  of which: parsing alone  \(formatRate(Double(queries) / parseTime)) texts (\(parsedCount) road readings)")
    }
}

struct BenchRegistryImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry-import",
        abstract: "Importing the demo's people, houses, enterprises and places from CSV files end to end, against a bare prepared-statement insert of the same rows.",
        discussion: """
            The files are written as departments send them: people (公安) and houses (住建) with standard address codes, \
            enterprises (市场监管) and places with their address as text, matched to the library. Each file goes through \
            what `citybrain import` does: read, check every field, resolve or match the address, merge by key, write.
            """)

    @Option(help: "Demo scale of the library and the registries.") var preset: DemoPreset = .small
    @Option(help: "Seed.") var seed: UInt64 = 20_190_101

    /// One registry file of the benchmark and its rows, for the baseline.
    struct RegistryFile {
        var kind: RegistryKind
        var source: String
        var path: String
        var header: [String]
        var rows: [[String]] = []
    }

    func run() async throws {
        let progress = Progress()
        let bench = try await BenchDistrict(preset: preset, seed: seed, progress: progress)
        defer { bench.cleanUp() }
        let (store, addresses, demo, folder) = (bench.store, bench.addresses, bench.demo, bench.folder)
        let library = DemoAddressGenerator(district: demo).generate(progress: { progress.update($0) })
        progress.update("importing \(library.addresses.count) addresses")
        _ = try await addresses.importAddresses(library.addresses.map { (line: 0, address: $0, issues: []) }, aliases: library.aliases, options: AddressImportOptions())

        progress.update("writing the registries as CSV files")
        var files = try writeFiles(demo: demo, library: library, folder: folder, progress: progress)

        let registries = RegistryService(store: store, addresses: addresses, vault: PersonalDataVault(.generate()))
        // The people file read and checked without writing, on one core, and the same checked records
        // written from memory into an empty store: the two sides of the import.
        progress.update("reading and checking the people without writing")
        var (csvOnly, checked, storeOnly, storeIndexing, sealing) = (0.0, 0.0, 0.0, 0.0, 0.0)
        do {
            var start = DispatchTime.now().uptimeNanoseconds
            let table = try openTable(path: files[0].path)
            var n = 0
            while let r = try table.next() { n += r.fields.count }
            csvOnly = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            start = DispatchTime.now().uptimeNanoseconds
            let again = try openTable(path: files[0].path)
            let schema = RegistrySchema.of(.person)
            let reader = RegistryRowReader(schema: schema, header: again.header, columns: schema.mapping.resolve(again.header).columns,
                                           options: RegistryImportOptions(source: "公安人口库"), vault: registries.vault, resolveAddress: registries.addressResolver())
            let now = Date()
            var checkedRows: [RegistryRow] = []
            while let r = try again.next() {
                if let e = reader.read(r.fields, line: r.line, at: now).entry {
                    // Encrypting the personal fields and computing the blind indexes, timed apart.
                    let sealStart = DispatchTime.now().uptimeNanoseconds
                    let row = RegistryRow(line: r.line, sealing: e, with: registries.vault)
                    sealing += Double(DispatchTime.now().uptimeNanoseconds - sealStart) / 1e9
                    checkedRows.append(row)
                }
            }
            checked = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            progress.update("writing the checked people from memory")
            let scratch = try SQLiteStore(path: folder.appendingPathComponent("store-alone.sqlite").path)
            try await scratch.migrate()
            let feed = RegistryFeed(checkedRows)
            checkedRows = []
            start = DispatchTime.now().uptimeNanoseconds
            storeIndexing = try await scratch.writeRegistry(.person, feed: feed, batch: ImportBatch(kind: "people", source: "公安人口库", actor: "bench", importedAt: now, recordCount: 0), basedOnBatch: nil).indexing
            storeOnly = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(at: folder.appendingPathComponent("store-alone.sqlite" + suffix)) }
        var timings: [(RegistryKind, Int, Double, Double, Double, Double)] = []
        var rejected = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for file in files {
            progress.update("importing \(file.rows.count) \(file.kind.rawValue) records end to end")
            let fileStart = DispatchTime.now().uptimeNanoseconds
            let table = try openTable(path: file.path)
            let schema = RegistrySchema.of(file.kind)
            var options = RegistryImportOptions(source: file.source)
            options.keepGoing = true
            let reader = RegistryRowReader(schema: schema, header: table.header, columns: schema.mapping.resolve(table.header).columns,
                                           options: options, vault: registries.vault, resolveAddress: registries.addressResolver())
            let result = try await registries.importRows(file.kind, reader: reader, at: Date(), nextRows: TableChunks(table).next)
            rejected += Set(result.issues.filter { $0.severity == .error }.map(\.line)).count
            timings.append((file.kind, result.inserted, Double(DispatchTime.now().uptimeNanoseconds - fileStart) / 1e9, result.waits.store, result.waits.producer, result.indexing))
        }
        let endToEnd = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let total = files.reduce(0) { $0 + $1.rows.count }

        // Baseline: the same rows through one prepared INSERT per file into a table without indexes, in one transaction.
        progress.update("bare inserts")
        let bare = try DatabaseQueue(path: folder.appendingPathComponent("bare.sqlite").path)
        try await bare.write { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        let bareStart = DispatchTime.now().uptimeNanoseconds
        for file in files {
            let rows = file.rows
            let columns = file.header.count
            try await bare.write { db in
                try db.execute(sql: "CREATE TABLE \(file.kind.rawValue) (\((1...columns).map { "c\($0) TEXT" }.joined(separator: ", ")))")
                let insert = try db.makeStatement(sql: "INSERT INTO \(file.kind.rawValue) VALUES (\(Array(repeating: "?", count: columns).joined(separator: ", ")))")
                for r in rows { try insert.execute(arguments: StatementArguments(r)) }
            }
        }
        let bareTime = Double(DispatchTime.now().uptimeNanoseconds - bareStart) / 1e9
        let peopleRows = files[0].rows.count
        files = []
        progress.finish()
        print("registry import, \(preset.rawValue) preset: \(total) rows in \(timings.count) files, \(rejected) rows rejected")
        for (kind, written, seconds, storeWaited, readingWaited, indexing) in timings {
            print("  \(kind.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(String(format: "%9d", written)) written in \(String(format: "%6.1f", seconds)) s   \(formatRate(Double(written) / seconds).padding(toLength: 10, withPad: " ", startingAt: 0)) rows"
                  + String(format: "  (the store waited %.1f s for rows, the reading %.1f s for the store; indexes built in %.1f s)", storeWaited, readingWaited, indexing))
        }
        print("  people read from CSV alone, one core                                      \(formatRate(Double(peopleRows) / csvOnly)) rows")
        print("  people read and checked (address resolved), one core, nothing written     \(formatRate(Double(peopleRows) / checked)) rows"
              + String(format: " (%.1f s, of which %.1f s encrypting and blind-indexing the personal fields: %@ rows/s)", checked, sealing, formatRate(Double(peopleRows) / sealing)))
        print("  people written from memory into an empty store, already checked          \(formatRate(Double(peopleRows) / storeOnly)) rows"
              + String(format: " (%.1f s, of which %.1f s building the indexes)", storeOnly, storeIndexing))
        print("  end to end (read CSV, check, resolve or match the address, merge, write)   \(formatRate(Double(total) / endToEnd)) rows (\(String(format: "%.1f", endToEnd)) s)")
        print("  baseline: bare prepared INSERT, no index, one transaction per file        \(formatRate(Double(total) / bareTime)) rows (\(String(format: "%.1f", bareTime)) s)")
        print("  ratio                                                                     the import costs \(String(format: "%.1f", endToEnd / bareTime))× a bare insert")
    }

    /// The demo's registries as four department files.
    func writeFiles(demo: DemoDistrict, library: DemoAddressLibrary, folder: URL, progress: Progress) throws -> [RegistryFile] {
        let generator = DemoRegistryGenerator(district: demo, library: library)
        let allocator = DemoRegistryGenerator.CodeAllocator()
        let byCode = Dictionary(uniqueKeysWithValues: library.addresses.map { ($0.code, $0) })
        let typeNames = ["registered": "户籍", "floating": "流动", "overseas": "境外"]
        let useNames = ["self-occupied": "自住", "rented": "出租", "vacant": "空置", "commercial": "商用"]
        var files = [
            RegistryFile(kind: .person, source: "公安人口库", path: folder.appendingPathComponent("people.csv").path,
                         header: ["身份证号", "姓名", "联系电话", "户号", "与户主关系", "人口类型", "标签", "地址编码"]),
            RegistryFile(kind: .house, source: "住建房屋库", path: folder.appendingPathComponent("houses.csv").path,
                         header: ["房屋编码", "用途", "面积", "产权人", "地址编码"]),
            RegistryFile(kind: .enterprise, source: "市场监管", path: folder.appendingPathComponent("enterprises.csv").path,
                         header: ["统一社会信用代码", "企业名称", "行业", "法定代表人", "风险标签", "经营地址"]),
            RegistryFile(kind: .place, source: "应急管理", path: folder.appendingPathComponent("places.csv").path,
                         header: ["场所编码", "场所名称", "场所类型", "标签", "地址"]),
        ]
        let now = Date()
        for i in 0..<generator.communityCount {
            if i % 20 == 0 { progress.update("writing the registries as CSV files: community \(i + 1)/\(generator.communityCount)") }
            let records = generator.records(ofCommunity: i, at: now, allocator: allocator)
            for e in records[.person] ?? [] {
                let f = e.fields
                files[0].rows.append([e.key, f["name"] ?? "", f["phone"] ?? "", f["household"] ?? "", f["relation"] ?? "",
                                      typeNames[f["residence_type"] ?? ""] ?? "", f["tags"] ?? "", e.addressCode])
            }
            for e in records[.house] ?? [] {
                let f = e.fields
                files[1].rows.append([e.key, useNames[f["use"] ?? ""] ?? "", f["area"] ?? "", f["owner_name"] ?? "", e.addressCode])
            }
            for e in records[.enterprise] ?? [] {
                let f = e.fields
                files[2].rows.append([e.key, f["name"] ?? "", f["industry"] ?? "", f["legal_representative"] ?? "", f["tags"] ?? "",
                                      byCode[e.addressCode]!.elements.localText])
            }
            for e in records[.place] ?? [] {
                let f = e.fields
                files[3].rows.append([e.key, f["name"] ?? "", f["kind"] ?? "", f["tags"] ?? "", byCode[e.addressCode]!.elements.localText])
            }
        }
        for file in files {
            var csv = CSVWriter()
            csv.row(file.header)
            for r in file.rows { csv.row(r) }
            try csv.write(to: file.path)
        }
        return files
    }
}
