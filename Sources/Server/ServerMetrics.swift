import Foundation
import Governance
import Hummingbird
import Prometheus

/// What operations watch, in the Prometheus text format at `/metrics`: requests and their latency
/// per route, supervision's runs, live streams open, and the readiness behind `/readyz`. Names and
/// routes only: no account, no case, no personal data in any label.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [.milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                             .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]

    public init() {}

    func request(method: String, route: String, status: Int, duration: Duration) {
        let labels = [("method", method), ("route", route), ("status", String(status))]
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "citybrain", subsystem: "http", metricName: "requests", unitName: "total",
                                                              helpText: "HTTP requests by route and status"), labels: labels).increment()
        registry.makeDurationHistogram(descriptor: MetricNameDescriptor(namespace: "citybrain", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                                                                        helpText: "Time to the response's head, by route"),
                                       labels: [("method", method), ("route", route)], buckets: Self.latencyBuckets).record(duration)
    }

    public func supervisionRun(warned: Int, escalated: Int, duration: Duration) {
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "citybrain", subsystem: "supervision", metricName: "runs", unitName: "total",
                                                              helpText: "Runs of case supervision in this instance")).increment()
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "citybrain", subsystem: "supervision", metricName: "marks", unitName: "total",
                                                              helpText: "Yellow marks and escalations made"), labels: [("kind", "warned")]).increment(by: Int64(warned))
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "citybrain", subsystem: "supervision", metricName: "marks", unitName: "total",
                                                              helpText: "Yellow marks and escalations made"), labels: [("kind", "escalated")]).increment(by: Int64(escalated))
        registry.makeDurationHistogram(descriptor: MetricNameDescriptor(namespace: "citybrain", subsystem: "supervision", metricName: "run_duration", unitName: "seconds",
                                                                        helpText: "Time of one supervision run"), labels: [], buckets: Self.latencyBuckets).record(duration)
    }

    public func storeStatement(store: String, kind: String, seconds: Double) {
        registry.makeDurationHistogram(descriptor: MetricNameDescriptor(namespace: "citybrain", subsystem: "store", metricName: "statement_duration", unitName: "seconds",
                                                                        helpText: "Time of store statements (SQLite) or transactions (PostgreSQL), by kind"),
                                       labels: [("store", store), ("kind", kind)], buckets: Self.storeBuckets).record(.nanoseconds(Int64(seconds * 1e9)))
    }

    static let storeBuckets: [Duration] = [.microseconds(50), .microseconds(200), .milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(100),
                                           .milliseconds(500), .seconds(2), .seconds(10)]

    /// The gauges read at scrape time, then the whole registry as text.
    func exposition(liveStreams: Int, unreadableRows: Int, storeAnswers: Bool, regions: Int) -> [UInt8] {
        func gauge(_ name: String, _ help: String, _ value: Int) {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "citybrain", metricName: name, unitName: "", helpText: help)).set(Double(value))
        }
        gauge("live_streams", "Live-update streams open on this instance", liveStreams)
        gauge("unreadable_rows", "Stored rows left out because they cannot be read (degraded when above 0)", unreadableRows)
        gauge("store_up", "Whether the store answers (1) or not (0)", storeAnswers ? 1 : 0)
        gauge("regions", "Regions of the territory in force", regions)
        return registry.emitToBuffer()
    }
}

/// Counts each request by the route that took it (`/api/v1/cases/{number}`, never the number).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: Int(response.status.code),
                        duration: ContinuousClock.now - start)
        return response
    }
}
