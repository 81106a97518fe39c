/// A free-text address taken apart: the elements as written (for display and for the CSV output),
/// and the gazetteer entries its names resolved to (for matching).
public struct ParsedAddress: Sendable {
    public var normalized: String
    public var elements = AddressElements()
    /// Roads, compounds and villages the text names, with how sure each is (1 exact, less for old
    /// names and typos): what candidates are looked up by.
    public var roads: [(id: Int32, quality: Double)] = []
    public var compounds: [(id: Int32, quality: Double)] = []
    public var communities: [(id: Int32, quality: Double)] = []
    /// Township and community names given as context, one group per name written (a short name
    /// such as 东湖 may stand for a township or a community).
    public var hints: [[Gazetteer.Entry]] = []
    /// Text that is neither a known name nor a number.
    public var unresolved: [String] = []
}

/// Parses address text into elements, recognising names through a ``Gazetteer``.
///
/// The normalised text alternates runs of words and numbers (迎宾路 123号 星河苑 3幢 2单元 301室).
/// In a run of words the place the numbers belong to comes last, after any township or community
/// written as context. So the parser tries the run from its longest tail to its shortest — as a
/// known name, then as a name within one typo — which also repairs a typo that split a name into
/// pieces (北远钱江大道 is 北钱江大道, not 钱江大道).
public struct AddressParser: Sendable {
    public let gazetteer: Gazetteer

    public init(gazetteer: Gazetteer) {
        self.gazetteer = gazetteer
    }

    static let aliasQuality = 0.97
    static let fuzzyQuality = 0.9

    /// Suffixes by which an unknown name is recognised as a road or a compound.
    static let roadSuffixes = ["大道", "路", "街", "巷", "弄", "道"]
    static let compoundSuffixes = ["小区", "花园", "家园", "公寓", "新村", "华庭", "名邸", "苑", "园", "府", "大厦", "广场", "中心", "院"]

    typealias Scalars = [Unicode.Scalar]

    /// A piece of a run of words: a known name, or text between names.
    struct Piece {
        var scalars: ArraySlice<Unicode.Scalar>
        var entries: [Gazetteer.Entry]
    }

    public func parse(_ text: String) -> ParsedAddress {
        let scalars = AddressNormalizer.normalizedScalars(text)
        var normalized = String()
        normalized.unicodeScalars.append(contentsOf: scalars)
        var result = ParsedAddress(normalized: normalized)

        var run: [Piece] = []
        var lastKind: PlaceNameKind?
        var lastMarker: Marker?
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            let startsNumber = AddressNormalizer.isDigit(c)
                || (AddressNormalizer.isUpper(c) && i + 1 < scalars.count && (Self.marker(at: i + 1, in: scalars) != nil || AddressNormalizer.isDigit(scalars[i + 1])))
            if startsNumber {
                if !run.isEmpty {
                    lastKind = resolve(run, in: scalars, into: &result) ?? lastKind
                    lastMarker = nil
                    run.removeAll()
                }
                var j = i
                while j < scalars.count, AddressNormalizer.isDigit(scalars[j]) || AddressNormalizer.isUpper(scalars[j]) || (scalars[j] == "-" && j > i) { j += 1 }
                var value = String()
                value.unicodeScalars.append(contentsOf: scalars[i..<j])
                var marker = Self.marker(at: j, in: scalars)
                i = j + (marker?.length ?? 0)
                if marker == nil {
                    // A bare number: a room after a building or unit, a house number after a road.
                    if lastMarker == .building || lastMarker == .unit || lastMarker == .floor { marker = .room }
                    else if lastMarker == nil && lastKind == .road { marker = .houseNumber }
                    else if lastMarker == .villageGroup { marker = .houseNumber }
                    else if lastMarker == .houseNumber && i >= scalars.count { marker = .room }
                }
                switch marker {
                case .houseNumber: result.elements.houseNumber = value
                case .building: result.elements.building = value
                case .unit: result.elements.unit = value
                case .floor: result.elements.floor = value
                case .room: result.elements.room = value
                case .villageGroup: result.elements.villageGroup = value
                case nil: result.unresolved.append(value)
                }
                lastMarker = marker
                continue
            }
            if let match = gazetteer.longestMatch(scalars, from: i) {
                run.append(Piece(scalars: scalars[i..<i + match.length], entries: match.entries))
                i += match.length
            } else if let last = run.last, last.entries.isEmpty, last.scalars.endIndex == i {
                run[run.count - 1].scalars = scalars[last.scalars.startIndex...i]
                i += 1
            } else {
                run.append(Piece(scalars: scalars[i...i], entries: []))
                i += 1
            }
        }
        if !run.isEmpty { _ = resolve(run, in: scalars, into: &result) }
        // A room number says its floor: 301 is on the third.
        if result.elements.floor == nil, let room = result.elements.room, room.count >= 3, room.allSatisfy(\.isASCIIDigit) {
            result.elements.floor = String(Int(room.dropLast(2)) ?? 0)
        }
        return result
    }

    static let anchorKinds: Set<PlaceNameKind> = [.road, .compound, .community]

    /// Resolves a run of words. Every tail of the run that is a road, compound or village — exactly,
    /// by an old name, or within one typo — becomes a candidate place with its quality, and the
    /// matcher's scoring decides among them (南苑星光大道: 星光大道 after the township 南苑, not the
    /// typo-distance 南星光大道; 北远钱江大道 90号: 北钱江大道 if 钱江大道 has no number 90). What
    /// precedes the longest exact tail is context. Returns the kind of the place found.
    private func resolve(_ run: [Piece], in scalars: Scalars, into result: inout ParsedAddress) -> PlaceNameKind? {
        func tail(_ k: Int) -> ArraySlice<Unicode.Scalar> {
            scalars[run[k].scalars.startIndex..<run[run.count - 1].scalars.endIndex]
        }
        func text(_ slice: ArraySlice<Unicode.Scalar>) -> String {
            var name = String()
            name.unicodeScalars.append(contentsOf: slice)
            return name
        }
        // Exact tails first (cheap): the longest one fixes where the context ends.
        var exactByStart: [Int: [Gazetteer.Entry]] = [:]
        for k in run.indices {
            let entries = (k == run.count - 1 && !run[k].entries.isEmpty ? run[k].entries : gazetteer.exactMatch(tail(k)))
                .filter { Self.anchorKinds.contains($0.kind) }
            if !entries.isEmpty { exactByStart[k] = entries }
        }
        let exactStart = exactByStart.keys.min()
        // Typo readings: the exact tail itself (a typo may have made another valid name), and longer
        // tails only where unknown text precedes it (a typo may have split a name); with no exact
        // tail, every tail.
        var fuzzyStarts: [Int] = []
        if let e = exactStart {
            fuzzyStarts = (0..<e).filter { k in run[k..<e].contains { $0.entries.isEmpty } } + [e]
        } else {
            fuzzyStarts = Array(run.indices)
        }
        var kind: PlaceNameKind?
        var placeStart: Int?
        for k in run.indices {
            let exact = exactByStart[k] ?? []
            if !exact.isEmpty {
                kind = kind ?? place(text(tail(k)), exact, quality: 1, into: &result)
            }
            guard fuzzyStarts.contains(k) else { continue }
            let fuzzy = gazetteer.fuzzyMatches(tail(k)).filter { Self.anchorKinds.contains($0.kind) && !exact.contains($0) }
            if !fuzzy.isEmpty {
                let found = place(text(tail(k)), fuzzy, quality: Self.fuzzyQuality, into: &result, display: exactStart == nil && placeStart == nil)
                kind = kind ?? found
                placeStart = placeStart ?? k
            }
        }
        if let start = exactStart ?? placeStart {
            for piece in run[..<start] { context(piece, into: &result) }
            return kind
        }
        // No place: every piece is context or unknown; an unknown name is classified by its suffix.
        for piece in run {
            if piece.entries.isEmpty {
                var text = String()
                text.unicodeScalars.append(contentsOf: piece.scalars)
                if Self.roadSuffixes.contains(where: text.hasSuffix), text.count >= 2, result.elements.road == nil {
                    result.elements.road = text
                    kind = .road
                } else if Self.compoundSuffixes.contains(where: text.hasSuffix), text.count >= 2, result.elements.compound == nil {
                    result.elements.compound = text
                    kind = .compound
                }
                result.unresolved.append(text)
            } else {
                context(piece, into: &result)
            }
        }
        return kind
    }

    private func context(_ piece: Piece, into result: inout ParsedAddress) {
        var text = String()
        text.unicodeScalars.append(contentsOf: piece.scalars)
        guard !piece.entries.isEmpty else {
            result.unresolved.append(text)
            return
        }
        for e in piece.entries {
            switch e.kind {
            case .province: result.elements.province = result.elements.province ?? text
            case .city: result.elements.city = result.elements.city ?? text
            case .district: result.elements.district = result.elements.district ?? text
            case .township: result.elements.township = result.elements.township ?? text
            case .community: result.elements.community = result.elements.community ?? text
            case .road:
                // A road written before a compound without its number.
                result.elements.road = result.elements.road ?? text
                result.roads.append((e.id, e.isAlias ? Self.aliasQuality : 1))
            case .compound:
                result.elements.compound = result.elements.compound ?? text
                result.compounds.append((e.id, e.isAlias ? Self.aliasQuality : 1))
            }
        }
        // A name that may be the district itself (余杭 for 余杭区 or 余杭街道) constrains nothing.
        let hints = piece.entries.filter { $0.kind == .township || $0.kind == .community }
        if !hints.isEmpty && !piece.entries.contains(where: { $0.kind == .province || $0.kind == .city || $0.kind == .district }) {
            result.hints.append(hints)
        }
    }

    private func place(_ name: String, _ entries: [Gazetteer.Entry], quality: Double, into result: inout ParsedAddress, display: Bool = true) -> PlaceNameKind? {
        for e in entries {
            let q = quality * (e.isAlias ? Self.aliasQuality : 1)
            switch e.kind {
            case .road:
                if display { result.elements.road = result.elements.road ?? name }
                result.roads.append((e.id, q))
            case .compound:
                if display { result.elements.compound = result.elements.compound ?? name }
                result.compounds.append((e.id, q))
            case .community:
                if display { result.elements.community = result.elements.community ?? name }
                result.communities.append((e.id, q))
            default:
                break
            }
        }
        return entries.first(where: { $0.kind != .community })?.kind ?? entries.first?.kind
    }

    enum Marker {
        case houseNumber, building, unit, floor, room, villageGroup
        var length: Int { self == .unit ? 2 : 1 }
    }

    static func marker(at index: Int, in scalars: Scalars) -> Marker? {
        guard index < scalars.count else { return nil }
        switch scalars[index] {
        case "号": return .houseNumber
        case "幢": return .building
        case "单": return index + 1 < scalars.count && scalars[index + 1] == "元" ? .unit : nil
        case "层": return .floor
        case "室": return .room
        case "组": return .villageGroup
        default: return nil
        }
    }
}
