"""The cockpits in a real browser: every account sees the cockpits its role and territory allow (the
district's and every street's for the district, its own street's for a street, thematic ones for
all who may see cockpits, none for the others); a street's and a thematic cockpit render with their
charts, map and layers; the page reads in English; a laptop screen gets the stacked layout."""
import os
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from support import SCREENSHOTS, PageTest, sign_in

THEMATIC = ["production-safety", "food-safety", "epidemic-prevention", "social-stability", "city-appearance"]


class CockpitPage(PageTest):
    window = (1920, 1080)

    def open_as(self, username):
        sign_in(self.browser, self.server, "/cockpit.html", username,
                lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-first-render]") or d.find_element(By.ID, "error").text.strip())

    def options(self):
        return [o.get_attribute("value") for o in self.browser.find_elements(By.CSS_SELECTOR, "#cockpit-select option")]

    def test_each_role_sees_only_the_cockpits_it_may(self):
        district = "region-330110000000"
        streets = 20
        expected = {
            "district-admin": 1 + streets + len(THEMATIC), "dispatcher": 1 + streets + len(THEMATIC), "analyst": 1 + streets + len(THEMATIC),
            "street-admin": 1 + len(THEMATIC), "community-leader": 1 + len(THEMATIC),
            "grid-worker": 0, "supervisor": 0, "department-handler": 0, "auditor": 0, "citizen": 0, "external-system": 0,
        }
        seen = {}
        for username, account in sorted(self.server.accounts.items()):
            with self.subTest(role=account["role"]):
                self.open_as(username)
                options = self.options()
                seen[account["role"]] = len(options)
                if options:
                    # Their own territory's cockpit comes first and is the one shown.
                    self.assertEqual(options[0], "region-" + account["territory"])
                    self.assertEqual(options[-len(THEMATIC):], THEMATIC)
                    self.assertEqual(len(self.browser.find_elements(By.CSS_SELECTOR, "#tiles .tile")), 6)
                else:
                    self.assertIn("没有可查看的驾驶舱", self.browser.find_element(By.ID, "error").text)
                    self.assertFalse(self.browser.find_elements(By.CSS_SELECTOR, "#tiles .tile"))
                if account["role"] == "district-admin":
                    self.assertEqual(options[0], district)
        self.assertEqual(seen, expected)

    def test_street_and_thematic_cockpits_render_and_switch_language(self):
        self.open_as("street-admin")
        street = self.server.accounts["street-admin"]["territory"]
        self.assertEqual(self.options()[0], "region-" + street)
        # Ranking of the street's three communities; trend of twelve months; the map with outlines.
        self.wait(lambda d: d.execute_script("return Chart.getChart('ranking-chart').data.labels.length") == 3)
        self.assertEqual(self.browser.execute_script("return Chart.getChart('trend-chart').data.labels.length"), 12)
        self.assertTrue(self.browser.find_elements(By.CSS_SELECTOR, "#cockpit-map .leaflet-overlay-pane canvas"))
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, "cockpit-street.png"))

        Select(self.browser.find_element(By.ID, "cockpit-select")).select_by_value("production-safety")
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-first-render]"))
        keys = [t.get_attribute("data-key") for t in self.browser.find_elements(By.CSS_SELECTOR, "#tiles .tile")]
        self.assertEqual(keys, ["reported", "closedShare", "open", "overdue"])
        self.assertIn("id=production-safety", self.browser.current_url)
        toggles = self.browser.find_elements(By.CSS_SELECTOR, "#layer-toggles input[data-layer]")
        self.assertEqual([t.get_attribute("data-layer") for t in toggles], ["production-safety", "fire-safety-key-units"])
        toggles[0].click()
        self.wait(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-layer-loaded") == "production-safety")
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, "cockpit-thematic.png"))

        self.browser.find_element(By.ID, "language").click()
        self.wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#tiles .tile[data-key=reported] .label"), "Reported this month"))
        self.assertEqual(self.browser.find_element(By.TAG_NAME, "html").get_attribute("lang"), "en")
        self.browser.find_element(By.ID, "language").click()

    def test_a_laptop_gets_the_stacked_layout(self):
        self.browser.set_window_size(1024, 768)
        try:
            self.open_as("admin")
            tiles = self.browser.find_element(By.ID, "tiles").rect
            map_box = self.browser.find_element(By.ID, "cockpit-map").rect
            # Stacked: the map below the tiles at full width, not squeezed between charts.
            self.assertGreater(map_box["y"], tiles["y"] + tiles["height"] - 1)
            self.assertGreater(map_box["width"], 900)
            self.browser.save_screenshot(os.path.join(SCREENSHOTS, "cockpit-laptop.png"))
        finally:
            self.browser.set_window_size(1920, 1080)


if __name__ == "__main__":
    unittest.main()
