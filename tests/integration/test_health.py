"""Active health checks, end to end (issue 4): the real beacond probing real targets that this
test starts — a threaded HTTP server whose status the test flips (200/503/429), a TCP listener
the test closes and reopens, a black hole (listens, never answers) — and dig showing the
instances leave and rejoin the answers within the bound the issue sets:

    interval * failures_before_critical + timeout + SLACK   (SLACK = 1 s)

Also: 429 is warning (served; not with dns.only_passing), dns.fail_open serves everyone when
everyone fails (log + API), deregister_after removes an instance whose check stays critical,
every transition is logged exactly once, and the API shows the check's output and times.
"""

import http.server
import re
import socket
import threading
import time
import unittest
from datetime import datetime, timezone

import harness
from harness import Beacond

ZONE = "svc.internal."
SLACK = 1.0  # seconds of scheduling, batching (20 ms), publish and dig on top of the bound


def config(threads=1, **dns):
    lines = ["dns:", f"  threads: {threads}"] + [f"  {k}: {v}" for k, v in dns.items()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Probe targets


class FlipServer:
    """A threaded HTTP server on 127.0.0.1 answering every request with `status`."""

    def __init__(self, status=200):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                outer.requests += 1  # counted on arrival: the probe may reset once it has the status
                body = b"ok\n"
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

            def log_message(self, *args):
                pass

        self.status = status
        self.requests = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/health"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class TcpTarget:
    """A TCP listener on 127.0.0.1 that accepts and closes; close() makes connects refused,
    reopen() listens on the same port again."""

    def __init__(self):
        self.port = None
        self.sock = None
        self.thread = None
        self.running = False
        self.reopen()

    def reopen(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port or 0))
        s.listen(64)
        s.settimeout(0.05)
        self.port = s.getsockname()[1]
        self.sock = s
        self.running = True
        self.thread = threading.Thread(target=self._accept, args=(s,), daemon=True)
        self.thread.start()

    def _accept(self, s):
        while self.running:
            try:
                conn, _ = s.accept()
                conn.close()
            except socket.timeout:
                continue
            except OSError:
                return

    def close(self):
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()


class BlackHole:
    """Listens on 127.0.0.1 but never accepts: connects succeed (the kernel's backlog), a
    request gets no answer."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/health"

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------------------------------------
# Helpers


def served(b, service="web"):
    """The A records dig gets for `service`."""
    d = b.dig(f"{service}.{ZONE}", "A")
    assert d.status == "NOERROR", d.text
    return d.rrset("answer", f"{service}.{ZONE}", "A")


def wait_until(predicate, timeout, interval=0.05):
    """Polls until `predicate()` is true: the seconds it took, or None at the deadline."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None
        time.sleep(interval)


def instances(b, service="web"):
    status, body = b.api_json("GET", f"/v1/services/{service}")
    if status == 404:
        return {}
    assert status == 200, (status, body)
    return {i["id"]: i for i in body["instances"]}


def parse_time(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def http_check(url, interval="1s", timeout="500ms", **extra):
    return dict({"http": url, "interval": interval, "timeout": timeout}, **extra)


def transitions(b, instance, service="web"):
    """(from, to, reason) of every health_changed line of one instance."""
    out = []
    for line in b.log_lines():
        if "event=health_changed" in line and f"service={service} " in line and re.search(rf"instance={instance}\b", line):
            m = re.search(r"from=(\w+) to=(\w+) reason=(.*)$", line)
            out.append((m.group(1), m.group(2), m.group(3).strip("\"")))
    return out


class HealthChecks(unittest.TestCase):
    def setUp(self):
        self.targets = []

    def tearDown(self):
        for t in self.targets:
            t.close()

    def target(self, t):
        self.targets.append(t)
        return t

    def wait_first_check(self, b, instance, output, service="web", timeout=3.0):
        """Waits until the API shows a check run of `instance` with `output`."""
        def ran():
            i = instances(b, service).get(instance)
            return i is not None and i["check_status"]["last_check"] is not None and i["check_status"]["output"] == output
        self.assertIsNotNone(wait_until(ran, timeout), f"{instance}: no check with output {output!r}: "
                             f"{instances(b, service).get(instance)}")

    def assert_leaves(self, b, address, bound, service="web"):
        took = wait_until(lambda: address not in served(b, service), bound + 1.0)
        self.assertIsNotNone(took, f"{address} still served after {bound + 1.0:.1f}s:\n" + b.stderr()[-3000:])
        self.assertLessEqual(took, bound, f"{address} left DNS after {took:.2f}s, bound {bound:.2f}s")
        return took

    def assert_returns(self, b, address, bound, service="web"):
        took = wait_until(lambda: address in served(b, service), bound + 1.0)
        self.assertIsNotNone(took, f"{address} not served again after {bound + 1.0:.1f}s:\n" + b.stderr()[-3000:])
        self.assertLessEqual(took, bound, f"{address} came back after {took:.2f}s, bound {bound:.2f}s")
        return took

    # -- HTTP -----------------------------------------------------------------------------------

    def test_http_503_leaves_dns_within_bound_recovers_and_logs_each_transition_once(self):
        flip = self.target(FlipServer(200))
        with Beacond(config=config()) as b:
            b.register("web", "a", {"address": "10.1.0.1", "port": 80, "check": http_check(flip.url)})
            b.register("web", "b", {"address": "10.1.0.2", "port": 80})
            self.wait_first_check(b, "a", "HTTP 200")
            self.assertEqual(served(b), ["10.1.0.1", "10.1.0.2"])
            a = instances(b)["a"]
            self.assertEqual(a["health"], "passing")
            self.assertEqual(a["check"]["http"], flip.url)

            flip.status = 503
            flipped = time.time()
            self.assert_leaves(b, "10.1.0.1", 1.0 + 0.5 + SLACK)
            self.assertEqual(served(b), ["10.1.0.2"])
            d = b.dig(f"a.web.{ZONE}", "A")  # the instance's own name: NODATA, not NXDOMAIN
            self.assertEqual((d.status, d.answer), ("NOERROR", []))
            a = instances(b)["a"]
            self.assertEqual(a["health"], "critical")
            self.assertEqual(a["check_status"]["status"], "critical")
            self.assertEqual(a["check_status"]["output"], "HTTP 503")
            last_check = parse_time(a["check_status"]["last_check"])
            last_change = parse_time(a["check_status"]["last_change"])
            self.assertGreaterEqual(last_change, flipped - 0.05)
            self.assertLessEqual(last_change, last_check)
            self.assertLessEqual(last_check, time.time() + 0.05)

            flip.status = 200
            self.assert_returns(b, "10.1.0.1", 1.0 + SLACK)
            self.assertEqual(served(b), ["10.1.0.1", "10.1.0.2"])
            self.assertEqual(instances(b)["a"]["check_status"]["output"], "HTTP 200")

            # More check runs happen, but a transition is logged once: wait two more intervals.
            runs = flip.requests
            self.assertIsNotNone(wait_until(lambda: flip.requests >= runs + 2, 3.0))
            self.assertEqual(transitions(b, "a"), [("passing", "critical", "check: HTTP 503"),
                                                   ("critical", "passing", "check: HTTP 200")])
            self.assertEqual(transitions(b, "b"), [])

    def test_thresholds_delay_both_ways(self):
        flip = self.target(FlipServer(200))
        with Beacond(config=config()) as b:
            check = http_check(flip.url, interval="500ms", failures_before_critical=3, successes_before_passing=2)
            b.register("web", "a", {"address": "10.1.1.1", "port": 80, "check": check})
            self.wait_first_check(b, "a", "HTTP 200")

            flip.status = 503
            took = self.assert_leaves(b, "10.1.1.1", 3 * 0.5 + 0.5 + SLACK)
            self.assertGreaterEqual(took, 2 * 0.5 - 0.1, "turned critical before 3 failures")
            flip.status = 200
            took = self.assert_returns(b, "10.1.1.1", 2 * 0.5 + SLACK)
            self.assertGreaterEqual(took, 0.5 - 0.1, "passing again before 2 successes")
            self.assertEqual([t[:2] for t in transitions(b, "a")], [("passing", "critical"), ("critical", "passing")])

    def test_429_is_warning_served_unless_only_passing(self):
        for only_passing in (False, True):
            with self.subTest(only_passing=only_passing):
                flip = self.target(FlipServer(200))
                with Beacond(config=config(only_passing="true" if only_passing else "false")) as b:
                    b.register("web", "a", {"address": "10.1.2.1", "port": 80, "check": http_check(flip.url)})
                    b.register("web", "b", {"address": "10.1.2.2", "port": 80})
                    self.wait_first_check(b, "a", "HTTP 200")
                    self.assertIn("10.1.2.1", served(b))
                    flip.status = 429
                    self.wait_first_check(b, "a", "HTTP 429")
                    a = instances(b)["a"]
                    self.assertEqual((a["health"], a["check_status"]["status"]), ("warning", "warning"))
                    if only_passing:
                        self.assert_leaves(b, "10.1.2.1", 1.0)  # already decided: the publish is near
                        self.assertEqual(served(b), ["10.1.2.2"])
                    else:
                        self.assertEqual(served(b), ["10.1.2.1", "10.1.2.2"])
                        self.assertEqual(b.dig(f"a.web.{ZONE}", "A").rrset("answer", f"a.web.{ZONE}", "A"), ["10.1.2.1"])
                    flip.status = 200
                    self.assert_returns(b, "10.1.2.1", 1.0 + SLACK)
                    self.wait_first_check(b, "a", "HTTP 200")
                    self.assertEqual(instances(b)["a"]["health"], "passing")
                    self.assertEqual([t[:2] for t in transitions(b, "a")], [("passing", "warning"), ("warning", "passing")])

    def test_black_hole_is_critical_after_the_timeout(self):
        hole = self.target(BlackHole())
        with Beacond(config=config()) as b:
            b.register("web", "b", {"address": "10.1.3.2", "port": 80})
            registered = time.monotonic()
            b.register("web", "a", {"address": "10.1.3.1", "port": 80, "check": http_check(hole.url, timeout="500ms")})
            # Passing until its first check has timed out: first run within one interval, then 500 ms.
            took = self.assert_leaves(b, "10.1.3.1", 1.0 + 0.5 + SLACK)
            self.assertGreaterEqual(time.monotonic() - registered, 0.5 - 0.05, "critical before the timeout")
            a = instances(b)["a"]
            self.assertEqual(a["health"], "critical")
            self.assertEqual(a["check_status"]["output"], "timed out after 500ms")
            self.assertIsNotNone(a["check_status"]["last_check"])
            self.assertEqual(served(b), ["10.1.3.2"])
            self.assertEqual([t[:2] for t in transitions(b, "a")], [("passing", "critical")])
            del took

    # -- TCP ------------------------------------------------------------------------------------

    def test_tcp_listener_closed_then_reopened(self):
        tcp = self.target(TcpTarget())
        with Beacond(config=config()) as b:
            b.register("web", "a", {"address": "10.1.4.1", "port": 80,
                                    "check": {"tcp": f"127.0.0.1:{tcp.port}", "interval": "1s", "timeout": "500ms"}})
            b.register("web", "b", {"address": "10.1.4.2", "port": 80})
            self.wait_first_check(b, "a", "connected")
            self.assertEqual(served(b), ["10.1.4.1", "10.1.4.2"])

            tcp.close()
            self.assert_leaves(b, "10.1.4.1", 1.0 + SLACK)  # refused at once: no timeout to wait
            a = instances(b)["a"]
            self.assertEqual(a["health"], "critical")
            self.assertEqual(a["check_status"]["output"], "Connection refused")

            tcp.reopen()
            self.assert_returns(b, "10.1.4.1", 1.0 + SLACK)
            self.assertEqual(instances(b)["a"]["check_status"]["output"], "connected")
            self.assertEqual(transitions(b, "a"), [("passing", "critical", "check: Connection refused"),
                                                   ("critical", "passing", "check: connected")])

    # -- fail_open, deregister_after, heartbeat + check -----------------------------------------

    def test_fail_open_serves_all_when_all_fail(self):
        one, two = self.target(FlipServer(200)), self.target(FlipServer(200))
        with Beacond(config=config(fail_open="true")) as b:
            b.register("web", "a", {"address": "10.1.5.1", "port": 80, "check": http_check(one.url)})
            b.register("web", "b", {"address": "10.1.5.2", "port": 80, "check": http_check(two.url)})
            self.wait_first_check(b, "a", "HTTP 200")
            self.wait_first_check(b, "b", "HTTP 200")

            # One fails: trimmed as usual, not failing open.
            one.status = 503
            self.assert_leaves(b, "10.1.5.1", 1.0 + SLACK)
            self.assertFalse(b.api_json("GET", "/v1/services/web", expect=200)[1]["fail_open"])

            # Both fail: both served, the API and the log say so.
            mark = b.log_mark()
            two.status = 503
            self.assertIsNotNone(wait_until(lambda: instances(b)["b"]["health"] == "critical", 1.0 + SLACK))
            b.wait_for_log(r"event=fail_open\b.*service=web", after=mark, timeout=1.0)
            self.assertEqual(served(b), ["10.1.5.1", "10.1.5.2"])
            body = b.api_json("GET", "/v1/services/web", expect=200)[1]
            self.assertTrue(body["fail_open"])
            self.assertEqual({i["health"] for i in body["instances"]}, {"critical"})
            services = b.api_json("GET", "/v1/services", expect=200)[1]["services"]
            self.assertTrue([s for s in services if s["name"] == "web"][0]["fail_open"])

            # One recovers: fail_open ends, only the healthy one is served.
            mark = b.log_mark()
            two.status = 200
            self.assert_leaves(b, "10.1.5.1", 1.0 + SLACK)
            self.assertEqual(served(b), ["10.1.5.2"])
            b.wait_for_log(r"event=fail_open_ended\b.*service=web", after=mark, timeout=1.0)
            self.assertFalse(b.api_json("GET", "/v1/services/web", expect=200)[1]["fail_open"])
            self.assertEqual(len([l for l in b.log_lines() if re.search(r"event=fail_open\b", l)]), 1)

    def test_without_fail_open_all_critical_is_nodata(self):
        flip = self.target(FlipServer(503))
        with Beacond(config=config()) as b:
            b.register("web", "a", {"address": "10.1.6.1", "port": 80, "check": http_check(flip.url)})
            self.assert_leaves(b, "10.1.6.1", 1.0 + SLACK)
            d = b.dig(f"web.{ZONE}", "A")
            # Seen once in CI: served again right after it left. The log says what happened in between.
            self.assertEqual((d.status, d.answer), ("NOERROR", []), b.stderr()[-3000:])
            self.assertEqual(len(d.authority), 1)  # the SOA
            self.assertFalse(b.api_json("GET", "/v1/services/web", expect=200)[1]["fail_open"])

    def test_deregister_after_removes_an_instance_whose_check_stays_critical(self):
        flip = self.target(FlipServer(200))
        with Beacond(config=config()) as b:
            b.register("web", "a", {"address": "10.1.7.1", "port": 80, "deregister_after": "1s",
                                    "check": http_check(flip.url)})
            b.register("web", "b", {"address": "10.1.7.2", "port": 80})
            self.wait_first_check(b, "a", "HTTP 200")
            # Passing for longer than deregister_after: nothing happens.
            time.sleep(1.2)
            self.assertIn("a", instances(b))
            flip.status = 503
            flipped = time.monotonic()
            self.assertIsNotNone(wait_until(lambda: "a" not in instances(b), 1.0 + 1.0 + SLACK + 1.0),
                                 "deregister_after did not remove the instance:\n" + b.stderr()[-3000:])
            took = time.monotonic() - flipped
            self.assertGreaterEqual(took, 1.0 - 0.05, "removed before deregister_after")
            self.assertLessEqual(took, 1.0 + 1.0 + SLACK, "removed late")
            self.assertEqual(b.api("DELETE", "/v1/services/web/instances/a")[0], 404)
            self.assertEqual(b.api("PUT", "/v1/services/web/instances/a/heartbeat")[0], 404)
            d = b.dig(f"a.web.{ZONE}", "A")
            self.assertEqual(d.status, "NXDOMAIN")
            self.assertEqual(served(b), ["10.1.7.2"])
            b.wait_for_log(r"event=instance_deregistered.*service=web.*instance=a\b", timeout=1.0)
            # Its check stops with it.
            runs = flip.requests
            time.sleep(1.5)
            self.assertLessEqual(flip.requests, runs + 1)

    def test_health_is_worst_of_heartbeat_and_check(self):
        flip = self.target(FlipServer(200))
        with Beacond(config=config()) as b:
            b.register("web", "a", {"address": "10.1.8.1", "port": 80, "ttl": "30s", "check": http_check(flip.url)})
            self.wait_first_check(b, "a", "HTTP 200")
            # A critical heartbeat beats a passing check...
            b.api_json("PUT", "/v1/services/web/instances/a/heartbeat", {"status": "critical"}, expect=200)
            self.assertEqual(served(b), [])
            a = instances(b)["a"]
            self.assertEqual((a["health"], a["check_status"]["status"]), ("critical", "passing"))
            # ...and a critical check beats a passing heartbeat.
            b.api_json("PUT", "/v1/services/web/instances/a/heartbeat", {"status": "passing"}, expect=200)
            self.assertEqual(served(b), ["10.1.8.1"])
            flip.status = 503
            self.assert_leaves(b, "10.1.8.1", 1.0 + SLACK)
            a = instances(b)["a"]
            self.assertEqual((a["health"], a["heartbeat_status"], a["check_status"]["status"]),
                             ("critical", "passing", "critical"))
            # Warning + passing = warning, served.
            flip.status = 429
            self.assert_returns(b, "10.1.8.1", 1.0 + SLACK)
            self.assertEqual(instances(b)["a"]["health"], "warning")


if __name__ == "__main__":
    harness.main()
