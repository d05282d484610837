#!/usr/bin/env python3
"""EDNS(0) and message size: the OPT record is echoed with our UDP size, an answer that does
not fit a datagram is truncated without a partial RRset, and TCP carries it whole."""

import os
import sys
import unittest
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BIG = "big.example.test."


class EdnsTruncationTest(harness.ServerTestCase):
    def assert_no_partial_rrset(self, records, full_sizes):
        """Every (owner, type) in `records` appears with all of its records."""
        for (owner, rtype), n in Counter((r[0], r[3]) for r in records).items():
            self.assertEqual(n, full_sizes[(owner, rtype)], f"partial RRset {owner} {rtype}: {n} records")

    def test_opt_is_echoed_with_udp_size_1232(self):
        for bufsize in ("512", "1232", "4096"):
            with self.subTest(bufsize=bufsize):
                r = self.dig(f"+bufsize={bufsize}", "www.example.test", "A")
                self.assertEqual(r.status, "NOERROR")
                self.assertEqual(r.edns, {"version": 0, "udp": 1232})
        raw = self.server.udp(harness.build_query("www.example.test", "A", qid=9, edns=4096))
        self.assertEqual(len(raw.opt), 1)
        self.assertEqual((raw.edns_udp_size, raw.edns_version, raw.rcode), (1232, 0, 0))
        self.assertEqual(raw.opt[0].name, ".")

    def test_opt_echoed_on_negative_answers(self):
        for qname, status in (("nope.example.test", "NXDOMAIN"), ("www.example.com", "REFUSED")):
            with self.subTest(qname=qname):
                r = self.dig(qname, "A")
                self.assertEqual(r.status, status)
                self.assertEqual(r.edns, {"version": 0, "udp": 1232})

    def test_no_opt_without_edns(self):
        r = self.dig("+noedns", "www.example.test", "A")
        self.assertEqual(r.status, "NOERROR")
        self.assertIsNone(r.edns)
        self.assertEqual(r.counts[3], 0)

    def test_udp_truncation_sets_tc_without_partial_rrset(self):
        full = self.dig("+tcp", "big.example.test", "A")
        sizes = Counter((r[0], r[3]) for r in full.answer)
        for args in (("+bufsize=1232",), ("+bufsize=512",), ("+noedns",), ("+bufsize=4096",)):
            with self.subTest(args=args):
                r = self.dig("+ignore", *args, "big.example.test", "A")
                self.assertEqual(r.transport, "UDP")
                self.assertIn("tc", r.flags)
                self.assertIn("aa", r.flags)
                self.assertEqual(r.status, "NOERROR")
                self.assertEqual(r.answer, [], "the only RRset does not fit, so none of it is sent")
                self.assert_no_partial_rrset(r.answer + r.authority + r.additional, sizes)
        # Raw bytes too: the datagram respects the advertised size and the parse is clean.
        for edns, limit in ((None, 512), (1232, 1232), (4096, 1232), (600, 600)):
            with self.subTest(edns=edns):
                msg = self.server.udp(harness.build_query(BIG, "A", qid=31, edns=edns))
                self.assertTrue(msg.has(harness.FLAG_TC))
                self.assertLessEqual(len(msg.raw), limit)
                self.assertEqual(msg.answer, [])
                self.assertEqual(msg.question[0][0], BIG)

    def test_tcp_carries_the_whole_rrset(self):
        r = self.dig("+tcp", "big.example.test", "A")
        self.assertEqual(r.transport, "TCP")
        self.assertNotIn("tc", r.flags)
        self.assertEqual(len(r.rrset("answer", BIG, "A")), harness.BIG_COUNT)
        self.assertEqual(len(set(r.rrset("answer", BIG, "A"))), harness.BIG_COUNT)

    def test_dig_retries_over_tcp_after_truncation(self):
        r = self.dig("big.example.test", "A")  # no +ignore: dig retries over TCP by itself
        self.assertTrue(r.retried_over_tcp, "dig should have seen TC=1 over UDP:\n" + r.text)
        self.assertEqual(r.transport, "TCP")
        self.assertNotIn("tc", r.flags)
        self.assertEqual(len(r.rrset("answer", BIG, "A")), harness.BIG_COUNT)

    def test_answer_that_fits_is_not_truncated(self):
        r = self.dig("+bufsize=512", "multi.example.test", "MX")
        self.assertNotIn("tc", r.flags)
        self.assertFalse(r.retried_over_tcp)


class MaxUdpPayloadTest(unittest.TestCase):
    """dns.max_udp_payload: 4096 lets the big answer fit in one datagram."""

    def setUp(self):
        self.server = harness.Beacond(config="dns:\n  max_udp_payload: 4096\n")
        self.server.start()
        self.addCleanup(self.server.stop)

    def test_larger_payload_fits_over_udp(self):
        r = self.server.dig("+ignore", "+bufsize=4096", "big.example.test", "A")
        self.assertEqual(r.edns, {"version": 0, "udp": 4096})
        self.assertNotIn("tc", r.flags)
        self.assertEqual(len(r.rrset("answer", BIG, "A")), harness.BIG_COUNT)
        small = self.server.dig("+ignore", "+bufsize=1232", "big.example.test", "A")
        self.assertIn("tc", small.flags)


if __name__ == "__main__":
    harness.main()
