#!/usr/bin/python3
"""The write side at speed (issue 8, item 4): registrations/s, visibility, and a large registry.

  tools/bench/registration_throughput.py [--beacond build-perf/beacond] [--services 40000]
      [--instances 5] [--writes N] [--connections 64] [--checks 300] [--publish-samples 500]
      [--large] [--label TEXT] [--max-wait 120] [--no-results]

What it does, in order:

1. Builds beacond (Release, in build-perf/, as dns_peers.py does) if --beacond does not exist,
   and compiles the closed-loop HTTP load generator tools/bench/registration_load.cpp
   (g++ -O2) into a temp dir. Waits (up to --max-wait) for the 1-minute load average to fall
   under 0.8 and records it.
2. Starts beacond on free 127.0.0.1 ports with a temp data dir (SQLite, WAL, synchronous=FULL:
   every acknowledged write is durable) and an empty zone dir.
3. Storm: registration_load sends --writes PUT /v1/services/web-S/instances/iK (default one
   per key: SERVICES x INSTANCES, all new) over --connections keep-alive connections, one
   request in flight on each: acknowledged registrations/s, client latency p50/p99, non-2xx and
   connection errors. From /metrics before and after: store commits (beacon_store_commits_total)
   -> mean writes per commit, mean commit time (fsync included), snapshot publishes and mean
   build time; from /proc: server CPU time (utime+stime, all threads) per registration.
4. Visibility, during the storm: a checker thread sends --checks sequential
   PUT /v1/services/probe-J/instances/p0 with a new address each time and, as soon as the 2xx
   is read, one UDP query (a fresh socket, so SO_REUSEPORT spreads them over the DNS threads)
   for probe-J.svc.internal A; a miss is an answer that is not NOERROR with exactly the new
   address. Misses must be 0.
5. On the filled registry (SERVICES x INSTANCES; --large: 200 000 x 5 = 1 000 000):
     * RSS of beacond (/proc/PID/smaps_rollup) after the storm;
     * publish latency of one registration on an otherwise idle server: --publish-samples
       sequential PUTs (registration_load --connections 1, replacing existing instances with
       new addresses), client time to the 2xx p50/p99, and beacond's own
       beacon_snapshot_build_seconds (mean, and the histogram bucket holding p50/p99) and
       beacon_store_commit_seconds over those writes;
     * restart: kill -9, start again on the same data dir, time from exec until
       web-<last>.svc.internal A is answered with all INSTANCES records; RSS after the restart;
       then 200 random services are checked to answer INSTANCES records (nothing lost).

Output: a table on stdout and in tools/bench/results/registration_throughput.md (the latest
run), one row per run appended to tools/bench/results/registration_throughput.tsv (with
--label, the git commit and load1), unless --no-results. Exit 1 on a visibility miss, a lost
registration or a failed write. Every process started is killed on exit.
"""
import argparse
import atexit
import http.client
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dns_peers  # noqa: E402
from dns_peers import ORIGIN, RESULTS, ROOT, cleanup, cpu_seconds, free_port, memory_mib, spawn  # noqa: E402


def load1():
    return float(open("/proc/loadavg").read().split()[0])


def wait_load(limit, max_wait):
    end = time.time() + max_wait
    while load1() >= limit and time.time() < end:
        time.sleep(5)
    return load1()


def rss_mib(pid):
    return memory_mib([pid])[0]


def git_commit():
    r = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return r.stdout.strip() or "?"


# ---------------------------------------------------------------- DNS

def encode_query(name, qtype=1):
    q = struct.pack(">HHHHHH", random.randrange(65536), 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)


def skip_name(msg, i):
    while True:
        n = msg[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n


def a_answers(port, name, timeout=1.0):
    """(rcode, [IPv4 addresses in the answer section]) for `name A`."""
    q = encode_query(name)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(q, ("127.0.0.1", port))
        while True:
            r, _ = s.recvfrom(4096)
            if r[:2] == q[:2]:
                break
    qd, an = struct.unpack(">HH", r[4:8])
    i = 12
    for _ in range(qd):
        i = skip_name(r, i) + 4
    out = []
    for _ in range(an):
        i = skip_name(r, i)
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", r[i:i + 10])
        i += 10
        if rtype == 1 and rdlen == 4:
            out.append(socket.inet_ntoa(r[i:i + 4]))
        i += rdlen
    return r[3] & 0x0F, out


def wait_answer(port, name, count, deadline, proc):
    """Seconds from now until `name A` is answered NOERROR with `count` records, polling every 2 ms."""
    start = time.time()
    while time.time() - start < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"beacond exited with {proc.returncode}")
        try:
            rcode, addrs = a_answers(port, name, timeout=0.2)
            if rcode == 0 and len(addrs) == count:
                return time.time() - start
        except OSError:
            pass
        time.sleep(0.002)
    raise RuntimeError(f"no correct answer for {name} within {deadline} s")


# ---------------------------------------------------------------- beacond

class Beacond:
    def __init__(self, binary, tmp):
        self.binary, self.tmp = binary, tmp
        self.data_dir = os.path.join(tmp, "data")
        self.zone_dir = os.path.join(tmp, "zones")
        os.makedirs(self.zone_dir, exist_ok=True)
        self.config = os.path.join(tmp, "beacon.yaml")
        with open(self.config, "w") as f:
            f.write("dns:\n  max_answers: 8\n  ttl: 5s\nlog:\n  level: warn\n")
        self.proc = None

    def start(self, probe_name, probe_count, deadline=120):
        """Starts beacond; returns the seconds from exec until probe_name answers probe_count records
        (probe_name None: until any answer)."""
        self.dns_port, self.http_port = free_port(), free_port()
        log = open(os.path.join(self.tmp, "beacond.log"), "a")
        started = time.time()
        self.proc = spawn([self.binary, "--config", self.config, "--dns-listen", f"127.0.0.1:{self.dns_port}",
                           "--http-listen", f"127.0.0.1:{self.http_port}", "--data-dir", self.data_dir,
                           "--zone-dir", self.zone_dir, "--log-level", "warn"], stdout=log, stderr=subprocess.STDOUT)
        if probe_name is None:
            while True:
                if self.proc.poll() is not None or time.time() - started > deadline:
                    raise RuntimeError("beacond did not start; see " + log.name)
                try:
                    a_answers(self.dns_port, "nope." + ORIGIN, timeout=0.2)
                    break
                except OSError:
                    time.sleep(0.01)
            while True:  # the API listens once the store is open
                try:
                    self.metrics()
                    break
                except OSError:
                    time.sleep(0.01)
        else:
            wait_answer(self.dns_port, probe_name, probe_count, deadline, self.proc)
        return time.time() - started

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def metrics(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, value = line.rsplit(" ", 1)
                out[key] = float(value)
        return out


def metric_delta(before, after, name):
    return after.get(name, 0.0) - before.get(name, 0.0)


def histogram_delta(before, after, name):
    """(count, mean seconds, [(le, cumulative count)]) of a Prometheus histogram between two scrapes."""
    buckets = []
    for key in after:
        m = re.fullmatch(re.escape(name) + r'_bucket\{le="([^"]+)"\}', key)
        if m:
            le = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
            buckets.append((le, after[key] - before.get(key, 0.0)))
    buckets.sort()
    count = metric_delta(before, after, name + "_count")
    total = metric_delta(before, after, name + "_sum")
    return count, (total / count if count else 0.0), buckets


def bucket_of(buckets, p):
    """Upper bound (ms) of the histogram bucket holding the p-th percentile."""
    if not buckets or buckets[-1][1] == 0:
        return float("nan")
    target = p / 100 * buckets[-1][1]
    for le, cumulative in buckets:
        if cumulative >= target:
            return le * 1000
    return float("inf")


# ---------------------------------------------------------------- load

def build(binary, tmp):
    """Builds beacond if missing and the load generators (dns_peers.build compiles
    registration_load.cpp too); returns registration_load's path."""
    dns_peers.build(binary, tmp)
    return os.path.join(tmp, "registration_load")


def run_load(load, port, **flags):
    argv = [load, "--port", str(port)] + [x for k, v in flags.items() for x in ("--" + k, str(v))]
    r = subprocess.run(argv, capture_output=True, text=True)
    if not r.stdout.strip():
        raise RuntimeError(f"registration_load failed: {r.stderr}")
    return json.loads(r.stdout)


class VisibilityChecker(threading.Thread):
    """Sequential PUT, then at once a UDP query that must see the new address."""

    def __init__(self, server, checks, stop_event):
        super().__init__(daemon=True)
        self.server, self.checks, self.stop_event = server, checks, stop_event
        self.done = self.misses = self.failures = 0
        self.latencies = []
        self.examples = []

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=30)
        for j in range(self.checks):
            if self.stop_event.is_set():
                break
            service = f"probe-{j % 64}"
            addr = f"10.250.{(j >> 8) & 255}.{j & 255}"
            t = time.time()
            conn.request("PUT", f"/v1/services/{service}/instances/p0",
                         json.dumps({"address": addr, "port": 8080}), {"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status not in (200, 201):
                self.failures += 1
                continue
            self.latencies.append(time.time() - t)
            rcode, addrs = a_answers(self.server.dns_port, f"{service}.{ORIGIN}")
            self.done += 1
            if rcode != 0 or addrs != [addr]:
                self.misses += 1
                if len(self.examples) < 5:
                    self.examples.append((service, addr, rcode, addrs))
        conn.close()


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * (len(s) - 1) + 0.5))]


# ---------------------------------------------------------------- phases

def storm(args, load, server, result):
    before, cpu0 = server.metrics(), cpu_seconds([server.proc.pid])
    stop_event = threading.Event()
    checker = VisibilityChecker(server, args.checks, stop_event)
    checker.start()
    stats = run_load(load, server.http_port, services=args.services, instances=args.instances,
                     connections=args.connections, count=args.writes, seconds=args.seconds)
    stop_event.set()
    checker.join()
    after, cpu1 = server.metrics(), cpu_seconds([server.proc.pid])
    commits = metric_delta(before, after, "beacon_store_commits_total")
    writes = stats["acked"] + checker.done
    _, commit_mean, _ = histogram_delta(before, after, "beacon_store_commit_seconds")
    publishes, build_mean, _ = histogram_delta(before, after, "beacon_snapshot_build_seconds")
    result.update({
        "writes": stats["sent"], "acked": stats["acked"], "non2xx": stats["non2xx"], "errors": stats["errors"],
        "storm_s": stats["seconds"], "acked_per_s": stats["acked_per_s"],
        "p50_ms": stats["p50_ms"], "p99_ms": stats["p99_ms"], "max_ms": stats["max_ms"],
        "commits": int(commits), "writes_per_commit": writes / commits if commits else float("nan"),
        "commit_ms_mean": commit_mean * 1000, "publishes": int(publishes), "build_ms_mean": build_mean * 1000,
        "server_cpu_s": cpu1 - cpu0, "cpu_us_per_write": (cpu1 - cpu0) / writes * 1e6 if writes else float("nan"),
        "vis_checks": checker.done, "vis_misses": checker.misses, "vis_failures": checker.failures,
        "vis_put_p50_ms": percentile(checker.latencies, 50) * 1000,
        "vis_put_p99_ms": percentile(checker.latencies, 99) * 1000,
    })
    if checker.examples:
        print("visibility misses (service, expected, rcode, answer):", checker.examples, file=sys.stderr)


def publish_latency(args, load, server, result):
    """Sequential replacements on an otherwise idle server."""
    before = server.metrics()
    stats = run_load(load, server.http_port, services=args.services, instances=args.instances, connections=1,
                     count=args.publish_samples, seconds=120, salt=1 << 20,
                     first=0)
    after = server.metrics()
    _, build_mean, build_buckets = histogram_delta(before, after, "beacon_snapshot_build_seconds")
    _, commit_mean, _ = histogram_delta(before, after, "beacon_store_commit_seconds")
    result.update({
        "publish_n": stats["acked"], "publish_p50_ms": stats["p50_ms"], "publish_p99_ms": stats["p99_ms"],
        "publish_build_ms_mean": build_mean * 1000, "publish_build_p50_le_ms": bucket_of(build_buckets, 50),
        "publish_build_p99_le_ms": bucket_of(build_buckets, 99), "publish_commit_ms_mean": commit_mean * 1000,
    })
    if stats["non2xx"] or stats["errors"]:
        result["errors"] += stats["non2xx"] + stats["errors"]


def restart(args, server, result):
    last = f"web-{args.services - 1}.{ORIGIN}"
    server.kill()
    result["restart_s"] = server.start(last, args.instances, deadline=300)
    result["rss_restart_mib"] = rss_mib(server.proc.pid)
    lost = 0
    for s in random.Random(8).sample(range(args.services), min(200, args.services)):
        rcode, addrs = a_answers(server.dns_port, f"web-{s}.{ORIGIN}")
        lost += rcode != 0 or len(addrs) != args.instances
    result["lost_services"] = lost


# ---------------------------------------------------------------- report

COLUMNS = ["date", "commit", "label", "load1", "connections", "instances", "writes", "acked", "non2xx", "errors",
           "storm_s", "acked_per_s", "p50_ms", "p99_ms", "max_ms", "commits", "writes_per_commit", "commit_ms_mean",
           "publishes", "build_ms_mean", "server_cpu_s", "cpu_us_per_write", "vis_checks", "vis_misses",
           "vis_put_p50_ms", "vis_put_p99_ms", "rss_mib", "publish_n", "publish_p50_ms", "publish_p99_ms",
           "publish_build_ms_mean", "publish_build_p50_le_ms", "publish_build_p99_le_ms", "publish_commit_ms_mean",
           "restart_s", "rss_restart_mib", "lost_services", "load1_end"]


def fmt(v):
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def report(args, r):
    lines = [
        f"# registration_throughput ({r['date']}, {r['commit']}, label: {r['label'] or '-'})",
        "",
        f"`tools/bench/registration_throughput.py {' '.join(sys.argv[1:])}`; 1-min load average "
        f"{r['load1']:.2f} at the start, {r['load1_end']:.2f} at the end (2 cores, shared).",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| acknowledged registrations/s ({r['connections']} keep-alive connections, {r['acked']} writes, "
        f"{r['storm_s']:.1f} s) | {r['acked_per_s']:.0f} | ≥ 20 000 |",
        f"| client latency p50 / p99 / max | {r['p50_ms']:.2f} / {r['p99_ms']:.2f} / {r['max_ms']:.1f} ms | |",
        f"| store commits; writes per commit | {r['commits']}; {r['writes_per_commit']:.1f} | |",
        f"| mean commit (fsync) / snapshot build per batch | {r['commit_ms_mean']:.2f} / {r['build_ms_mean']:.2f} ms | |",
        f"| server CPU per registration | {r['cpu_us_per_write']:.0f} µs ({r['server_cpu_s']:.1f} s) | |",
        f"| failed writes (non-2xx + connection errors) | {r['non2xx'] + r['errors']} | 0 |",
        f"| visibility: PUT then query, misses | {r['vis_misses']} of {r['vis_checks']} | 0 |",
        f"| visibility PUT latency under the storm p50 / p99 | {r['vis_put_p50_ms']:.2f} / {r['vis_put_p99_ms']:.2f} ms | |",
        f"| instances in the registry | {r['instances']} | 1 000 000 (--large) |",
        f"| RSS after the storm / after restart | {r['rss_mib']:.0f} / {r['rss_restart_mib']:.0f} MiB | < 1024 MiB |",
        f"| restart (kill -9) to the first correct answer | {r['restart_s']:.2f} s | < 10 s |",
        f"| one registration on an idle server, time to 2xx p50 / p99 ({r['publish_n']} sequential) | "
        f"{r['publish_p50_ms']:.3f} / {r['publish_p99_ms']:.3f} ms | < 1 ms |",
        f"| of which snapshot build + publish (server): mean; p50, p99 bucket | {r['publish_build_ms_mean']:.3f} ms; "
        f"≤ {r['publish_build_p50_le_ms']:g}, ≤ {r['publish_build_p99_le_ms']:g} ms | |",
        f"| of which store commit (server, fsync): mean | {r['publish_commit_ms_mean']:.3f} ms | |",
        f"| services answering all records after restart (200 sampled) | {200 - r['lost_services'] if args.services >= 200 else '-'} | all |",
        "",
        "History (one row per run, with labels for before/after): `registration_throughput.tsv`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.no_results:
        return
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "registration_throughput.md"), "w") as f:
        f.write(text)
    tsv = os.path.join(RESULTS, "registration_throughput.tsv")
    new = not os.path.exists(tsv)
    with open(tsv, "a") as f:
        if new:
            f.write("\t".join(COLUMNS) + "\n")
        f.write("\t".join(fmt(r.get(c, "")) for c in COLUMNS) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--beacond", default=os.path.join(ROOT, "build-perf", "beacond"))
    ap.add_argument("--services", type=int, default=40_000)
    ap.add_argument("--instances", type=int, default=5)
    ap.add_argument("--writes", type=int, help="default: services x instances")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=900, help="bound on the storm")
    ap.add_argument("--checks", type=int, default=300, help="visibility checks during the storm")
    ap.add_argument("--publish-samples", type=int, default=500)
    ap.add_argument("--large", action="store_true", help="200 000 services x 5 instances = 1 000 000")
    ap.add_argument("--label", default="")
    ap.add_argument("--max-wait", type=float, default=120, help="seconds to wait for load1 < 0.8")
    ap.add_argument("--no-results", action="store_true", help="do not write results/")
    args = ap.parse_args()
    if args.large:
        args.services, args.instances = 200_000, 5
    if args.writes is None:
        args.writes = args.services * args.instances
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    tmp = tempfile.mkdtemp(prefix="registration-throughput-")
    load = build(args.beacond, tmp)
    r = {"date": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()), "commit": git_commit(), "label": args.label,
         "connections": args.connections, "instances": min(args.writes, args.services * args.instances)}
    r["load1"] = wait_load(0.8, args.max_wait)
    server = Beacond(os.path.abspath(args.beacond), tmp)
    server.start(None, 0)
    print(f"storm: {args.writes} writes, {args.connections} connections (load1 {r['load1']:.2f})", flush=True)
    storm(args, load, server, r)
    r["rss_mib"] = rss_mib(server.proc.pid)
    print(f"  {r['acked_per_s']:.0f}/s, {r['writes_per_commit']:.1f} writes per commit; publish latency", flush=True)
    publish_latency(args, load, server, r)
    print("restart", flush=True)
    restart(args, server, r)
    server.stop()
    r["load1_end"] = load1()
    report(args, r)
    subprocess.run(["rm", "-rf", tmp])
    bad = r["vis_misses"] or r["non2xx"] or r["errors"] or r["lost_services"] or r["vis_failures"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
