#!/usr/bin/env python3
"""Authoritative answers as dig sees them: record types, CNAME chains, negative answers,
flags, wildcards, referrals, ANY, zones we do not serve, and listening on IPv6."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class AnswerTest(harness.ServerTestCase):
    def assert_positive(self, r, name, rtype, expected):
        self.assertEqual(r.status, "NOERROR")
        self.assertIn("aa", r.flags)
        self.assertEqual(r.rrset("answer", name, rtype), sorted(expected))
        self.assertEqual(r.authority, [], "no NS (or anything) in the authority of a positive answer")

    def test_a(self):
        r = self.dig("www.example.test", "A")
        self.assert_positive(r, "www.example.test.", "A", ["192.0.2.1"])
        self.assertEqual(r.answer[0][1], 3600)
        self.assertEqual(len(r.answer), 1)

    def test_aaaa(self):
        r = self.dig("www.example.test", "AAAA")
        self.assert_positive(r, "www.example.test.", "AAAA", ["2001:db8::1"])
        self.assertEqual(len(r.answer), 1)

    def test_srv(self):
        r = self.dig("_sip._udp.example.test", "SRV")
        self.assert_positive(r, "_sip._udp.example.test.", "SRV", ["10 60 5060 sip.example.test."])

    def test_txt(self):
        r = self.dig("txt.example.test", "TXT")
        self.assert_positive(r, "txt.example.test.", "TXT", ['"hello world" "second string"'])

    def test_cname_chain(self):
        r = self.dig("alias.example.test", "A")
        self.assertEqual(r.status, "NOERROR")
        self.assertIn("aa", r.flags)
        chain = [(name, rtype, rdata) for name, _, _, rtype, rdata in r.answer]
        self.assertEqual(chain, [
            ("alias.example.test.", "CNAME", "alias2.example.test."),
            ("alias2.example.test.", "CNAME", "alias3.example.test."),
            ("alias3.example.test.", "CNAME", "www.example.test."),
            ("www.example.test.", "A", "192.0.2.1"),
        ])
        self.assertEqual(r.authority, [])

    def test_cname_loop_ends_without_duplicate_records(self):
        r = self.dig("loop1.example.test", "A")
        self.assertIn(r.status, ("NOERROR", "SERVFAIL"))
        records = [(name, rtype, rdata) for name, _, _, rtype, rdata in r.answer]
        self.assertEqual(len(records), len(set(records)), f"duplicate records in the answer: {records}")
        self.server.assert_serving(self)

    def test_cname_queried_directly(self):
        r = self.dig("alias.example.test", "CNAME")
        self.assert_positive(r, "alias.example.test.", "CNAME", ["alias2.example.test."])
        self.assertEqual(len(r.answer), 1)

    def test_nxdomain_soa_ttl_is_min_of_soa_ttl_and_minimum(self):
        # example.test: SOA TTL 3600, MINIMUM 300 -> 300. other.test: SOA TTL 60, MINIMUM 600 -> 60.
        for qname, apex, ttl in (("nope.example.test", "example.test.", 300),
                                 ("nope.other.test", "other.test.", 60)):
            with self.subTest(qname=qname):
                r = self.dig(qname, "A")
                self.assertEqual(r.status, "NXDOMAIN")
                self.assertIn("aa", r.flags)
                self.assertEqual(r.answer, [])
                self.assertEqual(len(r.authority), 1)
                name, got_ttl, _, rtype, _ = r.authority[0]
                self.assertEqual((name, rtype, got_ttl), (apex, "SOA", ttl))

    def test_nodata(self):
        r = self.dig("www.example.test", "TXT")
        self.assertEqual(r.status, "NOERROR")
        self.assertIn("aa", r.flags)
        self.assertEqual(r.answer, [])
        self.assertEqual([(a[0], a[1], a[3]) for a in r.authority], [("example.test.", 300, "SOA")])

    def test_nodata_for_empty_non_terminal(self):
        # "_udp.example.test" exists only because "_sip._udp.example.test" does.
        r = self.dig("_udp.example.test", "A")
        self.assertEqual(r.status, "NOERROR")
        self.assertEqual(r.answer, [])
        self.assertEqual([a[3] for a in r.authority], ["SOA"])

    def test_refused_out_of_zone(self):
        for qname in ("www.example.com", "test", "."):
            with self.subTest(qname=qname):
                r = self.dig(qname, "A")
                self.assertEqual(r.status, "REFUSED")
                self.assertNotIn("aa", r.flags)
                self.assertEqual((r.answer, r.authority), ([], []))

    def test_flags_aa_rd_ra(self):
        with_rd = self.dig("+rec", "www.example.test", "A")
        self.assertEqual(with_rd.flags, {"qr", "aa", "rd"})  # RD copied, RA clear
        without_rd = self.dig("+norec", "www.example.test", "A")
        self.assertEqual(without_rd.flags, {"qr", "aa"})

    def test_question_case_is_echoed(self):
        r = self.dig("WwW.ExAmPlE.TeSt", "A")
        self.assertEqual(r.question, [("WwW.ExAmPlE.TeSt.", "IN", "A")])
        self.assertEqual(r.status, "NOERROR")
        self.assertEqual([a[4] for a in r.answer], ["192.0.2.1"])
        # And on the wire, byte for byte.
        msg = self.server.udp(harness.build_query("WwW.ExAmPlE.TeSt", "A", qid=77))
        self.assertEqual(msg.question[0][0], "WwW.ExAmPlE.TeSt.")

    def test_wildcard(self):
        r = self.dig("anything.wild.example.test", "A")
        self.assert_positive(r, "anything.wild.example.test.", "A", ["192.0.2.99"])
        self.assertEqual([a[0] for a in r.answer], ["anything.wild.example.test."])  # owner is the qname
        deep = self.dig("a.b.wild.example.test", "TXT")
        self.assert_positive(deep, "a.b.wild.example.test.", "TXT", ['"wildcard"'])
        nodata = self.dig("x.wild.example.test", "AAAA")
        self.assertEqual((nodata.status, nodata.answer), ("NOERROR", []))
        self.assertEqual([a[3] for a in nodata.authority], ["SOA"])

    def test_referral_with_glue(self):
        for qname in ("www.sub.example.test", "sub.example.test"):
            with self.subTest(qname=qname):
                r = self.dig(qname, "A")
                self.assertEqual(r.status, "NOERROR")
                self.assertNotIn("aa", r.flags, "a referral is not authoritative")
                self.assertEqual(r.answer, [])
                self.assertEqual(r.rrset("authority", "sub.example.test.", "NS"),
                                 ["ns.elsewhere.net.", "ns.sub.example.test."])
                self.assertEqual(len(r.authority), 2)
                self.assertEqual([(a[0], a[3], a[4]) for a in r.additional],
                                 [("ns.sub.example.test.", "A", "192.0.2.200")])

    def test_any_is_answered_with_one_rrset(self):
        r = self.dig("multi.example.test", "ANY")
        self.assertEqual(r.status, "NOERROR")
        self.assertIn("aa", r.flags)
        self.assertGreaterEqual(len(r.answer), 1)
        types = {a[3] for a in r.answer}
        self.assertEqual(len(types), 1, f"RFC 8482: one RRset, got {r.answer}")
        self.assertEqual({a[0] for a in r.answer}, {"multi.example.test."})

    def test_apex_soa_and_ns(self):
        soa = self.dig("example.test", "SOA")
        self.assert_positive(soa, "example.test.", "SOA",
                             ["ns1.example.test. hostmaster.example.test. 2024010101 3600 600 86400 300"])
        ns = self.dig("example.test", "NS")
        self.assert_positive(ns, "example.test.", "NS", ["ns1.example.test.", "ns2.example.test."])

    def test_kdig_agrees(self):
        out = harness.kdig(self.server.host, self.server.port, "www.example.test", "AAAA")
        self.assertIn("status: NOERROR", out)
        self.assertRegex(out, r"Flags: qr aa rd;")
        self.assertRegex(out, r"www\.example\.test\.\s+3600\s+IN\s+AAAA\s+2001:db8::1")


class Ipv6ListenTest(unittest.TestCase):
    def setUp(self):
        ok, why = harness.has_ipv6_loopback()
        if not ok:
            print(f"skipping IPv6 test: {why}", file=sys.stderr)
            self.skipTest(why)
        self.server = harness.Beacond(ipv6=True)
        self.server.start()  # readiness polls both 127.0.0.1 and ::1
        self.addCleanup(self.server.stop)

    def test_udp_and_tcp_on_ipv6_loopback(self):
        for transport in ("+notcp", "+tcp"):
            with self.subTest(transport=transport):
                r = self.server.dig(transport, "www.example.test", "AAAA", server="::1")
                self.assertEqual(r.status, "NOERROR")
                self.assertEqual(r.rrset("answer", "www.example.test.", "AAAA"), ["2001:db8::1"])
                self.assertEqual(r.transport, "TCP" if transport == "+tcp" else "UDP")
        v4 = self.server.dig("www.example.test", "A")
        self.assertEqual(v4.rrset("answer", "www.example.test.", "A"), ["192.0.2.1"])


if __name__ == "__main__":
    harness.main()
