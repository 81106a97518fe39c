import Foundation
@testable import GeoKit
import Testing

@Suite("Cluster pyramid: cell-centre placement")
struct ClusterPyramidCellTests {
    @Test("with cell-centre placement every cluster sits at the centre of its own cell, whatever its points")
    func cellCentres() {
        let points = [(Coordinate(longitude: 120.30123, latitude: 30.41987), 1), (Coordinate(longitude: 120.30124, latitude: 30.41988), 2),
                      (Coordinate(longitude: 120.1, latitude: 30.3), 1)]
        let pyramid = ClusterPyramid(points: points.map { ($0.0, $0.1) }, maximumZoom: 14, placement: .cellCentre)
        for zoom in 0...14 {
            let clusters = pyramid.clusters(in: BoundingBox(minLongitude: 119, minLatitude: 29, maxLongitude: 121, maxLatitude: 31), zoom: zoom)
            #expect(clusters.reduce(0) { $0 + $1.count } == 4)
            for c in clusters {
                let cell = ClusterPyramid.cellBox(ClusterPyramid.cell(c.coordinate, zoom: zoom), zoom: zoom)
                #expect(abs(c.coordinate.longitude - (cell.minLongitude + cell.maxLongitude) / 2) < 1e-9)
                #expect(abs(c.coordinate.latitude - (cell.minLatitude + cell.maxLatitude) / 2) < 1e-9)
                #expect(c.box == cell)
                #expect(!points.contains { $0.0 == c.coordinate })
            }
        }
    }
}
