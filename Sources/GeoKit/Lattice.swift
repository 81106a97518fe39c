/// Exact predicates on a fixed lattice of 1e-9 degree (about 0.1 mm).
///
/// Every coordinate that takes part in a topological decision (is this point inside, on the edge,
/// do these segments cross) is first snapped to the lattice; the predicates are then computed in
/// 128-bit integers and are exact. Two polygons that share an edge share its lattice points too, so
/// their answers for a point on that edge are consistent with each other (see ``PreparedPolygon``).
public enum Lattice {
    public static let unitsPerDegree: Double = 1e9

    @inlinable
    public static func snap(_ c: Coordinate) -> LatticePoint {
        LatticePoint(
            x: Int64((c.longitude * unitsPerDegree).rounded()),
            y: Int64((c.latitude * unitsPerDegree).rounded()))
    }

    @inlinable
    public static func coordinate(_ p: LatticePoint) -> Coordinate {
        Coordinate(longitude: Double(p.x) / unitsPerDegree, latitude: Double(p.y) / unitsPerDegree)
    }

    /// Sign of the cross product (b − a) × (p − a): +1 when p is left of a→b, −1 right, 0 collinear.
    @inlinable
    public static func orientation(_ a: LatticePoint, _ b: LatticePoint, _ p: LatticePoint) -> Int {
        let lhs = Int128(b.x - a.x) * Int128(p.y - a.y)
        let rhs = Int128(b.y - a.y) * Int128(p.x - a.x)
        return lhs > rhs ? 1 : (lhs < rhs ? -1 : 0)
    }

    /// Whether p lies on the closed segment a–b.
    @inlinable
    public static func isOnSegment(_ p: LatticePoint, _ a: LatticePoint, _ b: LatticePoint) -> Bool {
        orientation(a, b, p) == 0
            && p.x >= min(a.x, b.x) && p.x <= max(a.x, b.x)
            && p.y >= min(a.y, b.y) && p.y <= max(a.y, b.y)
    }

    /// How two closed segments meet.
    public enum SegmentContact: Equatable, Sendable {
        case none
        /// They cross at one point interior to both.
        case proper
        /// They meet at an endpoint of one or both, or touch.
        case touching
        /// They are collinear and share more than a point.
        case overlapping
    }

    public static func contact(_ a: LatticePoint, _ b: LatticePoint, _ c: LatticePoint, _ d: LatticePoint) -> SegmentContact {
        let o1 = orientation(a, b, c), o2 = orientation(a, b, d)
        let o3 = orientation(c, d, a), o4 = orientation(c, d, b)
        if o1 == 0 && o2 == 0 {
            // Collinear: compare along the dominant axis.
            let useX = abs(b.x - a.x) >= abs(b.y - a.y) && (a.x != b.x || c.x != d.x)
            let (a0, a1) = useX ? (min(a.x, b.x), max(a.x, b.x)) : (min(a.y, b.y), max(a.y, b.y))
            let (c0, c1) = useX ? (min(c.x, d.x), max(c.x, d.x)) : (min(c.y, d.y), max(c.y, d.y))
            let lo = max(a0, c0), hi = min(a1, c1)
            if lo < hi { return .overlapping }
            if lo == hi { return .touching }
            return .none
        }
        if o1 * o2 < 0 && o3 * o4 < 0 { return .proper }
        if (o1 == 0 && isOnSegment(c, a, b)) || (o2 == 0 && isOnSegment(d, a, b))
            || (o3 == 0 && isOnSegment(a, c, d)) || (o4 == 0 && isOnSegment(b, c, d))
        {
            return .touching
        }
        return .none
    }
}

public struct LatticePoint: Hashable, Sendable, Comparable {
    public var x: Int64
    public var y: Int64

    @inlinable
    public init(x: Int64, y: Int64) {
        self.x = x
        self.y = y
    }

    public static func < (l: LatticePoint, r: LatticePoint) -> Bool { l.x != r.x ? l.x < r.x : l.y < r.y }
}
