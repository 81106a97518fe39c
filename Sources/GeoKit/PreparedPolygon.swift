/// Where a point lies relative to a polygon, decided exactly on the ``Lattice``.
public enum PointLocation: Sendable, Equatable {
    case interior
    case boundary
    case exterior
}

/// A multipolygon prepared for fast, exact point-in-polygon tests.
///
/// ## The boundary rule
/// ``contains(_:)`` is *half-open*: a point exactly on the boundary counts as inside when the
/// polygon's interior lies immediately to its right (east) or, on a horizontal edge, immediately
/// above it (north). Formally the point is treated as if it were moved by (ε, δ) with 0 < δ ≪ ε.
/// Two grids that share an edge therefore never both claim a point on it, and together they always
/// claim it: in a gap-free tiling every point belongs to exactly one grid, vertices included.
/// ``locate(_:)`` reports the boundary itself when it matters (validation, display).
public struct PreparedPolygon: Sendable {
    @usableFromInline let xs: [Int64]
    @usableFromInline let ys: [Int64]
    /// Start of each ring in `xs`/`ys`; rings are stored closed (last == first).
    @usableFromInline let ringStarts: [Int]
    public let boundingBox: BoundingBox
    @usableFromInline let minX: Int64, minY: Int64, maxX: Int64, maxY: Int64

    public init(_ multiPolygon: MultiPolygon) {
        var xs: [Int64] = [], ys: [Int64] = [], starts: [Int] = []
        for polygon in multiPolygon.polygons {
            for ring in polygon.rings {
                let open = ring.openCoordinates
                guard open.count >= 3 else { continue }
                starts.append(xs.count)
                for c in open {
                    let p = Lattice.snap(c)
                    xs.append(p.x)
                    ys.append(p.y)
                }
                xs.append(xs[starts.last!])
                ys.append(ys[starts.last!])
            }
        }
        starts.append(xs.count)
        self.xs = xs
        self.ys = ys
        self.ringStarts = starts
        self.minX = xs.min() ?? 0
        self.maxX = xs.max() ?? -1
        self.minY = ys.min() ?? 0
        self.maxY = ys.max() ?? -1
        self.boundingBox = BoundingBox(
            minLongitude: Double(minX) / Lattice.unitsPerDegree, minLatitude: Double(minY) / Lattice.unitsPerDegree,
            maxLongitude: Double(maxX) / Lattice.unitsPerDegree, maxLatitude: Double(maxY) / Lattice.unitsPerDegree)
    }

    public init(_ polygon: Polygon) { self.init(MultiPolygon([polygon])) }

    public var edgeCount: Int { xs.count - (ringStarts.count - 1) }

    @inlinable
    public func contains(_ c: Coordinate) -> Bool { contains(Lattice.snap(c)) }

    /// Half-open point-in-polygon (crossing parity with exact orientation tests).
    @inlinable
    public func contains(_ p: LatticePoint) -> Bool {
        guard p.x >= minX, p.x <= maxX, p.y >= minY, p.y <= maxY else { return false }
        var inside = false
        var r = 0
        while r < ringStarts.count - 1 {
            var i = ringStarts[r]
            let end = ringStarts[r + 1] - 1
            while i < end {
                let ay = ys[i], by = ys[i + 1]
                let aBelow = ay <= p.y, bBelow = by <= p.y
                if aBelow != bBelow {
                    // The edge straddles the line y = p.y + δ; count it when it crosses east of p.
                    let ax = xs[i], bx = xs[i + 1]
                    let (lx, ly, ux, uy) = aBelow ? (ax, ay, bx, by) : (bx, by, ax, ay)
                    if ux > p.x && lx > p.x {
                        inside.toggle()
                    } else if ux <= p.x && lx <= p.x {
                        // entirely west of (or through) p: the crossing is not east of p
                    } else {
                        let lhs = Int128(ux - lx) * Int128(p.y - ly)
                        let rhs = Int128(uy - ly) * Int128(p.x - lx)
                        if lhs > rhs { inside.toggle() }
                    }
                }
                i += 1
            }
            r += 1
        }
        return inside
    }

    public func locate(_ c: Coordinate) -> PointLocation { locate(Lattice.snap(c)) }

    public func locate(_ p: LatticePoint) -> PointLocation {
        guard p.x >= minX, p.x <= maxX, p.y >= minY, p.y <= maxY else { return .exterior }
        for r in 0..<(ringStarts.count - 1) {
            for i in ringStarts[r]..<(ringStarts[r + 1] - 1) {
                let a = LatticePoint(x: xs[i], y: ys[i]), b = LatticePoint(x: xs[i + 1], y: ys[i + 1])
                if Lattice.isOnSegment(p, a, b) { return .boundary }
            }
        }
        return contains(p) ? .interior : .exterior
    }

    /// The edges as lattice segments (used by the raster index).
    func forEachEdge(_ body: (LatticePoint, LatticePoint) -> Void) {
        for r in 0..<(ringStarts.count - 1) {
            for i in ringStarts[r]..<(ringStarts[r + 1] - 1) {
                body(LatticePoint(x: xs[i], y: ys[i]), LatticePoint(x: xs[i + 1], y: ys[i + 1]))
            }
        }
    }

    /// The x positions where the rings cross the horizontal line y (half-open in y), unsorted.
    func crossings(atY y: Int64, into result: inout [Int64]) {
        for r in 0..<(ringStarts.count - 1) {
            for i in ringStarts[r]..<(ringStarts[r + 1] - 1) {
                let ay = ys[i], by = ys[i + 1]
                if (ay <= y) != (by <= y) {
                    let ax = Double(xs[i]), bx = Double(xs[i + 1])
                    let t = Double(y - ay) / Double(by - ay)
                    result.append(Int64((ax + (bx - ax) * t).rounded()))
                }
            }
        }
    }
}
