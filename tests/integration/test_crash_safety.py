"""Crash and load safety, the CI-sized run (issue 6, item 6): tools/bench/crash_safety.py with
small parameters — a registration storm over 8 keep-alive connections while dnsperf queries and
health checks flap, kill -9 twice, restart, and every acknowledged write must be reflected (API and
DNS, live and after one more kill -9) and every sampled answer must decode. Also: the checker
itself sees an injected lost write, and the sampler's decoder rejects malformed answers.
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

import harness
from harness import build_query

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "tools", "bench", "crash_safety.py")
sys.path.insert(0, os.path.dirname(SCRIPT))
import crash_safety  # noqa: E402

SMALL = ["--workers", "2", "--connections", "8", "--keys", "512", "--services", "16", "--qps", "5000",
         "--sample-rate", "200"]


def run_bench(*args):
    """Runs the script; (exit code, its output, {summary key: value} from its TSV)."""
    out = tempfile.mkdtemp(prefix="crash-safety-")
    try:
        extra = [] if shutil.which("dnsperf") or os.geteuid() == 0 else ["--no-dnsperf"]
        done = subprocess.run([sys.executable, SCRIPT, "--beacond", harness.BEACOND, "--out", os.path.join(out, "r")]
                              + SMALL + extra + list(args), capture_output=True, text=True, timeout=100)
        summary = {}
        if os.path.exists(os.path.join(out, "r.tsv")):
            with open(os.path.join(out, "r.tsv")) as f:
                for line in f:
                    fields = line.rstrip("\n").split("\t")
                    if fields[0] == "summary":
                        summary[fields[1]] = fields[2]
        return done.returncode, done.stdout + done.stderr, summary
    finally:
        shutil.rmtree(out, ignore_errors=True)


class CrashSafety(unittest.TestCase):
    def test_kill_9_during_a_storm_loses_no_acknowledged_write(self):
        rc, output, s = run_bench("--kills", "2", "--kill-after", "1-2", "--duration", "4", "--seed", "6")
        self.assertEqual(rc, 0, output)
        self.assertEqual(s["writes_lost"], "0", output)
        self.assertEqual(s["malformed"], "0", output)
        # Enough writes for the check to mean something; not a speed test (the sanitizer build
        # on a loaded 2-core machine managed ~100 writes/s).
        self.assertGreater(int(s["writes_acked"]), 200, output)
        self.assertGreater(int(s["writes_refused"]), 0, output)  # 404s and invalid registrations
        self.assertGreater(int(s["sampled_decoded"]), 300, output)
        self.assertEqual(len(s["restart_first_answer_ms"].split(",")), 3, output)  # 2 kills + the final one
        if shutil.which("dnsperf"):
            self.assertGreater(int(s["dnsperf_answered"]), 0, output)

    def test_the_checker_sees_a_lost_write(self):
        rc, output, s = run_bench("--kills", "0", "--duration", "2", "--inject-loss")
        self.assertEqual(rc, 1, output)
        self.assertGreaterEqual(int(s["lost_live"]), 1, output)
        self.assertGreaterEqual(int(s["lost_after_restart"]), 1, output)
        self.assertIn("lost writes", output)

    def test_the_sampler_rejects_malformed_answers(self):
        name, qid = "web.svc.internal", 0x4242
        query = build_query(name, "A", qid=qid)
        answer = struct.pack("!HHIH", 1, 1, 5, 4) + bytes([10, 0, 0, 1])
        good = struct.pack("!HHHHHH", qid, 0x8400, 1, 1, 0, 0) + query[12:] + b"\xc0\x0c" + answer
        check = crash_safety.Sampler._malformed
        self.assertIsNone(check(good, qid, name, "A"))
        bad = {
            "truncated": good[:-1],
            "trailing byte": good + b"\x00",
            "one record more than sent": good[:6] + struct.pack("!H", 2) + good[8:],
            "forward compression pointer": good[:len(query)] + b"\xc0\xff" + answer,
            "wrong id": struct.pack("!H", qid + 1) + good[2:],
            "QR clear": good[:2] + struct.pack("!H", 0x0400) + good[4:],
            "other question": good.replace(b"\x03web", b"\x03wex", 1),
        }
        for why, raw in bad.items():
            with self.subTest(why):
                self.assertIsNotNone(check(raw, qid, name, "A"))


if __name__ == "__main__":
    harness.main()
