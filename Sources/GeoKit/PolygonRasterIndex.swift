import Foundation

/// Point → polygon in O(1) average time for a set of (mostly non-overlapping) polygons, such as the
/// grids of a district.
///
/// The bounding box is cut into a raster of cells, each pre-classified at build time as empty,
/// wholly inside one polygon, or crossed by at least one polygon edge ("boundary cell", with the
/// list of polygons it touches). A lookup computes the cell from the coordinate; only in boundary
/// cells does it run the exact point-in-polygon test of ``PreparedPolygon`` on the candidates, so the
/// answer is always the exact one under the half-open boundary rule. When polygons overlap (bad
/// data), the candidate with the lowest slot wins, deterministically.
public struct PolygonRasterIndex: Sendable {
    public let polygons: [PreparedPolygon]
    public let columns: Int
    public let rows: Int
    @usableFromInline let originLongitude: Double
    @usableFromInline let originLatitude: Double
    @usableFromInline let inverseCellWidth: Double
    @usableFromInline let inverseCellHeight: Double
    public let cellWidth: Double
    public let cellHeight: Double
    /// 0: no polygon; 1...n: inside slot (value − 1); high bit set: boundary cell, low bits index the candidate lists.
    @usableFromInline let cells: [UInt32]
    @usableFromInline let candidateStarts: [UInt32]
    @usableFromInline let candidates: [UInt32]

    @usableFromInline static let boundaryFlag: UInt32 = 0x8000_0000

    /// - Parameter cellsPerPolygon: raster resolution; more cells mean fewer exact tests and more memory.
    public init(_ polygons: [PreparedPolygon], cellsPerPolygon: Int = 1024, maximumCells: Int = 1 << 23) {
        self.polygons = polygons
        let boxes = polygons.filter { $0.edgeCount > 0 }.map(\.boundingBox)
        guard var box = boxes.first else {
            self.columns = 0
            self.rows = 0
            self.originLongitude = 0
            self.originLatitude = 0
            self.inverseCellWidth = 0
            self.inverseCellHeight = 0
            self.cellWidth = 0
            self.cellHeight = 0
            self.cells = []
            self.candidateStarts = [0]
            self.candidates = []
            return
        }
        for b in boxes.dropFirst() { box = box.union(b) }
        // Square cells in metres: a degree of longitude is shorter than one of latitude.
        let k = max(0.05, cos(box.center.latitude * .pi / 180))
        let widthUnits = max(box.width * k, 1e-7), heightUnits = max(box.height, 1e-7)
        let target = Double(min(maximumCells, max(4096, polygons.count * cellsPerPolygon)))
        let side = sqrt(widthUnits * heightUnits / target)
        let cols = max(1, Int((widthUnits / side).rounded(.up)))
        let rws = max(1, Int((heightUnits / side).rounded(.up)))
        let cw = box.width / Double(cols) * (1 + 1e-9) + 1e-12
        let ch = box.height / Double(rws) * (1 + 1e-9) + 1e-12
        self.columns = cols
        self.rows = rws
        self.originLongitude = box.minLongitude
        self.originLatitude = box.minLatitude
        self.cellWidth = cw
        self.cellHeight = ch
        self.inverseCellWidth = 1 / cw
        self.inverseCellHeight = 1 / ch

        var builder = Builder(
            columns: cols, rows: rws, originLongitude: box.minLongitude, originLatitude: box.minLatitude,
            cellWidth: cw, cellHeight: ch)
        for (slot, polygon) in polygons.enumerated() { builder.markEdges(of: polygon, slot: UInt32(slot)) }
        for (slot, polygon) in polygons.enumerated() { builder.fillInterior(of: polygon, slot: UInt32(slot)) }
        (self.cells, self.candidateStarts, self.candidates) = builder.finish()
    }

    /// The slot of the polygon containing the point, or `nil`.
    @inlinable
    public func slot(containing c: Coordinate) -> Int? {
        let fx = (c.longitude - originLongitude) * inverseCellWidth
        let fy = (c.latitude - originLatitude) * inverseCellHeight
        guard fx >= 0, fy >= 0, fx < Double(columns), fy < Double(rows) else { return nil }
        let v = cells[Int(fy) &* columns &+ Int(fx)]
        if v & Self.boundaryFlag == 0 {
            return v == 0 ? nil : Int(v &- 1)
        }
        let list = Int(v & ~Self.boundaryFlag)
        let p = Lattice.snap(c)
        var k = Int(candidateStarts[list])
        let end = Int(candidateStarts[list + 1])
        while k < end {
            let s = Int(candidates[k])
            if polygons[s].contains(p) { return s }
            k += 1
        }
        return nil
    }

    /// Statistics for benchmarks and tuning.
    public var statistics: (cells: Int, boundaryCells: Int, emptyCells: Int, candidateEntries: Int) {
        var b = 0, e = 0
        for v in cells {
            if v & Self.boundaryFlag != 0 { b += 1 } else if v == 0 { e += 1 }
        }
        return (cells.count, b, e, candidates.count)
    }

    private struct Builder {
        let columns: Int, rows: Int
        let originLongitude: Double, originLatitude: Double
        let cellWidth: Double, cellHeight: Double
        /// -1 empty, -2 boundary, otherwise the owning slot.
        var owner: [Int32]
        var pairs: [UInt64] = []  // cell << 32 | slot

        init(columns: Int, rows: Int, originLongitude: Double, originLatitude: Double, cellWidth: Double, cellHeight: Double) {
            self.columns = columns
            self.rows = rows
            self.originLongitude = originLongitude
            self.originLatitude = originLatitude
            self.cellWidth = cellWidth
            self.cellHeight = cellHeight
            self.owner = Array(repeating: -1, count: columns * rows)
        }

        /// Conservatively marks every cell an edge passes through or near (a thousandth of a cell
        /// around it), so that no cell classified as interior has a boundary within rounding reach.
        mutating func markEdges(of polygon: PreparedPolygon, slot: UInt32) {
            let eps = 1e-3
            polygon.forEachEdge { a, b in
                let ax = (Double(a.x) / Lattice.unitsPerDegree - originLongitude) / cellWidth
                let ay = (Double(a.y) / Lattice.unitsPerDegree - originLatitude) / cellHeight
                let bx = (Double(b.x) / Lattice.unitsPerDegree - originLongitude) / cellWidth
                let by = (Double(b.y) / Lattice.unitsPerDegree - originLatitude) / cellHeight
                let r0 = max(0, Int((min(ay, by) - eps).rounded(.down)))
                let r1 = min(rows - 1, Int((max(ay, by) + eps).rounded(.down)))
                guard r0 <= r1 else { return }
                for r in r0...r1 {
                    // The part of the segment inside the horizontal band of row r (grown by eps).
                    let y0 = Double(r) - eps, y1 = Double(r + 1) + eps
                    var xmin: Double, xmax: Double
                    if ay == by {
                        xmin = min(ax, bx)
                        xmax = max(ax, bx)
                    } else {
                        let t0 = max(0, min(1, (y0 - ay) / (by - ay)))
                        let t1 = max(0, min(1, (y1 - ay) / (by - ay)))
                        let xa = ax + (bx - ax) * t0, xb = ax + (bx - ax) * t1
                        xmin = min(xa, xb)
                        xmax = max(xa, xb)
                    }
                    let c0 = max(0, Int((xmin - eps).rounded(.down)))
                    let c1 = min(columns - 1, Int((xmax + eps).rounded(.down)))
                    guard c0 <= c1 else { continue }
                    for c in c0...c1 {
                        let cell = r * columns + c
                        owner[cell] = -2
                        pairs.append(UInt64(cell) << 32 | UInt64(slot))
                    }
                }
            }
        }

        /// Claims the cells whose centre is inside the polygon and that no edge touches.
        mutating func fillInterior(of polygon: PreparedPolygon, slot: UInt32) {
            let box = polygon.boundingBox
            let r0 = max(0, Int(((box.minLatitude - originLatitude) / cellHeight).rounded(.down)))
            let r1 = min(rows - 1, Int(((box.maxLatitude - originLatitude) / cellHeight).rounded(.down)))
            guard r0 <= r1 else { return }
            var xs: [Int64] = []
            for r in r0...r1 {
                let centreY = originLatitude + (Double(r) + 0.5) * cellHeight
                xs.removeAll(keepingCapacity: true)
                polygon.crossings(atY: Int64((centreY * Lattice.unitsPerDegree).rounded()), into: &xs)
                guard xs.count >= 2 else { continue }
                xs.sort()
                var i = 0
                while i + 1 < xs.count {
                    let left = (Double(xs[i]) / Lattice.unitsPerDegree - originLongitude) / cellWidth - 0.5
                    let right = (Double(xs[i + 1]) / Lattice.unitsPerDegree - originLongitude) / cellWidth - 0.5
                    let c0 = max(0, Int(left.rounded(.up)))
                    let c1 = min(columns - 1, Int(right.rounded(.down)))
                    if c0 <= c1 {
                        for c in c0...c1 {
                            let cell = r * columns + c
                            switch owner[cell] {
                            case -1:
                                owner[cell] = Int32(slot)
                            case -2:
                                // Another polygon's edge crosses a cell wholly inside this one: overlap.
                                pairs.append(UInt64(cell) << 32 | UInt64(slot))
                            case let other:
                                owner[cell] = -2
                                pairs.append(UInt64(cell) << 32 | UInt64(UInt32(other)))
                                pairs.append(UInt64(cell) << 32 | UInt64(slot))
                            }
                        }
                    }
                    i += 2
                }
            }
        }

        mutating func finish() -> ([UInt32], [UInt32], [UInt32]) {
            pairs.sort()
            var cells = [UInt32](repeating: 0, count: owner.count)
            for (i, o) in owner.enumerated() where o >= 0 { cells[i] = UInt32(o) + 1 }
            var starts: [UInt32] = [0]
            var candidates: [UInt32] = []
            candidates.reserveCapacity(pairs.count)
            var i = 0
            while i < pairs.count {
                let cell = Int(pairs[i] >> 32)
                var previous: UInt32?
                while i < pairs.count, Int(pairs[i] >> 32) == cell {
                    let slot = UInt32(truncatingIfNeeded: pairs[i])
                    if slot != previous { candidates.append(slot) }
                    previous = slot
                    i += 1
                }
                cells[cell] = PolygonRasterIndex.boundaryFlag | UInt32(starts.count - 1)
                starts.append(UInt32(candidates.count))
            }
            return (cells, starts, candidates)
        }
    }
}
