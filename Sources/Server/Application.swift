import Foundation
import Governance
import Hummingbird
import Logging
import ServiceLifecycle

/// Where the server listens.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Session cookies with the Secure attribute (behind HTTPS, as in production), and HSTS.
    public var secureCookies: Bool
    /// Reports, uploads and ratings (each) one client address may send per hour on the public pages.
    public var publicWritesPerHour: Int
    /// The base map (nil: outlines on a plain background, as offline and in the demo).
    public var tiles: TileSource?
    /// How long one live-update stream stays open before the browser reconnects (and is checked again).
    public var liveStreamLifetime: Duration
    /// How often an open live-update stream checks that its session or token is still good.
    public var liveStreamCredentialCheck: Duration
    /// What `/metrics` shows.
    public var metrics: ServerMetrics
    /// This process among the instances serving one database (holder of the scheduled jobs' leases).
    public var instance: String
    /// How often supervision looks for cases whose time is running out.
    public var supervisionInterval: Duration
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` name the client (none: the peer is the client).
    public var trustedProxies: TrustedProxies

    public init(host: String = "127.0.0.1", port: Int = 8080, secureCookies: Bool = false, publicWritesPerHour: Int = 60, tiles: TileSource? = nil,
                liveStreamLifetime: Duration = .seconds(600), instance: String = ServerConfiguration.newInstanceName(),
                supervisionInterval: Duration = .seconds(60), trustedProxies: TrustedProxies = .none, liveStreamCredentialCheck: Duration = .seconds(5),
                metrics: ServerMetrics = ServerMetrics()) {
        self.host = host
        self.port = port
        self.secureCookies = secureCookies
        self.publicWritesPerHour = publicWritesPerHour
        self.tiles = tiles
        self.liveStreamLifetime = liveStreamLifetime
        self.instance = instance
        self.supervisionInterval = supervisionInterval
        self.trustedProxies = trustedProxies
        self.liveStreamCredentialCheck = liveStreamCredentialCheck
        self.metrics = metrics
    }

    /// Host name, process ID and a random suffix: unique among instances, readable in a lease table.
    public static func newInstanceName() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// The domain services the HTTP layer is handed at start-up. The server never talks to a database.
public struct CityBrainServices: Sendable {
    public let store: any CityBrainStore
    public let regions: RegionService
    public let addresses: AddressService
    public let layers: LayerService
    public let areas: AreaQueryService
    public let accounts: AccountService
    public let registries: RegistryService
    /// The closed loop; call ``CaseService/load()`` before serving.
    public let cases: CaseService
    public let cockpits: CockpitService
    public let health: StoreHealth

    /// `attachments`: where case photos and documents are kept (content-addressed).
    /// `cockpits`: the thematic cockpits (the standard ones unless configured).
    public init(store: any CityBrainStore, regions: RegionService, addresses: AddressService, layers: LayerService, accounts: AccountService,
                attachments: AttachmentVault, cockpits: CockpitCatalog = .standard) {
        self.store = store
        self.regions = regions
        self.addresses = addresses
        self.layers = layers
        self.accounts = accounts
        self.registries = RegistryService(store: store, addresses: addresses, vault: layers.vault)
        self.areas = AreaQueryService(store: store, addresses: addresses, regions: regions, vault: layers.vault)
        self.cases = CaseService(store: store, regions: regions, addresses: addresses, vault: layers.vault, attachments: attachments)
        self.cockpits = CockpitService(cases: cases, regions: regions, catalog: cockpits)
        self.health = StoreHealth(store: store)
    }

    public var vault: PersonalDataVault { layers.vault }
}

/// The router with every route and middleware; tests drive it directly. Every route is added with
/// its policy (``PolicedRoutes``); `policies` receives them (a test checks none is missing).
public func buildRouter(services: CityBrainServices, configuration: ServerConfiguration = .init(), policies: RoutePolicies = RoutePolicies(),
                        logger: Logger = Logger(label: "citybrain")) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ClientAddressMiddleware(proxies: configuration.trustedProxies))
    router.add(middleware: RequestIDMiddleware(strictTransport: configuration.secureCookies))
    router.add(middleware: MetricsMiddleware(metrics: configuration.metrics))
    let metrics = configuration.metrics, storeName = services.health.storeName
    services.health.observeTimings { kind, seconds in metrics.storeStatement(store: storeName, kind: kind, seconds: seconds) }
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: MethodNotAllowedMiddleware(policies: policies))
    router.add(middleware: CompressionMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    if let publicFolder = Bundle.module.url(forResource: "Public", withExtension: nil)?.path {
        router.add(middleware: FileMiddleware(publicFolder, searchForIndexHtml: true, logger: logger))
    }
    router.add(middleware: AuthenticationMiddleware(accounts: services.accounts))
    let root = PolicedRoutes(router.group(), prefix: "", policies: policies)
    root.get("healthz", .open) { _, _ in
        try JSONResponse.make(["status": "ok"])
    }
    root.get("readyz", .open) { _, _ -> Response in
        if let error = await services.health.check() {
            throw Problem(.serviceUnavailable, kind: "not-ready", title: "Not ready", detail: "the store does not answer: \(error)")
        }
        // Degraded: serving, but some stored rows could not be read and are left out until repaired.
        struct Readiness: Encodable { var status: String; var regions: Int; var unreadableRows: [UnreadableRow] }
        let unreadable = services.health.unreadableRows
        return try JSONResponse.make(Readiness(status: unreadable.isEmpty ? "ready" : "degraded", regions: services.regions.territory().regions.count,
                                               unreadableRows: unreadable))
    }
    // Route names and counts only, no personal data; restrict it at the proxy if it should not be public.
    root.get("metrics", .open) { _, _ -> Response in
        let answers = await services.health.check() == nil
        let text = configuration.metrics.exposition(liveStreams: services.cases.notices.subscriberCount, unreadableRows: services.health.unreadableRows.count,
                                                    storeAnswers: answers, regions: services.regions.territory().regions.count)
        return JSONResponse.raw(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
    let api = PolicedRoutes(router.group("api/v1"), prefix: "api/v1", policies: policies)
    api.get("openapi.json", .open) { _, _ in
        JSONResponse.raw(OpenAPIDocument.bytes, contentType: "application/json; charset=utf-8")
    }
    SessionController(accounts: services.accounts, secureCookies: configuration.secureCookies).addRoutes(to: api)
    AccountController(accounts: services.accounts).addRoutes(to: api)
    AuditController(store: services.store).addRoutes(to: api)
    RegionController(regions: services.regions).addRoutes(to: api)
    AddressController(addresses: services.addresses).addRoutes(to: api)
    LayerController(layers: services.layers).addRoutes(to: api)
    AreaQueryController(areas: services.areas, store: services.store).addRoutes(to: api)
    RegistryController(registries: services.registries).addRoutes(to: api)
    CaseController(cases: services.cases).addRoutes(to: api)
    EventsController(cases: services.cases, accounts: services.accounts, lifetime: configuration.liveStreamLifetime,
                     credentialCheck: configuration.liveStreamCredentialCheck).addRoutes(to: api)
    CockpitController(cockpits: services.cockpits).addRoutes(to: api)
    MapSettingsController(tiles: configuration.tiles).addRoutes(to: api)
    AttachmentController(cases: services.cases).addRoutes(to: api)
    PublicCaseController(cases: services.cases, reports: RateLimiter(limit: configuration.publicWritesPerHour),
                         uploads: RateLimiter(limit: configuration.publicWritesPerHour), ratings: RateLimiter(limit: configuration.publicWritesPerHour),
                         lookups: RateLimiter(limit: 600))
        .addRoutes(to: api)
    return router
}

/// The whole application: router, background services, configuration and logger. `backgroundServices`:
/// more services to run beside the server (e.g. the relay of case notices between instances).
public func buildApplication(services: CityBrainServices, configuration: ServerConfiguration, logger: Logger,
                             backgroundServices: [any Service] = []) -> some ApplicationProtocol {
    Application(
        router: buildRouter(services: services, configuration: configuration, logger: logger),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "CityBrain"),
        services: [RegionRefreshService(regions: services.regions, logger: logger),
                   SupervisionService(cases: services.cases, leases: services.store, holder: configuration.instance,
                                      interval: configuration.supervisionInterval, logger: logger, metrics: configuration.metrics)] + backgroundServices,
        logger: logger)
}

/// The hand-written OpenAPI 3.1 document (a test keeps it in step with the routes).
enum OpenAPIDocument {
    static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            return Array("{}".utf8)
        }
        return [UInt8](data)
    }()
}
