import GeoKit

/// Deterministic pseudo-random numbers for reproducible tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Test geometry on the exact lattice: integer offsets (in lattice units of 1e-9°) from (120°, 30°).
enum LatticeShapes {
    static let baseX: Int64 = 120_000_000_000
    static let baseY: Int64 = 30_000_000_000

    static func coordinate(_ x: Int64, _ y: Int64) -> Coordinate {
        Coordinate(longitude: Double(baseX + x) / 1e9, latitude: Double(baseY + y) / 1e9)
    }

    /// A star-shaped simple polygon around (cx, cy) with integer vertices.
    static func star(cx: Int64, cy: Int64, vertices: Int, radius: ClosedRange<Double>, using g: inout SeededGenerator) -> [(Int64, Int64)] {
        var points: [(Int64, Int64)] = []
        for i in 0..<vertices {
            let angle = (Double(i) + Double.random(in: 0.1...0.9, using: &g)) / Double(vertices) * 2 * .pi
            let r = Double.random(in: radius, using: &g)
            let p = (cx + Int64((r * cos(angle)).rounded()), cy + Int64((r * sin(angle)).rounded()))
            if points.last.map({ $0 != p }) ?? true { points.append(p) }
        }
        return points
    }

    static func polygon(_ exterior: [(Int64, Int64)], holes: [[(Int64, Int64)]] = []) -> Polygon {
        Polygon(exterior.map { coordinate($0.0, $0.1) }, holes: holes.map { $0.map { coordinate($0.0, $0.1) } })
    }
}

import Foundation

/// An independent reference for the half-open rule: the point is moved by (ε, δ) with δ ≪ ε, made
/// concrete by scaling the lattice by 2^20 and moving the point by (2^10, 1). For integer shapes
/// spanning less than ~1,000 units the moved point lies on no edge and its horizontal ray through
/// no vertex, so a textbook crossing count is exact.
enum ReferencePointInPolygon {
    static func contains(_ rings: [[(Int64, Int64)]], _ p: (Int64, Int64)) -> Bool {
        let m: Int64 = 1 << 20
        let px = p.0 * m + 1024, py = p.1 * m + 1
        var inside = false
        for ring in rings {
            for i in 0..<ring.count {
                let a = (ring[i].0 * m, ring[i].1 * m)
                let b = (ring[(i + 1) % ring.count].0 * m, ring[(i + 1) % ring.count].1 * m)
                if (a.1 > py) != (b.1 > py) {
                    // x of the crossing compared to px, as exact rationals: xa + (py - ya)(xb - xa)/(yb - ya) > px
                    let num = Int128(py - a.1) * Int128(b.0 - a.0)
                    let den = Int128(b.1 - a.1)
                    let lhs = Int128(a.0 - px) * den + num
                    if (den > 0 && lhs > 0) || (den < 0 && lhs < 0) { inside.toggle() }
                }
            }
        }
        return inside
    }

    static func onBoundary(_ rings: [[(Int64, Int64)]], _ p: (Int64, Int64)) -> Bool {
        for ring in rings {
            for i in 0..<ring.count {
                let a = ring[i], b = ring[(i + 1) % ring.count]
                let cross = Int128(b.0 - a.0) * Int128(p.1 - a.1) - Int128(b.1 - a.1) * Int128(p.0 - a.0)
                let dot1 = Int128(p.0 - a.0) * Int128(b.0 - a.0) + Int128(p.1 - a.1) * Int128(b.1 - a.1)
                let dot2 = Int128(p.0 - b.0) * Int128(a.0 - b.0) + Int128(p.1 - b.1) * Int128(a.1 - b.1)
                if cross == 0 && dot1 >= 0 && dot2 >= 0 { return true }
            }
        }
        return false
    }
}
