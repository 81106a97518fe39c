"""The map page in a real browser: headless Chromium from Debian, driven by Selenium.

Starts `citybrain demo --preset tiny` on a temporary database and a free port, signs in through the
page as each demo account and checks what the map shows; screenshots go to .build/screenshots.
Run by scripts/test (python3 -m unittest discover -s Tests/Browser).
"""
import os
import re
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from support import SCREENSHOTS, DemoServer, browser


class MapPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = DemoServer()
        cls.accounts = cls.server.accounts
        cls.base = cls.server.base
        cls.browser = browser()

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.server.stop()

    def wait(self, condition, timeout=20):
        return WebDriverWait(self.browser, timeout).until(condition)

    def open_signed_out(self):
        self.browser.delete_all_cookies()
        self.browser.get(self.base + "/")
        self.browser.execute_script("localStorage.clear()")
        self.browser.get(self.base + "/")
        return self.wait(EC.visibility_of_element_located((By.ID, "login-form")))

    def sign_in(self, username, password):
        self.open_signed_out()
        self.browser.find_element(By.ID, "login-username").send_keys(username)
        self.browser.find_element(By.ID, "login-password").send_keys(password)
        self.browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()

    def stats(self):
        """Streets, communities and grids the summary counts once the map has loaded."""
        self.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#summary .stats b")) == 3)
        return [int(b.text) for b in self.browser.find_elements(By.CSS_SELECTOR, "#summary .stats b")]

    def test_every_role_signs_in_and_sees_only_its_territory(self):
        self.assertEqual(len(self.accounts), 11, self.accounts)
        seen = {}
        for username, account in sorted(self.accounts.items()):
            with self.subTest(role=account["role"]):
                self.sign_in(username, account["password"])
                self.wait(EC.invisibility_of_element_located((By.ID, "login")))
                self.wait(EC.text_to_be_present_in_element((By.ID, "who"), username))
                seen[account["role"]] = self.stats()
                # The district's outline and the street labels are drawn.
                self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane canvas"))
                self.assertTrue(self.browser.find_elements(By.CSS_SELECTOR, ".region-label"))
                self.browser.save_screenshot(os.path.join(SCREENSHOTS, "map-%s.png" % account["role"]))
                self.browser.find_element(By.ID, "logout").click()
                self.wait(EC.visibility_of_element_located((By.ID, "login-form")))
        # The district sees its 6 grids; a community leader his community's 2; a grid worker his one.
        self.assertEqual(seen["district-admin"][2], 6)
        self.assertEqual(seen["community-leader"][2], 2)
        self.assertEqual(seen["grid-worker"][2], 1)
        self.assertEqual(seen["grid-worker"][1], 1)

    def test_a_wrong_password_is_refused_on_the_page(self):
        self.sign_in("grid-worker", "not-the-password-1")
        error = self.wait(EC.visibility_of_element_located((By.ID, "login-error")))
        self.wait(lambda d: d.find_element(By.ID, "login-error").text.strip() != "")
        self.assertRegex(error.text, re.compile("password|密码|login|failed", re.I))
        self.assertTrue(self.browser.find_element(By.ID, "login").is_displayed())

    def test_the_page_switches_to_english_and_back(self):
        account = self.accounts["admin"]
        self.sign_in("admin", account["password"])
        self.wait(EC.text_to_be_present_in_element((By.ID, "who"), "admin"))
        self.assertEqual(self.browser.find_element(By.CSS_SELECTOR, "h1 [data-i18n=title]").text, "城市大脑")
        self.browser.find_element(By.ID, "language").click()
        self.assertEqual(self.browser.find_element(By.CSS_SELECTOR, "h1 [data-i18n=title]").text, "CityBrain")
        self.assertEqual(self.browser.find_element(By.TAG_NAME, "html").get_attribute("lang"), "en")
        self.browser.find_element(By.ID, "language").click()
        self.assertEqual(self.browser.find_element(By.CSS_SELECTOR, "h1 [data-i18n=title]").text, "城市大脑")


if __name__ == "__main__":
    unittest.main()
