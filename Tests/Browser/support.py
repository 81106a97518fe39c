"""Shared by the browser tests: a demo server on a temporary database, a headless Debian Chromium,
and a small API client for the steps staff take outside the page under test."""
import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
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


class DemoServer:
    """`citybrain demo --preset tiny` generated into a temporary folder and served on a free port.

    With CITYBRAIN_BROWSER_DATABASE set, an existing demo database is served instead (its accounts
    read from the `.demo-accounts.txt` file the demo wrote beside it): the way to measure the pages
    on a `district`-scale database generated once with a release build."""

    def __init__(self, *serve_arguments):
        existing = os.environ.get("CITYBRAIN_BROWSER_DATABASE")
        self.folder = None if existing else tempfile.mkdtemp(prefix="citybrain-browser-")
        self.database = existing or os.path.join(self.folder, "demo.sqlite")
        self.accounts = {}
        if existing:
            with open(existing + ".demo-accounts.txt", encoding="utf-8") as f:
                lines = ["  " + "  ".join(line.rstrip("\n").split("\t")) for line in f if not line.startswith("#")]
        else:
            demo = subprocess.run([BINARY, "demo", "--preset", "tiny", "--no-serve", "--database", self.database],
                                  capture_output=True, text=True, check=True)
            lines = demo.stdout.splitlines()
        # "  grid-worker  Demo-…-1  grid-worker  网格员  33011000100101"
        for line in lines:
            parts = line.split()
            if line.startswith("  ") and len(parts) >= 5 and parts[1].startswith("Demo-"):
                self.accounts[parts[0]] = {"password": parts[1], "role": parts[2], "territory": parts[-1]}
        self.processes = []
        self.process, self.base = self.serve(*serve_arguments)

    def serve(self, *arguments):
        """Another `citybrain serve` on the same database (another instance, or other options)."""
        port = free_port()
        process = subprocess.Popen([BINARY, "serve", "--database", self.database, "--port", str(port), "--log-level", "error"]
                                   + self.store_arguments() + list(arguments))
        self.processes.append(process)
        base = "http://127.0.0.1:%d" % port
        for _ in range(1200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                return process, base
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("citybrain serve exited with %d" % process.returncode)
                time.sleep(0.1)
        raise RuntimeError("the server did not come up")

    def store_arguments(self):
        return []

    def stop(self):
        for process in self.processes:
            process.terminate()
            process.wait(30)
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


class PostgresDemoServer(DemoServer):
    """The tiny demo moved to PostgreSQL with `citybrain migrate-data` (into a schema of its own on
    the throwaway server of CITYBRAIN_TEST_POSTGRES, which scripts/test starts) and served from
    there; `serve()` starts further instances on the same database."""

    def __init__(self, *serve_arguments):
        server = os.environ.get("CITYBRAIN_TEST_POSTGRES")
        if not server:
            raise RuntimeError("CITYBRAIN_TEST_POSTGRES is not set: run the browser tests with scripts/test (scripts/with-postgres)")
        self.folder = tempfile.mkdtemp(prefix="citybrain-browser-")
        self.sqlite = os.path.join(self.folder, "demo.sqlite")
        demo = subprocess.run([BINARY, "demo", "--preset", "tiny", "--no-serve", "--database", self.sqlite],
                              capture_output=True, text=True, check=True)
        self.database = server + ("&" if "?" in server else "?") + "schema=browser_" + os.urandom(6).hex()
        subprocess.run([BINARY, "migrate-data", "--from", self.sqlite, "--to", self.database], capture_output=True, text=True, check=True)
        self.accounts = {}
        for line in demo.stdout.splitlines():
            parts = line.split()
            if line.startswith("  ") and len(parts) >= 5 and parts[1].startswith("Demo-"):
                self.accounts[parts[0]] = {"password": parts[1], "role": parts[2], "territory": parts[-1]}
        self.processes = []
        self.process, self.base = self.serve(*serve_arguments)

    def store_arguments(self):
        return ["--key-file", self.sqlite + ".keys", "--attachments", self.sqlite + ".attachments"]


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--window-size=1366,900", "--lang=zh-CN"]:
        options.add_argument(flag)
    os.makedirs(SCREENSHOTS, exist_ok=True)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


class Staff:
    """A signed-in account calling the API as the web pages do (session cookie and CSRF token)."""

    def __init__(self, server, username):
        self.server = server
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        session = self.call("POST", "/api/v1/session", {"username": username, "password": server.accounts[username]["password"]})
        self.csrf = session["csrfToken"]

    def call(self, method, path, body=None):
        request = urllib.request.Request(self.server.base + path, method=method,
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("Content-Type", "application/json")
        if getattr(self, "csrf", None):
            request.add_header("X-CSRF-Token", self.csrf)
        with self.opener.open(request, timeout=10) as response:
            text = response.read()
            return json.loads(text) if text else None

    def step(self, number, action, **fields):
        case = self.call("GET", "/api/v1/cases/" + number)
        return self.call("POST", "/api/v1/cases/%s/%s" % (number, action), dict(version=case["version"], **fields))


def point_inside(feature):
    """A point well inside the feature's first polygon (ray casting over a lattice, nearest the middle first)."""
    ring = feature["geometry"]["coordinates"][0][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]

    def inside(x, y):
        hit = False
        for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                hit = not hit
        return hit

    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    lattice = [(min(xs) + (max(xs) - min(xs)) * i / 20, min(ys) + (max(ys) - min(ys)) * j / 20) for i in range(1, 20) for j in range(1, 20)]
    for x, y in sorted(lattice, key=lambda p: (p[0] - cx) ** 2 + (p[1] - cy) ** 2):
        if inside(x, y):
            return y, x
    raise ValueError("no point inside " + feature["properties"]["code"])


def grid_point(server, username):
    """A point inside the grid an account works in (from the public outline)."""
    with urllib.request.urlopen(server.base + "/api/v1/public/outline?level=grid") as response:
        grids = {f["properties"]["code"]: f for f in json.load(response)["features"]}
    return point_inside(grids[server.accounts[username]["territory"]])


def sign_in(driver, server, page, username, ready, base=None):
    """Opens a staff page signed out, signs in through its overlay and waits until `ready(driver)`
    (`base`: another instance of the server than its first)."""
    base = base or server.base
    driver.delete_all_cookies()
    driver.get(base + page)
    driver.execute_script("localStorage.clear()")
    driver.get(base + page)
    WebDriverWait(driver, 40).until(EC.visibility_of_element_located((By.ID, "login-form")))
    driver.find_element(By.ID, "login-username").send_keys(username)
    driver.find_element(By.ID, "login-password").send_keys(server.accounts[username]["password"])
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    WebDriverWait(driver, 40).until(ready)


class PageTest(unittest.TestCase):
    """One demo server and one browser for a test class. `window` sets the browser's size; `wait`
    ignores elements that go stale while live updates redraw the page."""
    window = (1366, 900)

    @classmethod
    def setUpClass(cls):
        cls.server = DemoServer()
        cls.browser = browser()
        cls.browser.set_window_size(*cls.window)

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.server.stop()

    def wait(self, condition, timeout=30):
        return WebDriverWait(self.browser, timeout, ignored_exceptions=[StaleElementReferenceException]).until(condition)


def api_token(server, username, *permissions):
    """A new API token of `username` (issued by the console, as an operator would)."""
    issued = subprocess.run([BINARY, "account", "token", username, "--name", "test", "--permission", *permissions, "--days", "1",
                             "--database", server.database] + server.store_arguments(), capture_output=True, text=True, check=True)
    return issued.stdout.strip().splitlines()[-1]
