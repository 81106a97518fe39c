"""The map page in a real browser: headless Chromium from Debian, driven by Selenium.

Starts `citybrain demo --preset tiny` on a temporary database and a free port, signs in through the
page as each demo account and checks what the map shows; screenshots go to .build/screenshots.
Run by scripts/test (python3 -m unittest discover -s Tests/Browser).
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("CITYBRAIN_BINARY", os.path.join(ROOT, ".build", "debug", "citybrain"))
SCREENSHOTS = os.path.join(ROOT, ".build", "screenshots")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MapPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="citybrain-browser-")
        database = os.path.join(cls.folder, "demo.sqlite")
        demo = subprocess.run([BINARY, "demo", "--preset", "tiny", "--no-serve", "--database", database],
                              capture_output=True, text=True, check=True)
        # "  grid-worker  Demo-…-1  grid-worker  网格员  33011000100101"
        cls.accounts = {}
        for line in demo.stdout.splitlines():
            parts = line.split()
            if line.startswith("  ") and len(parts) >= 5 and parts[1].startswith("Demo-"):
                cls.accounts[parts[0]] = {"password": parts[1], "role": parts[2], "territory": parts[-1]}
        cls.port = free_port()
        cls.server = subprocess.Popen([BINARY, "serve", "--database", database, "--port", str(cls.port), "--log-level", "error"])
        cls.base = "http://127.0.0.1:%d" % cls.port
        for _ in range(200):
            try:
                urllib.request.urlopen(cls.base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--window-size=1366,900", "--lang=zh-CN"]:
            options.add_argument(flag)
        cls.browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        os.makedirs(SCREENSHOTS, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.server.terminate()
        cls.server.wait(10)
        shutil.rmtree(cls.folder, ignore_errors=True)

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
