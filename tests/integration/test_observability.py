"""Operator view (issue 7 §2-4): /metrics in the Prometheus text format with counters that
move with traffic, logs as key=value or JSON lines with registration changes at info, query
logging only when asked for, SIGHUP with a bad config keeping the old one, --version.
"""

import json
import math
import re
import signal
import socket
import subprocess
import unittest

import harness
from harness import Beacond, build_query

# The Prometheus text exposition format 0.0.4, strictly: comment lines, then samples
# `name{label="value",...} value`.
METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(rf"^({METRIC_NAME})(?:\{{({LABEL}(?:,{LABEL})*)?\}})? (\S+)$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_metrics(text):
    """{(name, frozenset(labels)): value}; raises AssertionError on any malformed line."""
    samples, declared = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in TYPES, line
            assert name not in declared, f"TYPE declared twice: {line}"
            declared[name] = kind
            continue
        assert not line.startswith("#") and line.strip(), f"unexpected line {line!r}"
        m = SAMPLE.match(line)
        assert m, f"malformed sample {line!r}"
        name, labels, value = m.groups()
        float(value)  # +Inf, NaN and decimals parse
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in declared or family in declared, f"sample without TYPE: {line}"
        pairs = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or ""))
        key = (name, pairs)
        assert key not in samples, f"duplicate sample {line}"
        samples[key] = float(value)
    return samples, declared


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def check_histograms(testcase, samples, declared):
    """Buckets are cumulative and the +Inf bucket equals _count, for every histogram series."""
    for family, kind in declared.items():
        if kind != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == family + "_bucket":
                rest = frozenset(p for p in labels if p[0] != "le")
                le = dict(labels)["le"]
                series.setdefault(rest, []).append((math.inf if le == "+Inf" else float(le), v))
        for rest, buckets in series.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            testcase.assertEqual(counts, sorted(counts), f"{family} buckets not cumulative")
            testcase.assertEqual(buckets[-1][0], math.inf)
            testcase.assertEqual(buckets[-1][1], samples[(family + "_count", rest)])


class MetricsTest(unittest.TestCase):
    def scrape(self, b):
        status, headers, body = b.api("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        return parse_metrics(body.decode())

    def test_counters_move_with_traffic(self):
        with Beacond(config="dns:\n  threads: 2\n") as b:
            before, _ = self.scrape(b)
            b.register("web", "a", {"address": "10.0.0.1", "port": 80})
            for i in range(10):
                b.udp(build_query("web.svc.internal", "A", qid=i + 1))
            b.udp(build_query("nope.svc.internal", "A", qid=99))
            b.tcp(build_query("web.svc.internal", "SRV", qid=100))
            # A runt is dropped; a query after it from the same socket (so the same DNS
            # thread) is answered only once the runt has been counted.
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(2)
                s.sendto(b"\x00\x01\x02", ("127.0.0.1", b.port))
                s.sendto(build_query("web.svc.internal", "A", qid=77), ("127.0.0.1", b.port))
                s.recv(4096)
            samples, declared = self.scrape(b)
            check_histograms(self, samples, declared)

            grew = lambda name, n, **l: self.assertGreaterEqual(  # noqa: E731
                value(samples, name, **l) - value(before, name, **l), n, f"{name} {l}")
            grew("beacon_dns_queries_total", 11, transport="udp", qtype="A")
            grew("beacon_dns_queries_total", 1, transport="tcp", qtype="SRV")
            grew("beacon_dns_responses_total", 1, transport="udp", rcode="NXDOMAIN")
            grew("beacon_dns_responses_total", 10, transport="udp", rcode="NOERROR")
            grew("beacon_dns_requests_dropped_total", 1, transport="udp")
            grew("beacon_dns_response_seconds_count", 11, transport="udp")
            grew("beacon_store_commits_total", 1)
            grew("beacon_snapshot_publishes_total", 1)
            grew("beacon_api_requests_total", 1, route="instance", status="201")
            self.assertEqual(value(samples, "beacon_services"), 1)
            self.assertEqual(value(samples, "beacon_instances", health="passing"), 1)
            self.assertEqual(value(samples, "beacon_instances", health="critical"), 0)

    def test_truncations_are_counted(self):
        zone = ("$ORIGIN big.test.\n$TTL 60\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.53\n"
                + "".join(f"many A 10.0.{i // 250}.{i % 250}\n" for i in range(100)))
        with Beacond(zones={"big.test.zone": zone}) as b:
            b.udp(build_query("many.big.test", "A", qid=7))
            samples, _ = self.scrape(b)
            self.assertGreaterEqual(value(samples, "beacon_dns_responses_truncated_total", transport="udp"), 1)


class LogsTest(unittest.TestCase):
    def test_json_lines_and_registration_changes_at_info(self):
        with Beacond(config="log:\n  format: json\n") as b:
            b.register("web", "a", {"address": "10.0.0.1", "port": 80})
            b.api("DELETE", "/v1/services/web/instances/a")
            b.wait_for_log(r'"event":"instance_deregistered"')
            events = []
            for line in b.log_lines():
                record = json.loads(line)  # every line is one JSON object
                self.assertEqual(set(record) >= {"ts", "level", "event"}, True, line)
                events.append((record["level"], record["event"]))
            self.assertIn(("info", "instance_registered"), events)
            self.assertIn(("info", "instance_deregistered"), events)
            self.assertNotIn("query", [e for _, e in events])

    def test_key_value_lines_by_default(self):
        with Beacond() as b:
            b.register("web", "a", {"address": "10.0.0.1", "port": 80})
            line = b.wait_for_log(r"event=instance_registered")
            self.assertRegex(line, r"^\S+Z level=info event=instance_registered service=web instance=a$")

    def test_queries_logged_only_when_asked(self):
        with Beacond(config="log:\n  queries: true\n") as b:
            mark = b.log_mark()
            b.udp(build_query("www.example.test", "A", qid=5))
            line = b.wait_for_log(r"event=query ", after=mark)
            self.assertIn("qname=www.example.test.", line)
            self.assertIn("transport=udp", line)
        with Beacond() as b:
            for i in range(5):
                b.udp(build_query("www.example.test", "A", qid=i + 1))
            b.register("web", "a", {"address": "10.0.0.1", "port": 80})
            b.wait_for_log(r"event=instance_registered")
            self.assertNotRegex(b.stderr(), r"event=query ")


class ReloadTest(unittest.TestCase):
    def test_sighup_with_bad_config_keeps_the_old_one(self):
        with Beacond(config="log:\n  format: text\n") as b:
            harness.write_file(b.config_path, "dns:\n  threads: two\n")
            mark = b.log_mark()
            b.send_signal(signal.SIGHUP)
            line = b.wait_for_log(r"event=reload_failed", after=mark)
            self.assertIn("dns.threads", line)
            b.assert_serving(self)
            b.register("web", "a", {"address": "10.0.0.1", "port": 80})

    def test_version(self):
        out = subprocess.run([harness.beacond_path(), "--version"], capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 0)
        self.assertRegex(out.stdout, r"^beacond \d+\.\d+\.\d+\n$")


if __name__ == "__main__":
    harness.main()
