"""The map page in a real browser: headless Chromium from Debian, driven by Selenium.

Starts `citybrain demo --preset tiny` on a temporary database and a free port, signs in through the
page as each demo account and checks what the map shows; screenshots go to .build/screenshots.
Run by scripts/test (python3 -m unittest discover -s Tests/Browser).
"""
import json
import os
import re
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from support import SCREENSHOTS, PageTest, Staff, grid_point, sign_in


class MapPage(PageTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accounts = cls.server.accounts
        cls.base = cls.server.base

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
        self.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#summary .stats b")) >= 3)
        return [int(b.text) for b in self.browser.find_elements(By.CSS_SELECTOR, "#summary .stats b")][:3]

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

    def open_map(self, username, base=None):
        sign_in(self.browser, self.server, "/", username, lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-ready]"), base=base)

    def test_cases_on_the_map_found_by_number_with_the_phone_masked_until_revealed_for_a_purpose(self):
        lat, lon = grid_point(self.server, "grid-worker")
        staff = Staff(self.server, "admin")
        number = staff.call("POST", "/api/v1/cases", {"source": "hotline", "classCode": "C0104", "description": "路灯不亮（地图测试）",
                                                     "location": {"latitude": lat, "longitude": lon}, "contactPhone": "13700001111"})["case"]["number"]
        self.open_map("admin")
        self.assertGreaterEqual(int(self.browser.find_element(By.TAG_NAME, "body").get_attribute("data-cases-shown")), 1)
        self.browser.find_element(By.ID, "search-code").send_keys(number + "\n")
        self.wait(lambda d: d.find_element(By.ID, "detail").get_attribute("data-case") == number)
        self.assertEqual(self.browser.find_element(By.ID, "case-phone").text, "137****1111")
        self.browser.find_element(By.ID, "reveal-purpose").send_keys("回访市民核实路灯位置")
        self.browser.find_element(By.CSS_SELECTOR, "form.reveal button[type=submit]").click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "case-phone"), "13700001111"))
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, "map-case.png"))
        # The reveal is in the audit trail with its purpose.
        audit = Staff(self.server, "auditor").call("GET", "/api/v1/audit?action=reveal.case-contact&limit=5")
        self.assertTrue(any(e.get("purpose") == "回访市民核实路灯位置" for e in audit["entries"]), audit)

        # An analyst sees the case but not the phone, and is not offered the reveal.
        self.open_map("analyst")
        self.browser.find_element(By.ID, "search-code").send_keys(number + "\n")
        self.wait(lambda d: d.find_element(By.ID, "detail").get_attribute("data-case") == number)
        self.assertEqual(self.browser.find_element(By.ID, "case-phone").text, "137****1111")
        self.assertFalse(self.browser.find_elements(By.CSS_SELECTOR, "form.reveal"))

    def test_search_by_address_goes_to_the_matched_standard_address(self):
        lat, lon = grid_point(self.server, "grid-worker")
        staff = Staff(self.server, "admin")
        box = "%f,%f,%f,%f" % (lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)
        features = staff.call("GET", "/api/v1/layers/standard-addresses/features?bbox=%s&zoom=18" % box)["features"]
        address = next(f["properties"]["address"] for f in features if f["properties"].get("address"))
        self.open_map("admin")
        self.browser.find_element(By.ID, "search-code").send_keys(address + "\n")
        self.wait(EC.text_to_be_present_in_element((By.ID, "detail"), address))
        self.assertIn("网格", self.browser.find_element(By.ID, "detail").text)

    def test_a_district_wide_layer_stays_light_per_pan(self):
        """Time to first render and the data each pan fetches with the standard-address layer on
        (every address of the territory): printed, and written to .build/screenshots/map-performance.json."""
        self.open_map("admin")
        # Signed in: a fresh navigation measures what a returning user waits for.
        self.browser.refresh()
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-ready]"))
        body = self.browser.find_element(By.TAG_NAME, "body")
        first_render = int(body.get_attribute("data-first-render"))
        with_cases = int(body.get_attribute("data-ready-ms"))
        self.browser.find_element(By.CSS_SELECTOR, "#thematic-list input[data-layer=standard-addresses]").click()
        self.wait(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-thematic-loaded"))
        figures = {"firstRenderMs": first_render, "withOpenCasesMs": with_cases, "openCases": int(body.get_attribute("data-cases-shown")), "zooms": {}}
        script = """
            const entries = performance.getEntriesByType('resource').filter((e) => e.name.includes('/layers/standard-addresses/features'));
            return entries.map((e) => [e.encodedBodySize, e.decodedBodySize, Math.round(e.duration)]);"""
        # Centred where people live (the first street's grids), then panned around that point.
        lat, lon = grid_point(self.server, "grid-worker")
        for zoom in [11, 13, 15, 17]:
            self.browser.execute_script("window.citybrainMap.map.setView([arguments[0], arguments[1]], arguments[2], {animate: false})", lat, lon, zoom)
            self.wait(lambda d: d.execute_script("return window.citybrainMap.map.getZoom()") == zoom)
            sizes = []
            for step, (dx, dy) in enumerate([(300, 0), (-300, 0), (0, 200), (0, -200)]):
                before = len(self.browser.execute_script(script))
                stamp = body.get_attribute("data-thematic-loaded")
                self.browser.execute_script("window.citybrainMap.map.panBy([arguments[0], arguments[1]], {animate: false})", dx, dy)
                self.wait(lambda d: body.get_attribute("data-thematic-loaded") != stamp and len(d.execute_script(script)) > before)
                sizes.append(self.browser.execute_script(script)[-1])
            figures["zooms"][zoom] = {"bytesPerPan": [s[0] for s in sizes], "unpackedBytesPerPan": [s[1] for s in sizes], "msPerPan": [s[2] for s in sizes]}
            # Never more points drawn than the server's cap, whatever the scale.
            drawn = self.browser.execute_script("return document.querySelectorAll('.layer-cluster').length + Object.keys(window.citybrainMap.map._layers).length")
            self.assertGreater(drawn, 0)
        with open(os.path.join(SCREENSHOTS, "map-performance.json"), "w") as f:
            json.dump(figures, f, indent=1)
        print("\nmap: outlines drawn %d ms after navigation, %d open cases placed at %d ms; standard-addresses layer per pan: %s"
              % (first_render, figures["openCases"], with_cases, figures["zooms"]))
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, "map-addresses-layer.png"))

    def test_gcj02_tiles_are_drawn_with_every_wgs84_feature_shifted_onto_them(self):
        # Without tiles (the demo): a plain background and no tile requests.
        self.open_map("admin")
        self.assertEqual(self.browser.find_element(By.ID, "map").get_attribute("data-datum"), "none")
        self.assertFalse(self.browser.find_elements(By.CSS_SELECTOR, "img.leaflet-tile"))
        # Another instance on the same database with a GCJ-02 tile source (nothing listens on port 9: tiles fail, the map works).
        _, base = self.server.serve("--tiles", "http://127.0.0.1:9/{z}/{x}/{y}.png", "--tiles-datum", "gcj02", "--tiles-attribution", "测试底图")
        self.open_map("admin", base=base)
        self.assertEqual(self.browser.find_element(By.ID, "map").get_attribute("data-datum"), "gcj02")
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "img.leaflet-tile"))
        self.assertTrue(self.browser.find_element(By.CSS_SELECTOR, "img.leaflet-tile").get_attribute("src").startswith("http://127.0.0.1:9/"))
        self.assertIn("测试底图", self.browser.find_element(By.CSS_SELECTOR, ".leaflet-control-attribution").text)
        # GeoKit's check value (DOMAIN.md), computed in the page.
        lat, lon = self.browser.execute_script("return CityBrainMap.wgs84ToGcj02(39.915, 116.404)")
        self.assertAlmostEqual(lat, 39.91640428150164, places=9)
        self.assertAlmostEqual(lon, 116.41024449916938, places=9)
        # A WGS-84 position lands on the tile pixel of its GCJ-02 position, and clicks map back.
        shift = self.browser.execute_script("""
            const map = window.citybrainMap.map, w = L.latLng(30.42, 120.30);
            const g = CityBrainMap.wgs84ToGcj02(w.lat, w.lng);
            const a = map.options.crs.project(w), b = L.CRS.EPSG3857.project(L.latLng(g[0], g[1]));
            const back = map.options.crs.unproject(a);
            const plain = L.CRS.EPSG3857.project(w);
            return [a.x - b.x, a.y - b.y, back.lat - w.lat, back.lng - w.lng, a.x - plain.x];""")
        for value in shift[:4]:
            self.assertAlmostEqual(value, 0, places=6)
        # The shift itself is a few hundred metres, as GCJ-02's is.
        self.assertGreater(abs(shift[4]), 100)


if __name__ == "__main__":
    unittest.main()
