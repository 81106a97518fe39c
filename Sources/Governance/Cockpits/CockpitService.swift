import Foundation
import Synchronization

/// A cockpit a viewer may open: the district's, a street's (from the region tree), or a thematic one.
public struct CockpitEntry: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var englishName: String
    /// `district`, `street`, `community` or `thematic`.
    public var kind: String
    /// The region it watches (a thematic cockpit: the viewer's territory; nil for everything).
    public var territory: String?
}

/// What a cockpit shows for one month: KPI tiles with 环比 and 同比, a 12-month trend, a ranking of
/// the regions below, the class and source mix, the open and overdue cases, the latest reports.
/// No personal data: cockpits hang on walls.
public struct CockpitView: Sendable, Codable {
    public struct Tile: Sendable, Codable, Hashable {
        public var key: String
        /// `count`, `rate` (0–1) or `hours`.
        public var unit: String
        public var value: Double?
        /// 环比: the month before. 同比: the same month a year earlier.
        public var previous: Double?
        public var lastYear: Double?
    }

    public struct TrendPoint: Sendable, Codable, Hashable {
        public var month: String
        public var reported: Int
        public var closed: Int
        /// Regional cockpits: 按期结案率 of the month (nil when nothing was due).
        public var closedOnTimeRate: Double?
    }

    public struct Rank: Sendable, Codable, Hashable {
        public var code: String
        public var name: String
        public var reported: Int
        /// Regional cockpits: 按期结案率.
        public var closedOnTimeRate: Double?
    }

    public struct Share: Sendable, Codable, Hashable {
        public var code: String
        public var name: String
        public var count: Int
    }

    public struct FeedItem: Sendable, Codable, Hashable {
        public var number: String
        public var status: CaseStatus
        public var classCode: String?
        public var className: String?
        public var gridCode: String
        public var gridName: String?
        public var reportedAt: Date
        public var overdue: Bool
        public var urgent: Bool
    }

    public var entry: CockpitEntry
    public var territoryName: String?
    public var month: String
    public var generatedAt: Date
    public var tiles: [Tile]
    public var trend: [TrendPoint]
    public var ranking: [Rank]
    public var classes: [Share]
    public var sources: [Share]
    public var open: Int
    /// Open cases past the warning mark (yellow and red) and past the deadline (red).
    public var warned: Int
    public var overdue: Int
    public var recent: [FeedItem]
    /// Thematic cockpits: the classes (for the live feed's filter) and the layers shown.
    public var classFilter: [String]
    public var layers: [String]
}

/// Builds cockpit views from the KPI read model and indexed case counts. A view is reused until
/// a case changes (the notice hub's generation moves) or 30 s pass, so that many wall screens cost
/// one computation.
public final class CockpitService: Sendable {
    public let cases: CaseService
    public let regions: RegionService
    private let configured: Mutex<CockpitCatalog>
    private let cache = Mutex<[String: (generation: UInt64, at: Date, view: CockpitView)]>([:])
    static let freshFor: TimeInterval = 30
    static let trendMonths = 12

    public init(cases: CaseService, regions: RegionService, catalog: CockpitCatalog = .standard) {
        self.cases = cases
        self.regions = regions
        configured = Mutex(catalog)
    }

    public var catalog: CockpitCatalog { configured.withLock { $0 } }

    /// Replaces the thematic cockpits (a configuration file read at start-up).
    public func use(_ catalog: CockpitCatalog) {
        configured.withLock { $0 = catalog }
        cache.withLock { $0.removeAll() }
    }

    public static func regionID(_ code: RegionCode) -> String { "region-" + code.rawValue }

    /// The cockpits the principal may open: every district and street inside their territory (their
    /// own region when it lies below a street), then the thematic ones over their territory.
    public func cockpits(for principal: Principal) throws -> [CockpitEntry] {
        try principal.require(.cockpitRead)
        guard principal.department == nil else { return [] }
        let territory = regions.territory()
        var entries: [CockpitEntry] = []
        for region in territory.regions(level: .district, under: nil) + territory.regions(level: .street, under: nil)
        where principal.territory.contains(region.code) {
            entries.append(entry(region))
        }
        if let root = principal.territory.root, root.level > .street, let region = territory.region(root) {
            entries.append(entry(region))
        }
        let scope = principal.territory.root?.rawValue
        entries += catalog.thematic.map { CockpitEntry(id: $0.id, name: $0.name, englishName: $0.englishName, kind: "thematic", territory: scope) }
        return entries
    }

    func entry(_ region: Region) -> CockpitEntry {
        let kind = region.code.level == .district ? "district" : region.code.level == .street ? "street" : "\(region.code.level)"
        return CockpitEntry(id: Self.regionID(region.code), name: region.name, englishName: region.name, kind: kind, territory: region.code.rawValue)
    }

    /// `month`: its first day (default the current month).
    public func view(_ id: String, month: CivilDay? = nil, for principal: Principal, now: Date = CaseService.now()) async throws -> CockpitView {
        guard let entry = try cockpits(for: principal).first(where: { $0.id == id }) else { throw AccessDenied.outsideTerritory }
        let today = CivilDay(now).components
        let first = month ?? CivilDay(year: today.year, month: today.month, day: 1)!
        let key = id + "|" + (entry.territory ?? "") + "|" + first.description
        let generation = cases.notices.generation
        if let hit = cache.withLock({ $0[key] }), hit.generation == generation, now.timeIntervalSince(hit.at) < Self.freshFor { return hit.view }
        let territory = try entry.territory.map { try RegionCode($0) }
        let view = if let thematic = catalog.cockpit(id) {
            try await thematicView(entry, thematic, territory: territory, month: first, now: now)
        } else {
            try await regionView(entry, territory: territory!, month: first, now: now)
        }
        cache.withLock { $0[key] = (generation, now, view) }
        return view
    }

    static func monthAfter(_ day: CivilDay) -> CivilDay {
        let c = day.components
        return CivilDay(year: c.month == 12 ? c.year + 1 : c.year, month: c.month == 12 ? 1 : c.month + 1, day: 1)!
    }

    static func monthBefore(_ day: CivilDay) -> CivilDay {
        let c = day.components
        return CivilDay(year: c.month == 1 ? c.year - 1 : c.year, month: c.month == 1 ? 12 : c.month - 1, day: 1)!
    }

    static func monthText(_ day: CivilDay) -> String { String(day.description.prefix(7)) }

    /// The months of the trend, oldest first, ending with `last`.
    static func months(endingWith last: CivilDay) -> [CivilDay] {
        var months = [last]
        while months.count < trendMonths { months.insert(monthBefore(months[0]), at: 0) }
        return months
    }

    func regionView(_ entry: CockpitEntry, territory: RegionCode, month: CivilDay, now: Date) async throws -> CockpitView {
        let end = Self.monthAfter(month)
        let k = try await cases.kpis(.region(territory), from: month, to: end, now: now)
        func tile(_ key: String, _ unit: String, _ value: (KPIReport) -> Double?) -> CockpitView.Tile {
            .init(key: key, unit: unit, value: value(k.current), previous: value(k.previousPeriod), lastYear: value(k.lastYear))
        }
        let tiles = [
            tile("reported", "count") { Double($0.counters.reported) },
            tile("handledOnTimeRate", "rate", \.handledOnTimeRate),
            tile("closingRate", "rate", \.closingRate),
            tile("closedOnTimeRate", "rate", \.closedOnTimeRate),
            tile("satisfactionRate", "rate", \.satisfactionRate),
            tile("averageHandlingHours", "hours", \.averageHandlingHours),
        ]
        var trend: [CockpitView.TrendPoint] = []
        for m in Self.months(endingWith: month) {
            let r = m == month ? k.current : try await cases.kpiReport(.region(territory), from: m, to: Self.monthAfter(m), now: now)
            trend.append(.init(month: Self.monthText(m), reported: r.counters.reported, closed: r.counters.closed, closedOnTimeRate: r.closedOnTimeRate))
        }
        let catalog = regions.territory()
        var ranking: [CockpitView.Rank] = []
        for child in catalog.children(of: territory) {
            let r = try await cases.kpiReport(.region(child.code), from: month, to: end, now: now)
            ranking.append(.init(code: child.code.rawValue, name: child.name, reported: r.counters.reported, closedOnTimeRate: r.closedOnTimeRate))
        }
        ranking.sort { ($0.closedOnTimeRate ?? -1, $0.reported) > ($1.closedOnTimeRate ?? -1, $1.reported) }
        var period = CaseQuery()
        period.territory = territory
        period.from = month.start
        period.to = end.start
        let byClass = try await cases.store.caseBreakdown(period, by: .classCode)
        let bySource = try await cases.store.caseBreakdown(period, by: .source)
        let (open, warned, overdue) = try await backlog(territory: territory, classes: [nil], now: now)
        let recent = try await latest(territory: territory, classes: [nil], now: now)
        return CockpitView(entry: entry, territoryName: catalog.region(territory)?.name, month: Self.monthText(month), generatedAt: now, tiles: tiles,
                           trend: trend, ranking: ranking, classes: shares(byClass, top: 8), sources: sourceShares(bySource),
                           open: open, warned: warned, overdue: overdue, recent: recent, classFilter: [], layers: [])
    }

    func thematicView(_ entry: CockpitEntry, _ cockpit: ThematicCockpit, territory: RegionCode?, month: CivilDay, now: Date) async throws -> CockpitView {
        let closedStatuses: [CaseStatus] = [.closed, .evaluated]
        func count(from: CivilDay, to: CivilDay, in region: RegionCode?, statuses: [CaseStatus] = []) async throws -> Int {
            var total = 0
            for prefix in cockpit.classes {
                var q = CaseQuery()
                q.classPrefix = prefix
                q.territory = region
                q.from = from.start
                q.to = to.start
                q.statuses = statuses
                total += try await cases.store.caseCount(q)
            }
            return total
        }
        let end = Self.monthAfter(month)
        let previous = Self.monthBefore(month)
        let c = month.components
        let lastYear = CivilDay(year: c.year - 1, month: c.month, day: 1)!
        let reported = try await count(from: month, to: end, in: territory)
        let reportedBefore = try await count(from: previous, to: month, in: territory)
        let reportedLastYear = try await count(from: lastYear, to: Self.monthAfter(lastYear), in: territory)
        func closedShare(from: CivilDay, to: CivilDay, of total: Int) async throws -> Double? {
            total == 0 ? nil : Double(try await count(from: from, to: to, in: territory, statuses: closedStatuses)) / Double(total)
        }
        let (open, warned, overdue) = try await backlog(territory: territory, classes: cockpit.classes, now: now)
        let tiles: [CockpitView.Tile] = [
            .init(key: "reported", unit: "count", value: Double(reported), previous: Double(reportedBefore), lastYear: Double(reportedLastYear)),
            .init(key: "closedShare", unit: "rate", value: try await closedShare(from: month, to: end, of: reported),
                  previous: try await closedShare(from: previous, to: month, of: reportedBefore),
                  lastYear: try await closedShare(from: lastYear, to: Self.monthAfter(lastYear), of: reportedLastYear)),
            .init(key: "open", unit: "count", value: Double(open), previous: nil, lastYear: nil),
            .init(key: "overdue", unit: "count", value: Double(overdue), previous: nil, lastYear: nil),
        ]
        var trend: [CockpitView.TrendPoint] = []
        for m in Self.months(endingWith: month) {
            let next = Self.monthAfter(m)
            trend.append(.init(month: Self.monthText(m), reported: try await count(from: m, to: next, in: territory),
                               closed: try await count(from: m, to: next, in: territory, statuses: closedStatuses), closedOnTimeRate: nil))
        }
        let catalog = regions.territory()
        let children = territory.map { catalog.children(of: $0) } ?? catalog.regions(level: .district, under: nil)
        var ranking: [CockpitView.Rank] = []
        for child in children {
            ranking.append(.init(code: child.code.rawValue, name: child.name, reported: try await count(from: month, to: end, in: child.code), closedOnTimeRate: nil))
        }
        ranking.sort { ($0.reported, $1.code) > ($1.reported, $0.code) }
        var period = CaseQuery()
        period.territory = territory
        period.from = month.start
        period.to = end.start
        let byClass = try await cases.store.caseBreakdown(period, by: .classCode).filter { code, _ in cockpit.classes.contains { code.hasPrefix($0) } }
        return CockpitView(entry: entry, territoryName: territory.flatMap { catalog.region($0)?.name }, month: Self.monthText(month), generatedAt: now,
                           tiles: tiles, trend: trend, ranking: ranking, classes: shares(byClass, top: 8), sources: [],
                           open: open, warned: warned, overdue: overdue, recent: try await latest(territory: territory, classes: cockpit.classes, now: now),
                           classFilter: cockpit.classes, layers: cockpit.layers)
    }

    /// Open cases, those past their warning mark and those past their deadline, now.
    func backlog(territory: RegionCode?, classes: [String?], now: Date) async throws -> (Int, Int, Int) {
        var (open, warned, overdue) = (0, 0, 0)
        for prefix in classes {
            var q = CaseQuery()
            q.statuses = CaseStatus.allCases.filter { $0.isOpen && $0 != .suspended }
            q.territory = territory
            q.classPrefix = prefix
            open += try await cases.store.caseCount(q)
            var w = q
            w.warnedAt = now
            warned += try await cases.store.caseCount(w)
            var o = q
            o.overdueAt = now
            overdue += try await cases.store.caseCount(o)
        }
        return (open, warned, overdue)
    }

    func latest(territory: RegionCode?, classes: [String?], now: Date, limit: Int = 12) async throws -> [CockpitView.FeedItem] {
        var found: [Case] = []
        for prefix in classes {
            var q = CaseQuery()
            q.territory = territory
            q.classPrefix = prefix
            q.limit = limit
            found += try await cases.store.cases(q)
        }
        found.sort { ($0.reportedAt, $0.number) > ($1.reportedAt, $1.number) }
        let dictionary = cases.workflow.classes
        let catalog = regions.territory()
        return found.prefix(limit).map { c in
            CockpitView.FeedItem(number: c.number, status: c.status, classCode: c.classCode?.rawValue, className: c.classCode.flatMap { dictionary.class($0)?.name },
                                 gridCode: c.gridCode.rawValue, gridName: catalog.region(c.gridCode)?.name, reportedAt: c.reportedAt,
                                 overdue: c.runningDue.map { $0 < now } ?? false, urgent: c.urgency == .urgent)
        }
    }

    func shares(_ counts: [String: Int], top: Int) -> [CockpitView.Share] {
        let dictionary = cases.workflow.classes
        let sorted = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        var shares = sorted.prefix(top).map { code, count in
            CockpitView.Share(code: code, name: (try? CaseClassCode(code)).flatMap { dictionary.class($0)?.name } ?? "未分类", count: count)
        }
        let rest = sorted.dropFirst(top).reduce(0) { $0 + $1.value }
        if rest > 0 { shares.append(.init(code: "other", name: "其他", count: rest)) }
        return shares
    }

    func sourceShares(_ counts: [String: Int]) -> [CockpitView.Share] {
        CaseSource.allCases.compactMap { source in
            counts[source.rawValue].map { CockpitView.Share(code: source.rawValue, name: source.chineseName, count: $0) }
        }
    }
}
