import GeoKit

/// The outcome of matching one free-text address against the library.
public struct AddressMatch: Sendable {
    public struct Candidate: Sendable {
        public var address: StandardAddress
        /// 0…1: 1 when every element agrees exactly.
        public var score: Double
    }

    public var query: String
    public var parsed: ParsedAddress
    /// The best candidate, when its score reaches the matcher's threshold.
    public var best: Candidate?
    /// Further candidates, best first (at most three).
    public var runnersUp: [Candidate]
    /// Why there is no match, or what made the best one less than certain.
    public var reason: String?
}

/// Matches free-text addresses to the standard address library.
///
/// The parser recognises names (townships, communities, roads, compounds, with old names and
/// one-character typos) and numbers (house number, village group, building, unit, room). The
/// recognised road or compound, with the house number or building, picks a short list of
/// candidates through an index; each candidate is scored by how its elements agree with the text:
/// conflicting numbers rule a candidate out, missing ones cost a little, and township or community
/// names that disagree cost more.
public struct AddressMatcher: Sendable {
    public let addresses: [StandardAddress]
    public let parser: AddressParser
    public var threshold = 0.6

    // Interned element values.
    private let townshipIDs: [Int32]
    private let communityIDs: [Int32]
    private let roadIDs: [Int32]
    private let compoundIDs: [Int32]
    private let numbers: [Numbers]
    private var anchors: [Anchor: [Int32]] = [:]
    /// The same lists narrowed to one room number: a text with a room looks at a handful of
    /// addresses (one per unit) instead of a whole building.
    private var anchorRooms: [AnchorRoom: [Int32]] = [:]
    private let numberIDs: [String: Int32]

    /// Interned numbers of an address (0 when absent).
    struct Numbers: Sendable {
        var house: Int32, group: Int32, building: Int32, unit: Int32, room: Int32
    }

    /// What a query is looked up by: a compound's building, a road's house number (and building),
    /// or a village group's house number.
    struct Anchor: Hashable, Sendable {
        var kind: Int8
        var a: Int32, b: Int32, c: Int32
    }

    struct AnchorRoom: Hashable, Sendable {
        var anchor: Anchor
        var room: Int32
    }

    public init(addresses: [StandardAddress], aliases: [PlaceAlias] = [], administrativeNames: [(String, PlaceNameKind)] = []) {
        self.addresses = addresses
        var tables: [PlaceNameKind: [String: Int32]] = [:]
        func intern(_ kind: PlaceNameKind, _ name: String?) -> Int32 {
            guard let name, !name.isEmpty else { return -1 }
            if let id = tables[kind]?[name] { return id }
            let id = Int32(tables[kind]?.count ?? 0)
            tables[kind, default: [:]][name] = id
            return id
        }
        var numberIDs: [String: Int32] = [:]
        func number(_ s: String?) -> Int32 {
            guard let s, !s.isEmpty else { return 0 }
            if let id = numberIDs[s] { return id }
            let id = Int32(numberIDs.count + 1)
            numberIDs[s] = id
            return id
        }
        var townships: [Int32] = [], communities: [Int32] = [], roads: [Int32] = [], compounds: [Int32] = []
        var nums: [Numbers] = []
        townships.reserveCapacity(addresses.count)
        for a in addresses {
            let e = a.elements
            townships.append(intern(.township, e.township))
            // Communities are named in the scope of their township: two villages may share a name.
            communities.append(intern(.community, e.community))
            roads.append(intern(.road, e.road))
            compounds.append(intern(.compound, e.compound))
            nums.append(Numbers(house: number(e.houseNumber), group: number(e.villageGroup), building: number(e.building), unit: number(e.unit), room: number(e.room)))
        }
        var anchors: [Anchor: [Int32]] = [:]
        var anchorRooms: [AnchorRoom: [Int32]] = [:]
        for i in addresses.indices {
            let n = nums[i]
            var keys: [Anchor] = []
            if compounds[i] >= 0 { keys.append(Anchor(kind: 0, a: compounds[i], b: n.building, c: 0)) }
            if roads[i] >= 0 && n.house != 0 { keys.append(Anchor(kind: 1, a: roads[i], b: n.house, c: n.building)) }
            if communities[i] >= 0 && n.group != 0 { keys.append(Anchor(kind: 2, a: communities[i], b: n.group, c: n.house)) }
            for key in keys {
                anchors[key, default: []].append(Int32(i))
                if n.room != 0 { anchorRooms[AnchorRoom(anchor: key, room: n.room), default: []].append(Int32(i)) }
            }
        }

        var gazetteer = Gazetteer()
        // Province, city and district names, from the library itself and as given, in full and short.
        var upper = administrativeNames
        var seenUpper = Set<String>()
        for a in addresses {
            for (name, kind) in [(a.elements.province, PlaceNameKind.province), (a.elements.city, .city), (a.elements.district, .district)] {
                if let name, seenUpper.insert(name).inserted { upper.append((name, kind)) }
            }
        }
        for (name, kind) in upper {
            gazetteer.add(name, .init(kind: kind, id: -1, isAlias: false), fuzzy: false)
            for suffix in ["省", "市", "区", "县"] where name.hasSuffix(suffix) && name.count - 1 >= 2 {
                gazetteer.add(String(name.dropLast()), .init(kind: kind, id: -1, isAlias: true), fuzzy: false)
            }
        }
        for kind in [PlaceNameKind.township, .community, .road, .compound] {
            for (name, id) in tables[kind] ?? [:] {
                gazetteer.add(name, .init(kind: kind, id: id, isAlias: false), fuzzy: kind != .township)
                // Short forms people write: 临平 for 临平街道, 超山 for 超山村, 西大街 for 西大街社区.
                if kind == .township || kind == .community, let short = Self.shortForm(name) {
                    gazetteer.add(short, .init(kind: kind, id: id, isAlias: true), fuzzy: false)
                }
            }
        }
        for alias in aliases {
            if let id = tables[alias.kind]?[alias.currentName] {
                gazetteer.add(alias.name, .init(kind: alias.kind, id: id, isAlias: true))
            }
        }
        self.townshipIDs = townships
        self.communityIDs = communities
        self.roadIDs = roads
        self.compoundIDs = compounds
        self.numbers = nums
        self.anchors = anchors
        self.anchorRooms = anchorRooms
        self.numberIDs = numberIDs
        self.parser = AddressParser(gazetteer: gazetteer)
    }

    /// The form people often write: 临平 for 临平街道, 超山 for 超山村, 西大街 for 西大街社区.
    public static func shortForm(_ name: String) -> String? {
        for suffix in ["街道", "社区", "镇", "乡", "村"] where name.hasSuffix(suffix) && name.count - suffix.count >= 2 {
            return String(name.dropLast(suffix.count))
        }
        return nil
    }

    public func match(_ query: String) -> AddressMatch {
        let parsed = parser.parse(query)
        let e = parsed.elements
        func id(_ s: String?) -> Int32? {
            guard let s else { return 0 }
            return numberIDs[s]
        }
        // A number the library has never seen cannot match anything it appears in.
        let house = id(e.houseNumber), group = id(e.villageGroup), building = id(e.building), unit = id(e.unit), room = id(e.room)

        var candidateLists: [([Int32], Double)] = []
        func add(_ anchor: Anchor, _ quality: Double) {
            // A room number the library has never seen: nothing can match.
            guard let room else { return }
            // With a room in the text, that room's addresses (one per unit); else the whole list.
            if let list = (room != 0 ? anchorRooms[AnchorRoom(anchor: anchor, room: room)] : nil) ?? anchors[anchor] {
                candidateLists.append((list, quality))
            }
        }
        if let building {
            for c in parsed.compounds { add(Anchor(kind: 0, a: c.id, b: building, c: 0), c.quality) }
        }
        if let house, house != 0 {
            for r in parsed.roads {
                if let b = building { add(Anchor(kind: 1, a: r.id, b: house, c: b), r.quality) }
                if building != 0 { add(Anchor(kind: 1, a: r.id, b: house, c: 0), r.quality) }
            }
        }
        if let group, group != 0, let house {
            for c in parsed.communities { add(Anchor(kind: 2, a: c.id, b: group, c: house), c.quality) }
        }

        // Most candidates fall at the first conflicting number; an address reached through
        // several names keeps its best score.
        var scored: [(index: Int32, score: Double)] = []
        for (list, q) in candidateLists {
            for i in list {
                let s = score(Int(i), parsed: parsed, numbers: (house, group, building, unit, room)) * q
                guard s > 0 else { continue }
                if let k = scored.firstIndex(where: { $0.index == i }) {
                    scored[k].score = max(scored[k].score, s)
                } else {
                    scored.append((i, s))
                }
            }
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
        let candidates = scored.prefix(4).map { AddressMatch.Candidate(address: addresses[Int($0.index)], score: ($0.score * 1000).rounded() / 1000) }
        guard let top = candidates.first, top.score >= threshold else {
            return AddressMatch(query: query, parsed: parsed, best: nil, runnersUp: Array(candidates.prefix(3)),
                                reason: candidates.isEmpty ? noCandidateReason(parsed, numbers: (house, group, building)) : "the closest address scores \(candidates[0].score), below \(threshold)")
        }
        var reason: String?
        if candidates.count > 1, candidates[1].score == top.score { reason = "ambiguous: \(candidates[1].address.elements.localText) scores the same" }
        return AddressMatch(query: query, parsed: parsed, best: top, runnersUp: Array(candidates.dropFirst()), reason: reason)
    }

    /// One number of the text against the library's: equal is fine, different rules the
    /// candidate out (nil), only in the library costs a little (the text is less precise than the
    /// address), only in the text costs more. 0 means absent.
    @inline(__always)
    private static func numberCost(_ query: Int32, _ library: Int32, missing: Double) -> Double? {
        if query == library { return 0 }
        if query != 0 && library != 0 { return nil }
        return query == 0 ? missing : 0.3
    }

    private func score(_ i: Int, parsed: ParsedAddress, numbers q: (house: Int32?, group: Int32?, building: Int32?, unit: Int32?, room: Int32?)) -> Double {
        // A number the library has never seen rules every candidate out.
        guard let qb = q.building, let qu = q.unit, let qr = q.room, let qh = q.house, let qg = q.group else { return 0 }
        let n = numbers[i]
        guard let b = Self.numberCost(qb, n.building, missing: 0.15), let u = Self.numberCost(qu, n.unit, missing: 0.1),
              let r = Self.numberCost(qr, n.room, missing: 0.2), let h = Self.numberCost(qh, n.house, missing: 0.05),
              let g = Self.numberCost(qg, n.group, missing: 0.1)
        else { return 0 }
        var s = 1.0 - b - u - r - h - g
        // Names: a road or compound in the text that is not this address's costs.
        if !parsed.roads.isEmpty && !parsed.roads.contains(where: { $0.id == roadIDs[i] }) { s -= 0.2 }
        if !parsed.compounds.isEmpty && !parsed.compounds.contains(where: { $0.id == compoundIDs[i] }) { s -= 0.2 }
        // Context names: each one written must fit (a short name may be a township or a community).
        for group in parsed.hints {
            let fits = group.contains { ($0.kind == .township && $0.id == townshipIDs[i]) || ($0.kind == .community && $0.id == communityIDs[i]) }
            if !fits { s -= group.contains { $0.kind == .township } ? 0.3 : 0.15 }
        }
        return max(0, s)
    }

    private func noCandidateReason(_ p: ParsedAddress, numbers: (house: Int32?, group: Int32?, building: Int32?)) -> String {
        let e = p.elements
        if p.roads.isEmpty && p.compounds.isEmpty && p.communities.isEmpty {
            if let name = e.road ?? e.compound { return "\(name) is not in the address library" }
            return "no road, compound or village of the library was found in the text"
        }
        if let c = e.compound, !p.compounds.isEmpty {
            if e.building == nil { return "\(c): the building number is missing" }
            return "\(c) has no building \(e.building!)"
        }
        if let r = e.road, !p.roads.isEmpty {
            if e.houseNumber == nil { return "\(r): the house number is missing" }
            return "\(r) has no number \(e.houseNumber!)"
        }
        if let v = e.community {
            if e.villageGroup == nil { return "\(v): the village group (组) is missing" }
            return "\(v) has no group \(e.villageGroup!) number \(e.houseNumber ?? "?")"
        }
        return "no address of the library fits"
    }
}
