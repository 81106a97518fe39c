"""The whole loop through the pages while the district cockpit watches on a wall screen: a resident
reports a problem on the residents' page; the dispatcher registers and dispatches it on the
workbench; the department accepts and reports it handled; the grid worker re-inspects and closes it
on his phone page; the resident rates it with the tracking code. The cockpit, open in a second
browser the whole time, shows each change live (Server-Sent Events) without being reloaded."""
import os
import tempfile
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from support import SCREENSHOTS, DemoServer, browser, grid_point, sign_in


class CitizenCaseOnTheWall(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = DemoServer()
        cls.wall = browser()
        cls.wall.set_window_size(1920, 1080)
        cls.desk = browser()
        cls.point = grid_point(cls.server, "grid-worker")

    @classmethod
    def tearDownClass(cls):
        cls.wall.quit()
        cls.desk.quit()
        cls.server.stop()

    def wait(self, driver, condition, timeout=30):
        return WebDriverWait(driver, timeout).until(condition)

    def tile(self, key):
        value = self.wall.find_element(By.CSS_SELECTOR, "#tiles .tile[data-key=%s] .value" % key).get_attribute("data-value")
        return float(value) if value else None

    def backlog(self, key):
        return int(self.wall.find_element(By.CSS_SELECTOR, "#backlog [data-key=%s] b" % key).text.replace(",", ""))

    def feed_says(self, number, words):
        """The newest feed line of the case contains `words`."""
        def check(driver):
            lines = driver.find_elements(By.CSS_SELECTOR, "#feed li[data-number='%s'] strong" % number)
            return lines and words in lines[0].text
        return check

    def workbench_step(self, username, queue, number, action, fill=None):
        sign_in(self.desk, self.server, "/workbench.html", username, EC.text_to_be_present_in_element((By.ID, "who"), username))
        if queue:
            self.desk.find_element(By.CSS_SELECTOR, "#queues button[data-queue=%s]" % queue).click()
        self.wait(self.desk, EC.element_to_be_clickable((By.CSS_SELECTOR, "#list button[data-number='%s']" % number))).click()
        self.wait(self.desk, lambda d: d.find_element(By.ID, "case").get_attribute("data-number") == number)
        self.take(action, fill)

    def take(self, action, fill=None):
        self.wait(self.desk, EC.element_to_be_clickable((By.CSS_SELECTOR, "#case .actions button[data-action='%s']" % action))).click()
        form = self.wait(self.desk, EC.visibility_of_element_located((By.CSS_SELECTOR, "#step-form[data-action='%s']" % action)))
        if fill:
            fill(form)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait(self.desk, EC.text_to_be_present_in_element((By.ID, "case"), "已完成"))

    def test_a_residents_report_goes_around_the_loop_and_the_cockpit_follows_it_live(self):
        # The wall: the district cockpit, signed in as the district administrator.
        sign_in(self.wall, self.server, "/cockpit.html", "admin", lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-first-render]"))
        # Signed in: a fresh navigation measures what the wall screen waits for after a restart.
        self.wall.refresh()
        self.wait(self.wall, lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-first-render]"))
        self.wait(self.wall, lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "open")
        self.wall.execute_script("window.journeyMarker = 'same page'")
        reported_before = self.tile("reported")
        open_before = self.backlog("open")
        print("\ncockpit: first render %s ms after navigation" % self.wall.find_element(By.TAG_NAME, "body").get_attribute("data-first-render"))

        # The resident reports on the residents' page.
        self.desk.get(self.server.base + "/report.html")
        self.wait(self.desk, lambda d: d.execute_script("return !!window.citybrainReport"))
        self.desk.find_element(By.ID, "description").send_keys("楼道口垃圾堆放多日（全流程测试）")
        self.desk.execute_script("window.citybrainReport.choose(arguments[0], arguments[1])", *self.point)
        photo = os.path.join(tempfile.mkdtemp(), "photo.jpg")
        with open(photo, "wb") as f:
            f.write(bytes([0xFF, 0xD8, 0xFF, 0xE0]) + b"journey photo")
        self.desk.find_element(By.ID, "photo").send_keys(photo)
        self.desk.find_element(By.ID, "submit-report").click()
        self.wait(self.desk, EC.visibility_of_element_located((By.ID, "receipt")))
        code = self.desk.find_element(By.ID, "tracking-code").text
        number = self.desk.find_element(By.ID, "case-number").text

        # The wall shows it at once in the feed, then in its tiles and backlog.
        self.wait(self.wall, self.feed_says(number, "新上报"))
        self.wait(self.wall, lambda d: self.tile("reported") == (reported_before or 0) + 1)
        self.wait(self.wall, lambda d: self.backlog("open") == open_before + 1)
        self.wall.save_screenshot(os.path.join(SCREENSHOTS, "cockpit-live-report.png"))

        # The command centre registers (choosing the class the resident could not) and dispatches.
        self.workbench_step("dispatcher", "reported", number, "register",
                            lambda form: Select(form.find_element(By.ID, "step-classCode")).select_by_value("E0102"))
        self.wait(self.wall, self.feed_says(number, "立案"))
        self.take("dispatch", lambda form: self.assertEqual(
            Select(form.find_element(By.ID, "step-department")).first_selected_option.get_attribute("value"), "urban-management"))
        self.wait(self.wall, self.feed_says(number, "派遣"))

        # The department accepts and reports it handled.
        self.workbench_step("handler", None, number, "accept")
        self.wait(self.wall, self.feed_says(number, "签收"))
        self.take("report-handled", lambda form: form.find_element(By.ID, "step-note").send_keys("已清运完毕"))
        self.wait(self.wall, self.feed_says(number, "处置反馈"))

        # The grid worker re-inspects on his phone page and closes it.
        self.desk.set_window_size(390, 844)
        sign_in(self.desk, self.server, "/gridworker.html", "grid-worker", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#class option")) > 10)
        task = self.wait(self.desk, EC.visibility_of_element_located((By.CSS_SELECTOR, "#tasks article[data-number='%s']" % number)))
        task.find_element(By.TAG_NAME, "textarea").send_keys("复查已干净")
        task.find_element(By.CSS_SELECTOR, "button[value=pass]").click()
        self.wait(self.desk, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#tasks article[data-number='%s']" % number), "已结案"))
        self.wait(self.wall, self.feed_says(number, "核查"))
        self.desk.set_window_size(1366, 900)

        # The resident rates it with the tracking code.
        self.desk.delete_all_cookies()
        self.desk.get(self.server.base + "/report.html")
        self.desk.find_element(By.ID, "code").send_keys(code)
        self.desk.find_element(By.CSS_SELECTOR, "#track-form button[type=submit]").click()
        self.wait(self.desk, EC.text_to_be_present_in_element((By.ID, "case-status"), "已结案"))
        self.desk.find_element(By.CSS_SELECTOR, "#rate-form input[value='5']").click()
        self.desk.find_element(By.CSS_SELECTOR, "#rate-form button[type=submit]").click()
        self.wait(self.desk, EC.text_to_be_present_in_element((By.ID, "case-status"), "已评价"))

        # The wall saw every step, and the case has left the backlog.
        self.wait(self.wall, self.feed_says(number, "评价"))
        self.wait(self.wall, lambda d: self.backlog("open") == open_before)
        lines = [li.text for li in self.wall.find_elements(By.CSS_SELECTOR, "#feed li[data-number='%s'] strong" % number)]
        for step in ["新上报", "立案", "派遣", "签收", "处置反馈", "核查", "评价"]:
            self.assertTrue(any(step in line for line in lines), (step, lines))
        self.assertEqual(self.wall.execute_script("return window.journeyMarker"), "same page", "the cockpit was never reloaded")
        self.wall.save_screenshot(os.path.join(SCREENSHOTS, "cockpit-district.png"))


if __name__ == "__main__":
    unittest.main()
