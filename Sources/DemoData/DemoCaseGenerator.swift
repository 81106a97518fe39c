import Foundation
import GeoKit
import Governance

/// Synthetic case history for the demo district, month by month: reports with a yearly season,
/// a weekly and a daily rhythm per source, classes in proportions typical of urban management
/// and grid work, every case taken around the loop by the real ``CaseWorkflow`` (so clocks,
/// returns, extensions, rework and ratings are consistent with the rules), and recent cases still
/// open. Deterministic for a seed and an end day.
///
/// A hidden cluster is planted for the early-warning work to find: eye injuries from metal chips
/// on building sites (工伤事故, E0706) in three grids of one community, June to August 2025
/// (``cluster``). docs/cases.md says where, so that detectors can be scored against it.
public struct DemoCaseGenerator: Sendable {
    public let preset: DemoPreset
    public let seed: UInt64
    /// History ends at the start of this day (district time); cases after it are not generated.
    public let end: CivilDay
    public let start: CivilDay
    let grids: [(code: RegionCode, polygon: PreparedPolygon, box: BoundingBox, weight: Double)]
    let workers: [RegionCode: [String]]
    let workflow: CaseWorkflow
    let router: DispatchRouter
    /// Expected reports per day at the yearly mean, for the whole district.
    let dailyRate: Double

    /// Grids, months and the expected count of the planted cluster.
    public struct Cluster: Sendable {
        public var grids: [RegionCode]
        public var from: CivilDay
        public var to: CivilDay
        public var classCode: CaseClassCode
        public var cases: Int
    }

    public let cluster: Cluster?

    public init(district: DemoDistrict, end: CivilDay, routes: [DispatchRoute], calendar: WorkingCalendar = WorkingCalendar()) {
        preset = district.preset
        seed = district.seed
        self.end = end
        start = switch district.preset {
        case .district: CivilDay(iso: "2023-01-01")!
        case .small: CivilDay(iso: "2025-01-01")!
        case .tiny: end.adding(days: -120)
        }
        var random = DemoRandom(seed: district.seed).substream("case-grids")
        let gridRegions = district.regions.filter { $0.code.level == .grid }.sorted { $0.code < $1.code }
        grids = gridRegions.map { g in
            // Dense old town and quiet villages: a few grids report far more than others.
            (g.code, PreparedPolygon(g.geometry), g.geometry.boundingBox!, exp(Double.random(in: -0.8...0.8, using: &random)))
        }
        var byGrid: [RegionCode: [String]] = [:]
        for w in district.gridWorkers { for g in w.gridCodes { byGrid[g, default: []].append(w.code) } }
        workers = byGrid
        workflow = CaseWorkflow(classes: CaseClassDictionary(), calendar: calendar)
        router = DispatchRouter(routes: routes)
        // 1.32 M cases over the district's 3.9 years of history: about 230 per grid and year.
        let perGridYear: Double = district.preset == .district ? 246 : district.preset == .small ? 120 : 150
        dailyRate = perGridYear * Double(gridRegions.count) / 365.25
        if district.preset != .tiny, let community = gridRegions.first(where: { _ in true })?.code.derivedParent {
            let clusterGrids = gridRegions.filter { $0.code.derivedParent == community }.prefix(3).map(\.code)
            cluster = Cluster(grids: clusterGrids, from: CivilDay(iso: "2025-06-01")!, to: CivilDay(iso: "2025-09-01")!,
                              classCode: try! CaseClassCode("E0706"), cases: 45)
        } else {
            cluster = nil
        }
    }

    /// Months from `start` to `end`: (first day, first day of the next month or `end`).
    public var months: [(from: CivilDay, to: CivilDay)] {
        var result: [(CivilDay, CivilDay)] = []
        var c = start.components
        var from = start
        while from < end {
            let next = CivilDay(year: c.month == 12 ? c.year + 1 : c.year, month: c.month == 12 ? 1 : c.month + 1, day: 1)!
            result.append((from, min(next, end)))
            from = next
            c = next.components
        }
        return result
    }

    // MARK: what is reported

    /// Class, weight, and the months it peaks in (multiplier 1.6 then, 0.8 otherwise; nil: flat).
    static let classMix: [(String, Double, Set<Int>?)] = [
        ("E0102", 16, [6, 7, 8, 9]), ("E0104", 9, nil), ("E0103", 5, nil), ("E0101", 5, nil), ("E0106", 3, [5, 6, 7, 8]), ("E0107", 2, [6, 7, 8]),
        ("E0105", 1, [7, 8]), ("E0201", 7, nil), ("E0202", 1.5, nil), ("E0301", 3, [4, 5, 9, 10]), ("E0302", 2.5, [3, 4, 10, 11]), ("E0303", 1.5, nil),
        ("E0304", 1, nil), ("E0401", 4, [5, 6, 7, 8]), ("E0402", 6, [5, 6, 7, 8, 9]), ("E0403", 3, nil), ("E0404", 7, nil), ("E0405", 6, nil),
        ("E0501", 0.4, [6, 7]), ("E0502", 0.8, [6, 7, 8]), ("E0503", 0.2, [12, 1, 2]), ("E0504", 0.5, [1, 2]), ("E0505", 0.2, [12, 1, 2, 3]),
        ("E0701", 4, [1, 2]), ("E0702", 2, nil), ("E0703", 2, [11, 12, 1, 2]), ("E0704", 1, [6, 7, 8]), ("E0705", 0.5, [1, 2, 12]),
        ("E0706", 0.3, nil), ("E0707", 1, nil), ("E0708", 0.8, nil), ("E0699", 1, nil),
        ("C0101", 1.5, nil), ("C0102", 1, [6, 7]), ("C0103", 1, [6, 7]), ("C0104", 2.5, [11, 12, 1]), ("C0105", 0.4, nil), ("C0106", 0.5, nil),
        ("C0201", 0.6, nil), ("C0202", 0.5, nil), ("C0203", 0.8, nil), ("C0204", 1.2, nil), ("C0205", 0.3, nil), ("C0301", 0.8, [7, 8]),
        ("C0302", 1.5, nil), ("C0303", 1, nil), ("C0304", 0.8, nil), ("C0401", 1, [7, 8, 9]), ("C0402", 0.6, nil), ("C0403", 0.3, nil),
        ("C0501", 0.6, nil), ("C0502", 0.4, nil), ("C0599", 0.3, nil),
    ]

    /// Reports per month relative to the yearly mean: the summer peak, the Spring Festival low.
    static let season: [Double] = [0.8, 0.65, 0.95, 1.0, 1.1, 1.2, 1.25, 1.2, 1.05, 1.0, 0.95, 0.85]

    static let descriptions: [String: [String]] = [
        "E0102": ["路口垃圾桶旁暴露垃圾", "小区门口垃圾散落", "巷口堆放生活垃圾"], "E0104": ["路面油污未清理", "人行道泥浆污染"],
        "E0101": ["楼顶私搭彩钢棚", "院内违章搭建"], "E0201": ["电线杆张贴小广告", "楼道墙面小广告"], "E0401": ["路边流动摊贩占道"],
        "E0402": ["店铺跨门经营", "餐馆门前摆放桌椅"], "E0404": ["机动车占用人行道停放", "消防通道停车"], "E0405": ["共享单车堆放堵塞人行道"],
        "E0701": ["邻里噪音纠纷", "物业费纠纷", "租户与房东押金纠纷"], "E0703": ["楼道电动车充电", "消防通道堆放杂物"],
        "E0704": ["无证小作坊加工食品", "餐馆后厨卫生差"], "E0706": ["搬运货物扭伤腰部", "高处作业坠落受伤", "机械夹伤手指"],
    ]

    static let clusterDescriptions = ["工地打磨作业未佩戴护目镜，金属碎屑溅入眼部", "切割钢材时金属碎屑飞入眼睛", "建筑工地电焊打磨致眼部异物伤"]

    static let sources: [(CaseSource, Double)] = [(.patrol, 52), (.hotline, 27), (.citizen, 11), (.device, 5), (.referral, 5)]

    /// Share of a source's reports by local hour (0–23).
    static func hourWeights(_ source: CaseSource) -> [Double] {
        switch source {
        case .patrol: [0, 0, 0, 0, 0, 0, 0.2, 1, 3, 3.5, 3, 2, 0.5, 1.5, 3, 3, 2.5, 1, 0.3, 0.1, 0, 0, 0, 0]
        case .hotline: [0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 2, 2.5, 2.5, 2, 1.5, 1.8, 2.2, 2.2, 2, 1.8, 1.5, 1.5, 1.3, 1, 0.6, 0.3]
        case .citizen: [0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.2, 1.5, 1.5, 1.5, 1.5, 1.4, 1.4, 1.4, 1.4, 1.5, 1.8, 2.2, 2.4, 2, 1.2, 0.5]
        case .device: Array(repeating: 1, count: 24)
        case .referral: [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 0.5, 1, 2, 2, 2, 1, 0, 0, 0, 0, 0, 0]
        }
    }

    static func pick<T>(_ items: [(T, Double)], _ random: inout DemoRandom) -> T {
        let total = items.reduce(0) { $0 + $1.1 }
        var x = Double.random(in: 0..<total, using: &random)
        for (item, w) in items {
            if x < w { return item }
            x -= w
        }
        return items[items.count - 1].0
    }

    static func poisson(_ lambda: Double, _ random: inout DemoRandom) -> Int {
        if lambda > 30 { return max(0, Int((lambda + sqrt(lambda) * normal(&random)).rounded())) }
        let l = exp(-lambda)
        var k = 0
        var p = 1.0
        repeat {
            k += 1
            p *= Double.random(in: 0..<1, using: &random)
        } while p > l
        return k - 1
    }

    static func normal(_ random: inout DemoRandom) -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &random), v = Double.random(in: 0..<1, using: &random)
        return sqrt(-2 * log(u)) * cos(2 * .pi * v)
    }

    // MARK: one month

    /// The cases reported in month `index` of ``months``, each with its timeline, numbered
    /// `<district>-<day>-<serial>` in report order per day. `now`: steps after it are not taken.
    public func cases(ofMonth index: Int) -> [(Case, [CaseEvent])] {
        let (from, to) = months[index]
        var random = DemoRandom(seed: seed).substream("cases-\(from)")
        let month = from.components.month
        let classItems = Self.classMix.map { code, weight, peak -> (CaseClassCode, Double) in
            (try! CaseClassCode(code), weight * (peak.map { $0.contains(month) ? 1.6 : 0.8 } ?? 1))
        }
        let gridItems = grids.indices.map { ($0, grids[$0].weight) }
        var drafts: [Case] = []
        var day = from
        while day < to {
            let weekend = day.weekday >= 6
            let holiday = !workflow.calendar.isWorkday(day) && !weekend
            let rate = dailyRate * Self.season[month - 1] * (weekend ? 0.55 : holiday ? 0.45 : 1.12)
            for _ in 0..<Self.poisson(rate, &random) {
                let source = Self.pick(Self.sources, &random)
                let classCode = Self.pick(classItems, &random)
                let g = grids[Self.pick(gridItems, &random)]
                drafts.append(draft(day: day, source: source, classCode: classCode, grid: g, description: nil, &random))
            }
            if let cluster, cluster.from <= day, day < cluster.to {
                let perDay = Double(cluster.cases) / Double(cluster.to.daysSinceEpoch - cluster.from.daysSinceEpoch)
                for _ in 0..<Self.poisson(perDay, &random) {
                    let code = cluster.grids[Int.random(in: 0..<cluster.grids.count, using: &random)]
                    let g = grids.first { $0.code == code }!
                    drafts.append(draft(day: day, source: .patrol, classCode: cluster.classCode, grid: g,
                                        description: Self.clusterDescriptions.randomElement(using: &random)!, &random))
                }
            }
            day = day.adding(days: 1)
        }
        drafts.sort { $0.reportedAt < $1.reportedAt }
        var serials: [String: Int] = [:]
        let horizon = end.start
        return drafts.map { d in
            var d = d
            let prefix = CaseService.numberPrefix(grid: d.gridCode, at: d.reportedAt)
            serials[prefix, default: 0] += 1
            d.number = prefix + "-" + padded(serials[prefix]!, 6)
            var stream = DemoRandom(seed: seed).substream("case-\(d.number)")
            return lifecycle(d, until: horizon, &stream)
        }
    }

    func draft(day: CivilDay, source: CaseSource, classCode: CaseClassCode, grid g: (code: RegionCode, polygon: PreparedPolygon, box: BoundingBox, weight: Double),
               description: String?, _ random: inout DemoRandom) -> Case {
        let hours = Self.hourWeights(source)
        let hour = Self.pick(hours.indices.map { ($0, hours[$0]) }, &random)
        let seconds = hour * 3600 + Int.random(in: 0..<3600, using: &random)
        let at = Date(timeIntervalSince1970: Double(day.daysSinceEpoch * 86_400 - CivilDay.utcOffset + seconds))
        var location = Coordinate(longitude: (g.box.minLongitude + g.box.maxLongitude) / 2, latitude: (g.box.minLatitude + g.box.maxLatitude) / 2)
        for _ in 0..<20 {
            let p = Coordinate(longitude: Double.random(in: g.box.minLongitude...g.box.maxLongitude, using: &random),
                               latitude: Double.random(in: g.box.minLatitude...g.box.maxLatitude, using: &random))
            if g.polygon.contains(p) { location = p; break }
        }
        let reporter: String = switch source {
        case .patrol: workers[g.code]?.randomElement(using: &random) ?? "grid-worker"
        case .hotline: "12345-operator"
        case .citizen: "anonymous"
        case .device: "iot-gateway"
        case .referral: "district-referral"
        }
        let text = description ?? Self.descriptions[classCode.rawValue]?.randomElement(using: &random)
            ?? (workflow.classes.class(classCode)?.name ?? "问题") + "，请处理"
        let urgency: Urgency = classCode.major == "05" || Int.random(in: 0..<20, using: &random) == 0 ? .urgent : .normal
        return Case(source: source, classCode: classCode, urgency: urgency, description: text, location: location, gridCode: g.code, reporter: reporter,
                    reportedAt: at)
    }

    /// Working seconds later than `time`, drawn around `share` of `limit` (log-normal spread).
    func after(_ time: Date, share: Double, of limit: TimeLimit, _ random: inout DemoRandom) -> Date {
        let seconds = Double(limit.workingSeconds(dayLength: workflow.calendar.dayLength))
        let drawn = max(60, seconds * share * exp(0.55 * Self.normal(&random)))
        return Date(timeIntervalSince1970: workflow.calendar.deadline(from: time, addingSeconds: Int(drawn)).timeIntervalSince1970.rounded())
    }

    /// Takes the case around the loop as people would, stopping at `horizon` (cases reported
    /// lately are still open).
    func lifecycle(_ draft: Case, until horizon: Date, _ random: inout DemoRandom) -> (Case, [CaseEvent]) {
        let reported = workflow.report(draft)
        var c = reported.0
        var events = [reported.1]
        func roll(_ percent: Double) -> Bool { Double.random(in: 0..<100, using: &random) < percent }
        /// Supervision's looks (yellow, red, escalations) that came before `time`, as the server takes them.
        func supervise(until time: Date) {
            // A look never comes before the step that set its mark (a deadline already past when moved).
            while let next = c.nextAlertAt, next < time, let (looked, event) = workflow.supervise(c, at: max(next, events[events.count - 1].time)) {
                c = looked
                events.append(event)
            }
        }
        /// Applies the step at `time` unless the history ends first; false when it stopped.
        func step(_ command: CaseCommand, _ time: Date, _ actor: String, note: String? = nil) -> Bool {
            supervise(until: min(time, horizon))
            guard time < horizon, let (next, event) = try? workflow.apply(command, to: c, actor: actor, at: time, note: note) else { return false }
            c = next
            events.append(event)
            return true
        }
        let code = c.classCode!
        let dispatcher = "dispatcher"
        var t = after(c.reportedAt, share: 0.35, of: workflow.limit(.register, for: c), &random)
        if roll(3.5) { _ = step(.reject(reason: "重复或不属于受理范围"), t, dispatcher); return (c, events) }
        guard step(.register(classCode: nil, urgency: nil), t, dispatcher) else { return (c, events) }
        let departments = router.proposals(for: code, in: c.gridCode)
        let lead = departments.first ?? "urban-management"
        t = after(t, share: 0.35, of: workflow.limit(.dispatch, for: c), &random)
        if roll(5) {
            let wrong = lead == "urban-management" ? "market-supervision" : "urban-management"
            guard step(.dispatch(department: wrong, assisting: [], assistingLimit: nil), t, dispatcher) else { return (c, events) }
            t = after(t, share: 0.1, of: workflow.limit(.handle, for: c), &random)
            guard step(.return(reason: "不属于本部门职责"), t, wrong) else { return (c, events) }
            t = after(t, share: 0.4, of: workflow.limit(.dispatch, for: c), &random)
        }
        let assisting = code.rawValue == "E0704" && roll(30) ? ["fire-rescue", "public-security"].filter { $0 != lead } : []
        guard step(.dispatch(department: lead, assisting: assisting, assistingLimit: nil), t, dispatcher) else { return (c, events) }
        t = after(t, share: 0.05, of: workflow.limit(.handle, for: c), &random)
        guard step(.accept, t, lead) else { return (c, events) }
        // A few are never reported back: the backlog supervision keeps escalating.
        if roll(1.2) {
            supervise(until: horizon)
            return (c, events)
        }
        if roll(6) {
            t = after(t, share: 0.3, of: workflow.limit(.handle, for: c), &random)
            guard step(.requestExtension(limit: workflow.limit(.handle, for: c), reason: "需协调相关单位"), t, lead) else { return (c, events) }
            t = after(t, share: 0.05, of: workflow.limit(.handle, for: c), &random)
            guard step(.decideExtension(approved: roll(80)), t, "command-centre") else { return (c, events) }
        }
        if roll(1) {
            guard step(.suspend(reason: "等待权属认定"), t, "command-centre") else { return (c, events) }
            t = after(t, share: 1, of: .days(3), &random)
            guard step(.resume, t, "command-centre") else { return (c, events) }
        }
        for helper in assisting {
            t = after(t, share: 0.4, of: workflow.limit(.handle, for: c), &random)
            guard step(.completeTask(department: helper), t, helper, note: "协办完成") else { return (c, events) }
        }
        // Most departments finish in about half their time; some are late.
        var reworked = false
        while true {
            let share = roll(14) ? 1.4 : 0.45
            t = after(t, share: share, of: workflow.limit(.handle, for: c), &random)
            guard step(.reportHandled, t, lead, note: "已处置完毕") else { return (c, events) }
            t = after(t, share: 0.4, of: workflow.limit(.inspect, for: c), &random)
            let inspector = c.source == .patrol ? c.reporter : workers[c.gridCode]?.first ?? "supervisor"
            if !reworked && roll(4) {
                reworked = true
                guard step(.inspect(passed: false), t, inspector, note: "现场未整改到位") else { return (c, events) }
                continue
            }
            guard step(.inspect(passed: true), t, inspector) else { return (c, events) }
            break
        }
        if roll(62) {
            t = t.addingTimeInterval(Double.random(in: 1800...(3 * 86400), using: &random)).rounded
            let satisfaction = Self.pick([(5, 55.0), (4, 25), (3, 12), (2, 5), (1, 3)], &random)
            _ = step(.evaluate(satisfaction: satisfaction), t, c.source == .hotline ? "12345-operator" : c.reporter)
        }
        return (c, events)
    }
}

extension Date {
    /// Whole seconds, as the history is written.
    var rounded: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded()) }
}
