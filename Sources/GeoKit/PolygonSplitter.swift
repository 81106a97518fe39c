/// Cuts simple polygons (without holes) by a straight line.
public enum PolygonSplitter {
    public enum Side: Sendable { case left, right }

    /// The pieces of an open, simple ring on each side of the infinite line through `origin` with
    /// direction (`dx`, `dy`) in degrees. Pieces keep the ring's orientation. Returns `nil` when the
    /// line passes (nearly) through a vertex: the caller moves the line a little and tries again.
    public static func split(
        ring: [Coordinate], origin: Coordinate, dx: Double, dy: Double
    ) -> [(side: Side, ring: [Coordinate])]? {
        let n = ring.count
        guard n >= 3 else { return [] }
        let norm = (dx * dx + dy * dy).squareRoot()
        let ux = dx / norm, uy = dy / norm
        var sides = [Double](repeating: 0, count: n)
        for (i, v) in ring.enumerated() {
            let s = ux * (v.latitude - origin.latitude) - uy * (v.longitude - origin.longitude)
            if abs(s) < 1e-10 { return nil }
            sides[i] = s
        }
        if sides.allSatisfy({ $0 > 0 }) { return [(.left, ring)] }
        if sides.allSatisfy({ $0 < 0 }) { return [(.right, ring)] }

        struct Node { var point: Coordinate; var crossing: Bool; var along: Double }
        var nodes: [Node] = []
        nodes.reserveCapacity(n + 8)
        for i in 0..<n {
            let a = ring[i], b = ring[(i + 1) % n]
            nodes.append(Node(point: a, crossing: false, along: 0))
            let sa = sides[i], sb = sides[(i + 1) % n]
            if (sa > 0) != (sb > 0) {
                let f = sa / (sa - sb)
                let x = Coordinate(
                    longitude: a.longitude + (b.longitude - a.longitude) * f,
                    latitude: a.latitude + (b.latitude - a.latitude) * f)
                let along = (x.longitude - origin.longitude) * ux + (x.latitude - origin.latitude) * uy
                nodes.append(Node(point: x, crossing: true, along: along))
            }
        }
        let crossingIndices = nodes.indices.filter { nodes[$0].crossing }.sorted { nodes[$0].along < nodes[$1].along }
        guard crossingIndices.count % 2 == 0 else { return nil }
        var partner = [Int](repeating: -1, count: nodes.count)
        var k = 0
        while k < crossingIndices.count {
            partner[crossingIndices[k]] = crossingIndices[k + 1]
            partner[crossingIndices[k + 1]] = crossingIndices[k]
            k += 2
        }
        var visited = [Bool](repeating: false, count: nodes.count)
        var pieces: [(side: Side, ring: [Coordinate])] = []
        let m = nodes.count
        var vertexSlot = 0
        for start in nodes.indices where !nodes[start].crossing && !visited[start] {
            var piece: [Coordinate] = []
            var current = start
            var steps = 0
            repeat {
                let node = nodes[current]
                piece.append(node.point)
                if node.crossing {
                    let p = partner[current]
                    piece.append(nodes[p].point)
                    current = (p + 1) % m
                } else {
                    visited[current] = true
                    current = (current + 1) % m
                }
                steps += 1
                if steps > 2 * m { return nil }
            } while current != start
            while vertexSlot < n, ring[vertexSlot] != nodes[start].point { vertexSlot += 1 }
            let side: Side = sides[min(vertexSlot, n - 1)] > 0 ? .left : .right
            pieces.append((side, piece))
        }
        return pieces
    }
}

/// Makes shared boundaries share their vertices.
public enum Noding {
    /// Inserts into every edge of every ring each vertex of any ring that lies on that edge (within
    /// `tolerance` degrees), so that neighbouring polygons cut from the same lines describe their
    /// common boundary with the same vertices (no T-junctions). Rings are open (no closing position).
    public static func insertSharedVertices(into rings: [[Coordinate]], tolerance: Double = 1e-10) -> [[Coordinate]] {
        let cell = 0.002
        var buckets: [Int64: [Coordinate]] = [:]
        var seen = Set<Coordinate>()
        func key(_ cx: Int64, _ cy: Int64) -> Int64 { cx &* 1_000_003 &+ cy }
        func cellOf(_ v: Double) -> Int64 { Int64((v / cell).rounded(.down)) }
        for ring in rings {
            for v in ring where seen.insert(v).inserted {
                buckets[key(cellOf(v.longitude), cellOf(v.latitude)), default: []].append(v)
            }
        }
        return rings.map { ring in
            var result: [Coordinate] = []
            result.reserveCapacity(ring.count)
            for i in 0..<ring.count {
                let a = ring[i], b = ring[(i + 1) % ring.count]
                result.append(a)
                let dx = b.longitude - a.longitude, dy = b.latitude - a.latitude
                let length2 = dx * dx + dy * dy
                guard length2 > 0 else { continue }
                var found: [(Double, Coordinate)] = []
                for cx in cellOf(min(a.longitude, b.longitude) - tolerance)...cellOf(max(a.longitude, b.longitude) + tolerance) {
                    for cy in cellOf(min(a.latitude, b.latitude) - tolerance)...cellOf(max(a.latitude, b.latitude) + tolerance) {
                        guard let candidates = buckets[key(cx, cy)] else { continue }
                        for v in candidates where v != a && v != b {
                            let t = ((v.longitude - a.longitude) * dx + (v.latitude - a.latitude) * dy) / length2
                            guard t > 0, t < 1 else { continue }
                            let distance = abs(dx * (v.latitude - a.latitude) - dy * (v.longitude - a.longitude)) / length2.squareRoot()
                            if distance <= tolerance { found.append((t, v)) }
                        }
                    }
                }
                found.sort { $0.0 < $1.0 }
                result.append(contentsOf: found.map(\.1))
            }
            return result
        }
    }
}
