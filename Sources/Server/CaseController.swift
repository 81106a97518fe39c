import Foundation
import GeoKit
import Governance
import Hummingbird
import HummingbirdCore

/// `/api/v1/cases…`: intake, the steps of the closed loop (one path per step, each with its
/// permission), timelines and lists; and the dictionaries the loop runs on.
struct CaseController {
    let cases: CaseService

    func addRoutes(to routes: PolicedRoutes) {
        routes.get("case-classes", .signedIn, use: listClasses)
        routes.put("case-classes/{code}", .permission(.caseConfigure), use: saveClass)
        routes.get("calendar", .signedIn, use: calendar)
        routes.put("calendar/{day}", .permission(.caseConfigure), use: saveCalendarDay)
        routes.get("case-settings", .signedIn, use: showSettings)
        routes.put("case-settings", .permission(.caseConfigure), use: saveSettings)
        routes.get("departments", .signedIn, use: listDepartments)
        routes.put("departments/{code}", .permission(.caseConfigure), use: saveDepartment)
        routes.get("dispatch-routes", .permission(.caseRead), use: listRoutes)
        routes.put("dispatch-routes", .permission(.caseConfigure), use: saveRoutes)
        routes.post("cases", .permission(.caseReport), use: report)
        // The list is scoped by the service: territory, department, or (without case.read) one's own reports.
        routes.get("cases", .signedIn, use: list)
        routes.get("cases.geojson", .permission(.caseRead), use: points)
        routes.get("cases/{number}", .permission(.caseRead), use: show)
        routes.get("cases/{number}/timeline", .permission(.caseRead), use: timeline)
        routes.post("cases/{number}/contact/reveal", .permission(.personalDataReveal), use: revealContact)
        routes.get("supervision", .permission(.caseSupervise), use: supervision)
        routes.get("kpis", .permission(.kpiRead), use: kpis)
        for action in CaseAction.commands {
            routes.post("cases/{number}/\(action.rawValue)", .permission(action.permission)) { request, context in
                try await perform(action, request: request, context: context)
            }
        }
    }

    // MARK: representation

    struct CaseBody: Encodable {
        var number: String
        var source: String
        var classCode: String?
        var className: String?
        var kind: String?
        var urgency: String
        var status: String
        var statusName: String
        var description: String
        var location: LocationBody
        var addressText: String?
        var addressCode: String?
        var gridCode: String
        var reporter: String
        /// Masked (138****5678); in clear only through `contact/reveal`.
        var contactPhone: String?
        var externalReference: String?
        var reportedAt: String
        var registeredAt: String?
        var dispatchedAt: String?
        var acceptedAt: String?
        var handledAt: String?
        var closedAt: String?
        var evaluatedAt: String?
        var department: String?
        var tasks: [TaskBody]
        var due: [String: String]
        var warnAt: String?
        var closeDueAt: String?
        var alert: String?
        var overdue: Bool
        var onTime: [String: Bool]
        var returns: Int
        var reworks: Int
        var extensions: Int
        var reminders: Int
        var pendingExtension: ExtensionBody?
        var suspendedFrom: String?
        var mergedInto: String?
        var rejectionReason: String?
        var satisfaction: Int?
        var possibleDuplicates: [String]
        var proposedDepartments: [String]
        /// The steps the caller may take now (status and permissions).
        var allowedActions: [String]
        var version: Int
    }

    struct LocationBody: Codable {
        var longitude: Double
        var latitude: Double
    }

    struct TaskBody: Encodable {
        var department: String
        var dueAt: String
        var doneAt: String?
        var note: String?
    }

    struct ExtensionBody: Encodable {
        var limit: String
        var reason: String
        var requestedBy: String
        var requestedAt: String
    }

    func body(_ c: Case, for principal: Principal, at time: Date = Date()) -> CaseBody {
        let cls = c.classCode.flatMap { cases.classes.class($0) }
        let allowed = CaseWorkflow.allowed(in: c.status, pendingExtension: c.pendingExtension != nil).filter { principal.may($0.permission) }
        return CaseBody(
            number: c.number, source: c.source.rawValue, classCode: c.classCode?.rawValue, className: cls?.name, kind: c.classCode?.kind.rawValue,
            urgency: c.urgency.rawValue, status: c.status.rawValue, statusName: c.status.chineseName, description: c.description,
            location: LocationBody(longitude: c.location.longitude, latitude: c.location.latitude), addressText: c.addressText, addressCode: c.addressCode,
            gridCode: c.gridCode.rawValue, reporter: c.reporter,
            contactPhone: c.reporterContact.flatMap { try? cases.vault.open($0, field: CaseService.contactField) }.map { PersonalDataClass.phone.mask($0) },
            externalReference: c.externalReference, reportedAt: isoTimestamp(c.reportedAt), registeredAt: c.registeredAt.map(isoTimestamp),
            dispatchedAt: c.dispatchedAt.map(isoTimestamp), acceptedAt: c.acceptedAt.map(isoTimestamp), handledAt: c.handledAt.map(isoTimestamp),
            closedAt: c.closedAt.map(isoTimestamp), evaluatedAt: c.evaluatedAt.map(isoTimestamp), department: c.department,
            tasks: c.tasks.map { TaskBody(department: $0.department, dueAt: isoTimestamp($0.dueAt), doneAt: $0.doneAt.map(isoTimestamp), note: $0.note) },
            due: Dictionary(uniqueKeysWithValues: c.due.map { ($0.key.rawValue, isoTimestamp($0.value)) }), warnAt: c.warnAt.map(isoTimestamp),
            closeDueAt: c.closeDueAt.map(isoTimestamp), alert: c.alertLevel(at: time)?.rawValue, overdue: c.isOverdue(at: time),
            onTime: Dictionary(uniqueKeysWithValues: c.onTime.map { ($0.key.rawValue, $0.value) }), returns: c.returns, reworks: c.reworks,
            extensions: c.extensions, reminders: c.reminders,
            pendingExtension: c.pendingExtension.map { ExtensionBody(limit: $0.limit.shortText, reason: $0.reason, requestedBy: $0.requestedBy, requestedAt: isoTimestamp($0.requestedAt)) },
            suspendedFrom: c.suspendedFrom?.rawValue, mergedInto: c.mergedInto, rejectionReason: c.rejectionReason, satisfaction: c.satisfaction,
            possibleDuplicates: c.possibleDuplicates, proposedDepartments: c.status == .registered ? cases.proposedDepartments(for: c) : [],
            allowedActions: allowed.map(\.rawValue), version: c.version)
    }

    // MARK: intake

    struct ReportBody: Decodable {
        var source: CaseSource?
        var classCode: String?
        var urgency: Urgency?
        var description: String
        var location: LocationBody?
        var addressCode: String?
        var addressText: String?
        var contactPhone: String?
        var externalReference: String?
        var attachments: [String]?
    }

    struct ReceiptBody: Encodable {
        var `case`: CaseBody
        /// For a citizen's report: give it to the reporter; it is shown only once.
        var trackingCode: String?
    }

    @Sendable func report(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let input = try await decodeJSONBody(ReportBody.self, request: request, context: context)
        var classCode: CaseClassCode?
        if let text = input.classCode {
            do { classCode = try CaseClassCode(text) } catch { throw Problem.invalid([.init(field: "classCode", reason: error.description)]) }
        }
        let intake = CaseIntake(source: input.source ?? .patrol, classCode: classCode, urgency: input.urgency ?? .normal, description: input.description,
                                location: input.location.map { Coordinate(longitude: $0.longitude, latitude: $0.latitude) },
                                addressCode: input.addressCode, addressText: input.addressText, contactPhone: input.contactPhone,
                                externalReference: input.externalReference, attachments: input.attachments ?? [])
        let key = request.headers[.init("Idempotency-Key")!]
        let receipt = try await cases.report(intake, by: principal, idempotencyKey: key, requestID: context.requestID)
        var response = try JSONResponse.make(ReceiptBody(case: body(receipt.case, for: principal), trackingCode: receipt.trackingCode),
                                             status: receipt.created ? .created : .ok)
        response.headers[.location] = "/api/v1/cases/" + receipt.case.number
        return response
    }

    // MARK: steps

    /// What any step may carry; each step reads the fields it needs.
    struct StepBody: Decodable {
        var version: Int
        var note: String?
        var attachments: [String]?
        var classCode: String?
        var urgency: Urgency?
        var reason: String?
        var into: String?
        var department: String?
        var assisting: [String]?
        var assistingLimit: String?
        var limit: String?
        var approved: Bool?
        var passed: Bool?
        var satisfaction: Int?
    }

    func command(_ action: CaseAction, _ b: StepBody) throws -> CaseCommand {
        func need<T>(_ value: T?, _ field: String, _ what: String) throws -> T {
            guard let value else { throw Problem.invalid([.init(field: field, reason: "is required for \(action.rawValue): \(what)")]) }
            return value
        }
        func limit(_ text: String?, _ field: String) throws -> TimeLimit? {
            guard let text else { return nil }
            guard let l = TimeLimit(text: text) else { throw Problem.invalid([.init(field: field, reason: "working time such as 30m, 4h or 2d")]) }
            return l
        }
        switch action {
        case .register:
            var code: CaseClassCode?
            if let text = b.classCode {
                do { code = try CaseClassCode(text) } catch { throw Problem.invalid([.init(field: "classCode", reason: error.description)]) }
            }
            return .register(classCode: code, urgency: b.urgency)
        case .reject: return .reject(reason: try need(b.reason, "reason", "why the report is not a case"))
        case .merge: return .merge(into: try need(b.into, "into", "the number of the case it duplicates"))
        case .dispatch:
            return .dispatch(department: try need(b.department, "department", "the lead department's code"), assisting: b.assisting ?? [],
                             assistingLimit: try limit(b.assistingLimit, "assistingLimit"))
        case .accept: return .accept
        case .return: return .return(reason: try need(b.reason, "reason", "why the case is not the department's"))
        case .requestExtension:
            return .requestExtension(limit: try need(try limit(b.limit, "limit"), "limit", "the extra working time (30m, 4h, 2d)"),
                                     reason: try need(b.reason, "reason", "why more time is needed"))
        case .decideExtension: return .decideExtension(approved: try need(b.approved, "approved", "true or false"))
        case .suspend: return .suspend(reason: try need(b.reason, "reason", "why the case is paused"))
        case .resume: return .resume
        case .completeTask: return .completeTask(department: b.department ?? "")
        case .reportHandled: return .reportHandled
        case .inspect: return .inspect(passed: try need(b.passed, "passed", "true closes the case, false sends it back for rework"))
        case .evaluate: return .evaluate(satisfaction: try need(b.satisfaction, "satisfaction", "1 to 5"))
        case .remind: return .remind
        case .report, .absorb, .warn, .escalate, .redact: throw Problem.notFound("no step \(action.rawValue)")
        }
    }

    func perform(_ action: CaseAction, request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let number = try context.parameters.require("number")
        let input = try await decodeJSONBody(StepBody.self, request: request, context: context)
        let updated = try await cases.perform(try command(action, input), on: number, version: input.version, note: input.note,
                                              attachments: input.attachments ?? [], by: principal, requestID: context.requestID)
        return try JSONResponse.make(body(updated, for: principal))
    }

    // MARK: reads

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        return try JSONResponse.make(body(try await cases.case(try context.parameters.require("number"), for: principal), for: principal))
    }

    struct EventBody: Encodable {
        var sequence: Int
        var action: String
        var actionName: String
        var actor: String
        var time: String
        var note: String?
        var attachments: [String]
        var details: [String: String]
        var status: String
    }

    @Sendable func timeline(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let events = try await cases.timeline(try context.parameters.require("number"), for: principal)
        return try JSONResponse.make(["events": events.map {
            EventBody(sequence: $0.sequence, action: $0.action.rawValue, actionName: $0.action.chineseName, actor: $0.actor, time: isoTimestamp($0.time),
                      note: $0.note, attachments: $0.attachments, details: $0.details, status: $0.status.rawValue)
        }])
    }

    struct Page: Encodable {
        var items: [CaseBody]
        var nextCursor: String?
    }

    /// `status` (comma-separated), `class` (E0102 or E01), `territory`, `department`, `source`,
    /// `overdue=true`, `from`/`to` (reported), `reporter=me`, `limit` (1–500), `cursor`.
    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let now = Date()
        var errors: [Problem.FieldError] = []
        var query = parseQuery(request.uri.queryParameters, now: now, errors: &errors)
        if let text = request.uri.queryParameters["reporter"].map(String.init) {
            if text == "me", let mine = principal.reportingAccount { query.reporterAccount = mine } else { errors.append(.init(field: "reporter", reason: "me (one's own reports)")) }
        }
        if let text = request.uri.queryParameters["limit"].map(String.init) {
            if let n = Int(text), (1...500).contains(n) { query.limit = n } else { errors.append(.init(field: "limit", reason: "an integer from 1 to 500")) }
        }
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        let page = try await cases.list(query, for: principal)
        return try JSONResponse.make(Page(items: page.map { body($0, for: principal, at: now) },
                                          nextCursor: page.count == query.limit ? page.last?.id.map(String.init) : nil))
    }

    /// The filters lists and the map share: `status` (comma-separated), `class`, `territory`,
    /// `department`, `source`, `overdue=true`, `from`/`to`, `cursor`.
    func parseQuery(_ q: HummingbirdCore.FlatDictionary<Substring, Substring>, now: Date, errors: inout [Problem.FieldError]) -> CaseQuery {
        var query = CaseQuery()
        if let text = q["status"].map(String.init) {
            for part in text.split(separator: ",") {
                if let s = CaseStatus(rawValue: String(part)) { query.statuses.append(s) } else {
                    errors.append(.init(field: "status", reason: "\(part) is not one of " + CaseStatus.allCases.map(\.rawValue).joined(separator: ", ")))
                }
            }
        }
        if let text = q["class"].map(String.init) {
            if (text.count == 3 && (try? CaseClassCode(text + "01")) != nil) || (text.count == 5 && (try? CaseClassCode(text)) != nil) {
                query.classPrefix = text.uppercased()
            } else {
                errors.append(.init(field: "class", reason: "a minor class (E0102) or a major class (E01)"))
            }
        }
        if let text = q["territory"].map(String.init) {
            do { query.territory = try RegionCode(text) } catch { errors.append(.init(field: "territory", reason: error.description)) }
        }
        query.department = q["department"].map(String.init)
        if let text = q["source"].map(String.init) {
            if let s = CaseSource(rawValue: text) { query.source = s } else {
                errors.append(.init(field: "source", reason: "one of " + CaseSource.allCases.map(\.rawValue).joined(separator: ", ")))
            }
        }
        if let text = q["overdue"].map(String.init) {
            switch text {
            case "true": query.overdueAt = now
            case "false": break
            default: errors.append(.init(field: "overdue", reason: "true or false"))
            }
        }
        for (name, keyPath) in [("from", \CaseQuery.from), ("to", \CaseQuery.to)] {
            guard let text = q[Substring(name)].map(String.init) else { continue }
            if let date = parseInstant(text) { query[keyPath: keyPath] = date } else { errors.append(.init(field: name, reason: "an ISO-8601 date or time")) }
        }
        if let text = q["cursor"].map(String.init) {
            if let n = Int64(text), n > 0 { query.before = n } else { errors.append(.init(field: "cursor", reason: "the nextCursor of the previous page")) }
        }
        return query
    }

    /// The map's case markers as GeoJSON points (no description, no personal data): the list's
    /// filters (open cases unless `status` says otherwise), `bbox=west,south,east,north`, `limit`
    /// (1–20,000, default 5,000). `truncated` tells when more cases matched.
    @Sendable func points(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let now = Date()
        let q = request.uri.queryParameters
        var errors: [Problem.FieldError] = []
        var query = parseQuery(q, now: now, errors: &errors)
        if query.statuses.isEmpty { query.statuses = CaseStatus.allCases.filter(\.isOpen) }
        query.limit = 5_000
        if let text = q["limit"].map(String.init) {
            if let n = Int(text), (1...20_000).contains(n) { query.limit = n } else { errors.append(.init(field: "limit", reason: "an integer from 1 to 20000")) }
        }
        var box: BoundingBox?
        if let text = q["bbox"].map(String.init) {
            let v = text.split(separator: ",").compactMap { Double($0) }
            if v.count == 4, v[0] < v[2], v[1] < v[3] {
                box = BoundingBox(minLongitude: v[0], minLatitude: v[1], maxLongitude: v[2], maxLatitude: v[3])
            } else {
                errors.append(.init(field: "bbox", reason: "west,south,east,north in degrees, west < east and south < north"))
            }
        }
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        var asked = query
        asked.limit += 1
        var found = try await cases.points(asked, within: box, for: principal)
        let truncated = found.count > query.limit
        if truncated { found.removeLast() }
        let dictionary = cases.workflow.classes
        struct Properties: Encodable {
            var number: String
            var status: String
            var classCode: String?
            var className: String?
            var gridCode: String
            var overdue: Bool
        }
        struct Feature: Encodable {
            var type = "Feature"
            var geometry: Point
            var properties: Properties
        }
        struct Point: Encodable {
            var type = "Point"
            var coordinates: [Double]
        }
        struct Collection: Encodable {
            var type = "FeatureCollection"
            var features: [Feature]
            var truncated: Bool
        }
        var response = try JSONResponse.make(Collection(features: found.map { p in
            Feature(geometry: Point(coordinates: [p.location.longitude, p.location.latitude]),
                    properties: Properties(number: p.number, status: p.status.rawValue, classCode: p.classCode,
                                           className: p.classCode.flatMap { try? CaseClassCode($0) }.flatMap { dictionary.class($0)?.name },
                                           gridCode: p.gridCode, overdue: p.runningDue.map { $0 < now } ?? false))
        }, truncated: truncated))
        response.headers[.contentType] = "application/geo+json"
        return response
    }

    struct RevealBody: Decodable { var purpose: String }

    @Sendable func revealContact(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let input = try await decodeJSONBody(RevealBody.self, request: request, context: context)
        let phone = try await cases.revealContact(try context.parameters.require("number"), purpose: input.purpose, by: principal, requestID: context.requestID)
        return try JSONResponse.make(["contactPhone": phone])
    }

    /// `territory`, `level` (`red`: overdue only; default yellow and red), `limit` (1–500).
    @Sendable func supervision(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let q = request.uri.queryParameters
        var errors: [Problem.FieldError] = []
        var territory: RegionCode?
        if let text = q["territory"].map(String.init) {
            do { territory = try RegionCode(text) } catch { errors.append(.init(field: "territory", reason: error.description)) }
        }
        let level = q["level"].map(String.init)
        if let level, level != "red" && level != "yellow" { errors.append(.init(field: "level", reason: "red (overdue) or yellow (warned or overdue)")) }
        var limit = 100
        if let text = q["limit"].map(String.init) {
            if let n = Int(text), (1...500).contains(n) { limit = n } else { errors.append(.init(field: "limit", reason: "an integer from 1 to 500")) }
        }
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        let now = Date()
        let queue = try await cases.supervisionQueue(territory: territory, onlyOverdue: level == "red", limit: limit, for: principal, at: now)
        return try JSONResponse.make(["items": queue.map { body($0, for: principal, at: now) }])
    }

    struct KPIBody: Encodable {
        var counters: KPICounters
        /// Ratios from 0 to 1 (absent when nothing was due).
        var handledOnTimeRate: Double?
        var closingRate: Double?
        var closedOnTimeRate: Double?
        var reworkRate: Double?
        var overdueRate: Double?
        var extensionRate: Double?
        var accurateDispatchRate: Double?
        var registeredOnTimeRate: Double?
        var averageHandlingHours: Double?
        var satisfactionRate: Double?
        var averageSatisfaction: Double?

        init(_ r: KPIReport) {
            counters = r.counters
            handledOnTimeRate = r.handledOnTimeRate
            closingRate = r.closingRate
            closedOnTimeRate = r.closedOnTimeRate
            reworkRate = r.reworkRate
            overdueRate = r.overdueRate
            extensionRate = r.extensionRate
            accurateDispatchRate = r.accurateDispatchRate
            registeredOnTimeRate = r.registeredOnTimeRate
            averageHandlingHours = r.averageHandlingHours
            satisfactionRate = r.satisfactionRate
            averageSatisfaction = r.averageSatisfaction
        }
    }

    struct PeriodBody: Encodable {
        var from: String
        /// Inclusive.
        var to: String
        var kpis: KPIBody
    }

    struct KPIComparisonBody: Encodable {
        var scope: String
        var current: PeriodBody
        var previousPeriod: PeriodBody
        var lastYear: PeriodBody
    }

    /// The period: `month=2026-11`, `year=2026`, or `from`/`to` dates (inclusive); default the
    /// current month. The scope: `territory`, `department` or `worker` (a grid worker's code);
    /// default the caller's territory or department.
    @Sendable func kpis(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let q = request.uri.queryParameters
        var errors: [Problem.FieldError] = []
        var from = CivilDay(Date()).firstOfMonth
        var to = from.firstOfNextMonth
        if let text = q["month"].map(String.init) {
            if let start = CivilDay(month: text) {
                from = start
                to = start.firstOfNextMonth
            } else {
                errors.append(.init(field: "month", reason: "a month such as 2026-11"))
            }
        } else if let text = q["year"].map(String.init) {
            if let y = Int(text), (2000...2100).contains(y) {
                from = CivilDay(year: y, month: 1, day: 1)!
                to = CivilDay(year: y + 1, month: 1, day: 1)!
            } else {
                errors.append(.init(field: "year", reason: "a year such as 2026"))
            }
        } else if q["from"] != nil || q["to"] != nil {
            let f = q["from"].flatMap { CivilDay(iso: String($0)) }, t = q["to"].flatMap { CivilDay(iso: String($0)) }
            if f == nil { errors.append(.init(field: "from", reason: "a date YYYY-MM-DD from 1900 to 2199")) }
            if t == nil { errors.append(.init(field: "to", reason: "a date YYYY-MM-DD from 1900 to 2199 (inclusive)")) }
            if let f, let t {
                if t < f || t.daysSinceEpoch - f.daysSinceEpoch > 3660 {
                    errors.append(.init(field: "to", reason: "on or after from, at most ten years later"))
                } else {
                    from = f
                    to = t.adding(days: 1)
                }
            }
        }
        var territory: RegionCode?
        if let text = q["territory"].map(String.init) {
            do { territory = try RegionCode(text) } catch { errors.append(.init(field: "territory", reason: error.description)) }
        }
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        let scope = try cases.kpiScope(territory: territory, department: q["department"].map(String.init), worker: q["worker"].map(String.init), for: principal)
        let k = try await cases.kpis(scope, from: from, to: to)
        let scopeText: String = switch scope {
        case .region(let r): "territory:" + r.rawValue
        case .department(let d): "department:" + d
        case .grids(let g): "grids:" + g.map(\.rawValue).joined(separator: ",")
        }
        func period(_ start: CivilDay, _ end: CivilDay, _ report: KPIReport) -> PeriodBody {
            PeriodBody(from: start.description, to: end.adding(days: -1).description, kpis: KPIBody(report))
        }
        return try JSONResponse.make(KPIComparisonBody(
            scope: scopeText, current: period(from, to, k.current), previousPeriod: period(k.previousFrom, from, k.previousPeriod),
            lastYear: period(k.lastYearFrom, k.lastYearTo, k.lastYear)))
    }

    // MARK: dictionaries

    struct ClassBody: Encodable {
        var code: String
        var name: String
        var kind: String
        var major: Bool
        var active: Bool
        var limits: [String: [String: String]]?
    }

    struct ClassInput: Decodable {
        var name: String
        var active: Bool?
        /// `{"normal": {"register": "30m", "dispatch": "30m", "handle": "4h", "inspect": "1h"}, "urgent": {…}}`
        var limits: [String: [String: String]]?
    }

    @Sendable func listClasses(request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse.make(["items": cases.classes.all.map { c in
            ClassBody(code: c.code.rawValue, name: c.name, kind: c.code.kind.rawValue, major: c.code.isMajor, active: c.active,
                      limits: c.limits.isEmpty ? nil : Dictionary(uniqueKeysWithValues: c.limits.map { u, steps in
                          (u.rawValue, Dictionary(uniqueKeysWithValues: steps.map { ($0.key.rawValue, $0.value.shortText) }))
                      }))
        }])
    }

    @Sendable func saveClass(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let codeText = try context.parameters.require("code")
        let code: CaseClassCode
        do { code = try CaseClassCode(codeText) } catch { throw Problem.invalid([.init(field: "code", reason: error.description)]) }
        let input = try await decodeJSONBody(ClassInput.self, request: request, context: context)
        var limits: [Urgency: [CaseStep: TimeLimit]] = [:]
        for (urgencyText, steps) in input.limits ?? [:] {
            guard let u = Urgency(rawValue: urgencyText) else { throw Problem.invalid([.init(field: "limits.\(urgencyText)", reason: "normal or urgent")]) }
            for (stepText, limitText) in steps {
                guard let s = CaseStep(rawValue: stepText) else {
                    throw Problem.invalid([.init(field: "limits.\(urgencyText).\(stepText)", reason: "one of register, dispatch, handle, inspect")])
                }
                guard let l = TimeLimit(text: limitText) else {
                    throw Problem.invalid([.init(field: "limits.\(urgencyText).\(stepText)", reason: "working time such as 30m, 4h or 2d")])
                }
                limits[u, default: [:]][s] = l
            }
        }
        try await cases.saveClass(CaseClass(code: code, name: input.name.trimmingWhitespace, limits: limits, active: input.active ?? true), by: principal)
        return try JSONResponse.make(["code": code.rawValue])
    }

    struct CalendarBody: Encodable {
        var workingHours: String
        var years: [Int]
        var days: [CalendarDay]
    }

    /// `year`: the days of one year only.
    @Sendable func calendar(request: Request, context: AppRequestContext) async throws -> Response {
        let calendar = cases.calendar
        var days = calendar.days
        if let text = request.uri.queryParameters["year"].map(String.init) {
            guard let year = Int(text), (2000...2100).contains(year) else { throw Problem.invalid([.init(field: "year", reason: "a year such as 2026")]) }
            days = days.filter { $0.day.components.year == year }
        }
        return try JSONResponse.make(CalendarBody(workingHours: calendar.periods.map(\.description).joined(separator: ","),
                                                  years: Array(Set(days.map { $0.day.components.year })).sorted(), days: days))
    }

    struct SettingsBody: Codable {
        var workingHours: String
        var warningShare: Double
        var duplicateMetres: Double
        var duplicateHours: Double
    }

    @Sendable func showSettings(request: Request, context: AppRequestContext) async throws -> Response {
        let s = cases.settings
        return try JSONResponse.make(SettingsBody(workingHours: s.workingHours.map(\.description).joined(separator: ","), warningShare: s.warningShare,
                                                  duplicateMetres: s.duplicateMetres, duplicateHours: s.duplicateHours))
    }

    @Sendable func saveSettings(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let input = try await decodeJSONBody(SettingsBody.self, request: request, context: context)
        guard let periods = WorkingPeriod.parseList(input.workingHours) else {
            throw Problem.invalid([.init(field: "workingHours", reason: "ordered periods such as 08:30-12:00,13:30-17:30")])
        }
        var s = CaseSettings()
        s.workingHours = periods
        s.warningShare = input.warningShare
        s.duplicateMetres = input.duplicateMetres
        s.duplicateHours = input.duplicateHours
        try await cases.saveSettings(s, by: principal)
        return try await showSettings(request: request, context: context)
    }

    struct DayBody: Decodable {
        var kind: CalendarDay.Kind
        var name: String
    }

    @Sendable func saveCalendarDay(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let text = try context.parameters.require("day")
        guard let day = CivilDay(iso: text) else { throw Problem.invalid([.init(field: "day", reason: "a date YYYY-MM-DD from 1900 to 2199")]) }
        let input = try await decodeJSONBody(DayBody.self, request: request, context: context)
        try await cases.saveCalendarDay(CalendarDay(day: day, kind: input.kind, name: input.name.trimmingWhitespace), by: principal)
        return try JSONResponse.make(["day": day.description])
    }

    @Sendable func listDepartments(request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse.make(["items": cases.departments])
    }

    struct DepartmentBody: Decodable {
        var name: String
        var territory: String?
        var active: Bool?
    }

    @Sendable func saveDepartment(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let code = try context.parameters.require("code")
        let input = try await decodeJSONBody(DepartmentBody.self, request: request, context: context)
        var territory: RegionCode?
        if let t = input.territory {
            do { territory = try RegionCode(t) } catch { throw Problem.invalid([.init(field: "territory", reason: error.description)]) }
        }
        try await cases.saveDepartment(Department(code: code, name: input.name.trimmingWhitespace, territory: territory, active: input.active ?? true), by: principal)
        return try JSONResponse.make(["code": code])
    }

    struct RouteBody: Codable {
        var classPattern: String
        var territory: String
        var department: String
    }

    @Sendable func listRoutes(request: Request, context: AppRequestContext) async throws -> Response {
        let routes = try await cases.store.dispatchRoutes()
        return try JSONResponse.make(["items": routes.map { RouteBody(classPattern: $0.classPattern, territory: $0.territory.rawValue, department: $0.department) }])
    }

    @Sendable func saveRoutes(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        struct Input: Decodable { var items: [RouteBody] }
        let input = try await decodeJSONBody(Input.self, request: request, context: context)
        var routes: [DispatchRoute] = []
        for (i, r) in input.items.enumerated() {
            do { routes.append(DispatchRoute(classPattern: r.classPattern.uppercased(), territory: try RegionCode(r.territory), department: r.department)) } catch {
                throw Problem.invalid([.init(field: "items[\(i)].territory", reason: "\(error)")])
            }
        }
        try await cases.saveRoutes(routes, by: principal)
        return try JSONResponse.make(["count": routes.count])
    }
}
