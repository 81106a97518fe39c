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
        let first = month ?? CivilDay(now).firstOfMonth
        let key = id + "|" + (entry.territory ?? "") + "|" + first.description
        let generation = cases.notices.generation
        if let hit = cache.withLock({ $0[key] }), hit.generation == generation, now.timeIntervalSince(hit.at) < Self.freshFor { return hit.view }
        let territory = try entry.territory.map { try RegionCode($0) }
        let view = if let thematic = catalog.cockpit(id) {
            try await thematicView(entry, thematic, territory: territory, month: first, now: now)
        } else {
            try await regionView(entry, territory: territory!, month: first, now: now)
        }
        cache.withLock { entries in
            // Stale views are never served again: dropping them keeps the cache to what is being watched.
            entries = entries.filter { $0.value.generation == generation && now.timeIntervalSince($0.value.at) < Self.freshFor }
            entries[key] = (generation, now, view)
        }
        return view
    }

    static func monthText(_ day: CivilDay) -> String { String(day.description.prefix(7)) }

    /// The months of the trend, oldest first, ending with `last`.
    static func months(endingWith last: CivilDay) -> [CivilDay] {
        var months = [last]
        while months.count < trendMonths { months.insert(months[0].firstOfPreviousMonth, at: 0) }
        return months
    }

    func regionView(_ entry: CockpitEntry, territory: RegionCode, month: CivilDay, now: Date) async throws -> CockpitView {
        let end = month.firstOfNextMonth
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
            let r = m == month ? k.current : try await cases.kpiReport(.region(territory), from: m, to: m.firstOfNextMonth, now: now)
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

    /// A topic's classes as minor codes: a major class (E01) stands for its minor classes, so that
    /// every count seeks the (class, report time) index by equality instead of scanning a range.
    func minorClasses(_ classes: [String]) -> [String] {
        let dictionary = cases.workflow.classes.all
        return classes.flatMap { code -> [String] in
            guard code.count == 3 else { return [code] }
            let minors = dictionary.filter { $0.code.majorCode == code && !$0.code.isMajor }.map(\.code.rawValue)
            return minors.isEmpty ? [code] : minors
        }
    }

    func thematicView(_ entry: CockpitEntry, _ cockpit: ThematicCockpit, territory: RegionCode?, month: CivilDay, now: Date) async throws -> CockpitView {
        let store = cases.store
        let classes = minorClasses(cockpit.classes)
        func tally(from: CivilDay, to: CivilDay, by group: CaseTallyGroup = .none) async throws -> [String: CaseTally] {
            var q = CaseQuery()
            q.territory = territory
            q.from = from.start
            q.to = to.start
            return try await store.caseTally(q, classes: classes, by: group)
        }
        let end = month.firstOfNextMonth
        let previous = month.firstOfPreviousMonth
        let c = month.components
        let lastYear = CivilDay(year: c.year - 1, month: c.month, day: 1)!
        let current = try await tally(from: month, to: end)[""] ?? CaseTally()
        let before = try await tally(from: previous, to: month)[""] ?? CaseTally()
        let yearAgo = try await tally(from: lastYear, to: lastYear.firstOfNextMonth)[""] ?? CaseTally()
        func share(_ t: CaseTally) -> Double? { t.reported == 0 ? nil : Double(t.closed) / Double(t.reported) }
        let (open, warned, overdue) = try await backlog(territory: territory, classes: classes, now: now)
        let tiles: [CockpitView.Tile] = [
            .init(key: "reported", unit: "count", value: Double(current.reported), previous: Double(before.reported), lastYear: Double(yearAgo.reported)),
            .init(key: "closedShare", unit: "rate", value: share(current), previous: share(before), lastYear: share(yearAgo)),
            .init(key: "open", unit: "count", value: Double(open), previous: nil, lastYear: nil),
            .init(key: "overdue", unit: "count", value: Double(overdue), previous: nil, lastYear: nil),
        ]
        let months = Self.months(endingWith: month)
        let byMonth = try await tally(from: months[0], to: end, by: .month)
        let trend = months.map { m in
            let t = byMonth[Self.monthText(m)] ?? CaseTally()
            return CockpitView.TrendPoint(month: Self.monthText(m), reported: t.reported, closed: t.closed, closedOnTimeRate: nil)
        }
        let catalog = regions.territory()
        let children = territory.map { catalog.children(of: $0) } ?? catalog.regions(level: .district, under: nil)
        var ranking: [CockpitView.Rank] = []
        // Children share one level, so one short-form length groups them all.
        if let length = children.first?.code.shortForm.count {
            let byChild = try await tally(from: month, to: end, by: .regionPrefix(length: length))
            ranking = children.map { .init(code: $0.code.rawValue, name: $0.name, reported: byChild[$0.code.shortForm]?.reported ?? 0, closedOnTimeRate: nil) }
        }
        ranking.sort { ($0.reported, $1.code) > ($1.reported, $0.code) }
        var period = CaseQuery()
        period.territory = territory
        period.from = month.start
        period.to = end.start
        let byClass = try await store.caseBreakdown(period, by: .classCode).filter { code, _ in cockpit.classes.contains { code.hasPrefix($0) } }
        return CockpitView(entry: entry, territoryName: territory.flatMap { catalog.region($0)?.name }, month: Self.monthText(month), generatedAt: now,
                           tiles: tiles, trend: trend, ranking: ranking, classes: shares(byClass, top: 8), sources: [],
                           open: open, warned: warned, overdue: overdue, recent: try await latest(territory: territory, classes: classes, now: now),
                           classFilter: cockpit.classes, layers: cockpit.layers)
    }

    /// Open cases, those past their warning mark and those past their deadline, now: three passes
    /// over the open cases (the status index; they are few) counted by class, whatever the topic.
    func backlog(territory: RegionCode?, classes: [String?], now: Date) async throws -> (Int, Int, Int) {
        var q = CaseQuery()
        q.statuses = CaseStatus.allCases.filter { $0.isOpen && $0 != .suspended }
        q.territory = territory
        func count(_ query: CaseQuery) async throws -> Int {
            let byClass = try await cases.store.caseBreakdown(query, by: .classCode)
            return byClass.reduce(0) { sum, entry in
                classes.contains { prefix in prefix.map { entry.key.hasPrefix($0) } ?? true } ? sum + entry.value : sum
            }
        }
        var warned = q
        warned.warnedAt = now
        var overdue = q
        overdue.overdueAt = now
        return (try await count(q), try await count(warned), try await count(overdue))
    }

    func latest(territory: RegionCode?, classes: [String?], now: Date, limit: Int = 12) async throws -> [CockpitView.FeedItem] {
        var found: [Case] = []
        for prefix in classes {
            var q = CaseQuery()
            q.territory = territory
            q.classPrefix = prefix
            // Recent reports only: a class's whole history would be sorted for twelve lines.
            if prefix != nil { q.from = now.addingTimeInterval(-60 * 86_400) }
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
