import Governance
import Testing

@Suite("Address texts as hotline tickets and site offices write them")
struct AddressTicketTextTests {
    @Test("3#楼 and 3# are building 3; contact details after the address are cut off")
    func ticketTexts() {
        let expected = AddressNormalizer.normalize("迎宾路123号星河苑3幢2单元301室")
        for text in ["迎宾路123号星河苑3#楼2单元301室", "迎宾路123号星河苑3#2单元301室", "迎宾路123号星河苑三#楼2单元301室", "迎宾路123号星河苑３＃栋2单元301室",
                     "迎宾路123号星河苑3幢2单元301室 联系电话13812345678", "迎宾路123号星河苑3幢2单元301室，电话：0571-88812345",
                     "迎宾路123号星河苑3幢2单元301室 张先生", "迎宾路123号星河苑3幢2单元301室 王女士 13912345678",
                     "迎宾路123号星河苑3幢2单元301室（联系人：李师傅，手机15812345678）", "迎宾路123号星河苑3幢2单元301室 13812345678"] {
            #expect(AddressNormalizer.normalize(text) == expected, "\(text) → \(AddressNormalizer.normalize(text))")
        }
        // Long house numbers are not phones; 5-2-301 stays building, unit and room.
        #expect(AddressNormalizer.normalize("迎宾路1234号") == "迎宾路1234号")
        #expect(AddressNormalizer.normalize("星河苑5-2-301") == "星河苑5幢2单元301室")
    }
}
