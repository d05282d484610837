"""beaconctl against the real beacond (issue 7, item 1): every command, its exit status, its
text and --json output; refusals shown as the API gave them; resolve and wait through DNS.

    python3 test_beaconctl.py --beacond PATH --beaconctl PATH [unittest args]
"""

import argparse
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

import harness
from harness import Beacond

BEACONCTL = os.environ.get("BEACONCTL", "")
ZONE = "svc.internal."
OK, REFUSED, USAGE, UNREACHABLE = 0, 1, 2, 3
COMMANDS = ["register", "deregister", "heartbeat", "ls", "show", "resolve", "wait"]


def run_ctl(*args, env=None, timeout=30):
    """Runs beaconctl with `env` added to a clean BEACON_* environment: (rc, stdout, stderr)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
    full_env.update(env or {})
    done = subprocess.run([BEACONCTL] + [str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                          env=full_env, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr


class Daemon(unittest.TestCase):
    """One beacond (one DNS thread, so rotation is deterministic) shared by the tests of a class."""

    @classmethod
    def setUpClass(cls):
        cls.b = Beacond(config="dns:\n  threads: 1\n").start()
        cls.env = {"BEACON_SERVER": f"http://127.0.0.1:{cls.b.http_port}", "BEACON_DNS": f"127.0.0.1:{cls.b.port}"}

    @classmethod
    def tearDownClass(cls):
        cls.b.stop()

    def ctl(self, *args, expect=OK, env=None, timeout=30):
        rc, out, err = run_ctl(*args, env={**self.env, **(env or {})}, timeout=timeout)
        self.assertEqual(rc, expect, f"beaconctl {' '.join(map(str, args))} -> {rc}\nstdout:\n{out}\nstderr:\n{err}")
        return out, err

    def api_body(self, path):
        status, _, raw = self.b.api("GET", path)
        self.assertEqual(status, 200, raw)
        return raw.decode()


class Usage(Daemon):
    def test_help_lists_every_command_and_the_exit_statuses(self):
        out, _ = self.ctl("--help")
        for command in COMMANDS:
            self.assertRegex(out, rf"\n  {command} ")
        for status in ("0", "1", "2", "3"):
            self.assertRegex(out, rf"\n  {status}  ")
        for command in COMMANDS:
            out, _ = self.ctl(command, "--help")
            self.assertTrue(out.startswith(f"usage: beaconctl {command}"), out)
            self.assertIn("Exit status:", out)
        self.assertEqual(self.ctl("help", "show")[0], self.ctl("show", "--help")[0])
        self.assertRegex(self.ctl("--version")[0], r"^beaconctl \d+\.\d+\.\d+\n$")

    def test_usage_errors_exit_2(self):
        _, err = self.ctl(expect=USAGE)
        self.assertIn("usage: beaconctl", err)
        self.assertIn("unknown command 'frobnicate'", self.ctl("frobnicate", expect=USAGE)[1])
        self.assertIn("--bogus", self.ctl("ls", "--bogus", expect=USAGE)[1])
        self.assertIn("missing service", self.ctl("show", expect=USAGE)[1])
        self.assertIn("--port is required", self.ctl("register", "web", "a", "--address", "10.0.0.1", expect=USAGE)[1])
        self.ctl("register", "web", "a", "--address", "10.0.0.1", "--port", "http", expect=USAGE)
        self.assertIn("KEY=VALUE", self.ctl("register", "web", "a", "--address", "10.0.0.1", "--port", "80",
                                           "--meta", "novalue", expect=USAGE)[1])
        self.ctl("show", "web", "extra", expect=USAGE)
        self.ctl("resolve", "web", "--type", "MX", expect=USAGE)
        self.ctl("wait", "web", expect=USAGE)
        self.ctl("wait", "web", "--healthy", "1", "--timeout", "soon", expect=USAGE)
        self.ctl("heartbeat", "web", "a", "--every", "0s", expect=USAGE)
        self.ctl("--server", "ftp://127.0.0.1:1", "ls", expect=USAGE)
        self.ctl("--server", "https://127.0.0.1:1", "--cacert", "/nonexistent/ca.pem", "ls", expect=USAGE)
        self.ctl("--dns", "nowhere", "resolve", "web", expect=USAGE)
        # Nothing was registered by any of them.
        self.assertEqual(json.loads(self.api_body("/v1/services"))["services"], [])


class Registration(Daemon):
    def test_register_replace_show_ls_deregister(self):
        out, _ = self.ctl("register", "web", "web-1", "--address", "10.0.0.5", "--port", "8080", "--tag", "primary",
                          "--meta", "version=1.4.2", "--meta", "env=prod", "--ttl", "1h", "--weight", "10",
                          "--priority", "1", "--protocol", "tcp", "--deregister-after", "10m", "--dns-ttl", "30")
        self.assertEqual(out, "registered web/web-1 (new): 10.0.0.5 port 8080, passing\n")
        out, _ = self.ctl("register", "web", "web-1", "--address", "10.0.0.5", "--port", "8080", "--tag", "primary",
                          "--meta", "version=1.4.2", "--meta", "env=prod", "--ttl", "1h", "--weight", "10",
                          "--priority", "1", "--deregister-after", "10m", "--dns-ttl", "30")
        self.assertIn("(replaced)", out)
        out, _ = self.ctl("--json", "register", "web", "web-2", "--address", "10.0.0.6", "--address", "fd00::6",
                          "--port", "9090", "--tcp-check", "127.0.0.1:1", "--check-interval", "1h",
                          "--check-timeout", "500ms")
        web2 = json.loads(out)
        self.assertEqual(web2["addresses"], ["10.0.0.6", "fd00::6"])
        self.assertEqual(web2["check"]["tcp"], "127.0.0.1:1")
        self.assertEqual(web2["check"]["interval"], "1h")
        self.assertEqual(web2["check"]["timeout"], "500ms")

        # --json is the API's answer byte for byte.
        self.assertEqual(self.ctl("show", "web", "--json")[0], self.api_body("/v1/services/web"))
        self.assertEqual(self.ctl("ls", "--json")[0], self.api_body("/v1/services"))
        shown = json.loads(self.ctl("show", "web", "--json")[0])
        web1 = next(i for i in shown["instances"] if i["id"] == "web-1")
        self.assertEqual(web1["tags"], ["primary"])
        self.assertEqual(web1["meta"], {"version": "1.4.2", "env": "prod"})
        self.assertEqual((web1["weight"], web1["priority"], web1["ttl"], web1["deregister_after"], web1["dns_ttl"]),
                         (10, 1, "1h", "10m", 30))

        out, _ = self.ctl("show", "web")
        lines = out.splitlines()
        self.assertEqual(lines[0], "web: 2 instances")
        self.assertEqual(lines[1].split(), ["ID", "ADDRESSES", "PORT", "HEALTH", "CHECK", "LAST", "HEARTBEAT"])
        self.assertEqual(lines[2].split()[:5], ["web-1", "10.0.0.5", "8080", "passing", "-"])
        self.assertEqual(lines[2].split()[5], web1["last_heartbeat"])
        self.assertEqual(lines[3].split()[:3], ["web-2", "10.0.0.6,fd00::6", "9090"])

        self.ctl("register", "api", "x", "--address", "10.1.0.1", "--port", "443")
        out, _ = self.ctl("ls")
        rows = [line.split() for line in out.splitlines()]
        self.assertEqual(rows[0], ["SERVICE", "INSTANCES", "PASSING", "WARNING", "CRITICAL", "FAIL-OPEN"])
        self.assertIn(["api", "1", "1", "0", "0", "no"], rows)
        self.assertEqual(next(r for r in rows if r[0] == "web")[1], "2")

        self.assertEqual(self.ctl("deregister", "api", "x")[0], "deregistered api/x\n")
        self.assertEqual(self.ctl("deregister", "web", "web-2", "--json")[0], "")
        self.assertEqual([i["id"] for i in json.loads(self.api_body("/v1/services/web"))["instances"]], ["web-1"])

    def test_refusals_are_shown_as_the_api_gave_them(self):
        body = {"address": "10.0.0.x", "port": 80}
        status, _, raw = self.b.api("PUT", "/v1/services/bad/instances/a", body)
        self.assertEqual(status, 400)
        given = json.loads(raw)
        _, err = self.ctl("register", "bad", "a", "--address", "10.0.0.x", "--port", "80", expect=REFUSED)
        self.assertEqual(err, f"beaconctl: error: {given['error']} (field: {given['field']}) [HTTP 400 Bad Request]\n")
        out, _ = self.ctl("register", "bad", "a", "--address", "10.0.0.x", "--port", "80", "--json", expect=REFUSED)
        self.assertEqual(json.loads(out), given)

        self.ctl("register", "svc", "one", "--address", "10.0.0.1", "--port", "80", "--tag", "blue")
        _, err = self.ctl("register", "svc", "blue", "--address", "10.0.0.2", "--port", "80", expect=REFUSED)
        self.assertRegex(err, r"^beaconctl: error: .*blue.* \(field: id\) \[HTTP 409 Conflict\]\n$")
        _, err = self.ctl("register", "svc", "two", "--address", "10.0.0.2", "--port", "70000", expect=REFUSED)
        self.assertIn("(field: port) [HTTP 400", err)
        _, err = self.ctl("register", "svc", "two", "--address", "10.0.0.2", "--port", "80", "--check-interval", "5s",
                          expect=REFUSED)
        self.assertIn("(field: check)", err)
        _, err = self.ctl("register", "Bad_Name", "a", "--address", "10.0.0.2", "--port", "80", expect=REFUSED)
        self.assertIn("(field: service) [HTTP 400", err)

        _, err = self.ctl("show", "nothere", expect=REFUSED)
        self.assertEqual(err, "beaconctl: error: no service nothere (field: service) [HTTP 404 Not Found]\n")
        out, _ = self.ctl("show", "nothere", "--json", expect=REFUSED)
        self.assertEqual(json.loads(out), {"error": "no service nothere", "field": "service"})
        self.assertIn("[HTTP 404 Not Found]", self.ctl("deregister", "svc", "nothere", expect=REFUSED)[1])
        self.assertIn("[HTTP 404 Not Found]", self.ctl("heartbeat", "svc", "nothere", expect=REFUSED)[1])
        self.assertIn("(field: status) [HTTP 400", self.ctl("heartbeat", "svc", "one", "--status", "fine", expect=REFUSED)[1])

    def test_unreachable_api_and_dns_exit_3(self):
        port, lock = harness.reserve_port()
        try:
            _, err = self.ctl("--server", f"http://127.0.0.1:{port}", "ls", expect=UNREACHABLE)
            self.assertIn(f"cannot connect to the API at http://127.0.0.1:{port}", err)
            self.ctl("register", "web", "a", "--address", "10.0.0.1", "--port", "80",
                     env={"BEACON_SERVER": f"http://127.0.0.1:{port}"}, expect=UNREACHABLE)
            _, err = self.ctl("resolve", "web", "--dns", f"127.0.0.1:{port}", expect=UNREACHABLE)
            self.assertIn("no answer from the DNS server", err)
        finally:
            os.close(lock)


class Heartbeats(Daemon):
    def test_heartbeat_once_with_status_and_json(self):
        self.ctl("register", "hb", "a", "--address", "10.0.3.1", "--port", "80", "--ttl", "1h")
        self.assertEqual(self.ctl("heartbeat", "hb", "a", "--status", "warning")[0], "heartbeat hb/a: warning\n")
        instance = json.loads(self.ctl("heartbeat", "hb", "a", "--json")[0])
        self.assertEqual((instance["id"], instance["health"], instance["heartbeat_status"]), ("a", "warning", "warning"))
        self.assertEqual(self.ctl("heartbeat", "hb", "a", "--status", "passing")[0], "heartbeat hb/a: passing\n")

    def test_heartbeat_every_repeats_until_sigint_then_exits_0(self):
        self.ctl("register", "hb", "b", "--address", "10.0.3.2", "--port", "80", "--ttl", "1h")
        env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
        env.update(self.env)
        proc = subprocess.Popen([BEACONCTL, "heartbeat", "hb", "b", "--every", "100ms", "--json"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            beats = [proc.stdout.readline() for _ in range(3)]  # blocks until three heartbeats happened
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 0, err)
        stamps = [json.loads(line)["last_heartbeat"] for line in beats + out.splitlines()]
        self.assertGreaterEqual(len(stamps), 3)
        self.assertEqual(stamps, sorted(stamps))
        self.assertGreater(stamps[-1], stamps[0])

    def test_heartbeat_every_ends_with_1_when_the_instance_is_gone(self):
        self.ctl("register", "hb", "c", "--address", "10.0.3.3", "--port", "80", "--ttl", "1h")
        env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
        env.update(self.env)
        proc = subprocess.Popen([BEACONCTL, "heartbeat", "hb", "c", "--every", "100ms"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.assertEqual(proc.stdout.readline(), "heartbeat hb/c: passing\n")
            self.ctl("deregister", "hb", "c")
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, REFUSED, err)
        self.assertIn("[HTTP 404 Not Found]", err)


class ThroughDns(Daemon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for i in (1, 2, 3):
            cls.b.register("web", f"web-{i}", {"address": f"10.0.0.{i}", "port": 8080 + i, "tags": ["t"] if i < 3 else [],
                                               "meta": {"version": f"1.{i}", "env": "prod"}})
        cls.b.register("web", "web-6", {"address": "fd00::6", "port": 8086})

    def test_resolve_a_rotates_like_dig_sees(self):
        answers = [self.ctl("resolve", "web")[0].split() for _ in range(6)]
        for got in answers:
            self.assertEqual(sorted(got), ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        firsts = [a[0] for a in answers]
        for i in range(len(firsts) - 2):
            self.assertEqual(len(set(firsts[i:i + 3])), 3, f"not round robin: {firsts}")
        d = self.b.dig("web." + ZONE, "A")
        self.assertEqual(d.rrset("answer", "web." + ZONE, "A"), sorted(answers[0]))
        # Names inside the zone, absolute names, and --zone / BEACON_ZONE.
        self.assertEqual(sorted(self.ctl("resolve", "web.svc.internal")[0].split()), sorted(answers[0]))
        self.assertEqual(sorted(self.ctl("resolve", "web.svc.internal.")[0].split()), sorted(answers[0]))
        self.assertEqual(self.ctl("resolve", "www", "--zone", "example.test")[0], "192.0.2.1\n")
        self.assertEqual(self.ctl("resolve", "www", env={"BEACON_ZONE": "example.test."})[0], "192.0.2.1\n")

    def test_resolve_aaaa_srv_txt_and_json(self):
        self.assertEqual(self.ctl("resolve", "web", "--type", "AAAA")[0], "fd00::6\n")
        srv = sorted(self.ctl("resolve", "_web._tcp", "--type", "SRV")[0].splitlines())
        self.assertEqual(srv, [f"0 1 808{i} web-{i}.web.svc.internal." for i in (1, 2, 3, 6)])
        tagged = sorted(self.ctl("resolve", "t.web", "--type", "srv")[0].splitlines())
        self.assertEqual(tagged, [f"0 1 808{i} web-{i}.web.svc.internal." for i in (1, 2)])
        self.assertEqual(self.ctl("resolve", "web-2.web", "--type", "TXT")[0], '"env=prod" "version=1.2"\n')

        records = json.loads(self.ctl("resolve", "web", "--json")[0])
        self.assertEqual(sorted(r["address"] for r in records), ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        self.assertEqual({(r["name"], r["type"], r["ttl"]) for r in records}, {("web.svc.internal.", "A", 5)})
        records = json.loads(self.ctl("resolve", "web", "--type", "SRV", "--json")[0])
        self.assertEqual(sorted((r["port"], r["target"], r["priority"], r["weight"]) for r in records),
                         [(8080 + i, f"web-{i}.web.svc.internal.", 0, 1) for i in (1, 2, 3, 6)])
        records = json.loads(self.ctl("resolve", "web-1.web", "--type", "TXT", "--json")[0])
        self.assertEqual(records, [{"name": "web-1.web.svc.internal.", "type": "TXT",
                                    "strings": ["env=prod", "version=1.1"]}])

    def test_resolve_negative_answers_exit_1(self):
        out, err = self.ctl("resolve", "nothere", "--json", expect=REFUSED)
        self.assertEqual(json.loads(out), [])
        self.assertIn("nothere.svc.internal. A: NXDOMAIN", err)
        self.assertIn("AAAA: NODATA", self.ctl("resolve", "web-1.web", "--type", "AAAA", expect=REFUSED)[1])
        self.assertIn("example.com. A: REFUSED", self.ctl("resolve", "example.com.", expect=REFUSED)[1])
        self.assertEqual(self.ctl("resolve", "nothere", expect=REFUSED)[0], "")

    def test_wait_succeeds_at_once_when_enough_are_healthy(self):
        start = time.monotonic()
        self.assertEqual(self.ctl("wait", "web", "--healthy", "4")[0], "web.svc.internal.: 4 healthy\n")
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(json.loads(self.ctl("wait", "t.web", "--healthy", "2", "--json")[0]),
                         {"name": "t.web.svc.internal.", "healthy": 2, "wanted": 2})

    def test_wait_times_out_with_3(self):
        start = time.monotonic()
        out, err = self.ctl("wait", "web", "--healthy", "5", "--timeout", "1s", "--json", expect=UNREACHABLE)
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 1.0)
        self.assertLess(elapsed, 5.0)
        self.assertEqual(json.loads(out), {"name": "web.svc.internal.", "healthy": 4, "wanted": 5})
        self.assertIn("has 4 healthy of 5 wanted after 1s", err)
        _, err = self.ctl("wait", "nothere", "--healthy", "1", "--timeout", "500ms", expect=UNREACHABLE)
        self.assertIn("last answer NXDOMAIN", err)

    def test_wait_returns_once_a_registration_makes_enough(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
        env.update(self.env)
        proc = subprocess.Popen([BEACONCTL, "wait", "late", "--healthy", "2", "--timeout", "20s"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.b.register("late", "a", {"address": "10.0.9.1", "port": 80})
            time.sleep(0.3)  # the waiter keeps polling: one instance is not enough
            self.assertIsNone(proc.poll())
            self.b.register("late", "b", {"address": "10.0.9.2", "port": 80})
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(out, "late.svc.internal.: 2 healthy\n")


class FakeApi(http.server.BaseHTTPRequestHandler):
    """Records requests and answers with a canned reply: what beacond cannot show (the token,
    a URL prefix, a non-JSON error)."""
    requests = []
    reply = (200, "application/json", b'{"services": []}\n')

    def _answer(self):
        length = int(self.headers.get("Content-Length", "0"))
        FakeApi.requests.append((self.command, self.path, dict(self.headers), self.rfile.read(length)))
        status, kind, body = FakeApi.reply
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


class AgainstAFakeApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.url = f"http://127.0.0.1:{cls.server.server_address[1]}"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        FakeApi.requests.clear()

    def test_token_prefix_and_body(self):
        FakeApi.reply = (201, "application/json", b'{"address":"10.0.0.1","port":80,"health":"passing"}')
        rc, out, err = run_ctl("--server", self.url + "/beacon/", "register", "web", "a", "--address", "10.0.0.1",
                               "--port", "80", "--tag", "x", "--meta", "k=v=w", "--ttl", "15", "--http-check",
                               "http://10.0.0.1/h", env={"BEACON_TOKEN": "s3cret"})
        self.assertEqual(rc, 0, err)
        method, path, headers, body = FakeApi.requests[0]
        self.assertEqual((method, path), ("PUT", "/beacon/v1/services/web/instances/a"))
        self.assertEqual(headers["Authorization"], "Bearer s3cret")
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(json.loads(body), {"address": "10.0.0.1", "port": 80, "tags": ["x"], "meta": {"k": "v=w"},
                                            "ttl": 15, "check": {"http": "http://10.0.0.1/h"}})
        # The flag wins over the environment; names are sent percent-encoded.
        run_ctl("--server", self.url, "--token", "flag", "show", "a b/c", env={"BEACON_TOKEN": "env"})
        method, path, headers, _ = FakeApi.requests[1]
        self.assertEqual((path, headers["Authorization"]), ("/v1/services/a%20b%2Fc", "Bearer flag"))
        run_ctl("--server", self.url, "ls")
        self.assertNotIn("Authorization", FakeApi.requests[2][2])

    def test_an_error_that_is_not_the_apis_json_is_shown_raw(self):
        FakeApi.reply = (502, "text/plain", b"bad gateway\n")
        rc, out, err = run_ctl("--server", self.url, "ls")
        self.assertEqual(rc, REFUSED)
        self.assertEqual(err, "beaconctl: error: bad gateway [HTTP 502 Bad Gateway]\n")


def main():
    global BEACONCTL
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--beaconctl", default=BEACONCTL)
    known, rest = parser.parse_known_args()
    BEACONCTL = os.path.abspath(known.beaconctl) if known.beaconctl else ""
    if not BEACONCTL or not os.access(BEACONCTL, os.X_OK):
        sys.exit(f"{sys.argv[0]}: need --beaconctl PATH (or BEACONCTL=PATH), got {BEACONCTL!r}")
    sys.argv = [sys.argv[0]] + rest
    harness.main()


if __name__ == "__main__":
    main()
