"""The case workbench in a real browser: a grid worker's report is registered and dispatched by the
dispatcher, accepted and handled by the department, re-inspected and closed by the grid worker —
each through the page as its own account; a step based on an old version is explained."""
import os
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from support import SCREENSHOTS, PageTest, Staff, grid_point, sign_in


class Workbench(PageTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.point = grid_point(cls.server, "grid-worker")

    def sign_in(self, username):
        sign_in(self.browser, self.server, "/workbench.html", username, EC.text_to_be_present_in_element((By.ID, "who"), username))

    def report(self, description):
        lat, lon = self.point
        worker = Staff(self.server, "grid-worker")
        return worker.call("POST", "/api/v1/cases", {"source": "patrol", "classCode": "E0102", "description": description,
                                                    "location": {"latitude": lat, "longitude": lon}})["case"]["number"]

    def open_from_queue(self, queue, number):
        self.browser.find_element(By.CSS_SELECTOR, "#queues button[data-queue=%s]" % queue).click()
        item = self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, "#list button[data-number='%s']" % number)))
        item.click()
        self.wait(lambda d: d.find_element(By.ID, "case").get_attribute("data-number") == number)

    def take(self, action, fill=None):
        self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, "#case .actions button[data-action='%s']" % action))).click()
        form = self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, "#step-form[data-action='%s']" % action)))
        if fill:
            fill(form)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def status(self):
        return self.browser.find_element(By.CSS_SELECTOR, "#case dl dd").text

    def test_a_case_goes_around_the_loop_through_the_workbench(self):
        number = self.report("巷口垃圾堆放（工作台测试）")
        self.sign_in("dispatcher")
        self.open_from_queue("reported", number)
        # The grid worker may not register: the dispatcher sees register among his steps.
        buttons = [b.get_attribute("data-action") for b in self.browser.find_elements(By.CSS_SELECTOR, "#case .actions button")]
        self.assertEqual(buttons[:3], ["register", "reject", "merge"])
        self.take("register", lambda form: self.assertEqual(Select(form.find_element(By.ID, "step-classCode")).first_selected_option.get_attribute("value"), "E0102"))
        self.wait(EC.text_to_be_present_in_element((By.ID, "case"), "已完成：立案"))
        self.assertEqual(self.status(), "待派遣")
        # The routing table's proposal is preselected.
        self.take("dispatch", lambda form: self.assertEqual(Select(form.find_element(By.ID, "step-department")).first_selected_option.get_attribute("value"), "urban-management"))
        self.wait(EC.text_to_be_present_in_element((By.ID, "case"), "已完成：派遣"))
        self.assertEqual(self.status(), "待签收")
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, "workbench-dispatcher.png"))

        self.sign_in("handler")
        self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, "#list button[data-number='%s']" % number))).click()
        self.wait(lambda d: d.find_element(By.ID, "case").get_attribute("data-number") == number)
        self.take("accept")
        self.wait(EC.text_to_be_present_in_element((By.ID, "case"), "已完成：签收"))
        self.take("report-handled", lambda form: form.find_element(By.ID, "step-note").send_keys("已清运完毕"))
        self.wait(EC.text_to_be_present_in_element((By.ID, "case"), "已完成：处置反馈"))
        self.assertEqual(self.status(), "待核查")

        self.sign_in("grid-worker")
        self.open_from_queue("handled", number)
        self.take("inspect", lambda form: form.find_element(By.ID, "step-note").send_keys("现场已干净"))
        self.wait(EC.text_to_be_present_in_element((By.ID, "case"), "已完成：核查"))
        self.assertEqual(self.status(), "已结案")
        steps = [li.text for li in self.browser.find_elements(By.CSS_SELECTOR, "#timeline li")]
        self.assertEqual(len(steps), 6, steps)
        self.assertIn("已清运完毕", steps[4])
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, "workbench-closed.png"))

    def test_a_step_on_an_outdated_case_is_explained_and_the_case_reloaded(self):
        number = self.report("并发测试案件")
        self.sign_in("dispatcher")
        self.open_from_queue("reported", number)
        # Someone else registers it: the open case follows live, without a click.
        self.wait(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-live") == "open")
        Staff(self.server, "admin").step(number, "register")
        self.wait(lambda d: self.status() == "待派遣")
        # The dispatcher is filling in the dispatch when someone else dispatches: explained, and reloaded.
        self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, "#case .actions button[data-action='dispatch']"))).click()
        form = self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, "#step-form[data-action='dispatch']")))
        Staff(self.server, "admin").step(number, "dispatch", department="urban-management")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "case"), "已被他人处理"))
        self.assertEqual(self.status(), "待签收")
        # A step that needs a reason says so.
        other = self.report("缺少理由测试案件")
        self.open_from_queue("reported", other)
        self.take("reject")
        self.wait(lambda d: "reason" in d.find_element(By.CSS_SELECTOR, "#step-form .error").text)

if __name__ == "__main__":
    unittest.main()
