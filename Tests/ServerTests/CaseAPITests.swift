import DemoData
import Foundation
import GeoKit
import Governance
import Hummingbird
import HummingbirdTesting
import Server
import Testing

/// Cases for the authorisation matrix, made per call by the server's console so that every role
/// meets a case in the status its step needs.
extension MatrixFixture {
    static let console = Principal.console("matrix")

    /// The department handler meets his own department's case inside his territory and another
    /// department's outside it: departments, not territory, decide what a handler sees.
    func lead(_ side: Side, _ role: String) -> String {
        role == Role.departmentHandler.id && side == .inside ? "urban-management" : "market-supervision"
    }

    /// A case in the side's grid taken to `status` (registered, dispatched, handling, handled, closed).
    func newCase(_ side: Side, _ role: String, upTo status: CaseStatus, reporter: String? = nil, lead: String? = nil, assisting: [String] = [],
                 contactPhone: String? = nil, attachments: [String] = [], source: CaseSource = .patrol) async throws -> Case {
        try await newCaseWithCode(side, role, upTo: status, reporter: reporter, lead: lead, assisting: assisting, contactPhone: contactPhone,
                                  attachments: attachments, source: source).case
    }

    /// A PDF of a few bytes, different for every call.
    static func uniquePDF(_ label: String) -> String { "%PDF-1.4\n% \(label) \(UUID().uuidString)\n%%EOF\n" }

    func newCaseWithCode(_ side: Side, _ role: String, upTo status: CaseStatus, reporter: String? = nil, lead: String? = nil, assisting: [String] = [],
                         contactPhone: String? = nil, attachments: [String] = [], source: CaseSource = .patrol) async throws -> (case: Case, trackingCode: String?) {
        let cases = services.cases
        var principal = Self.console
        if let reporter {
            principal.username = reporter
            // Through the reporter's own account when there is one (reports belong to account ids).
            if let id = try await services.store.account(username: reporter)?.id {
                principal.accountID = id
                principal.credential = .session
            }
        }
        let receipt = try await cases.report(CaseIntake(source: source, classCode: try CaseClassCode("E0102"), description: "矩阵测试案件", location: point(side),
                                                        contactPhone: contactPhone, attachments: attachments), by: principal)
        var c = receipt.case
        let order: [CaseStatus] = [.reported, .registered, .dispatched, .handling, .handled, .closed]
        func next(_ command: CaseCommand, note: String? = nil) async throws {
            c = try await cases.perform(command, on: c.number, version: c.version, note: note, by: Self.console)
        }
        let target = order.firstIndex(of: status)!
        if target >= 1 { try await next(.register(classCode: nil, urgency: nil)) }
        if target >= 2 { try await next(.dispatch(department: lead ?? self.lead(side, role), assisting: assisting, assistingLimit: nil)) }
        if target >= 3 { try await next(.accept) }
        if target >= 4 { try await next(.reportHandled, note: "已处置") }
        if target >= 5 { try await next(.inspect(passed: true)) }
        return (c, receipt.trackingCode)
    }
}

let caseMatrix: [RouteCase] = {
    typealias Request = @Sendable (Side, MatrixFixture, String) async throws -> (uri: String, body: String?)
    /// A step on a fresh case: the path's last segment, the status it needs, the body's fields.
    func step(_ action: CaseAction, _ policy: Permission, from status: CaseStatus, _ fields: String = "",
              prepare: (@Sendable (Case, MatrixFixture) async throws -> Case)? = nil) -> RouteCase {
        RouteCase(method: .post, route: "/api/v1/cases/{number}/\(action.rawValue)", policy: .permission(policy), success: .ok, outside: .notFound) { side, f, role in
            var c = try await f.newCase(side, role, upTo: status)
            if let prepare { c = try await prepare(c, f) }
            return ("/api/v1/cases/\(c.number)/\(action.rawValue)", #"{"version": \#(c.version)\#(fields)}"#)
        }
    }
    func fixed(_ uri: String, _ body: String? = nil) -> Request { { _, _, _ in (uri, body) } }
    return [
        RouteCase(method: .get, route: "/api/v1/case-classes", policy: .signedIn, success: .ok, request: fixed("/api/v1/case-classes")),
        RouteCase(method: .put, route: "/api/v1/case-classes/{code}", policy: .permission(.caseConfigure), success: .ok,
                  request: fixed("/api/v1/case-classes/E0798", #"{"name": "高空抛物", "limits": {"normal": {"register": "30m", "dispatch": "30m", "handle": "2d", "inspect": "1h"}, "urgent": {"register": "10m", "dispatch": "10m", "handle": "4h", "inspect": "30m"}}}"#)),
        RouteCase(method: .get, route: "/api/v1/case-settings", policy: .signedIn, success: .ok, request: fixed("/api/v1/case-settings")),
        RouteCase(method: .put, route: "/api/v1/case-settings", policy: .permission(.caseConfigure), success: .ok,
                  request: fixed("/api/v1/case-settings", #"{"workingHours": "08:30-12:00,13:30-17:30", "warningShare": 0.8, "duplicateMetres": 50, "duplicateHours": 24}"#)),
        RouteCase(method: .get, route: "/api/v1/calendar", policy: .signedIn, success: .ok, request: fixed("/api/v1/calendar?year=2026")),
        RouteCase(method: .put, route: "/api/v1/calendar/{day}", policy: .permission(.caseConfigure), success: .ok,
                  request: fixed("/api/v1/calendar/2030-01-01", #"{"kind": "holiday", "name": "元旦"}"#)),
        RouteCase(method: .get, route: "/api/v1/departments", policy: .signedIn, success: .ok, request: fixed("/api/v1/departments")),
        RouteCase(method: .put, route: "/api/v1/departments/{code}", policy: .permission(.caseConfigure), success: .ok,
                  request: fixed("/api/v1/departments/matrix-office", #"{"name": "矩阵测试办公室"}"#)),
        RouteCase(method: .get, route: "/api/v1/dispatch-routes", policy: .permission(.caseRead), success: .ok, request: fixed("/api/v1/dispatch-routes")),
        RouteCase(method: .put, route: "/api/v1/dispatch-routes", policy: .permission(.caseConfigure), success: .ok) { _, f, _ in
            // The table as it is: the matrix must not change the routing other tests rely on.
            let items = try await f.services.store.dispatchRoutes().map { #"{"classPattern": "\#($0.classPattern)", "territory": "\#($0.territory)", "department": "\#($0.department)"}"# }
            return ("/api/v1/dispatch-routes", #"{"items": [\#(items.joined(separator: ","))]}"#)
        },
        RouteCase(method: .post, route: "/api/v1/cases", policy: .permission(.caseReport), success: .created, outside: .badRequest) { side, f, _ in
            ("/api/v1/cases", #"{"classCode": "E0102", "description": "路口暴露垃圾", "location": {"longitude": \#(f.point(side).longitude), "latitude": \#(f.point(side).latitude)}}"#)
        },
        RouteCase(method: .get, route: "/api/v1/cases", policy: .signedIn, success: .ok, request: fixed("/api/v1/cases?limit=5")),
        RouteCase(method: .get, route: "/api/v1/cases/{number}", policy: .permission(.caseRead), success: .ok, outside: .notFound) { side, f, role in
            ("/api/v1/cases/\(try await f.newCase(side, role, upTo: .dispatched).number)", nil)
        },
        RouteCase(method: .get, route: "/api/v1/cases/{number}/timeline", policy: .permission(.caseRead), success: .ok, outside: .notFound) { side, f, role in
            ("/api/v1/cases/\(try await f.newCase(side, role, upTo: .dispatched).number)/timeline", nil)
        },
        RouteCase(method: .post, route: "/api/v1/cases/{number}/contact/reveal", policy: .permission(.personalDataReveal), success: .ok, outside: .notFound) { side, f, role in
            let c = try await f.newCase(side, role, upTo: .registered, contactPhone: "13812345678")
            return ("/api/v1/cases/\(c.number)/contact/reveal", #"{"purpose": "12345回访"}"#)
        },
        step(.register, .caseRegister, from: .reported),
        step(.reject, .caseRegister, from: .reported, #", "reason": "非本系统受理范围""#),
        RouteCase(method: .post, route: "/api/v1/cases/{number}/merge", policy: .permission(.caseRegister), success: .ok, outside: .notFound) { side, f, role in
            let original = try await f.newCase(side, role, upTo: .registered)
            let duplicate = try await f.newCase(side, role, upTo: .reported)
            return ("/api/v1/cases/\(duplicate.number)/merge", #"{"version": \#(duplicate.version), "into": "\#(original.number)"}"#)
        },
        step(.dispatch, .caseDispatch, from: .registered, #", "department": "urban-management", "assisting": ["fire-rescue"]"#),
        step(.accept, .caseHandle, from: .dispatched),
        step(.return, .caseHandle, from: .dispatched, #", "reason": "不属于本部门职责""#),
        step(.requestExtension, .caseHandle, from: .handling, #", "limit": "4h", "reason": "需协调产权单位""#),
        step(.decideExtension, .caseSupervise, from: .handling, #", "approved": true"#) { c, f in
            try await f.services.cases.perform(.requestExtension(limit: .hours(2), reason: "需协调"), on: c.number, version: c.version, by: MatrixFixture.console)
        },
        step(.suspend, .caseSupervise, from: .registered, #", "reason": "等待上级意见""#),
        step(.resume, .caseSupervise, from: .registered) { c, f in
            try await f.services.cases.perform(.suspend(reason: "等待"), on: c.number, version: c.version, by: MatrixFixture.console)
        },
        RouteCase(method: .post, route: "/api/v1/cases/{number}/complete-task", policy: .permission(.caseHandle), success: .ok, outside: .notFound) { side, f, role in
            let helper = f.lead(side, role)
            let c = try await f.newCase(side, role, upTo: .dispatched, lead: "housing-construction", assisting: [helper])
            return ("/api/v1/cases/\(c.number)/complete-task", #"{"version": \#(c.version), "department": "\#(helper)", "note": "协办完成"}"#)
        },
        step(.reportHandled, .caseHandle, from: .handling, #", "note": "已清运完毕""#),
        step(.inspect, .caseInspect, from: .handled, #", "passed": true"#),
        RouteCase(method: .post, route: "/api/v1/cases/{number}/evaluate", policy: .permission(.caseEvaluate), success: .ok, outside: .notFound) { side, f, role in
            // The reporter rates: inside, the caller's own report; outside, someone else's.
            let c = try await f.newCase(side, role, upTo: .closed, reporter: side == .inside ? "m-\(role)" : "matrix-reporter")
            return ("/api/v1/cases/\(c.number)/evaluate", #"{"version": \#(c.version), "satisfaction": 4}"#)
        },
        step(.remind, .caseSupervise, from: .registered, #", "note": "请尽快派遣""#),
        RouteCase(method: .post, route: "/api/v1/attachments", policy: .permission(.attachmentUpload), success: .created, contentType: "application/pdf") { side, _, role in
            ("/api/v1/attachments", MatrixFixture.uniquePDF("\(role) \(side)"))
        },
        RouteCase(method: .get, route: "/api/v1/attachments/{hash}", policy: .permission(.caseRead), success: .ok, outside: .notFound) { side, f, role in
            let file = try await f.services.cases.upload(Array(MatrixFixture.uniquePDF("\(role) \(side)").utf8), declaredType: "application/pdf", by: MatrixFixture.console)
            _ = try await f.newCase(side, role, upTo: .dispatched, attachments: [file.hash])
            return ("/api/v1/attachments/\(file.hash)", nil)
        },
        RouteCase(method: .post, route: "/api/v1/public/attachments", policy: .open, success: .created, contentType: "application/pdf") { side, _, role in
            ("/api/v1/public/attachments", MatrixFixture.uniquePDF("public \(role) \(side)"))
        },
        RouteCase(method: .post, route: "/api/v1/public/cases", policy: .open, success: .created) { side, f, _ in
            ("/api/v1/public/cases", #"{"description": "小区门口井盖缺失", "location": {"longitude": \#(f.point(side).longitude), "latitude": \#(f.point(side).latitude)}}"#)
        },
        RouteCase(method: .get, route: "/api/v1/public/cases/{trackingCode}", policy: .open, success: .ok) { side, f, role in
            let code = try await f.newCaseWithCode(side, role, upTo: .dispatched, source: .citizen).trackingCode!
            return ("/api/v1/public/cases/\(code)", nil)
        },
        RouteCase(method: .post, route: "/api/v1/public/cases/{trackingCode}/evaluate", policy: .open, success: .ok) { side, f, role in
            let code = try await f.newCaseWithCode(side, role, upTo: .closed, source: .citizen).trackingCode!
            return ("/api/v1/public/cases/\(code)/evaluate", #"{"satisfaction": 5, "comment": "处理及时"}"#)
        },
        RouteCase(method: .get, route: "/api/v1/public/outline", policy: .open, success: .ok, request: fixed("/api/v1/public/outline?level=grid")),
        RouteCase(method: .get, route: "/api/v1/supervision", policy: .permission(.caseSupervise), success: .ok, request: fixed("/api/v1/supervision?level=red")),
        RouteCase(method: .get, route: "/api/v1/kpis", policy: .permission(.kpiRead), success: .ok, outside: .notFound) { side, f, _ in
            ("/api/v1/kpis?month=2026-11&territory=\(f.community(side))", nil)
        },
        RouteCase(method: .get, route: "/api/v1/cases.geojson", policy: .permission(.caseRead), success: .ok) { side, f, role in
            let p = try await f.newCase(side, role, upTo: .registered).location
            return ("/api/v1/cases.geojson?bbox=\(p.longitude - 0.01),\(p.latitude - 0.01),\(p.longitude + 0.01),\(p.latitude + 0.01)", nil)
        },
        // The matrix's router closes live streams after a moment, so each call returns.
        RouteCase(method: .get, route: "/api/v1/events", policy: .permission(.caseRead), success: .ok, request: fixed("/api/v1/events")),
        RouteCase(method: .get, route: "/api/v1/cockpits", policy: .permission(.cockpitRead), success: .ok, request: fixed("/api/v1/cockpits")),
        // The matrix's accounts work in one community: its cockpit, not the other community's.
        RouteCase(method: .get, route: "/api/v1/cockpits/{id}", policy: .permission(.cockpitRead), success: .ok, outside: .notFound) { side, f, _ in
            ("/api/v1/cockpits/\(CockpitService.regionID(f.community(side)))", nil)
        },
        RouteCase(method: .get, route: "/api/v1/map-settings", policy: .open, success: .ok, request: fixed("/api/v1/map-settings")),
    ]
}()

@Suite("Case API")
struct CaseAPITests {
    /// Logs in as one of the shared district's "s-" accounts (territory: the inside community).
    static func session(_ client: any TestClientProtocol, _ role: Role) async throws -> HTTPFields {
        let login = try await AuthorizationMatrixTests.login(client, "s-\(role.id)")
        return [.cookie: login.cookie, .init("X-CSRF-Token")!: login.csrf, .contentType: "application/json"]
    }

    static func post(_ client: any TestClientProtocol, _ uri: String, _ headers: HTTPFields, _ body: String) async throws -> (HTTPResponse.Status, JSONObject) {
        try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            (response.status, try json(response))
        }
    }

    @Test("a grid worker's report goes around the loop through the API, each step by its role, with the timeline and the audit trail")
    func journey() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let app = Application(router: buildRouter(services: f.services))
        try await app.test(.router) { client in
            let gridWorker = try await Self.session(client, .gridWorker)
            let dispatcher = try await Self.session(client, .dispatcher)
            let handler = try await Self.session(client, .departmentHandler)
            let p = f.point(.inside)
            // 07:50 the grid worker reports rubbish at a lane corner.
            var (status, body) = try await Self.post(client, "/api/v1/cases", gridWorker.with("Idempotency-Key", "patrol-0750"),
                #"{"source": "patrol", "classCode": "E0102", "description": "巷口暴露垃圾", "location": {"longitude": \#(p.longitude), "latitude": \#(p.latitude)}}"#)
            #expect(status == .created)
            let number = try #require(body["case"]?.objectValue?["number"]?.stringValue)
            #expect(number.hasPrefix(String(f.insideGrid.code.rawValue.prefix(6)) + "-"))
            #expect(body["case"]?.objectValue?["gridCode"]?.stringValue == f.insideGrid.code.rawValue)
            #expect(body["case"]?.objectValue?["status"]?.stringValue == "reported")
            #expect(body["case"]?.objectValue?["due"]?.objectValue?["register"] != nil)
            // The phone retried: the same case, not a second one.
            (status, body) = try await Self.post(client, "/api/v1/cases", gridWorker.with("Idempotency-Key", "patrol-0750"),
                #"{"source": "patrol", "classCode": "E0102", "description": "巷口暴露垃圾", "location": {"longitude": \#(p.longitude), "latitude": \#(p.latitude)}}"#)
            #expect(status == .ok && body["case"]?.objectValue?["number"]?.stringValue == number)
            // A second report of the same pile is proposed for merging.
            (status, body) = try await Self.post(client, "/api/v1/cases", gridWorker,
                #"{"classCode": "E0102", "description": "又见垃圾", "location": {"longitude": \#(p.longitude + 0.0001), "latitude": \#(p.latitude)}}"#)
            #expect(body["case"]?.objectValue?["possibleDuplicates"]?.arrayValue?.contains(.string(number)) == true)

            // The grid worker cannot register; the dispatcher registers and sees the proposed department.
            (status, _) = try await Self.post(client, "/api/v1/cases/\(number)/register", gridWorker, #"{"version": 1}"#)
            #expect(status == .forbidden)
            (status, body) = try await Self.post(client, "/api/v1/cases/\(number)/register", dispatcher, #"{"version": 1}"#)
            #expect(status == .ok && body["status"]?.stringValue == "registered")
            #expect(body["proposedDepartments"]?.arrayValue?.first?.stringValue == "urban-management")
            #expect(body["allowedActions"]?.arrayValue?.map { $0.stringValue } == ["dispatch", "reject", "merge", "suspend", "remind"])
            // Dispatching from an old version is refused with the current one.
            (status, body) = try await Self.post(client, "/api/v1/cases/\(number)/dispatch", dispatcher, #"{"version": 1, "department": "urban-management"}"#)
            #expect(status == .conflict && body["currentVersion"]?.doubleValue == 2)
            (status, body) = try await Self.post(client, "/api/v1/cases/\(number)/dispatch", dispatcher, #"{"version": 2, "department": "no-such-bureau"}"#)
            #expect(status == .badRequest && body["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue == "department")
            (status, body) = try await Self.post(client, "/api/v1/cases/\(number)/dispatch", dispatcher, #"{"version": 2, "department": "urban-management"}"#)
            #expect(status == .ok && body["department"]?.stringValue == "urban-management" && body["due"]?.objectValue?["handle"] != nil)
            // A step the status does not allow: 409 with the steps it does allow.
            (status, body) = try await Self.post(client, "/api/v1/cases/\(number)/inspect", gridWorker, #"{"version": 3, "passed": true}"#)
            #expect(status == .conflict)
            #expect(body["allowedActions"]?.arrayValue?.map { $0.stringValue } == ["accept", "return", "complete-task", "suspend", "remind"])
            // The department accepts and reports back; the grid worker re-inspects and closes.
            (status, _) = try await Self.post(client, "/api/v1/cases/\(number)/accept", handler, #"{"version": 3}"#)
            #expect(status == .ok)
            (status, body) = try await Self.post(client, "/api/v1/cases/\(number)/report-handled", handler, #"{"version": 4}"#)
            #expect(status == .badRequest && body["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue == "note")
            (status, _) = try await Self.post(client, "/api/v1/cases/\(number)/report-handled", handler, #"{"version": 4, "note": "已清运"}"#)
            #expect(status == .ok)
            (status, body) = try await Self.post(client, "/api/v1/cases/\(number)/inspect", gridWorker, #"{"version": 5, "passed": true, "note": "现场已干净"}"#)
            #expect(status == .ok && body["status"]?.stringValue == "closed")

            // The timeline shows every step with its actor.
            let timeline = try await client.execute(uri: "/api/v1/cases/\(number)/timeline", method: .get, headers: dispatcher) { try json($0) }
            let events = timeline["events"]?.arrayValue?.compactMap(\.objectValue) ?? []
            #expect(events.map { $0["action"]?.stringValue ?? "" } == ["report", "register", "dispatch", "accept", "report-handled", "inspect"])
            #expect(events.map { $0["actor"]?.stringValue ?? "" } == ["s-grid-worker", "s-dispatcher", "s-dispatcher", "s-department-handler", "s-department-handler", "s-grid-worker"])
            #expect(events[4]["note"]?.stringValue == "已清运")
            // And the audit trail has each step.
            let audit = try await f.services.store.auditEntries(matching: AuditQuery(target: "case:" + number, limit: 20))
            #expect(Set(audit.map(\.record.action)) == ["case.report", "case.register", "case.dispatch", "case.accept", "case.report-handled", "case.inspect"])
        }
    }

    @Test("lists are filtered and scoped: territory for most, the department for handlers, one's own reports for citizens")
    func scopedLists() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let inside = try await f.newCase(.inside, "test", upTo: .registered)
        let outside = try await f.newCase(.outside, "test", upTo: .registered)
        let handled = try await f.newCase(.outside, Role.departmentHandler.id, upTo: .handling, lead: "urban-management")
        let own = try await f.newCase(.inside, "test", upTo: .reported, reporter: "s-citizen")
        let app = Application(router: buildRouter(services: f.services))
        try await app.test(.router) { client in
            func numbers(_ role: Role, _ query: String) async throws -> Set<String> {
                let headers = try await Self.session(client, role)
                return try await client.execute(uri: "/api/v1/cases?limit=500&" + query, method: .get, headers: headers) { response in
                    #expect(response.status == .ok, "\(role.id) \(query): \(response.status)")
                    return Set(try json(response)["items"]?.arrayValue?.compactMap { $0.objectValue?["number"]?.stringValue } ?? [])
                }
            }
            let dispatcherSees = try await numbers(.dispatcher, "status=registered")
            #expect(dispatcherSees.contains(inside.number) && !dispatcherSees.contains(outside.number))
            let handlerSees = try await numbers(.departmentHandler, "")
            #expect(handlerSees.contains(handled.number) && !handlerSees.contains(inside.number))
            let citizenSees = try await numbers(.citizen, "")
            #expect(citizenSees.contains(own.number) && !citizenSees.contains(inside.number))
            #expect(try await numbers(.dispatcher, "status=handling").isDisjoint(with: [inside.number, outside.number]))
            // The territory filter cannot leave one's own territory.
            let headers = try await Self.session(client, .dispatcher)
            try await client.execute(uri: "/api/v1/cases?territory=\(f.outside)", method: .get, headers: headers) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/v1/cases?status=closedd&class=X01&limit=0", method: .get, headers: headers) { response in
                #expect(response.status == .badRequest)
                let fields = try json(response)["errors"]?.arrayValue?.compactMap { $0.objectValue?["field"]?.stringValue }
                #expect(fields == ["status", "class", "limit"])
            }
        }
    }

    @Test("a resident without an account reports with a photo, follows the case by its tracking code and rates it; photos are checked and scoped")
    func citizenJourney() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let app = Application(router: buildRouter(services: f.services, configuration: ServerConfiguration(publicWritesPerHour: 3)))
        try await app.test(.router) { client in
            // A JPEG as a phone sends it (the first bytes are what matters).
            let photo: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array("CityBrain test photo \(UUID())".utf8)
            let uploaded = try await client.execute(uri: "/api/v1/public/attachments", method: .post, headers: [.contentType: "image/jpeg"],
                                                    body: ByteBuffer(bytes: photo)) { response in
                #expect(response.status == .created)
                return try json(response)
            }
            let hash = try #require(uploaded["hash"]?.stringValue)
            #expect(uploaded["type"]?.stringValue == "image/jpeg" && uploaded["size"]?.doubleValue == Double(photo.count))
            // Not a photo, or not what it claims to be: refused with the reason.
            try await client.execute(uri: "/api/v1/public/attachments", method: .post, headers: [.contentType: "image/jpeg"],
                                     body: ByteBuffer(string: "<script>alert(1)</script>")) { response in
                #expect(response.status == .badRequest)
                let reason = try json(response)["errors"]?.arrayValue?.first?.objectValue?["reason"]?.stringValue
                #expect(reason?.contains("not a JPEG") == true)
            }
            try await client.execute(uri: "/api/v1/public/attachments", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: photo)) { response in
                #expect(response.status == .badRequest)
            }
            // The limit per address and hour.
            try await client.execute(uri: "/api/v1/public/attachments", method: .post, headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: photo)) { response in
                #expect(response.status == .tooManyRequests)
            }
            let p = f.point(.inside)
            let receipt = try await client.execute(uri: "/api/v1/public/cases", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"description": "楼道堆放杂物堵塞消防通道", "location": {"longitude": \#(p.longitude), "latitude": \#(p.latitude)}, "contactPhone": "13900001111", "attachments": ["\#(hash)"]}"#)) { response in
                #expect(response.status == .created)
                return try json(response)
            }
            let code = try #require(receipt["trackingCode"]?.stringValue)
            let number = try #require(receipt["case"]?.objectValue?["number"]?.stringValue)
            #expect(code.count == 14 && receipt["case"]?.objectValue?["statusName"]?.stringValue == "待立案")
            // The case itself is not public: the tracking code shows progress only.
            try await client.execute(uri: "/api/v1/cases/\(number)", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/public/cases/\(code.lowercased())", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(!text.contains("13900001111") && !text.contains("anonymous"))
            }
            try await client.execute(uri: "/api/v1/public/cases/ZZZZ-ZZZZ-ZZZZ", method: .get) { #expect($0.status == .notFound) }
            // The loop runs; a dispatcher sees the photo and the masked phone.
            var c = try #require(try await f.services.store.storedCase(number: number))
            #expect(c.source == .citizen && c.reporterContact?.hasPrefix("enc:") == true)
            for command in [CaseCommand.register(classCode: try CaseClassCode("E0703"), urgency: nil),
                            .dispatch(department: "urban-management", assisting: ["fire-rescue"], assistingLimit: nil), .accept, .completeTask(department: "fire-rescue"),
                            .reportHandled, .inspect(passed: true)] {
                c = try await f.services.cases.perform(command, on: number, version: c.version, note: "处理", by: MatrixFixture.console)
            }
            let dispatcher = try await Self.session(client, .dispatcher)
            try await client.execute(uri: "/api/v1/attachments/\(hash)", method: .get, headers: dispatcher) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "image/jpeg" && Array(response.body.readableBytesView) == photo)
            }
            try await client.execute(uri: "/api/v1/cases/\(number)", method: .get, headers: dispatcher) { response in
                let phone = try json(response)["contactPhone"]?.stringValue
                #expect(phone == "139****1111")
            }
            // An attachment of no case the reader may see is not found.
            let stray = try await f.services.cases.upload(Array(MatrixFixture.uniquePDF("stray").utf8), declaredType: nil, by: MatrixFixture.console)
            try await client.execute(uri: "/api/v1/attachments/\(stray.hash)", method: .get, headers: dispatcher) { #expect($0.status == .notFound) }
            // The resident rates it with the code.
            try await client.execute(uri: "/api/v1/public/cases/\(code)/evaluate", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"satisfaction": 5, "comment": "很快"}"#)) { response in
                #expect(response.status == .ok)
                let rating = try json(response)["satisfaction"]?.doubleValue
                #expect(rating == 5)
            }
            try await client.execute(uri: "/api/v1/public/cases/\(code)/evaluate", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"satisfaction": 1}"#)) { #expect($0.status == .conflict) }
        }
    }

    @Test("a hotline report given as an address text is placed at the matched standard address; KPIs and the supervision queue answer over HTTP")
    func addressTextAndKPIs() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let app = Application(router: buildRouter(services: f.services))
        try await app.test(.router) { client in
            let admin = try await Self.session(client, .districtAdministrator)
            let text = f.insideAddress.elements.standardText
            var (status, body) = try await Self.post(client, "/api/v1/cases", admin,
                #"{"source": "hotline", "classCode": "E0701", "description": "楼上漏水纠纷", "addressText": "\#(text)附近", "externalReference": "12345-20261130-0042"}"#)
            #expect(status == .created)
            let created = try #require(body["case"]?.objectValue)
            #expect(created["addressCode"]?.stringValue == f.insideAddress.code)
            #expect(created["gridCode"]?.stringValue == f.insideAddress.gridCode?.rawValue)
            #expect(created["externalReference"]?.stringValue == "12345-20261130-0042")
            (status, body) = try await Self.post(client, "/api/v1/cases", admin, #"{"description": "不知道在哪", "addressText": "火星基地第九大街"}"#)
            #expect(status == .badRequest && body["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue == "addressText")
            (status, body) = try await Self.post(client, "/api/v1/cases", admin, #"{"description": "没有位置"}"#)
            #expect(status == .badRequest && body["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue == "location")
            (status, body) = try await Self.post(client, "/api/v1/cases", admin, #"{"description": "类别错", "classCode": "E0100", "location": {"longitude": 120.3, "latitude": 30.4}}"#)
            #expect(status == .badRequest && body["errors"]?.arrayValue?.first?.objectValue?["field"]?.stringValue == "classCode")

            let kpis = try await client.execute(uri: "/api/v1/kpis?territory=\(f.inside)", method: .get, headers: admin) { response in
                #expect(response.status == .ok)
                return try json(response)
            }
            let current = try #require(kpis["current"]?.objectValue)
            #expect((current["kpis"]?.objectValue?["counters"]?.objectValue?["reported"]?.doubleValue ?? 0) >= 1)
            #expect(kpis["previousPeriod"]?.objectValue?["from"] != nil && kpis["lastYear"]?.objectValue?["to"] != nil)
            #expect(kpis["scope"]?.stringValue == "territory:\(f.inside)")
            try await client.execute(uri: "/api/v1/kpis?from=2026-12-01&to=2026-11-01&month=13", method: .get, headers: admin) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/api/v1/supervision?level=orange", method: .get, headers: admin) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/api/v1/supervision", method: .get, headers: admin) { #expect($0.status == .ok) }
        }
    }

    @Test("concurrent dispatchers cannot both take the same step")
    func concurrentSteps() async throws {
        let f = try await AuthorizationMatrixTests.fixture()
        let c = try await f.newCase(.inside, "test", upTo: .registered)
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for department in ["urban-management", "market-supervision", "fire-rescue", "health"] {
                group.addTask {
                    do {
                        _ = try await f.services.cases.perform(.dispatch(department: department, assisting: [], assistingLimit: nil), on: c.number,
                                                               version: c.version, by: MatrixFixture.console)
                        return true
                    } catch is CaseVersionConflict {
                        return false
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        let events = try await f.services.store.caseEvents(number: c.number)
        #expect(events.filter { $0.action == .dispatch }.count == 1)
    }
}

extension HTTPFields {
    func with(_ name: String, _ value: String) -> HTTPFields {
        var copy = self
        copy[.init(name)!] = value
        return copy
    }
}
