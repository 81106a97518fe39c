"""The grid worker's phone page in a real browser (a phone-sized window): report from patrol with a
class, a photo and the position; re-inspect what the department reports handled and close it."""
import os
import tempfile
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from support import SCREENSHOTS, PageTest, Staff, grid_point, sign_in


class GridWorkerPage(PageTest):
    window = (390, 844)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.point = grid_point(cls.server, "grid-worker")

    def sign_in(self):
        sign_in(self.browser, self.server, "/gridworker.html", "grid-worker",
                lambda d: len(d.find_elements(By.CSS_SELECTOR, "#class option")) > 10)

    def test_report_from_patrol_and_close_after_reinspection(self):
        self.sign_in()
        # Without a position the page asks for one.
        self.browser.find_element(By.ID, "description").send_keys("巷口垃圾堆放")
        self.browser.find_element(By.ID, "send").click()
        self.wait(lambda d: d.find_element(By.ID, "report-error").text.strip() != "")
        Select(self.browser.find_element(By.ID, "class")).select_by_value("E0102")
        photo = os.path.join(tempfile.mkdtemp(), "patrol.jpg")
        with open(photo, "wb") as f:
            f.write(bytes([0xFF, 0xD8, 0xFF, 0xE0]) + b"patrol photo from the browser test")
        self.browser.find_element(By.ID, "photo").send_keys(photo)
        self.browser.execute_script("window.citybrainGridWorker.setPosition(arguments[0], arguments[1])", *self.point)
        self.browser.find_element(By.ID, "send").click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "reported"), "330110-"))
        number = self.browser.find_element(By.ID, "reported").text.split()[1]
        self.assertIn("待立案", self.browser.find_element(By.ID, "reported").text)
        # My reports lists it; my grids shows the worker's grid with its open cases.
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#mine li[data-number='%s']" % number)))
        territory = self.server.accounts["grid-worker"]["territory"]
        self.assertEqual([li.get_attribute("data-grid") for li in self.browser.find_elements(By.CSS_SELECTOR, "#grids li")], [territory])
        self.assertTrue(self.browser.find_elements(By.CSS_SELECTOR, "#grid-map .leaflet-overlay-pane canvas"))
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, "gridworker-reported.png"))

        staff = Staff(self.server, "admin")
        case = staff.call("GET", "/api/v1/cases/" + number)
        self.assertEqual((case["source"], case["classCode"], case["gridCode"]), ("patrol", "E0102", self.server.accounts["grid-worker"]["territory"]))
        self.assertEqual(len(staff.call("GET", "/api/v1/cases/%s/timeline" % number)["events"][0]["attachments"]), 1)
        staff.step(number, "register")
        staff.step(number, "dispatch", department="urban-management")
        staff.step(number, "accept")
        staff.step(number, "report-handled", note="已清运，现场已冲洗")

        self.sign_in()
        task = self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, "#tasks article[data-number='%s']" % number)))
        self.assertIn("已清运，现场已冲洗", task.text)
        task.find_element(By.TAG_NAME, "textarea").send_keys("复查已干净")
        task.find_element(By.CSS_SELECTOR, "button[value=pass]").click()
        self.wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#tasks article[data-number='%s']" % number), "已结案"))
        self.assertEqual(staff.call("GET", "/api/v1/cases/" + number)["status"], "closed")
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, "gridworker-closed.png"))


if __name__ == "__main__":
    unittest.main()
