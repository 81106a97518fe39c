import ArgumentParser
import DemoData
import Foundation
import Governance
import Hummingbird
import Logging
import PostgresStore
import Server
import ServiceLifecycle
import Synchronization

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the API and the web UI from an existing database.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var listen: ListenOptions

    func run() async throws {
        let logger = makeLogger(store.logLevel)
        let services = try await openServices(store)
        if services.regions.territory().regions.isEmpty {
            logger.warning("the database holds no regions yet: import some with `citybrain import regions FILE`, or run `citybrain demo`")
        }
        try await serve(services, listen: listen, store: store, logger: logger)
    }
}

func serve(_ services: CityBrainServices, listen: ListenOptions, store options: StoreOptions, logger: Logger) async throws {
    if let file = listen.cockpits {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch { throw ValidationError("--cockpits \(file): cannot be read (\(error.localizedDescription))") }
        do {
            services.cockpits.use(try CockpitCatalog.load(data, source: file, classes: services.cases.workflow.classes,
                                                          layers: Set(services.layers.definitions.map(\.id))))
        } catch {
            throw ValidationError(error.description)
        }
    }
    let configuration = ServerConfiguration(host: listen.host, port: listen.port, secureCookies: listen.secureCookies, tiles: try listen.tileSource(),
                                            liveStreamLifetime: .seconds(listen.liveStreamLifetime), supervisionInterval: .seconds(listen.supervisionInterval),
                                            trustedProxies: try listen.trustedProxies())
    var background: [any Service] = []
    if let postgres = services.store as? PostgresStore {
        background.append(CaseNoticeRelay(store: postgres, hub: services.cases.notices, instance: configuration.instance, logger: logger))
    }
    if let key = try openAuditKey(options, create: options.auditKeyPath != nil) {
        guard listen.auditCheckpointHours >= 1 else { throw ValidationError("--audit-checkpoint-hours is at least 1") }
        background.append(AuditCheckpointService(checkpoints: AuditCheckpoints(audit: services.store, checkpoints: services.store, key: key), leases: services.store,
                                                 holder: configuration.instance, interval: .seconds(Int64(listen.auditCheckpointHours) * 3600), logger: logger))
    } else {
        logger.warning("no audit key file (--audit-key-file): the audit trail gets no signed checkpoints")
    }
    for row in services.store.unreadableRows.all {
        logger.error("unreadable row left out; serving the rest (degraded on /readyz)", metadata: ["table": "\(row.table)", "key": "\(row.key)", "reason": "\(row.reason)"])
    }
    let app = buildApplication(services: services, configuration: configuration, logger: logger, backgroundServices: background)
    logger.info("CityBrain listening on http://\(listen.host):\(listen.port)/ (API under /api/v1, OpenAPI at /api/v1/openapi.json)")
    try await app.runService()
}

/// Live updates across the instances on one PostgreSQL database (LISTEN/NOTIFY), while the server runs.
struct CaseNoticeRelay: Service {
    let store: PostgresStore
    let hub: CaseNoticeHub
    let instance: String
    let logger: Logger

    func run() async throws {
        logger.info("relaying case notices between the instances on the database", metadata: ["instance": "\(instance)"])
        await cancelWhenGracefulShutdown {
            await store.relayCaseNotices(through: hub, instance: instance)
        }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate the demo district (if the database has none) and serve it.",
        discussion: "The demo is 余杭区 with its real outline and real street and community names; boundaries below the district, codes and people are synthetic.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var listen: ListenOptions

    @Option(help: "Scale: tiny, small or district (env CITYBRAIN_DEMO_PRESET).")
    var preset: DemoPreset = DemoPreset(rawValue: ProcessInfo.processInfo.environment["CITYBRAIN_DEMO_PRESET"] ?? "") ?? .small

    @Option(help: "Seed of the generator: the same seed gives the same district.")
    var seed: UInt64 = 20_190_101

    @Flag(help: "Generate only; do not start the server.")
    var noServe = false

    func validate() throws {
        if store.isPostgres {
            throw ValidationError("the demo is generated into a SQLite file; to run it on PostgreSQL, move it there afterwards with `citybrain migrate-data --from DEMO.sqlite --to postgres://…`")
        }
    }

    func run() async throws {
        let logger = makeLogger(store.logLevel)
        let progress = Progress()
        let services = try await openServices(store, progress: progress)
        let sqlite = services.store, regions = services.regions
        // "demo.pending" is written before the first write and cleared after the last, so that a
        // run interrupted midway is completed by the next one (generation is deterministic and an
        // unchanged re-import writes nothing).
        let pending = try await sqlite.setting("demo.pending")
        if regions.territory().regions.isEmpty || pending != nil {
            let (chosenPreset, chosenSeed) = pending.flatMap(Self.parsePending) ?? (preset, seed)
            try await sqlite.setSetting("demo.pending", "\(chosenPreset.rawValue) \(chosenSeed)")
            let demo = try DemoDistrictGenerator(preset: chosenPreset, seed: chosenSeed).generate(progress: { progress.update($0) })
            progress.update("importing \(demo.regions.count) regions")
            _ = try await regions.importRegions(demo.regions, options: demo.importOptions, progress: { progress.update($0) })
            progress.update("saving \(demo.gridWorkers.count) grid workers")
            try await regions.saveGridWorkers(demo.gridWorkers, source: "demo preset \(chosenPreset.rawValue), seed \(chosenSeed)", actor: "demo")
            let library = DemoAddressGenerator(district: demo).generate(progress: { progress.update($0) })
            progress.update("importing \(library.addresses.count) addresses")
            var addressOptions = AddressImportOptions()
            addressOptions.source = "demo preset \(chosenPreset.rawValue), seed \(chosenSeed)"
            addressOptions.actor = "demo"
            _ = try await services.addresses.importAddresses(
                library.addresses.enumerated().map { (line: $0.offset + 2, address: $0.element, issues: []) },
                aliases: library.aliases, options: addressOptions)
            try await Self.importRegistries(demo, library, into: services, progress: progress)
            try await Self.ensureDepartments(services)
            try await Self.importCaseHistory(demo, into: services, progress: progress)
            try await sqlite.setSetting("demo.preset", chosenPreset.rawValue)
            try await sqlite.setSetting("demo.seed", String(chosenSeed))
            try await sqlite.removeSetting("demo.pending")
            progress.update("checkpointing the write-ahead log")
            try await checkpointAfterBulkWrite(sqlite)
            progress.finish("Generated the \(chosenPreset.rawValue) demo district (seed \(chosenSeed)) into \(store.database).")
        } else {
            let existing = try await sqlite.setting("demo.preset").map { "demo preset \($0)" } ?? "imported data"
            progress.finish("Using the existing data in \(store.database) (\(existing)); delete the file to generate again.")
        }
        let territory = regions.territory()
        let counts = RegionLevel.allCases.compactMap { level -> String? in
            let n = territory.regions(level: level, under: nil).count
            let plural = level == .community ? "communities" : level.rawValue + "s"
            return n == 0 ? nil : "\(n) \(n == 1 ? level.rawValue : plural)"
        }
        var registryCounts: [String] = []
        for kind in RegistryKind.allCases { registryCounts.append("\(try await sqlite.registryCount(kind)) \(kind.rawValue == "person" ? "people" : kind.rawValue + "s")") }
        print("Territory: \(counts.joined(separator: ", ")); \(regions.gridWorkers.workers.count) grid workers; \(services.addresses.count) standard addresses; \(registryCounts.joined(separator: ", ")).")
        try await Self.ensureDepartments(services)
        let accountLines = try await DemoAccounts.ensure(services.accounts, territory: territory, database: store.database)
        print("Demo accounts (user name, password, role, territory; also in \(DemoAccounts.file(for: store.database).path)):")
        for line in accountLines { print("  " + line.replacingOccurrences(of: "\t", with: "  ")) }
        guard !noServe else { return }
        print("Open http://\(listen.host == "0.0.0.0" ? "127.0.0.1" : listen.host):\(listen.port)/ in a browser. Ctrl-C stops the server.")
        // Under a pipe or a service manager standard output is buffered in blocks, and a server
        // that runs until stopped would never show the accounts.
        fflush(nil)
        try await serve(services, listen: listen, store: store, logger: logger)
    }
}

extension Demo {
    /// Years of case history (months generated on every core while the store writes), once.
    static func importCaseHistory(_ demo: DemoDistrict, into services: CityBrainServices, progress: Progress) async throws {
        guard try await services.store.caseCount(CaseQuery()) == 0 else { return }
        let routes = try await services.store.dispatchRoutes()
        let generator = DemoCaseGenerator(district: demo, end: CivilDay(Date()), routes: routes, calendar: services.cases.calendar)
        let feed = CaseHistoryFeed(generator, progress: { progress.update($0) })
        let started = Date()
        let count = try await services.store.importCaseHistory(
            audit: AuditRecord(actor: "demo", action: "import.cases", target: "", purpose: "demo preset \(demo.preset.rawValue), seed \(demo.seed)"),
            next: { feed.next() })
        progress.update("wrote \(count) cases of history in \(Int(Date().timeIntervalSince(started))) s")
    }

    /// The demo's departments and routing table, once (administrators change them afterwards).
    static func ensureDepartments(_ services: CityBrainServices) async throws {
        guard services.cases.departments.isEmpty else { return }
        let territory = services.regions.territory()
        guard let district = territory.regions(level: .district, under: nil).first?.code else { return }
        let streets = territory.regions(level: .street, under: district).map { (code: $0.code, name: $0.name) }
        let console = Principal.console("demo")
        for d in DemoDepartments.departments(streets: streets) { try await services.cases.saveDepartment(d, by: console) }
        try await services.cases.saveRoutes(DemoDepartments.routes(district: district, streets: streets), by: console)
    }

    /// People, houses, enterprises and places, community by community. People — the largest
    /// registry — stream into the store while the next communities are generated; the other
    /// registries are written after them.
    static func importRegistries(_ demo: DemoDistrict, _ library: DemoAddressLibrary, into services: CityBrainServices, progress: Progress) async throws {
        let registries = services.registries
        let generator = DemoRegistryGenerator(district: demo, library: library)
        var options = RegistryImportOptions(source: DemoRegistryGenerator.source)
        options.actor = "demo"
        options.fileName = "demo preset \(demo.preset.rawValue), seed \(demo.seed)"
        let people = RegistryFeed()
        let others = Mutex<[RegistryKind: [RegistryRow]]>([:])
        let start = Date()
        Thread.detachNewThread {
            let allocator = DemoRegistryGenerator.CodeAllocator()
            let now = Date()
            var written = 0
            var collected: [RegistryKind: [RegistryRow]] = [:]
            for i in 0..<generator.communityCount {
                let records = generator.records(ofCommunity: i, at: now, allocator: allocator)
                for (kind, entries) in records where kind != .person {
                    collected[kind, default: []] += entries.map { RegistryRow(line: 0, sealing: $0, with: registries.vault) }
                }
                let chunk = (records[.person] ?? []).map { RegistryRow(line: 0, sealing: $0, with: registries.vault) }
                written += chunk.count
                guard people.send(chunk) else { return }
                if i % 10 == 0 { progress.update("registries: community \(i + 1)/\(generator.communityCount), \(written) people") }
            }
            others.withLock { $0 = collected }
            people.finish()
        }
        _ = try await registries.importFeed(.person, feed: people, options: options)
        for kind in RegistryKind.allCases where kind != .person {
            let rows = others.withLock { $0[kind] ?? [] }
            progress.update("registries: writing \(rows.count) \(kind.rawValue) records")
            _ = try await registries.importFeed(kind, feed: RegistryFeed(rows), options: options)
        }
        progress.update(String(format: "registries generated and written in %.1f s", Date().timeIntervalSince(start)))
    }

    static func parsePending(_ text: String) -> (DemoPreset, UInt64)? {
        let parts = text.split(separator: " ")
        guard parts.count == 2, let preset = DemoPreset(rawValue: String(parts[0])), let seed = UInt64(parts[1]) else { return nil }
        return (preset, seed)
    }
}

extension DemoPreset: ExpressibleByArgument {}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema.")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        _ = try await openStore(store)
        print("\(store.displayName) is up to date.")
    }
}
