#!/usr/bin/env python3
"""Response rate limiting (dns.rrl): a UDP flood from one client is limited, every slip-th
limited response is a truncated answer so a real client can retry over TCP, other clients are
unaffected, and loopback is exempt unless the exemption list is emptied."""

import os
import re
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnswire  # noqa: E402
import harness  # noqa: E402
from harness import build_query, parse_message  # noqa: E402

RATE = 20
FLOOD = 300


def limited_config(exempt="[]"):
    return f"""dns:
  rrl:
    rate: {RATE}
    slip: 2
    ipv4_prefix: 32
    exempt: {exempt}
"""


def bound_socket(host):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((host, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    return s


def server_host(sock):
    return "::1" if sock.family == socket.AF_INET6 else "127.0.0.1"


def collect(sock, quiet=0.5, limit=5.0):
    """Every response until `quiet` seconds pass without one."""
    sock.settimeout(quiet)
    out = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            out.append(parse_message(sock.recv(65535)))
        except socket.timeout:
            break
    return out


def split(responses):
    full = [m for m in responses if not m.has(harness.FLAG_TC)]
    slipped = [m for m in responses if m.has(harness.FLAG_TC)]
    return full, slipped


class RateLimitTest(unittest.TestCase):
    def flood(self, server, victim_host="127.0.0.1", bystander_hosts=("127.0.0.2",)):
        """FLOOD queries from `victim_host`, interleaved with a few from each bystander."""
        victim = bound_socket(victim_host)
        bystanders = [bound_socket(h) for h in bystander_hosts]
        for s in [victim] + bystanders:
            self.addCleanup(s.close)
        query = build_query("www.example.test", "A", qid=1)
        for i in range(FLOOD):
            victim.sendto(query, (server.host, server.port))
            if i % 30 == 0:
                for b in bystanders:
                    b.sendto(build_query("www.example.test", "A", qid=i), (server_host(b), server.port))
            if i % 25 == 24:
                time.sleep(0.002)  # stay within the server's socket buffer: drops must be RRL's
        return collect(victim), [collect(b) for b in bystanders]

    def test_flood_from_one_client_is_limited_and_slipped_others_unaffected(self):
        ipv6 = dnswire.has_ipv6_loopback()
        with harness.Beacond(config=limited_config(), ipv6=ipv6) as server:
            bystander_hosts = ("127.0.0.2", "::1") if ipv6 else ("127.0.0.2",)
            victim, bystanders = self.flood(server, bystander_hosts=bystander_hosts)
            full, slipped = split(victim)
            # The flood may straddle a second boundary: at most two seconds' worth get through.
            self.assertLessEqual(len(full), 2 * RATE)
            self.assertGreaterEqual(len(full), RATE)
            limited = FLOOD - len(full)
            self.assertGreaterEqual(len(slipped), limited // 2 - 2)  # slip 2: every second one
            self.assertLessEqual(len(slipped), limited // 2 + 2)
            for m in slipped:
                self.assertEqual((m.answer, m.authority, m.additional), ([], [], []))
                self.assertEqual(m.question[0][0], "www.example.test.")
            for m in full:
                self.assertEqual([r.rdata for r in m.answer], ["192.0.2.1"])
            for host, got in zip(bystander_hosts, bystanders):
                full_b, slipped_b = split(got)
                self.assertEqual((len(full_b), len(slipped_b)), (FLOOD // 30, 0), host)
            # TCP is never limited: the flooded client still gets its answer there.
            msg = server.tcp(build_query("www.example.test", "A", qid=7))
            self.assertEqual([r.rdata for r in msg.answer], ["192.0.2.1"])
            status, _, body = server.api("GET", "/metrics")
            self.assertEqual(status, 200)
            text = body.decode()
            self.assertRegex(text, r'beacon_dns_rrl_responses_total\{action="dropped"\} [1-9]')
            self.assertRegex(text, r'beacon_dns_rrl_responses_total\{action="slipped"\} [1-9]')
            self.assertIn("rrl_limiting", server.stderr())

    def test_dig_gets_its_answer_over_tcp_when_slipped(self):
        config = limited_config().replace("slip: 2", "slip: 1")
        with harness.Beacond(config=config) as server:
            # A steady flood from the same address (bounded: 1.5 s) keeps it over the rate while
            # dig asks; every limited response is truncated (slip 1), so dig retries over TCP.
            stop = threading.Event()
            flooder = threading.Thread(target=self.steady_flood, args=(server, stop))
            flooder.start()
            self.addCleanup(flooder.join)
            self.addCleanup(stop.set)
            self.wait_until_slipping(server)
            answer = server.dig("-b", "127.0.0.1", "www.example.test", "A")
            self.assertTrue(answer.retried_over_tcp, answer.text)
            self.assertEqual(answer.rrset("answer", "www.example.test.", "A"), ["192.0.2.1"])

    def wait_until_slipping(self, server, timeout=1.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, _, body = server.api("GET", "/metrics")
            if re.search(rb'beacon_dns_rrl_responses_total\{action="slipped"\} [1-9]', body):
                return
        self.fail("the flooding client was never limited")

    @staticmethod
    def steady_flood(server, stop):
        sock = bound_socket("127.0.0.1")
        query = build_query("www.example.test", "A", qid=9)
        deadline = time.monotonic() + 1.5
        with sock:
            while not stop.is_set() and time.monotonic() < deadline:
                for _ in range(RATE):
                    sock.sendto(query, (server.host, server.port))
                time.sleep(0.01)

    def test_loopback_is_exempt_by_default(self):
        with harness.Beacond(config=f"dns:\n  rrl:\n    rate: {RATE}\n") as server:
            victim, _ = self.flood(server, bystander_hosts=())
            full, slipped = split(victim)
            self.assertEqual((len(full), len(slipped)), (FLOOD, 0))

    def test_bad_rrl_settings_are_refused(self):
        for bad, key in (("exempt: [10.0.0.0/33]", "dns.rrl.exempt"), ("rate: -1", "dns.rrl.rate"),
                         ("burst: 5", "dns.rrl.burst")):
            with self.subTest(bad=bad):
                with tempfile.TemporaryDirectory(prefix="beacon-rrl-") as d:
                    path = os.path.join(d, "bad.yaml")
                    harness.write_file(path, f"dns:\n  rrl:\n    {bad}\n")
                    code, out, err = harness.run_beacond(["--check-config", path])
                self.assertNotEqual(code, 0)
                self.assertIn(key, out + err)


if __name__ == "__main__":
    harness.main()
