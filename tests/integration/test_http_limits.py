#!/usr/bin/env python3
"""HTTP abuse limits (issue 6 §4): a request deadline that drops a slowloris client while
others are served, the connection limit, the keep-alive limits, and error bodies that carry
no library or SQLite text."""

import http.client
import json
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CLOSE_SLACK = 3.0  # on top of a configured timeout; generous for a loaded CI box


def connect(server):
    return socket.create_connection(("127.0.0.1", server.http_port), timeout=5)


class SlowlorisTest(unittest.TestCase):
    """http.request_timeout: 1s; the trickling client never finishes its headers."""

    def setUp(self):
        self.server = harness.Beacond(config="http:\n  request_timeout: 1s\n  idle_timeout: 30s\n")
        self.server.start()
        self.addCleanup(self.server.stop)

    def trickle(self, sock, data, interval, stop):
        for byte in data:
            if stop.is_set():
                return
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return
            stop.wait(interval)

    def test_trickling_headers_are_dropped_within_the_bound(self):
        sock = connect(self.server)
        self.addCleanup(sock.close)
        stop = threading.Event()
        self.addCleanup(stop.set)
        headers = b"GET /v1/services HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 4000
        start = time.monotonic()
        threading.Thread(target=self.trickle, args=(sock, headers, 0.1, stop), daemon=True).start()
        # Others are served meanwhile, on the same (control) thread.
        for _ in range(3):
            self.assertEqual(self.server.api("GET", "/healthz", timeout=1.0)[0], 200)
        elapsed = harness.wait_closed_by_peer(sock, 1.0 + CLOSE_SLACK)
        self.assertIsNotNone(elapsed, "a slowloris client still holds its connection")
        self.assertLess(time.monotonic() - start, 1.0 + CLOSE_SLACK)
        self.assertGreaterEqual(time.monotonic() - start, 0.8, "dropped well before request_timeout")

    def test_trickling_after_a_first_request_is_dropped_too(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=5)
        self.addCleanup(conn.close)
        self.assertEqual(harness.http_request(conn, "GET", "/healthz")[0], 200)
        stop = threading.Event()
        self.addCleanup(stop.set)
        threading.Thread(target=self.trickle, args=(conn.sock, b"GET /healthz HTTP/1.1\r\n" + b"X: " + b"b" * 4000, 0.1, stop),
                         daemon=True).start()
        self.assertIsNotNone(harness.wait_closed_by_peer(conn.sock, 1.0 + CLOSE_SLACK))


class ConnectionLimitTest(unittest.TestCase):
    """http.max_connections: 3."""

    def setUp(self):
        self.server = harness.Beacond(config="http:\n  max_connections: 3\n  request_timeout: 30s\n")
        self.server.start()
        self.addCleanup(self.server.stop)

    def test_connections_beyond_the_limit_are_closed(self):
        held = [connect(self.server) for _ in range(3)]
        for s in held:
            self.addCleanup(s.close)
        # The three are accepted (they wait for a request); a fourth is closed at once.
        extra = connect(self.server)
        self.addCleanup(extra.close)
        self.assertIsNotNone(harness.wait_closed_by_peer(extra, CLOSE_SLACK), "the 4th connection was kept")
        self.assertTrue(all(harness.is_open_without_data(s) for s in held))
        # A held connection still works, and a freed slot is taken by a new client.
        held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn(b"200 OK", held[0].recv(4096))
        held[1].close()
        deadline = time.monotonic() + CLOSE_SLACK
        while True:
            try:
                if self.server.api("GET", "/healthz", timeout=1.0)[0] == 200:
                    break
            except (OSError, http.client.HTTPException):
                pass
            self.assertLess(time.monotonic(), deadline, "the freed slot was never reused")
            time.sleep(0.05)


class KeepAliveTest(unittest.TestCase):
    """http.keepalive_requests: 3, http.idle_timeout: 1s."""

    def setUp(self):
        self.server = harness.Beacond(config="http:\n  keepalive_requests: 3\n  idle_timeout: 1s\n")
        self.server.start()
        self.addCleanup(self.server.stop)

    def test_connection_closes_after_the_request_limit(self):
        with connect(self.server) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 5)  # pipelined
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        responses = data.split(b"HTTP/1.1 ")[1:]
        self.assertEqual(len(responses), 3, data)
        self.assertTrue(all(r.startswith(b"200") for r in responses))
        self.assertIn(b"Connection: close", responses[2])
        self.assertNotIn(b"Connection: close", responses[0])

    def test_idle_connection_closes_after_idle_timeout(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=5)
        self.addCleanup(conn.close)
        self.assertEqual(harness.http_request(conn, "GET", "/healthz")[0], 200)
        elapsed = harness.wait_closed_by_peer(conn.sock, 1.0 + CLOSE_SLACK)
        self.assertIsNotNone(elapsed, "an idle keep-alive connection was kept")
        self.assertGreaterEqual(elapsed, 0.8)


class NoInternalDetailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Beacond()
        cls.server.start()
        cls.addClassCleanup(cls.server.stop)

    def test_bad_json_names_the_position_not_the_parser(self):
        status, _, raw = self.server.api("PUT", "/v1/services/web/instances/a", b'{"port": 80,,}',
                                         headers={"Content-Type": "application/json"})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(raw), {"error": "the body is not valid JSON (at byte 12)", "field": "body"})

    def test_malformed_request_has_a_fixed_message(self):
        with connect(self.server) as s:
            s.sendall(b"GET / HTTP/1.1\r\nBad Header Line\r\n\r\n")
            data = s.recv(4096)
        self.assertIn(b"400 Bad Request", data)
        body = json.loads(data.split(b"\r\n\r\n", 1)[1])
        self.assertEqual(body, {"error": "malformed HTTP request", "field": "request"})


if __name__ == "__main__":
    harness.main()
