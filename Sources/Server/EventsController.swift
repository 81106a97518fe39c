import Foundation
import Governance
import Hummingbird
import ServiceLifecycle

/// `GET /api/v1/events`: Server-Sent Events for the live views. Each committed case change the
/// caller may see arrives as an `event: case` with the case's number, step, status, class, grid and
/// position (never personal data). A comment every 20 s keeps proxies from closing the stream; the
/// stream ends after 10 minutes (or on graceful shutdown) and the browser's EventSource reconnects,
/// which checks the session again. Meanwhile the credential is checked every few seconds: a
/// stream ends soon after its session does (logout, password or role change, disabling).
struct EventsController {
    let cases: CaseService
    let accounts: AccountService
    var heartbeat: Duration = .seconds(20)
    var lifetime: Duration = .seconds(600)
    var credentialCheck: Duration = .seconds(5)

    func addRoutes(to routes: PolicedRoutes) {
        routes.get("events", .permission(.caseRead), use: stream)
    }

    struct NoticeBody: Encodable {
        var number: String
        var version: Int
        var action: String
        var status: String
        var classCode: String?
        var className: String?
        var gridCode: String
        var gridName: String?
        var source: String
        var urgent: Bool
        var overdue: Bool
        var lon: Double
        var lat: Double
        var time: String
    }

    enum Message: Sendable {
        case notice(CaseNotice)
        case heartbeat
    }

    @Sendable func stream(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let hub = cases.notices
        let subscription = hub.subscribe()
        let dictionary = cases.workflow.classes
        let territory = cases.regions.territory()
        let (heartbeat, lifetime, credentialCheck) = (self.heartbeat, self.lifetime, self.credentialCheck)
        let (accounts, sessionToken, apiToken) = (self.accounts, context.sessionToken, context.apiToken)
        let encoder = JSONResponse.encoder
        @Sendable func frame(_ notice: CaseNotice) -> ByteBuffer? {
            let body = NoticeBody(number: notice.number, version: notice.version, action: notice.action.rawValue, status: notice.status.rawValue,
                                  classCode: notice.classCode, className: notice.classCode.flatMap { try? CaseClassCode($0) }.flatMap { dictionary.class($0)?.name },
                                  gridCode: notice.gridCode, gridName: (try? RegionCode(notice.gridCode)).flatMap { territory.region($0)?.name },
                                  source: notice.source.rawValue, urgent: notice.urgent, overdue: notice.overdue, lon: notice.longitude, lat: notice.latitude,
                                  time: notice.time.formatted(.iso8601))
            guard let data = try? encoder.encode(body) else { return nil }
            return ByteBuffer(string: "id: \(notice.number)@\(notice.version)\nevent: case\ndata: " + String(decoding: data, as: UTF8.self) + "\n\n")
        }
        let body = ResponseBody { writer in
            defer { hub.end(subscription.id) }
            try await withGracefulShutdownHandler {
                try await writer.write(ByteBuffer(string: "retry: 3000\n: connected\n\n"))
                let (messages, sink) = AsyncStream.makeStream(of: Message.self, bufferingPolicy: .bufferingNewest(512))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await notice in subscription.notices where notice.visible(to: principal) { sink.yield(.notice(notice)) }
                        sink.finish()
                    }
                    group.addTask {
                        let clock = ContinuousClock()
                        let end = clock.now.advanced(by: lifetime)
                        while clock.now < end {
                            try await Task.sleep(for: min(heartbeat, clock.now.duration(to: end)))
                            sink.yield(.heartbeat)
                        }
                        hub.end(subscription.id)
                    }
                    group.addTask {
                        while await accounts.isStillValid(sessionToken: sessionToken, apiToken: apiToken) {
                            try await Task.sleep(for: credentialCheck)
                        }
                        hub.end(subscription.id)
                    }
                    for await message in messages {
                        switch message {
                        case .notice(let notice): if let buffer = frame(notice) { try await writer.write(buffer) }
                        case .heartbeat: try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        }
                    }
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                hub.end(subscription.id)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store",
                                               .init("X-Accel-Buffering")!: "no"], body: body)
    }
}
