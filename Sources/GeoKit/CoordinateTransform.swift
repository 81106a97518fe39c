import Foundation

/// The coordinate systems met in Chinese government and map data (DOMAIN.md §4).
public enum CoordinateSystem: String, CaseIterable, Sendable, Codable {
    /// GPS, OpenStreetMap.
    case wgs84
    /// 天地图 and national survey data; equal to WGS-84 at metre level, so treated as identical.
    case cgcs2000
    /// Amap (高德), Tencent: the obfuscated national datum.
    case gcj02
    /// Baidu only.
    case bd09
}

/// Conversions between WGS-84/CGCS2000, GCJ-02 and BD-09.
///
/// The forward transforms are the published formulas; the inverses have no closed form and are
/// solved by fixed-point iteration until the forward transform of the answer is within
/// ``inverseTolerance`` of the input (1e-9° ≈ 0.1 mm, well under the required centimetre).
public enum CoordinateTransform {
    static let krasovskySemiMajorAxis = 6_378_245.0
    static let krasovskyEccentricitySquared = 0.00669342162296594323
    static let baiduXPi = Double.pi * 3000.0 / 180.0
    public static let inverseTolerance = 1e-9

    /// Outside this box the GCJ-02 offset is not applied (the published rule).
    public static func isOutsideChina(_ c: Coordinate) -> Bool {
        c.longitude < 72.004 || c.longitude > 137.8347 || c.latitude < 0.8293 || c.latitude > 55.8271
    }

    public static func toWGS84(_ c: Coordinate, from system: CoordinateSystem) -> Coordinate {
        switch system {
        case .wgs84, .cgcs2000: c
        case .gcj02: gcj02ToWGS84(c)
        case .bd09: gcj02ToWGS84(bd09ToGCJ02(c))
        }
    }

    public static func fromWGS84(_ c: Coordinate, to system: CoordinateSystem) -> Coordinate {
        switch system {
        case .wgs84, .cgcs2000: c
        case .gcj02: wgs84ToGCJ02(c)
        case .bd09: gcj02ToBD09(wgs84ToGCJ02(c))
        }
    }

    public static func wgs84ToGCJ02(_ c: Coordinate) -> Coordinate {
        if isOutsideChina(c) { return c }
        let x = c.longitude - 105.0, y = c.latitude - 35.0
        var dLat = offsetLatitude(x, y)
        var dLon = offsetLongitude(x, y)
        let radLat = c.latitude / 180.0 * .pi
        var magic = sin(radLat)
        magic = 1 - krasovskyEccentricitySquared * magic * magic
        let sqrtMagic = sqrt(magic)
        dLat = (dLat * 180.0) / ((krasovskySemiMajorAxis * (1 - krasovskyEccentricitySquared)) / (magic * sqrtMagic) * .pi)
        dLon = (dLon * 180.0) / (krasovskySemiMajorAxis / sqrtMagic * cos(radLat) * .pi)
        return Coordinate(longitude: c.longitude + dLon, latitude: c.latitude + dLat)
    }

    public static func gcj02ToWGS84(_ c: Coordinate) -> Coordinate {
        if isOutsideChina(c) { return c }
        return invert(wgs84ToGCJ02, at: c)
    }

    public static func gcj02ToBD09(_ c: Coordinate) -> Coordinate {
        let x = c.longitude, y = c.latitude
        let z = sqrt(x * x + y * y) + 0.00002 * sin(y * baiduXPi)
        let theta = atan2(y, x) + 0.000003 * cos(x * baiduXPi)
        return Coordinate(longitude: z * cos(theta) + 0.0065, latitude: z * sin(theta) + 0.006)
    }

    public static func bd09ToGCJ02(_ c: Coordinate) -> Coordinate {
        // The customary closed-form approximation as the starting point, then exact iteration.
        let x = c.longitude - 0.0065, y = c.latitude - 0.006
        let z = sqrt(x * x + y * y) - 0.00002 * sin(y * baiduXPi)
        let theta = atan2(y, x) - 0.000003 * cos(x * baiduXPi)
        let start = Coordinate(longitude: z * cos(theta), latitude: z * sin(theta))
        return invert(gcj02ToBD09, at: c, startingFrom: start)
    }

    /// Solves forward(x) = target by x ← x − (forward(x) − target); the transforms are close to a
    /// translation, so this converges in a handful of steps.
    static func invert(
        _ forward: (Coordinate) -> Coordinate, at target: Coordinate, startingFrom start: Coordinate? = nil
    ) -> Coordinate {
        var guess = start ?? target
        for _ in 0..<50 {
            let image = forward(guess)
            let dx = image.longitude - target.longitude, dy = image.latitude - target.latitude
            if abs(dx) < inverseTolerance / 10 && abs(dy) < inverseTolerance / 10 { break }
            guess = Coordinate(longitude: guess.longitude - dx, latitude: guess.latitude - dy)
        }
        return guess
    }

    private static func offsetLatitude(_ x: Double, _ y: Double) -> Double {
        var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
        r += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        r += (20.0 * sin(y * .pi) + 40.0 * sin(y / 3.0 * .pi)) * 2.0 / 3.0
        r += (160.0 * sin(y / 12.0 * .pi) + 320 * sin(y * .pi / 30.0)) * 2.0 / 3.0
        return r
    }

    private static func offsetLongitude(_ x: Double, _ y: Double) -> Double {
        var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
        r += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        r += (20.0 * sin(x * .pi) + 40.0 * sin(x / 3.0 * .pi)) * 2.0 / 3.0
        r += (150.0 * sin(x / 12.0 * .pi) + 300.0 * sin(x / 30.0 * .pi)) * 2.0 / 3.0
        return r
    }
}
