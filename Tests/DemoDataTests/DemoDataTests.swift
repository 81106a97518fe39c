import Foundation
import GeoKit
import Governance
import Testing
@testable import DemoData

@Suite("Demo district")
struct DemoDataTests {
    @Test("tiny and small presets pass the import validation without errors or gaps", arguments: [DemoPreset.tiny, .small])
    func validates(preset: DemoPreset) throws {
        let demo = try DemoDistrictGenerator(preset: preset).generate()
        let report = RegionValidator().validate(demo.regions, against: RegionCatalog.empty.territory())
        #expect(report.errors.isEmpty, "\(report.errors.prefix(5))")
        // Gaps only where a street is not populated in this preset.
        let gapCodes = Set(report.warnings.filter { $0.kind == .gap }.compactMap(\.code))
        #expect(gapCodes.allSatisfy { code in demo.regions.contains { $0.code.rawValue == code && $0.code.level == .street } == false })
    }

    @Test("the same seed gives the same district; another seed another")
    func deterministic() throws {
        let a = try DemoDistrictGenerator(preset: .tiny, seed: 1).generate()
        let b = try DemoDistrictGenerator(preset: .tiny, seed: 1).generate()
        let c = try DemoDistrictGenerator(preset: .tiny, seed: 2).generate()
        #expect(a.regions.map(\.geometry) == b.regions.map(\.geometry))
        #expect(a.gridWorkers == b.gridWorkers)
        #expect(a.regions.map(\.geometry) != c.regions.map(\.geometry))
    }

    @Test("codes follow the national rules and grids are numbered north to south, west to east")
    func codes() throws {
        let demo = try DemoDistrictGenerator(preset: .small).generate()
        #expect(demo.districtCode.rawValue == "330110000000")
        #expect(demo.count(.street) == 20)
        let streets = demo.regions.filter { $0.code.level == .street }
        #expect(streets.first { $0.name == "塘栖镇" }?.code.townshipKind == .town)
        #expect(streets.first { $0.name == "临平街道" }?.code.rawValue == "330110001000")
        for g in demo.regions where g.code.level == .grid {
            #expect(g.code.rawValue.count == 14)
            #expect(g.parentCode?.level == .community)
            #expect(g.code.rawValue.hasPrefix(g.parentCode!.rawValue))
        }
        // Grid 01 of each community lies no further south than the community's last grid.
        let grids = demo.regions.filter { $0.code.level == .grid }
        for (_, members) in Dictionary(grouping: grids, by: \.parentCode) where members.count > 1 {
            let sorted = members.sorted { $0.code < $1.code }
            #expect(sorted.first!.geometry.representativePoint!.latitude >= sorted.last!.geometry.representativePoint!.latitude - 0.02)
        }
    }

    @Test("every grid has a worker and every worker a grid")
    func workers() throws {
        let demo = try DemoDistrictGenerator(preset: .small).generate()
        let grids = Set(demo.regions.filter { $0.code.level == .grid }.map(\.code))
        let covered = Set(demo.gridWorkers.flatMap(\.gridCodes))
        #expect(covered == grids)
        #expect(demo.gridWorkers.allSatisfy { !$0.gridCodes.isEmpty && $0.phone != nil })
        #expect(Set(demo.gridWorkers.map(\.code)).count == demo.gridWorkers.count)
        #expect(demo.gridWorkers.count == DemoPreset.small.workerCount(grids: grids.count))
    }

    @Test("the district preset has the figures of DOMAIN.md and validates", .timeLimit(.minutes(5)))
    func districtPreset() throws {
        let demo = try DemoDistrictGenerator(preset: .district).generate()
        #expect(demo.count(.street) == 20)
        #expect(demo.count(.community) == 344)
        #expect(demo.count(.grid) == 1476)
        #expect(demo.gridWorkers.count == 1575)
        let report = RegionValidator().validate(demo.regions, against: RegionCatalog.empty.territory())
        #expect(report.errors.isEmpty, "\(report.errors.prefix(5))")
        #expect(report.warnings.isEmpty, "\(report.warnings.prefix(5))")
        // The district's area is the real one (余杭区 before 2021: about 1,220 km²).
        let district = demo.regions.first { $0.code.level == .district }!
        #expect(abs(district.geometry.area / 1e6 - 1222) < 10)
    }

    @Test("chinese numerals")
    func numerals() {
        #expect(chineseNumeral(1) == "一")
        #expect(chineseNumeral(10) == "十")
        #expect(chineseNumeral(12) == "十二")
        #expect(chineseNumeral(20) == "二十")
        #expect(chineseNumeral(35) == "三十五")
    }
}

@Suite("Demo registries")
struct DemoRegistryTests {
    func generate(seed: UInt64 = 20_190_101) throws -> [RegistryKind: [RegistryEntry]] {
        let district = try DemoDistrictGenerator(preset: .tiny, seed: seed).generate()
        let library = DemoAddressGenerator(district: district).generate()
        let generator = DemoRegistryGenerator(district: district, library: library)
        let allocator = DemoRegistryGenerator.CodeAllocator()
        var all: [RegistryKind: [RegistryEntry]] = [:]
        let time = Date(timeIntervalSince1970: 1_767_196_800)
        for i in 0..<generator.communityCount {
            for (k, v) in generator.records(ofCommunity: i, at: time, allocator: allocator) { all[k, default: []] += v }
        }
        return all
    }

    @Test("every ID number and credit code is valid and unique; every record is at a library address")
    func valid() throws {
        let district = try DemoDistrictGenerator(preset: .tiny).generate()
        let library = DemoAddressGenerator(district: district).generate()
        let codes = Set(library.addresses.map(\.code))
        let all = try generate()
        let people = try #require(all[.person])
        #expect(people.count > library.addresses.count)
        for p in people {
            let id = try CitizenID(p.key)
            #expect(p.fields["sex"] == id.sex.rawValue)
            #expect(codes.contains(p.addressCode))
        }
        #expect(Set(people.map(\.key)).count == people.count)
        let firms = try #require(all[.enterprise])
        for f in firms { #expect(try CreditCode(f.key).warning == nil) }
        #expect(Set(firms.map(\.key)).count == firms.count)
        #expect(all[.house]?.count == library.addresses.count)
        #expect(people.contains { $0.tags.contains("独居老人") })
        #expect(people.contains { $0.fields["residence_type"] == "floating" })
        #expect(!(all[.place] ?? []).isEmpty)
    }

    @Test("the same seed gives the same records")
    func deterministic() throws {
        let a = try generate(), b = try generate()
        #expect(a[.person]?.map(\.key) == b[.person]?.map(\.key))
        #expect(a[.enterprise]?.map(\.fields) == b[.enterprise]?.map(\.fields))
    }
}
