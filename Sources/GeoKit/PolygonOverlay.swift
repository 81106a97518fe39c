import Foundation

/// Area overlay of polygons without building the overlay polygons.
///
/// The area of A ∩ B is an integral over its boundary (Green's theorem), and that boundary is made
/// of the pieces of A's edges that lie inside B plus the pieces of B's edges inside A. Each edge is
/// cut where the other polygon's edges cross it, each piece is classified by its midpoint, and the
/// spherical area term of the kept pieces is summed (``SphericalArea`` is additive over edges).
/// Shared edges — the normal case between neighbouring grids — are recognised as collinear overlaps
/// (within ``tolerance`` degrees) and counted once when both polygons run along them in the same
/// direction, and not at all when in opposite directions (the two lie on either side).
public enum PolygonOverlay {
    /// Collinearity tolerance in degrees (≈ 0.1 mm).
    public static let tolerance = 1e-9

    /// Area in m² of the intersection of `a` and `b`.
    public static func intersectionArea(_ a: MultiPolygon, _ b: MultiPolygon) -> Double {
        intersectionArea(Operand(a), Operand(b))
    }

    /// Area in m² of the part of `a` outside `b`.
    public static func differenceArea(_ a: MultiPolygon, _ b: MultiPolygon) -> Double {
        max(0, a.area - intersectionArea(a, b))
    }

    /// A polygon prepared once for many overlays.
    public struct Operand: Sendable {
        let edges: [(Coordinate, Coordinate)]
        let edgeBoxes: [BoundingBox]
        let prepared: PreparedPolygon
        public let boundingBox: BoundingBox?
        public let area: Double
        /// Edges by horizontal band, so that an edge of the other polygon is compared only with
        /// the edges at its latitudes (outlines of real surveys have tens of thousands of vertices).
        let bandOrigin: Double
        let bandHeight: Double
        let bands: [[Int]]

        /// Indexes of the edges whose latitude range may meet [minLatitude, maxLatitude], each once.
        func candidateEdges(_ box: BoundingBox, into result: inout [Int], stamp: inout [Int], round: Int) {
            guard !bands.isEmpty else { return }
            let b0 = max(0, Int(((box.minLatitude - bandOrigin) / bandHeight).rounded(.down)))
            let b1 = min(bands.count - 1, Int(((box.maxLatitude - bandOrigin) / bandHeight).rounded(.down)))
            guard b0 <= b1 else { return }
            for b in b0...b1 {
                for e in bands[b] where stamp[e] != round {
                    stamp[e] = round
                    result.append(e)
                }
            }
        }

        public init(_ m: MultiPolygon) {
            let oriented = m.rightHandOriented
            var edges: [(Coordinate, Coordinate)] = []
            for polygon in oriented.polygons {
                for ring in polygon.rings {
                    let open = Array(ring.openCoordinates)
                    guard open.count >= 3 else { continue }
                    for i in 0..<open.count {
                        let p = open[i], q = open[(i + 1) % open.count]
                        if p != q { edges.append((p, q)) }
                    }
                }
            }
            self.edges = edges
            self.edgeBoxes = edges.map { BoundingBox(covering: [$0.0, $0.1])! }
            self.prepared = PreparedPolygon(oriented)
            self.boundingBox = m.boundingBox
            self.area = m.area
            let box = m.boundingBox ?? BoundingBox(minLongitude: 0, minLatitude: 0, maxLongitude: 0, maxLatitude: 0)
            let count = max(1, Int(Double(edges.count).squareRoot()))
            let height = max(box.height / Double(count), 1e-12)
            var bands = [[Int]](repeating: [], count: edges.isEmpty ? 0 : count)
            for (i, e) in self.edgeBoxes.enumerated() {
                let b0 = max(0, min(count - 1, Int(((e.minLatitude - box.minLatitude) / height).rounded(.down))))
                let b1 = max(0, min(count - 1, Int(((e.maxLatitude - box.minLatitude) / height).rounded(.down))))
                for b in b0...b1 { bands[b].append(i) }
            }
            self.bandOrigin = box.minLatitude
            self.bandHeight = height
            self.bands = bands
        }
    }

    public static func intersectionArea(_ a: Operand, _ b: Operand) -> Double {
        guard let ba = a.boundingBox, let bb = b.boundingBox, ba.intersects(bb) else { return 0 }
        let fromA = boundaryIntegral(of: a, inside: b, keepSameDirectionOverlaps: true)
        let fromB = boundaryIntegral(of: b, inside: a, keepSameDirectionOverlaps: false)
        return max(0, fromA + fromB)
    }

    private static func boundaryIntegral(of subject: Operand, inside other: Operand, keepSameDirectionOverlaps: Bool) -> Double {
        guard let otherBox = other.boundingBox else { return 0 }
        let window = otherBox.expanded(byMetres: 1)
        var total = 0.0
        var cuts: [Double] = []
        var overlaps: [(t0: Double, t1: Double, same: Bool)] = []
        var candidates: [Int] = []
        var stamp = [Int](repeating: -1, count: other.edges.count)
        for (index, (p, q)) in subject.edges.enumerated() {
            let box = subject.edgeBoxes[index]
            guard box.intersects(window) else { continue }
            candidates.removeAll(keepingCapacity: true)
            // Grown by the collinearity tolerance so that touching edges are found.
            let probe = BoundingBox(minLongitude: box.minLongitude - tolerance, minLatitude: box.minLatitude - tolerance,
                                    maxLongitude: box.maxLongitude + tolerance, maxLatitude: box.maxLatitude + tolerance)
            other.candidateEdges(probe, into: &candidates, stamp: &stamp, round: index)
            cuts.removeAll(keepingCapacity: true)
            overlaps.removeAll(keepingCapacity: true)
            cuts.append(0)
            cuts.append(1)
            let dx = q.longitude - p.longitude, dy = q.latitude - p.latitude
            let length = (dx * dx + dy * dy).squareRoot()
            for j in candidates where other.edgeBoxes[j].intersects(probe) {
                let (r, s) = other.edges[j]
                let ex = s.longitude - r.longitude, ey = s.latitude - r.latitude
                let otherLength = (ex * ex + ey * ey).squareRoot()
                // Distances of each segment's ends from the other's line.
                let dr = (dx * (r.latitude - p.latitude) - dy * (r.longitude - p.longitude)) / length
                let ds = (dx * (s.latitude - p.latitude) - dy * (s.longitude - p.longitude)) / length
                let dp = (ex * (p.latitude - r.latitude) - ey * (p.longitude - r.longitude)) / otherLength
                let dq = (ex * (q.latitude - r.latitude) - ey * (q.longitude - r.longitude)) / otherLength
                let collinear = (abs(dr) <= tolerance && abs(ds) <= tolerance) || (abs(dp) <= tolerance && abs(dq) <= tolerance)
                if collinear {
                    let tr = ((r.longitude - p.longitude) * dx + (r.latitude - p.latitude) * dy) / (length * length)
                    let ts = ((s.longitude - p.longitude) * dx + (s.latitude - p.latitude) * dy) / (length * length)
                    let t0 = max(0, min(tr, ts)), t1 = min(1, max(tr, ts))
                    if t1 > t0 {
                        overlaps.append((t0, t1, dx * ex + dy * ey > 0))
                        cuts.append(t0)
                        cuts.append(t1)
                    }
                    continue
                }
                let denom = dx * ey - dy * ex
                guard denom != 0 else { continue }
                let wx = r.longitude - p.longitude, wy = r.latitude - p.latitude
                let t = (wx * ey - wy * ex) / denom
                let u = (wx * dy - wy * dx) / denom
                let slackT = tolerance / length, slackU = tolerance / otherLength
                if t > -slackT && t < 1 + slackT && u > -slackU && u < 1 + slackU {
                    cuts.append(min(1, max(0, t)))
                }
            }
            cuts.sort()
            var previous = cuts[0]
            for t in cuts.dropFirst() where t > previous {
                let t0 = previous, t1 = t
                previous = t
                let mid = (t0 + t1) / 2
                let keep: Bool
                if let overlap = overlaps.first(where: { mid >= $0.t0 && mid <= $0.t1 }) {
                    keep = keepSameDirectionOverlaps && overlap.same
                } else {
                    let m = Coordinate(longitude: p.longitude + dx * mid, latitude: p.latitude + dy * mid)
                    keep = other.prepared.locate(m) == .interior
                }
                if keep {
                    let c0 = Coordinate(longitude: p.longitude + dx * t0, latitude: p.latitude + dy * t0)
                    let c1 = Coordinate(longitude: p.longitude + dx * t1, latitude: p.latitude + dy * t1)
                    total += SphericalArea.edgeTerm(c0, c1)
                }
            }
        }
        return total
    }

    /// The union of polygons that meet along exactly shared boundaries (same vertices on both sides),
    /// such as the grids of a community or two districts cut from one survey: every edge that appears
    /// once in each direction is interior and cancels out; what remains is the outline.
    public static func dissolve(_ parts: [MultiPolygon]) -> MultiPolygon {
        struct Edge: Hashable { var a: LatticePoint; var b: LatticePoint }
        var original: [LatticePoint: Coordinate] = [:]
        var edges: [Edge: Int] = [:]
        for part in parts {
            for polygon in part.rightHandOriented.polygons {
                for ring in polygon.rings {
                    let open = Array(ring.openCoordinates)
                    guard open.count >= 3 else { continue }
                    for i in 0..<open.count {
                        let pa = Lattice.snap(open[i]), pb = Lattice.snap(open[(i + 1) % open.count])
                        guard pa != pb else { continue }
                        original[pa] = original[pa] ?? open[i]
                        let reverse = Edge(a: pb, b: pa)
                        if let n = edges[reverse] {
                            edges[reverse] = n > 1 ? n - 1 : nil
                        } else {
                            edges[Edge(a: pa, b: pb), default: 0] += 1
                        }
                    }
                }
            }
        }
        var outgoing: [LatticePoint: [LatticePoint]] = [:]
        for (edge, n) in edges {
            for _ in 0..<n { outgoing[edge.a, default: []].append(edge.b) }
        }
        for key in outgoing.keys { outgoing[key]!.sort() }
        var rings: [[Coordinate]] = []
        for start in outgoing.keys.sorted() {
            while let next = outgoing[start]?.first {
                var path: [LatticePoint] = [start]
                var from = start
                var to = next
                outgoing[from]!.removeFirst()
                while to != start {
                    path.append(to)
                    guard var choices = outgoing[to], !choices.isEmpty else { break }
                    // At a vertex where rings touch, turn as far right as possible.
                    let incoming = from
                    var best = 0
                    if choices.count > 1 {
                        best = choices.indices.min(by: {
                            turnAngle(incoming, to, choices[$0]) < turnAngle(incoming, to, choices[$1])
                        })!
                    }
                    from = to
                    to = choices.remove(at: best)
                    outgoing[from] = choices
                }
                // A traced ring that passes a vertex twice is cut there into simple rings.
                for loop in splitAtRepeatedVertices(path) where loop.count >= 3 {
                    rings.append(loop.map { original[$0]! } + [original[loop[0]]!])
                }
            }
        }
        var exteriors: [(ring: LinearRing, prepared: PreparedPolygon, holes: [LinearRing])] = []
        var holes: [LinearRing] = []
        for r in rings.map({ LinearRing($0) }) {
            if r.isCounterClockwise {
                exteriors.append((r, PreparedPolygon(Polygon(exterior: r)), []))
            } else {
                holes.append(r)
            }
        }
        for hole in holes {
            let probe = hole.openCoordinates.first { c in exteriors.contains { $0.prepared.locate(c) == .interior } }
            if let probe, let i = exteriors.indices.filter({ exteriors[$0].prepared.locate(probe) == .interior })
                .min(by: { abs(exteriors[$0].ring.signedPlanarArea) < abs(exteriors[$1].ring.signedPlanarArea) })
            {
                exteriors[i].holes.append(hole)
            }
        }
        return MultiPolygon(exteriors.map { Polygon(exterior: $0.ring, holes: $0.holes) })
    }

    /// Cuts a closed path (without its closing vertex) into simple loops at every vertex it visits twice.
    static func splitAtRepeatedVertices(_ path: [LatticePoint]) -> [[LatticePoint]] {
        var stack: [LatticePoint] = []
        var position: [LatticePoint: Int] = [:]
        var loops: [[LatticePoint]] = []
        for p in path {
            if let k = position[p] {
                loops.append(Array(stack[k...]))
                for q in stack[(k + 1)...] { position[q] = nil }
                stack.removeSubrange((k + 1)...)
            } else {
                position[p] = stack.count
                stack.append(p)
            }
        }
        loops.append(stack)
        return loops
    }

    /// Signed turn from a→b to b→c in radians: positive left, negative right.
    private static func turnAngle(_ a: LatticePoint, _ b: LatticePoint, _ c: LatticePoint) -> Double {
        let ux = Double(b.x - a.x), uy = Double(b.y - a.y)
        let vx = Double(c.x - b.x), vy = Double(c.y - b.y)
        return atan2(ux * vy - uy * vx, ux * vx + uy * vy)
    }
}
