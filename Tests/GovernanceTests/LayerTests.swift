import Foundation
import GeoKit
@testable import Governance
import SQLiteStore
import Testing

@Suite("Layers")
struct LayerTests {
    @Test("26 built-in layers with unique ids, DOMAIN.md's nine among them")
    func builtIn() {
        #expect(BuiltInLayers.all.count == 26)
        #expect(Set(BuiltInLayers.all.map(\.id)).count == 26)
        for name in ["出租房", "消防重点单位", "安全生产单位", "\u{201C}非法金融\u{201D}风险企业", "寄递网点", "涉恐敏感物资销售单位", "非商品房项目", "教育培训机构", "便民服务企业"] {
            #expect(BuiltInLayers.all.contains { $0.name == name }, "\(name)")
        }
    }

    @Test("administrators define, change and remove layers; built-ins stay")
    func custom() async throws {
        let regions = try await Fixture.service()
        let addresses = AddressService(store: regions.store, regions: regions)
        let vault = PersonalDataVault(.generate())
        let layers = LayerService(store: regions.store, addresses: addresses, vault: vault)
        try await layers.load()
        let petrol = LayerDefinition(id: "petrol-stations", name: "加油站", englishName: "Petrol stations", subject: .place, rule: LayerRule(categories: ["加油站"]))
        try await layers.define(petrol, actor: "tester")
        #expect(layers.definitions.count == 27)
        let reloaded = LayerService(store: regions.store, addresses: addresses, vault: vault)
        try await reloaded.load()
        #expect(reloaded.definition("petrol-stations")?.rule.categories == ["加油站"])
        var changed = petrol
        changed.name = "加油加气站"
        try await layers.define(changed, actor: "tester")
        #expect(layers.definition("petrol-stations")?.name == "加油加气站")
        #expect(try await layers.remove("petrol-stations", actor: "tester"))
        #expect(!(try await layers.remove("petrol-stations", actor: "tester")))
        #expect(layers.definitions.count == 26)
        // Each change to a layer is in the audit trail; removing what is not there is not a change.
        let trail = try await regions.store.auditEntries(from: 1, limit: 100).map { "\($0.record.actor) \($0.record.action) \($0.record.target)" }
        #expect(trail.suffix(3) == ["tester layer.define layer:petrol-stations", "tester layer.define layer:petrol-stations", "tester layer.remove layer:petrol-stations"])
        await #expect(throws: LayerDefinition.Invalid.self) { _ = try await layers.remove("rental-housing", actor: "tester") }
        await #expect(throws: LayerDefinition.Invalid.self) {
            try await layers.define(LayerDefinition(id: "rental-housing", name: "x", englishName: "x", subject: .house, rule: LayerRule()), actor: "tester")
        }
        await #expect(throws: LayerDefinition.Invalid.self) {
            try await layers.define(LayerDefinition(id: "bad id!", name: "x", englishName: "x", subject: .house, rule: LayerRule()), actor: "tester")
        }
        await #expect(throws: LayerDefinition.Invalid.self) {
            try await layers.define(LayerDefinition(id: "odd", name: "x", englishName: "x", subject: .address, rule: LayerRule(tags: ["t"])), actor: "tester")
        }
    }
}
