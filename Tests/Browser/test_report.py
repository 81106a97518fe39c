"""The residents' page in a real browser: report a problem with a photo and a place on the map, get
a tracking code, follow the case while staff take it around the loop, and rate it."""
import json
import os
import tempfile
import unittest
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from support import SCREENSHOTS, PageTest, Staff, point_inside


class ReportPage(PageTest):

    def open_page(self):
        self.browser.get(self.server.base + "/report.html")
        self.browser.execute_script("localStorage.clear()")
        self.browser.get(self.server.base + "/report.html")
        # The district and its streets are drawn without any base map.
        self.wait(lambda d: d.execute_script("return window.citybrainReport && Object.keys(window.citybrainReport.map._layers).length > 3"))

    def test_a_resident_reports_follows_and_rates_a_case(self):
        with urllib.request.urlopen(self.server.base + "/api/v1/public/outline?level=grid") as response:
            grids = [f for f in json.load(response)["features"] if f["properties"]["level"] == "grid"]
        lat, lon = point_inside(grids[0])
        self.open_page()
        form = self.browser.find_element(By.ID, "report-form")
        # Nothing filled in: the page says what is missing.
        self.browser.find_element(By.ID, "submit-report").click()
        self.wait(lambda d: d.find_element(By.ID, "report-error").text.strip() != "")
        self.browser.find_element(By.ID, "description").send_keys("小区门口垃圾堆放多日无人清理")
        self.browser.execute_script("window.citybrainReport.choose(arguments[0], arguments[1])", lat, lon)
        self.assertIn("%.6f" % lat, self.browser.find_element(By.ID, "where").text)
        photo = os.path.join(tempfile.mkdtemp(), "photo.jpg")
        with open(photo, "wb") as f:
            f.write(bytes([0xFF, 0xD8, 0xFF, 0xE0]) + b"CityBrain browser test photo")
        self.browser.find_element(By.ID, "photo").send_keys(photo)
        self.browser.find_element(By.ID, "phone").send_keys("13900002222")
        self.browser.find_element(By.ID, "submit-report").click()
        self.wait(EC.visibility_of_element_located((By.ID, "receipt")))
        code = self.browser.find_element(By.ID, "tracking-code").text
        self.assertRegex(code, r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$")
        self.assertFalse(form.is_displayed())
        self.assertEqual(self.browser.find_element(By.ID, "case-status").text, "待立案")
        number = self.browser.find_element(By.ID, "case-number").text
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, "report-received.png"))

        # Staff take it around the loop; the photo and the masked phone are on the case.
        staff = Staff(self.server, "admin")
        timeline = staff.call("GET", "/api/v1/cases/%s/timeline" % number)
        self.assertEqual(len(timeline["events"][0]["attachments"]), 1)
        self.assertEqual(staff.call("GET", "/api/v1/cases/" + number)["contactPhone"], "139****2222")
        staff.step(number, "register", classCode="E0102")
        staff.step(number, "dispatch", department="urban-management")
        staff.step(number, "accept")
        staff.step(number, "report-handled", note="已清运")
        staff.step(number, "inspect", passed=True)

        # The resident follows it with the code (lower case and without dashes work too) and rates it.
        self.open_page()
        self.browser.find_element(By.ID, "code").send_keys(code.lower().replace("-", ""))
        self.browser.find_element(By.CSS_SELECTOR, "#track-form button[type=submit]").click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "case-status"), "已结案"))
        steps = [li.text for li in self.browser.find_elements(By.CSS_SELECTOR, "#steps li")]
        self.assertEqual(len(steps), 6, steps)
        self.assertTrue(steps[-1].endswith("核查"))
        self.browser.find_element(By.CSS_SELECTOR, "#rate-form input[value='5']").click()
        self.browser.find_element(By.ID, "comment").send_keys("处理及时")
        self.browser.find_element(By.CSS_SELECTOR, "#rate-form button[type=submit]").click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "case-status"), "已评价"))
        self.assertIn("非常满意", self.browser.find_element(By.ID, "rated").text)
        self.assertFalse(self.browser.find_element(By.ID, "rate-form").is_displayed())
        self.assertEqual(staff.call("GET", "/api/v1/cases/" + number)["satisfaction"], 5)
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, "report-rated.png"))

    def test_an_unknown_code_and_a_place_outside_the_grids_are_explained(self):
        self.open_page()
        self.browser.find_element(By.ID, "code").send_keys("ZZZZ-ZZZZ-ZZZZ")
        self.browser.find_element(By.CSS_SELECTOR, "#track-form button[type=submit]").click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "track-error"), "未找到"))
        self.browser.find_element(By.ID, "description").send_keys("路灯不亮")
        self.browser.execute_script("window.citybrainReport.choose(31.9, 118.8)")
        self.browser.find_element(By.ID, "submit-report").click()
        # The server's reason ("lies outside every grid") in the resident's words.
        self.wait(lambda d: "不在本区范围内" in d.find_element(By.ID, "report-error").text)


if __name__ == "__main__":
    unittest.main()
