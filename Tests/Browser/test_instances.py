"""Two `citybrain serve` processes on one PostgreSQL database, as behind a load balancer: a browser
signed in through one instance is signed in on the other; the district cockpit open on one instance
shows live what is reported and registered through the other (LISTEN/NOTIFY between the instances,
Server-Sent Events to the browser)."""
import os
import unittest

from selenium.webdriver.common.by import By

from support import SCREENSHOTS, PageTest, PostgresDemoServer, Staff, browser, grid_point, sign_in


class TwoInstances(PageTest):
    @classmethod
    def setUpClass(cls):
        cls.server = PostgresDemoServer()
        _, cls.other = cls.server.serve()
        cls.browser = browser()
        cls.browser.set_window_size(1920, 1080)

    def test_the_cockpit_on_one_instance_follows_reports_made_through_the_other(self):
        # Signed in on the first instance: the session is the database's, so the second knows it.
        sign_in(self.browser, self.server, "/cockpit.html", "admin", lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-first-render]"))
        self.browser.get(self.other + "/cockpit.html")
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-first-render]"))
        self.assertFalse(self.browser.find_element(By.ID, "login-form").is_displayed(), "the second instance asked to sign in again")
        self.wait(lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "open")

        # A dispatcher working through the first instance reports and registers a case.
        desk = Staff(self.server, "admin")  # the server's base is the first instance
        latitude, longitude = grid_point(self.server, "grid-worker")
        case = desk.call("POST", "/api/v1/cases", {"source": "hotline", "classCode": "E0102", "description": "两个实例之间的实时动态",
                                                   "location": {"longitude": longitude, "latitude": latitude}})["case"]
        number = case["number"]

        def feed_says(words):
            def check(driver):
                lines = driver.find_elements(By.CSS_SELECTOR, "#feed li[data-number='%s'] strong" % number)
                return lines and words in lines[0].text
            return check

        self.wait(feed_says("新上报"))
        desk.step(number, "register")
        self.wait(feed_says("立案"))
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, "instances-cockpit.png"))


if __name__ == "__main__":
    unittest.main()
