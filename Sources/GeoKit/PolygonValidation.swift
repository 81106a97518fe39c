/// Structural defects of a polygon that make it unusable for exact spatial answers.
public enum PolygonDefect: Equatable, Sendable, CustomStringConvertible {
    /// A ring with fewer than four positions (three distinct corners and the closing one).
    case tooFewPositions(ring: Int, count: Int)
    /// The ring's last position differs from its first.
    case notClosed(ring: Int)
    /// The ring crosses or touches itself.
    case selfIntersection(ring: Int, at: Coordinate)
    /// Two rings of the polygon cross or run along each other.
    case ringsIntersect(ring: Int, otherRing: Int, at: Coordinate)
    /// A hole lies (partly) outside the exterior ring.
    case holeOutsideExterior(ring: Int)
    /// A position is not a finite longitude/latitude.
    case invalidNumber(ring: Int)
    /// Two polygons of a multipolygon overlap (they may touch only at points).
    case partsOverlap(part: Int, otherPart: Int, at: Coordinate)
    /// A multipolygon without any polygon.
    case empty

    public var description: String {
        func name(_ r: Int) -> String { r == 0 ? "exterior ring" : "hole \(r)" }
        switch self {
        case .tooFewPositions(let r, let n): return "\(name(r)) has \(n) positions, at least 4 are needed"
        case .notClosed(let r): return "\(name(r)) is not closed (its last position must repeat the first)"
        case .selfIntersection(let r, let c): return "\(name(r)) intersects itself near \(c)"
        case .ringsIntersect(let r, let o, let c): return "\(name(r)) intersects \(name(o)) near \(c)"
        case .holeOutsideExterior(let r): return "\(name(r)) lies outside the exterior ring"
        case .invalidNumber(let r): return "\(name(r)) has a position that is not a longitude in [-180, 180] and a latitude in [-90, 90]"
        case .partsOverlap(let p, let o, let c): return "polygons \(p) and \(o) of the multipolygon overlap near \(c)"
        case .empty: return "the geometry holds no polygon"
        }
    }
}

public enum PolygonValidation {
    /// Every defect of the polygon, ring 0 being the exterior. Consecutive repeated positions are
    /// not defects (they are dropped before testing).
    public static func defects(of polygon: Polygon, limit: Int = 10) -> [PolygonDefect] {
        var defects: [PolygonDefect] = []
        var rings: [[LatticePoint]] = []
        for (r, ring) in polygon.rings.enumerated() {
            if ring.coordinates.contains(where: { !$0.isFinite || abs($0.longitude) > 180 || abs($0.latitude) > 90 }) {
                defects.append(.invalidNumber(ring: r))
                rings.append([])
                continue
            }
            if !ring.isClosed { defects.append(.notClosed(ring: r)) }
            var points: [LatticePoint] = []
            for c in ring.openCoordinates {
                let p = Lattice.snap(c)
                if points.last != p { points.append(p) }
            }
            while points.count > 1, points.first == points.last { points.removeLast() }
            if points.count < 3 {
                defects.append(.tooFewPositions(ring: r, count: ring.coordinates.count))
                rings.append([])
                continue
            }
            rings.append(points)
        }
        guard defects.isEmpty else { return defects }

        // Sweep over edges sorted by their west end; test only pairs whose x ranges overlap.
        struct Edge { var ring: Int; var index: Int; var a: LatticePoint; var b: LatticePoint; var minX: Int64; var maxX: Int64 }
        var edges: [Edge] = []
        for (r, points) in rings.enumerated() {
            for i in 0..<points.count {
                let a = points[i], b = points[(i + 1) % points.count]
                edges.append(Edge(ring: r, index: i, a: a, b: b, minX: min(a.x, b.x), maxX: max(a.x, b.x)))
            }
        }
        edges.sort { $0.minX < $1.minX }
        var reported = Set<[Int]>()
        for i in 0..<edges.count {
            let e = edges[i]
            var j = i + 1
            while j < edges.count, edges[j].minX <= e.maxX {
                defer { j += 1 }
                let f = edges[j]
                guard min(e.a.y, e.b.y) <= max(f.a.y, f.b.y), min(f.a.y, f.b.y) <= max(e.a.y, e.b.y) else { continue }
                let contact = Lattice.contact(e.a, e.b, f.a, f.b)
                if contact == .none { continue }
                let near = Lattice.coordinate(e.a)
                if e.ring == f.ring {
                    let n = rings[e.ring].count
                    let adjacent = (e.index + 1) % n == f.index || (f.index + 1) % n == e.index
                    // Neighbouring edges share a corner; only running back along each other (a spike) is wrong.
                    if adjacent && contact != .overlapping { continue }
                    if reported.insert([e.ring]).inserted {
                        defects.append(.selfIntersection(ring: e.ring, at: near))
                    }
                } else {
                    // Rings of one polygon may touch at a single point, but not cross or share an edge.
                    if contact == .touching { continue }
                    let pair = [min(e.ring, f.ring), max(e.ring, f.ring)]
                    if reported.insert(pair).inserted {
                        defects.append(.ringsIntersect(ring: pair[0], otherRing: pair[1], at: near))
                    }
                }
                if defects.count >= limit { return defects }
            }
        }
        if rings.count > 1, defects.isEmpty {
            // Rings do not cross (checked above), so a hole is inside the shell when none of its
            // vertices or edge midpoints is outside and its own interior is inside the shell; and
            // it lies in no other hole.
            let shell = PreparedPolygon(Polygon(exterior: polygon.exterior))
            let holes = polygon.holes.map { PreparedPolygon(Polygon(exterior: $0)) }
            for r in 1..<rings.count {
                let points = rings[r]
                let midpoints = points.indices.map { i -> LatticePoint in
                    let a = points[i], b = points[(i + 1) % points.count]
                    return LatticePoint(x: a.x / 2 + b.x / 2, y: a.y / 2 + b.y / 2)
                }
                let inner = MultiPolygon([Polygon(exterior: polygon.holes[r - 1])]).representativePoint
                if (points + midpoints).contains(where: { shell.locate($0) == .exterior })
                    || inner.map({ shell.locate($0) != .interior }) == true
                    || inner.map({ p in holes.indices.contains { $0 != r - 1 && holes[$0].locate(p) == .interior } }) == true
                {
                    defects.append(.holeOutsideExterior(ring: r))
                }
            }
        }
        return defects
    }

    /// The defects of each polygon (ring numbers per polygon), and overlaps between the polygons:
    /// parts of a multipolygon may touch at points but not share area.
    public static func defects(of multiPolygon: MultiPolygon, limit: Int = 10) -> [(polygon: Int, defect: PolygonDefect)] {
        guard !multiPolygon.polygons.isEmpty else { return [(0, .empty)] }
        var result: [(polygon: Int, defect: PolygonDefect)] = []
        for (i, p) in multiPolygon.polygons.enumerated() {
            result += defects(of: p, limit: limit).map { (i, $0) }
        }
        guard result.isEmpty, multiPolygon.polygons.count > 1 else { return result }
        let operands = multiPolygon.polygons.map { PolygonOverlay.Operand(MultiPolygon([$0])) }
        for i in 0..<operands.count {
            for j in (i + 1)..<operands.count {
                guard let a = operands[i].boundingBox, let b = operands[j].boundingBox, a.intersects(b) else { continue }
                // Any shared area, however it arises (crossing, containment, a shared edge run in the
                // same direction), shows as a positive intersection area.
                if PolygonOverlay.intersectionArea(operands[i], operands[j]) > 1e-6 {
                    result.append((i, .partsOverlap(part: i, otherPart: j, at: a.intersection(b)?.center ?? a.center)))
                    if result.count >= limit { return result }
                }
            }
        }
        return result
    }
}
