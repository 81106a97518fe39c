/// What a name in an address text stands for.
public enum PlaceNameKind: UInt8, Sendable, CaseIterable {
    case province, city, district, township, community, road, compound

    /// The name used in files and tables.
    public var label: String { String(describing: self) }

    public init?(label: String) {
        guard let k = Self.allCases.first(where: { $0.label == label }) else { return nil }
        self = k
    }
}

/// The names an address may contain — administrative names, roads, compounds, and their old names —
/// found in a text by longest match (a character trie), and, for names typed with one wrong,
/// missing or extra character, by the symmetric-delete method: a name and a typed span within one
/// edit of each other share a form with at most one character deleted.
///
/// Matching runs for every row of every import, so both structures are keyed by integers in an
/// open-addressing table rather than by strings: no allocation per lookup.
public struct Gazetteer: Sendable {
    public struct Entry: Sendable, Hashable {
        public var kind: PlaceNameKind
        /// Index in the table of that kind (the library's road, compound … numbering).
        public var id: Int32
        /// Found through an old or alternative name.
        public var isAlias: Bool
    }

    /// Trie edges: (node, scalar) → child node.
    private var edges = IntegerTable()
    private var terminals: [Int32: [Entry]] = [:]
    private var nodeCount: Int32 = 1
    /// Hash of a one-deletion form → index into `deletionLists`.
    private var deletions = IntegerTable()
    private var deletionLists: [[Int32]] = []
    /// Names that take part in fuzzy matching, as scalars, with their entries.
    private var fuzzyNames: [(name: [Unicode.Scalar], entry: Entry)] = []
    public private(set) var longestName = 0

    public init() {}

    public mutating func add(_ name: String, _ entry: Entry, fuzzy: Bool = true) {
        let scalars = Array(name.unicodeScalars)
        guard scalars.count >= 2 else { return }
        var node: Int32 = 0
        for s in scalars {
            let key = Self.edgeKey(node, s)
            if let next = edges[key] {
                node = next
            } else {
                edges[key] = nodeCount
                node = nodeCount
                nodeCount += 1
            }
        }
        if !(terminals[node]?.contains(entry) ?? false) { terminals[node, default: []].append(entry) }
        longestName = max(longestName, scalars.count)
        if fuzzy {
            let index = Int32(fuzzyNames.count)
            fuzzyNames.append((scalars, entry))
            var seen = Set<UInt64>()
            for skip in -1..<scalars.count where seen.insert(Self.formHash(scalars[...], skipping: skip)).inserted {
                let h = Self.formHash(scalars[...], skipping: skip)
                if let list = deletions[h] {
                    deletionLists[Int(list)].append(index)
                } else {
                    deletions[h] = Int32(deletionLists.count)
                    deletionLists.append([index])
                }
            }
        }
    }

    @inline(__always) static func edgeKey(_ node: Int32, _ s: Unicode.Scalar) -> UInt64 {
        UInt64(UInt32(bitPattern: node)) << 21 | UInt64(s.value)
    }

    /// FNV-1a over the scalars, leaving out the one at `skipping` (-1: none).
    @inline(__always) static func formHash(_ scalars: ArraySlice<Unicode.Scalar>, skipping: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        var i = 0
        for s in scalars {
            if i != skipping {
                h = (h ^ UInt64(s.value)) &* 0x100_0000_01B3
            }
            i += 1
        }
        return h
    }

    /// The longest name starting at `start`, and its length in scalars.
    func longestMatch(_ scalars: [Unicode.Scalar], from start: Int) -> (entries: [Entry], length: Int)? {
        var node: Int32 = 0
        var best: (entries: [Entry], length: Int)?
        var i = start
        while i < scalars.count {
            guard let next = edges[Self.edgeKey(node, scalars[i])] else { break }
            node = next
            i += 1
            if let found = terminals[node] { best = (found, i - start) }
        }
        return best
    }

    /// The entries of exactly this name.
    func exactMatch(_ scalars: ArraySlice<Unicode.Scalar>) -> [Entry] {
        var node: Int32 = 0
        for s in scalars {
            guard let next = edges[Self.edgeKey(node, s)] else { return [] }
            node = next
        }
        return terminals[node] ?? []
    }

    /// Names within one edit (substitution, insertion, deletion) of `text`, excluding exact matches.
    func fuzzyMatches(_ text: String) -> [Entry] {
        fuzzyMatches(Array(text.unicodeScalars)[...])
    }

    func fuzzyMatches(_ text: ArraySlice<Unicode.Scalar>) -> [Entry] {
        guard text.count >= 2 else { return [] }
        var found: [Entry] = []
        var checked: [Int32] = []
        for skip in -1..<text.count {
            guard let list = deletions[Self.formHash(text, skipping: skip)] else { continue }
            for candidate in deletionLists[Int(list)] where !checked.contains(candidate) {
                checked.append(candidate)
                let (name, entry) = fuzzyNames[Int(candidate)]
                if !name.elementsEqual(text), Self.withinOneEdit(name[...], text), !found.contains(entry) { found.append(entry) }
            }
        }
        return found
    }

    static func withinOneEdit(_ x: ArraySlice<Unicode.Scalar>, _ y: ArraySlice<Unicode.Scalar>) -> Bool {
        if abs(x.count - y.count) > 1 { return false }
        if x.count == y.count {
            var differences = 0
            for (a, b) in zip(x, y) where a != b {
                differences += 1
                if differences > 1 { return false }
            }
            return true
        }
        let (short, long) = x.count < y.count ? (x, y) : (y, x)
        var i = short.startIndex, j = long.startIndex, skipped = false
        while i < short.endIndex && j < long.endIndex {
            if short[i] == long[j] {
                i += 1
                j += 1
            } else {
                if skipped { return false }
                skipped = true
                j += 1
            }
        }
        return true
    }

    static func withinOneEdit(_ a: String, _ b: String) -> Bool {
        withinOneEdit(Array(a.unicodeScalars)[...], Array(b.unicodeScalars)[...])
    }
}

/// An open-addressing hash table from 64-bit keys to 32-bit values (linear probing, multiplicative
/// hashing): several times faster than a `Dictionary` for the lookups of address parsing.
struct IntegerTable: Sendable {
    private var keys: [UInt64] = Array(repeating: 0, count: 16)
    private var values: [Int32] = Array(repeating: -1, count: 16)
    private var count = 0
    private var mask = 15

    @inline(__always) private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    subscript(key: UInt64) -> Int32? {
        get {
            var i = slot(key)
            while values[i] >= 0 {
                if keys[i] == key { return values[i] }
                i = (i + 1) & mask
            }
            return nil
        }
        set {
            guard let value = newValue, value >= 0 else { return }  // entries are never removed
            if (count + 1) * 2 > keys.count { grow() }
            var i = slot(key)
            while values[i] >= 0 {
                if keys[i] == key {
                    values[i] = value
                    return
                }
                i = (i + 1) & mask
            }
            keys[i] = key
            values[i] = value
            count += 1
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: 0, count: oldKeys.count * 2)
        values = Array(repeating: -1, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for (k, v) in zip(oldKeys, oldValues) where v >= 0 { self[k] = v }
    }
}
