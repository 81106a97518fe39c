import Foundation
import GeoKit
import Governance

/// Synthetic grid workers: every grid has one; the extra staff go to the largest grids; one in
/// twenty also covers the next grid of the same community.
enum GridWorkerRoster {
    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤")
    static let givenCharacters = Array("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽")

    static func make(grids: [(code: RegionCode, area: Double)], count: Int, random: inout DemoRandom) throws -> [GridWorker] {
        guard !grids.isEmpty else { return [] }
        var assignments: [[RegionCode]] = grids.map { [$0.code] }
        let largest = grids.indices.sorted { grids[$0].area > grids[$1].area }
        var k = 0
        while assignments.count < count {
            assignments.append([grids[largest[k % largest.count]].code])
            k += 1
        }
        for i in grids.indices.dropLast() where Int.random(in: 0..<20, using: &random) == 0 {
            let next = grids[i + 1].code
            if next.derivedParent == grids[i].code.derivedParent { assignments[i].append(next) }
        }
        var workers: [GridWorker] = []
        var usedPhones = Set<String>()
        for (n, gridCodes) in assignments.enumerated() {
            let surname = surnames[Int.random(in: 0..<surnames.count, using: &random)]
            let givenLength = Int.random(in: 0..<3, using: &random) == 0 ? 1 : 2
            let given = String((0..<givenLength).map { _ in givenCharacters[Int.random(in: 0..<givenCharacters.count, using: &random)] })
            var phone: String
            repeat {
                let prefix = ["135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "187", "188", "133", "153", "189", "130", "131", "132", "186"].randomElement(using: &random)!
                phone = prefix + String(format: "%08d", Int.random(in: 0..<100_000_000, using: &random))
            } while !usedPhones.insert(phone).inserted
            workers.append(GridWorker(code: String(format: "GW%05d", n + 1), name: String(surname) + given, phone: try PhoneNumber(phone), gridCodes: gridCodes))
        }
        return workers
    }
}
