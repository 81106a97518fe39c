import Foundation
import GeoKit

/// Cuts an area into parts of given relative sizes by recursive straight cuts, the way a planner
/// might divide a map: each cut halves the list of parts, runs across the area's longer dimension,
/// and is placed (by bisection) so that each side gets its share of the area. Among a few angles the
/// cut that leaves the fewest separate pieces wins, so parts stay in one piece where the outline
/// allows.
struct TerritoryPartitioner {
    /// Pieces of one area: open rings, counter-clockwise, no holes.
    typealias Pieces = [[Coordinate]]

    var random: DemoRandom

    mutating func partition(_ pieces: Pieces, weights: [Double]) -> [Pieces] {
        precondition(!weights.isEmpty)
        if weights.count == 1 { return [pieces] }
        let k = weights.count / 2
        let fraction = weights[..<k].reduce(0, +) / weights.reduce(0, +)
        let (first, second) = cut(pieces, fraction: fraction)
        return partition(first, weights: Array(weights[..<k])) + partition(second, weights: Array(weights[k...]))
    }

    /// Splits so that the left side holds `fraction` of the area.
    private mutating func cut(_ pieces: Pieces, fraction: Double) -> (Pieces, Pieces) {
        let all = pieces.flatMap { $0 }
        let box = BoundingBox(covering: all)!
        let k = cos(box.center.latitude * .pi / 180)
        // Cut across the longer dimension: the cut line runs along the shorter one.
        let base: Double = box.width * k > box.height ? 90 : 0
        let jitter = Double.random(in: -12...12, using: &random)
        var best: (pieces: Int, smallest: Double, left: Pieces, right: Pieces)?
        for delta in [0.0, 20, -20, 40, -40] {
            let angle = (base + jitter + delta) * .pi / 180
            // Direction in lon/lat degrees of a line at `angle` from east in metres.
            let dx = cos(angle) / k, dy = sin(angle)
            guard let (left, right) = bisect(pieces, dx: dx, dy: dy, fraction: fraction, box: box) else { continue }
            let total = planarArea(left) + planarArea(right)
            let smallest = (left + right).map { abs(ringArea($0)) }.min()! / total
            let count = left.count + right.count
            if best == nil || count < best!.pieces || (count == best!.pieces && smallest > best!.smallest * 4) {
                best = (count, smallest, left, right)
            }
            if count == 2 && smallest > 0.05 { break }
        }
        guard let best else {
            // Practically unreachable: every angle hit vertices. Give all to one side.
            return (pieces, [])
        }
        return (best.left, best.right)
    }

    private func bisect(_ pieces: Pieces, dx: Double, dy: Double, fraction: Double, box: BoundingBox) -> (Pieces, Pieces)? {
        let centre = box.center
        let norm = (dx * dx + dy * dy).squareRoot()
        // Unit normal pointing to the left of the direction.
        let nx = -dy / norm, ny = dx / norm
        var lo = -Double.infinity, hi = Double.infinity
        for ring in pieces {
            for v in ring {
                let s = (v.longitude - centre.longitude) * nx + (v.latitude - centre.latitude) * ny
                lo = lo == -.infinity ? s : min(lo, s)
                hi = hi == .infinity ? s : max(hi, s)
            }
        }
        let total = planarArea(pieces)
        func split(at offset: Double) -> (Pieces, Pieces)? {
            let origin = Coordinate(longitude: centre.longitude + nx * offset, latitude: centre.latitude + ny * offset)
            var left: Pieces = [], right: Pieces = []
            for ring in pieces {
                guard let parts = PolygonSplitter.split(ring: ring, origin: origin, dx: dx, dy: dy) else { return nil }
                for p in parts {
                    if p.side == .left { left.append(p.ring) } else { right.append(p.ring) }
                }
            }
            return (left, right)
        }
        // Moving the line to the left shrinks the left side.
        var a = lo, b = hi
        for _ in 0..<60 {
            let mid = (a + b) / 2
            guard let (left, _) = split(at: mid) ?? split(at: mid + (b - a) * 1e-6) else { return nil }
            if planarArea(left) / total > fraction { a = mid } else { b = mid }
        }
        var offset = (a + b) / 2
        for attempt in 0..<20 {
            if let result = split(at: offset), !result.0.isEmpty, !result.1.isEmpty { return result }
            offset += (hi - lo) * 1e-7 * Double(attempt + 1) * (attempt % 2 == 0 ? 1 : -1)
        }
        return nil
    }

    private func ringArea(_ ring: [Coordinate]) -> Double { LinearRing(closing: ring).signedPlanarArea }
    private func planarArea(_ pieces: Pieces) -> Double { pieces.reduce(0) { $0 + ringArea($1) } }
}
