"""c-ares against beacond (issue 5), through tests/clients/cares_probe (Debian's libc-ares, the
way an application using it resolves): A, AAAA, SRV with every target resolvable, TXT,
NXDOMAIN (ENOTFOUND), NODATA (ENODATA), and an SRV answer too big for 512 bytes that c-ares
gets whole by retrying over TCP on TC=1 by itself.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients"))
import support  # noqa: E402
from support import ZONE, Server, config, run  # noqa: E402
from dnswire import FLAG_TC, build_query, udp_exchange  # noqa: E402

MANY = 40  # instances of `many`: its SRV answer is ~1.3 KB


class CAres(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.b = Server(config(threads=2))
        cls.b.start()
        cls.b.register("web", "web-1", {"addresses": ["192.0.2.1", "2001:db8::1"], "port": 8080,
                                        "meta": {"version": "1.4.2", "env": "prod"}})
        cls.b.register("web", "web-2", {"addresses": ["192.0.2.2", "2001:db8::2"], "port": 8081})
        cls.b.register("v4only", "a", {"address": "192.0.2.10", "port": 80})
        for i in range(MANY):
            cls.b.register("many", f"instance-{i:03d}", {"address": f"198.51.100.{i + 1}", "port": 9000 + i})

    @classmethod
    def tearDownClass(cls):
        cls.b.stop()

    def probe(self, name, qtype, *flags, expect_rc=0):
        cmd = [support.CARES_PROBE, *flags, f"127.0.0.1:{self.b.port}", name, qtype]
        done = run(cmd, timeout=20, check=False)
        self.assertEqual(done.returncode, expect_rc, f"{' '.join(cmd)}:\n{done.stdout}{done.stderr}")
        return done.stdout.splitlines(), done.stderr

    def test_a_and_aaaa(self):
        for flags in ((), ("--tcp",), ("--edns", "1232")):
            with self.subTest(flags=flags):
                lines, _ = self.probe("web." + ZONE, "A", *flags)
                self.assertEqual(sorted(lines), ["A 192.0.2.1", "A 192.0.2.2"])
                lines, _ = self.probe("web." + ZONE, "AAAA", *flags)
                self.assertEqual(sorted(lines), ["AAAA 2001:db8::1", "AAAA 2001:db8::2"])

    def test_srv_with_resolvable_targets(self):
        for name in ("_web._tcp." + ZONE, "web." + ZONE):
            with self.subTest(name=name):
                lines, _ = self.probe(name, "SRV")
                srv = sorted(line.lower() for line in lines if line.startswith("SRV "))
                self.assertEqual(len(srv), 2, lines)
                ports = {}
                for line in srv:
                    _, prio, weight, port, target = line.split()
                    ports[target] = port
                self.assertEqual(ports, {"web-1.web.svc.internal": "8080", "web-2.web.svc.internal": "8081"})
                targets = sorted(line.lower() for line in lines if line.startswith("TARGET "))
                self.assertEqual(targets, ["target web-1.web.svc.internal a 192.0.2.1",
                                           "target web-1.web.svc.internal aaaa 2001:db8::1",
                                           "target web-2.web.svc.internal a 192.0.2.2",
                                           "target web-2.web.svc.internal aaaa 2001:db8::2"])

    def test_txt_metadata(self):
        lines, _ = self.probe("web-1.web." + ZONE, "TXT")
        self.assertEqual(sorted(lines), ["TXT env=prod", "TXT version=1.4.2"])

    def test_nxdomain_is_enotfound_and_nodata_is_enodata(self):
        _, err = self.probe("nope." + ZONE, "A", expect_rc=2)
        self.assertRegex(err, r"^ERROR ENOTFOUND")
        _, err = self.probe("v4only." + ZONE, "AAAA", expect_rc=2)
        self.assertRegex(err, r"^ERROR ENODATA")
        lines, _ = self.probe("v4only." + ZONE, "A")
        self.assertEqual(lines, ["A 192.0.2.10"])

    def test_large_srv_answer_arrives_whole_through_tcp_fallback(self):
        name = "_many._tcp." + ZONE
        # Over UDP without EDNS the answer does not fit: TC=1 (what c-ares sees first).
        msg = udp_exchange("127.0.0.1", self.b.port, build_query(name, "SRV", qid=77))
        self.assertTrue(msg.has(FLAG_TC), "the SRV answer fits 512 bytes: the test needs more instances")
        self.assertLess(len(msg.answer), MANY)
        lines, _ = self.probe(name, "SRV")  # no EDNS: 512 bytes, then TCP
        srv = sorted(line for line in lines if line.startswith("SRV "))
        self.assertEqual(len(srv), MANY, lines)
        self.assertEqual(sorted(int(line.split()[3]) for line in srv), list(range(9000, 9000 + MANY)))
        targets = [line for line in lines if line.startswith("TARGET ")]
        self.assertEqual(len(targets), MANY)


if __name__ == "__main__":
    support.main(cares_probe=True)
