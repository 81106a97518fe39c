/// The State Council's holiday arrangements (国务院办公厅关于部分节假日安排的通知) for the years
/// CityBrain ships with: 2023 (国办发明电〔2022〕16号), 2024 (国办发明电〔2023〕7号), 2025 (国办发明电〔2024〕12号) and 2026
/// (published 2025-11-04). Administrators add later years (and local changes) as stored calendar
/// days; years not listed count weekends only.
public enum OfficialHolidays {
    public static let all: [CalendarDay] = arrangements.flatMap { year, holidays, workdays in
        holidays.flatMap { name, first, count in
            (0..<count).map { CalendarDay(day: day(year, first).adding(days: $0), kind: .holiday, name: name) }
        } + workdays.map { name, d in CalendarDay(day: day(year, d), kind: .workday, name: name) }
    }

    /// The years the list covers.
    public static let years = arrangements.map(\.0)

    /// `mmdd`: 1001 is October 1st.
    private static func day(_ year: Int, _ mmdd: Int) -> CivilDay { CivilDay(year: year, month: mmdd / 100, day: mmdd % 100)! }

    /// Per year: holidays as (name, first day, number of days), make-up workdays as (name, day).
    private static let arrangements: [(Int, [(String, Int, Int)], [(String, Int)])] = [
        (2023,
         [("元旦", 101, 2), ("春节", 121, 7), ("清明节", 405, 1), ("劳动节", 429, 5), ("端午节", 622, 3), ("中秋节、国庆节", 929, 8)],
         [("春节调休上班", 128), ("春节调休上班", 129), ("劳动节调休上班", 423), ("劳动节调休上班", 506), ("端午节调休上班", 625),
          ("国庆节调休上班", 1007), ("国庆节调休上班", 1008)]),
        (2024,
         [("元旦", 101, 1), ("春节", 210, 8), ("清明节", 404, 3), ("劳动节", 501, 5), ("端午节", 610, 1),
          ("中秋节", 915, 3), ("国庆节", 1001, 7)],
         [("春节调休上班", 204), ("春节调休上班", 218), ("清明节调休上班", 407), ("劳动节调休上班", 428), ("劳动节调休上班", 511),
          ("中秋节调休上班", 914), ("国庆节调休上班", 929), ("国庆节调休上班", 1012)]),
        (2025,
         [("元旦", 101, 1), ("春节", 128, 8), ("清明节", 404, 3), ("劳动节", 501, 5), ("端午节", 531, 3),
          ("国庆节、中秋节", 1001, 8)],
         [("春节调休上班", 126), ("春节调休上班", 208), ("劳动节调休上班", 427), ("国庆节调休上班", 928), ("国庆节调休上班", 1011)]),
        (2026,
         [("元旦", 101, 3), ("春节", 215, 9), ("清明节", 404, 3), ("劳动节", 501, 5), ("端午节", 619, 3),
          ("中秋节", 925, 3), ("国庆节", 1001, 7)],
         [("元旦调休上班", 104), ("春节调休上班", 214), ("春节调休上班", 228), ("劳动节调休上班", 509), ("国庆节调休上班", 920),
          ("国庆节调休上班", 1010)]),
    ]
}
