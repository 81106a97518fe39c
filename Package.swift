// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "CityBrain",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "citybrain", targets: ["citybrain"]),
        .library(name: "GeoKit", targets: ["GeoKit"]),
        .library(name: "Governance", targets: ["Governance"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/CoreOffice/XMLCoder", from: "0.18.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        // gzip for the API's JSON and GeoJSON (map layers shrink 5–10×); links the system zlib.
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // /metrics in the Prometheus text format.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Geometry, GeoJSON, spatial indexes and datum transforms: standard library and Foundation only.
        .target(name: "GeoKit"),
        // Reading the files departments send: CSV (and later XLSX), with encodings and positions in errors.
        .target(name: "DataFiles", dependencies: [
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "XMLCoder", package: "XMLCoder"),
        ]),
        // The domain: regions, grids, grid workers and the store protocols ("ports") it needs.
        // swift-crypto: the audit trail's hash chain, token hashes; bcrypt (hummingbird-auth) for passwords.
        .target(name: "Governance", dependencies: [
            "GeoKit", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
        ]),
        // The embedded default store.
        .target(
            name: "SQLiteStore",
            dependencies: [
                "Governance", "GeoKit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // HTTP API and web UI; never imports a database driver.
        .target(
            name: "Server",
            dependencies: [
                "Governance", "GeoKit", "DataFiles",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Public"), .copy("openapi.json")]
        ),
        // The deterministic synthetic demo district inside the real outline of 余杭区.
        .target(name: "DemoData", dependencies: ["Governance", "GeoKit"], resources: [.copy("Resources")]),
        // PostgreSQL with PostGIS, for a city and several instances (issue 7: territory, settings and audit so far).
        .target(
            name: "PostgresStore",
            dependencies: [
                "Governance", "GeoKit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // One behaviour suite that every store implementation must pass.
        .target(name: "StoreTestSupport", dependencies: ["Governance", "GeoKit"]),
        .executableTarget(
            name: "citybrain",
            dependencies: [
                "GeoKit", "Governance", "SQLiteStore", "PostgresStore", "Server", "DemoData", "DataFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // Only for the bare-insert baseline of `bench registries`, and the primitives of `bench seal`.
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "GeoKitTests", dependencies: ["GeoKit"]),
        .testTarget(name: "DataFilesTests", dependencies: ["DataFiles", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .testTarget(name: "GovernanceTests", dependencies: ["Governance", "GeoKit", "DemoData", "SQLiteStore"]),
        .testTarget(name: "SQLiteStoreTests", dependencies: ["SQLiteStore", "StoreTestSupport", "Governance", "GeoKit"]),
        // Against a real server: scripts/test starts a throwaway cluster (scripts/with-postgres).
        .testTarget(name: "PostgresStoreTests", dependencies: ["PostgresStore", "StoreTestSupport", "Governance", "GeoKit",
                                                               .product(name: "PostgresNIO", package: "postgres-nio")]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "SQLiteStore", "Governance", "GeoKit", "DemoData",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        .testTarget(name: "DemoDataTests", dependencies: ["DemoData", "Governance", "GeoKit"]),
        // Runs the built `citybrain` binary as a user would.
        .testTarget(name: "CLITests", dependencies: ["citybrain", "GeoKit", "Governance", "SQLiteStore", "PostgresStore", "DemoData"]),
    ]
)
