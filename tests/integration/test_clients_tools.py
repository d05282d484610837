"""Command-line DNS clients against beacond (issue 5): dig, kdig, nslookup, host and drill, each
over UDP and over TCP, each seeing the registered instances; and the A/AAAA behaviour glibc
relies on: parallel A and AAAA queries on one UDP socket both answered promptly with matching
ids, NODATA (not NXDOMAIN) for the family a service lacks, and answers up to dns.max_answers
fitting 512 bytes without EDNS.

TCP mode is proven, not assumed: the TCP runs go through a TCP-only relay on a port where
nothing listens for UDP, so a client that quietly used UDP would fail.
"""

import ipaddress
import os
import re
import socket
import socketserver
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients"))
import support  # noqa: E402
from support import ZONE, Server, config, harness, run  # noqa: E402
from dnswire import FLAG_TC, RCODE, TYPE, build_query, parse_message  # noqa: E402

WEB = "web." + ZONE
V4 = [f"192.0.2.{i}" for i in (1, 2, 3)]
V6 = [f"2001:db8::{i}" for i in (1, 2, 3)]


class TcpRelay:
    """Accepts TCP on a free, locked loopback port (nothing listens there for UDP) and relays
    each connection to beacond's TCP port. `connections` counts what it relayed."""

    def __init__(self, target_port):
        self.port, self._lock = harness.reserve_port()
        self.connections = 0
        relay = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                relay.connections += 1
                with socket.create_connection(("127.0.0.1", target_port), timeout=5) as up:
                    pump = threading.Thread(target=_pipe, args=(up, self.request), daemon=True)
                    pump.start()
                    _pipe(self.request, up)
                    pump.join(timeout=5)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        os.close(self._lock)
        return False


def _pipe(src, dst):
    try:
        while True:
            data = src.recv(65535)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def addresses_in(text, server_port):
    """Every IPv4/IPv6 address of the test ranges printed by a client, as a sorted set."""
    found = set()
    for token in re.findall(r"[0-9a-fA-F:.]+", text):
        token = token.strip(".:")
        try:
            addr = ipaddress.ip_address(token)
        except ValueError:
            continue
        if addr in ipaddress.ip_network("192.0.2.0/24") or addr in ipaddress.ip_network("2001:db8::/32"):
            found.add(str(addr))
    return sorted(found)


# One command line per client: (name, argv for UDP, argv for TCP); {port} and {name} filled in.
# nslookup and host ask for A and AAAA themselves; the others get one line per type.
CLIENTS = [
    ("dig", [["dig", "@127.0.0.1", "-p", "{port}", "+time=2", "+tries=1", "{name}", "A", "{name}", "AAAA"]],
     [["dig", "@127.0.0.1", "-p", "{port}", "+time=2", "+tries=1", "+tcp", "{name}", "A", "{name}", "AAAA"]]),
    ("kdig", [["kdig", "@127.0.0.1", "-p", "{port}", "+time=2", "+retry=0", "{name}", "A"],
              ["kdig", "@127.0.0.1", "-p", "{port}", "+time=2", "+retry=0", "{name}", "AAAA"]],
     [["kdig", "@127.0.0.1", "-p", "{port}", "+time=2", "+retry=0", "+tcp", "{name}", "A"],
      ["kdig", "@127.0.0.1", "-p", "{port}", "+time=2", "+retry=0", "+tcp", "{name}", "AAAA"]]),
    ("nslookup", [["nslookup", "-port={port}", "-timeout=2", "-retry=1", "{name}", "127.0.0.1"]],
     [["nslookup", "-vc", "-port={port}", "-timeout=2", "-retry=1", "{name}", "127.0.0.1"]]),
    ("host", [["host", "-W", "2", "-R", "1", "-p", "{port}", "{name}", "127.0.0.1"]],
     [["host", "-T", "-W", "2", "-R", "1", "-p", "{port}", "{name}", "127.0.0.1"]]),
    ("drill", [["drill", "-p", "{port}", "{name}", "@127.0.0.1", "A"],
               ["drill", "-p", "{port}", "{name}", "@127.0.0.1", "AAAA"]],
     [["drill", "-t", "-p", "{port}", "{name}", "@127.0.0.1", "A"],
      ["drill", "-t", "-p", "{port}", "{name}", "@127.0.0.1", "AAAA"]]),
]


class CommandLineClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.b = Server(config(threads=2))
        cls.b.start()
        for i in (1, 2, 3):
            cls.b.register("web", f"web-{i}", {"addresses": [V4[i - 1], V6[i - 1]], "port": 8080})
        cls.b.register("v4only", "a", {"address": "192.0.2.10", "port": 80})

    @classmethod
    def tearDownClass(cls):
        cls.b.stop()

    def run_client(self, argvs, port, name=WEB):
        out = ""
        for argv in argvs:
            cmd = [a.format(port=port, name=name) for a in argv]
            out += run(cmd, timeout=20).stdout
        return out

    def test_every_client_sees_the_instances_over_udp_and_tcp(self):
        with TcpRelay(self.b.port) as relay:
            for client, udp_argvs, tcp_argvs in CLIENTS:
                with self.subTest(client=client, transport="udp"):
                    out = self.run_client(udp_argvs, self.b.port)
                    self.assertEqual(addresses_in(out, self.b.port), sorted(V4 + V6), out)
                with self.subTest(client=client, transport="tcp"):
                    before = relay.connections
                    out = self.run_client(tcp_argvs, relay.port)
                    self.assertEqual(addresses_in(out, relay.port), sorted(V4 + V6), out)
                    self.assertGreater(relay.connections, before, f"{client} did not connect over TCP")

    def test_every_client_sees_nxdomain_for_an_unknown_service(self):
        for client, udp_argvs, tcp_argvs in CLIENTS:
            with self.subTest(client=client):
                cmd = [a.format(port=self.b.port, name="nope." + ZONE) for a in udp_argvs[0]]
                done = run(cmd, timeout=20, check=False)
                self.assertRegex(done.stdout + done.stderr, r"NXDOMAIN|not found", done.stdout)

    def test_srv_through_dig_kdig_and_drill(self):
        name = "_web._tcp." + ZONE
        targets = [f"web-{i}.web.{ZONE}" for i in (1, 2, 3)]
        d = self.b_dig(name, "SRV")
        self.assertEqual(sorted(r.split()[3].lower() for r in d.rrset("answer", name, "SRV")), targets)
        for argv in (["kdig", "@127.0.0.1", "-p", str(self.b.port), name, "SRV"],
                     ["drill", "-p", str(self.b.port), name, "@127.0.0.1", "SRV"]):
            out = run(argv).stdout.lower()
            for t in targets:
                self.assertIn(f" 8080 {t}", out, out)

    def b_dig(self, *args):
        return harness.dig("127.0.0.1", self.b.port, *args)

    # -- what glibc relies on ------------------------------------------------------------------

    def test_parallel_a_and_aaaa_on_one_socket(self):
        """glibc sends A and AAAA back to back from one UDP socket and matches by id."""
        for round_ in range(20):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(2)
                s.connect(("127.0.0.1", self.b.port))
                qa, q6 = 0x1000 + round_, 0x2000 + round_
                start = time.monotonic()
                s.send(build_query(WEB, "A", qid=qa))
                s.send(build_query(WEB, "AAAA", qid=q6))
                got = {}
                while len(got) < 2:
                    msg = parse_message(s.recv(65535))
                    got[msg.id] = msg
                took = time.monotonic() - start
            self.assertEqual(sorted(got), [qa, q6])
            self.assertLess(took, 0.5, f"A+AAAA took {took:.3f}s")
            self.assertEqual(got[qa].question[0][1], TYPE["A"])
            self.assertEqual(got[q6].question[0][1], TYPE["AAAA"])
            self.assertEqual(sorted(r.rdata for r in got[qa].answer), V4)
            self.assertEqual(sorted(r.rdata for r in got[q6].answer), V6)

    def test_the_missing_family_is_nodata_not_nxdomain(self):
        name = "v4only." + ZONE
        a = self.b.query(name, "A")
        self.assertEqual([r.rdata for r in a.answer], ["192.0.2.10"])
        aaaa = self.b.query(name, "AAAA")
        self.assertEqual(aaaa.rcode, RCODE["NOERROR"])
        self.assertEqual(aaaa.answer, [])
        self.assertEqual([r.type for r in aaaa.authority], [TYPE["SOA"]])


class AnswersFit512(unittest.TestCase):
    def test_max_answers_fit_512_bytes_without_edns(self):
        max_answers = 8
        with Server(config(threads=1, max_answers=max_answers)) as b:
            for i in range(1, 21):
                # Long-ish ids: the SRV targets are what grows.
                b.register("big", f"instance-{i:03d}", {"addresses": [f"192.0.2.{i}", f"2001:db8::{i:x}"],
                                                       "port": 8080})
            for qtype in ("A", "AAAA"):
                for name in ("big." + ZONE, "BIG.Svc.Internal."):
                    msg = b.query(name, qtype)
                    self.assertFalse(msg.has(FLAG_TC), f"{name} {qtype}: TC set")
                    self.assertEqual(len(msg.answer), max_answers)
                    self.assertLessEqual(len(msg.raw), 512)
            # One instance's name: one record, a small answer.
            msg = b.query("instance-001.big." + ZONE, "A")
            self.assertEqual([r.rdata for r in msg.answer], ["192.0.2.1"])
            # And what a 512-byte client sees over TCP when a big SRV answer is truncated:
            msg = b.query("big." + ZONE, "SRV")
            self.assertLessEqual(len(msg.raw), 512)
            if msg.has(FLAG_TC):
                full = parse_message(harness.tcp_exchange("127.0.0.1", b.port, build_query("big." + ZONE, "SRV")).raw)
                self.assertEqual(len(full.answer), 20)


if __name__ == "__main__":
    support.main(tools=("dig", "kdig", "nslookup", "host", "drill"))
