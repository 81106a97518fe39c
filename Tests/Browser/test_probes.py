"""Security probes against a live demo server, as an attacker or a careless administrator would try
them (issue 15): each finding reproduced over HTTP on the `tiny` demo, and refused."""

import http.client
import json
import socket
import threading
import unittest
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from support import DemoServer, Staff, api_token as token


def call(server, method, path, body=None, headers=None, raw=None):
    """(status, parsed body or text) of one request, without raising on errors."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(server.base + path, method=method, data=data)
    if data is not None and not (headers and "Content-Type" in headers):
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        text = error.read()
        status = error.code
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text.decode("utf-8", "replace")


class AccessProbes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = DemoServer()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_no_account_may_be_called_anonymous(self):
        admin = Staff(self.server, "admin")
        for name in ["anonymous", "Anonymous", "supervision"]:
            with self.assertRaises(urllib.error.HTTPError) as refused:
                admin.call("POST", "/api/v1/accounts", {"username": name, "displayName": "x", "roles": ["citizen"],
                                                         "territory": self.server.accounts["admin"]["territory"], "password": "Some-pass-2026x"})
            self.assertEqual(refused.exception.code, 400)

    def test_a_street_administrator_cannot_take_over_a_grid_worker(self):
        street = Staff(self.server, "street-admin")
        for method, path, body in [("PUT", "/api/v1/accounts/grid-worker/password", {"password": "Taken-over-2026"}),
                                   ("PUT", "/api/v1/accounts/supervisor/roles", {"roles": ["analyst"]}),
                                   ("PUT", "/api/v1/accounts/grid-worker/status", {"status": "disabled"}),
                                   ("POST", "/api/v1/tokens", {"account": "grid-worker", "name": "x", "permissions": ["territory.read"], "days": 1})]:
            with self.assertRaises(urllib.error.HTTPError) as refused:
                street.call(method, path, body)
            self.assertEqual(refused.exception.code, 403, path)
        Staff(self.server, "grid-worker")  # still signs in with his own password

    def test_a_token_cannot_change_a_password(self):
        secret = token(self.server, "analyst", "territory.read")
        password = self.server.accounts["analyst"]["password"]
        status, _ = call(self.server, "PUT", "/api/v1/session/password", {"oldPassword": password, "newPassword": "Changed-pass-2026"},
                         headers={"Authorization": "Bearer " + secret})
        self.assertEqual(status, 403)
        Staff(self.server, "analyst")

    def test_a_person_layer_shows_no_small_cell_to_an_external_system(self):
        secret = token(self.server, "system-12345", "layer.read")
        status, outline = call(self.server, "GET", "/api/v1/public/outline?level=district")
        ring = outline["features"][0]["geometry"]["coordinates"][0][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        bbox = "%f,%f,%f,%f" % (min(xs), min(ys), max(xs), max(ys))
        for zoom in (11, 14, 18):
            status, layer = call(self.server, "GET", "/api/v1/layers/elderly-living-alone/features?bbox=%s&zoom=%d" % (bbox, zoom),
                                 headers={"Authorization": "Bearer " + secret})
            self.assertEqual(status, 200)
            self.assertEqual(layer.get("suppressedBelow"), 5)
            counts = [f["properties"]["count"] for f in layer["features"]]
            self.assertTrue(all(c >= 5 for c in counts), counts)
            self.assertEqual(sum(counts), layer["total"])

    def test_an_id_number_lookup_needs_a_purpose(self):
        leader = Staff(self.server, "community-leader")
        with self.assertRaises(urllib.error.HTTPError) as refused:
            leader.call("POST", "/api/v1/registries/person/lookup", {"key": "110101199003074258"})
        self.assertEqual(refused.exception.code, 400)

    def test_bodies_that_are_not_json_and_days_no_store_keeps_are_refused(self):
        password = self.server.accounts["analyst"]["password"]
        status, _ = call(self.server, "POST", "/api/v1/session", headers={"Content-Type": "text/plain"},
                         raw=json.dumps({"username": "analyst", "password": password}).encode())
        self.assertEqual(status, 415)
        admin = Staff(self.server, "admin")
        with self.assertRaises(urllib.error.HTTPError) as refused:
            admin.call("PUT", "/api/v1/calendar/0361-01-01", {"kind": "holiday", "name": "古代"})
        self.assertEqual(refused.exception.code, 400)
        status, ready = call(self.server, "GET", "/readyz")
        self.assertEqual(ready["status"], "ready")

    def test_a_bad_authorization_header_beside_a_good_cookie_is_refused(self):
        staff = Staff(self.server, "dispatcher")
        request = urllib.request.Request(self.server.base + "/api/v1/session", headers={"Authorization": "Bearer cbt_made-up"})
        with self.assertRaises(urllib.error.HTTPError) as refused:
            staff.opener.open(request, timeout=10)
        self.assertEqual(refused.exception.code, 401)

    def test_a_live_stream_ends_after_logout(self):
        staff = Staff(self.server, "dispatcher")
        cookie = next(c for c in staff.opener.handlers if hasattr(c, "cookiejar")).cookiejar
        session = next(c.value for c in cookie if c.name == "cb_session")
        url = urllib.parse.urlparse(self.server.base)
        stream = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        stream.request("GET", "/api/v1/events", headers={"Cookie": "cb_session=" + session})
        response = stream.getresponse()
        self.assertEqual(response.status, 200)
        first = b""
        while b"connected" not in first:
            chunk = response.read1(4096)
            self.assertTrue(chunk, "the stream ended before it began")
            first += chunk
        staff.call("DELETE", "/api/v1/session")
        # The event: the server closes the stream (it checks its session every 5 s; the stream
        # would otherwise stay open for 10 minutes and the socket's 30 s timeout would fire).
        try:
            while response.read1(4096):
                pass
            ended = True
        except (socket.timeout, TimeoutError):
            ended = False
        stream.close()
        self.assertTrue(ended, "the stream went on after its session ended")


class LoginProbes(unittest.TestCase):
    """On a server of its own: the login throttle counts every attempt from this machine."""

    @classmethod
    def setUpClass(cls):
        cls.server = DemoServer()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_sixty_guesses_at_once_are_twenty_evaluated(self):
        def guess(i):
            return call(self.server, "POST", "/api/v1/session", {"username": "grid-worker", "password": "wrong-guess-%d" % i})[0]
        with ThreadPoolExecutor(max_workers=30) as pool:
            statuses = list(pool.map(guess, range(60)))
        self.assertEqual(statuses.count(401), 20, statuses)
        self.assertEqual(statuses.count(429), 40, statuses)


if __name__ == "__main__":
    unittest.main()
