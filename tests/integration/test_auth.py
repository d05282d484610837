#!/usr/bin/env python3
"""http.tokens (issue 6 §5): bearer tokens with scopes and service prefixes; a refused write
changes nothing; tokens from a file and the environment; SIGHUP rotates a token file."""

import json
import os
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import build_query, RCODE  # noqa: E402

READ = "read-token-0123456789abcdef"
WRITE = "write-token-0123456789abcdef"
WEB = "web-only-token-0123456789abcdef"
ADMIN = "admin-token-0123456789abcdef"
REG = {"address": "10.1.2.3", "port": 8080}

TOKENS_CONFIG = f"""\
http:
  tokens:
    - {{token: {READ}, scope: read}}
    - {{token: {WRITE}, scope: write}}
    - {{token: {WEB}, scope: write, services: [web]}}
    - {{token: {ADMIN}, scope: admin}}
"""


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


class TokenScopeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Beacond(config=TOKENS_CONFIG)
        cls.server.start()
        cls.addClassCleanup(cls.server.stop)

    def call(self, method, path, token=None, body=None):
        status, headers, raw = self.server.api(method, path, body, headers=bearer(token) if token else None)
        return status, headers, (json.loads(raw) if raw else None)

    def put(self, service, instance, token=None):
        return self.call("PUT", f"/v1/services/{service}/instances/{instance}", token, REG)

    def assert_not_registered(self, service):
        self.assertEqual(self.call("GET", f"/v1/services/{service}", ADMIN)[0], 404)
        msg = self.server.udp(build_query(f"{service}.svc.internal", "A"))
        self.assertEqual(msg.rcode, RCODE["NXDOMAIN"])

    def test_no_token_is_401_and_changes_nothing(self):
        status, headers, body = self.put("nobody", "a")
        self.assertEqual(status, 401)
        self.assertEqual(headers.get("www-authenticate"), 'Bearer realm="beacon"')
        self.assertEqual(body["field"], "Authorization")
        self.assert_not_registered("nobody")
        self.assertEqual(self.call("GET", "/v1/services")[0], 401)
        self.assertEqual(self.call("GET", "/metrics")[0], 401)
        self.assertEqual(self.call("GET", "/v1/nothing-here")[0], 401, "401 before 404: strangers learn nothing")

    def test_healthz_stays_open(self):
        self.assertEqual(self.call("GET", "/healthz")[0], 200)

    def test_wrong_token_is_401(self):
        status, headers, body = self.put("wrongtoken", "a", "not-a-token-0123456789abcdef")
        self.assertEqual(status, 401)
        self.assertIn('error="invalid_token"', headers.get("www-authenticate", ""))
        self.assertNotIn("not-a-token", json.dumps(body))
        self.assert_not_registered("wrongtoken")
        self.assertEqual(self.put("wrongtoken", "a", WRITE + "x")[0], 401, "a longer token is another token")
        self.assertEqual(self.put("wrongtoken", "a", WRITE[:-1])[0], 401, "so is a prefix of one")
        self.assertNotIn(WRITE, self.server.stderr(), "tokens are never logged")

    def test_wrong_scope_is_403(self):
        self.assertEqual(self.put("readonly", "a", READ)[0], 403)
        self.assert_not_registered("readonly")
        self.assertEqual(self.put("scoped", "a", WRITE)[0], 201)
        self.assertEqual(self.call("DELETE", "/v1/services/scoped", WRITE)[0], 403, "deleting a service is admin")
        self.assertEqual(self.call("DELETE", "/v1/services/scoped/instances/a", READ)[0], 403)
        self.assertEqual(self.call("PUT", "/v1/services/scoped/instances/a/heartbeat", READ)[0], 403)
        self.assertEqual(self.call("GET", "/v1/services/scoped", ADMIN)[2]["instances"][0]["id"], "a")
        self.assertEqual(self.call("DELETE", "/v1/services/scoped", ADMIN)[0], 204)

    def test_wrong_prefix_is_403(self):
        self.assertEqual(self.put("db", "a", WEB)[0], 403)
        self.assert_not_registered("db")
        self.assertEqual(self.put("web-front", "a", WEB)[0], 201)
        self.assertEqual(self.put("api", "a", ADMIN)[0], 201)
        listed = [s["name"] for s in self.call("GET", "/v1/services", WEB)[2]["services"]]
        self.assertIn("web-front", listed)
        self.assertNotIn("api", listed, "a prefix-limited token lists only its services")
        self.assertEqual(self.call("GET", "/v1/services/api", WEB)[0], 403)

    def test_right_token_registers_and_reads(self):
        self.assertEqual(self.put("good", "a", WRITE)[0], 201)
        msg = self.server.udp(build_query("good.svc.internal", "A"))
        self.assertEqual([r.rdata for r in msg.answer], ["10.1.2.3"])
        self.assertEqual(self.call("GET", "/v1/services/good", READ)[0], 200)
        self.assertEqual(self.server.api("GET", "/metrics", headers=bearer(READ))[0], 200)
        self.assertEqual(self.call("DELETE", "/v1/services/good/instances/a", WRITE)[0], 204)


class TokenSourceTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="beacon-tokens-")
        self.token_file = os.path.join(self.dir, "api.token")
        harness.write_file(self.token_file, "file-token-0123456789abcdef\n")
        os.environ["BEACON_IT_TOKEN"] = "env-token-0123456789abcdef"
        self.addCleanup(os.environ.pop, "BEACON_IT_TOKEN", None)
        config = ("http:\n  tokens:\n"
                  f"    - {{token_file: {self.token_file}, scope: write}}\n"
                  "    - {token_env: BEACON_IT_TOKEN, scope: write}\n")
        self.server = harness.Beacond(config=config)
        self.server.start()
        self.addCleanup(self.server.stop)

    def put(self, instance, token):
        return self.server.api("PUT", f"/v1/services/src/instances/{instance}", REG, headers=bearer(token))[0]

    def test_tokens_from_file_and_environment(self):
        self.assertEqual(self.put("a", "file-token-0123456789abcdef"), 201)
        self.assertEqual(self.put("b", "env-token-0123456789abcdef"), 201)
        self.assertEqual(self.put("c", "file-token-0123456789abcdefg"), 401)

    def test_reload_rotates_a_file_token(self):
        self.assertEqual(self.put("a", "file-token-0123456789abcdef"), 201)
        harness.write_file(self.token_file, "rotated-token-0123456789abcdef\n")
        mark = self.server.log_mark()
        self.server.send_signal(signal.SIGHUP)
        self.server.wait_for_log(r"\breloaded\b", after=mark)
        self.assertEqual(self.put("b", "file-token-0123456789abcdef"), 401, "the old token stops working")
        self.assertEqual(self.put("b", "rotated-token-0123456789abcdef"), 201)
        self.assertEqual(self.put("c", "env-token-0123456789abcdef"), 201)
        self.assertNotIn("rotated-token", self.server.stderr())

    def test_unreadable_token_file_keeps_the_old_tokens(self):
        os.remove(self.token_file)
        mark = self.server.log_mark()
        self.server.send_signal(signal.SIGHUP)
        self.server.wait_for_log(r"reload_failed.*token file", after=mark)
        self.assertEqual(self.put("a", "file-token-0123456789abcdef"), 201)


if __name__ == "__main__":
    harness.main()
