#!/usr/bin/env python3
"""Registration latency against registry size (issue 3 §9).

For each registry size it starts a fresh beacond, fills it through the HTTP API with
SIZE instances (5 per service, many concurrent keep-alive connections so the writer batches
commits), then times REGISTRATIONS sequential registrations of one new instance into an
existing service, each checked visible in DNS right after its 2xx. It reports the HTTP
latency percentiles and the server CPU time per registration (utime+stime of all beacond
threads from /proc, so fsync waits do not count), and the ratio of each size to the first.

  tools/bench/registration_latency.py --beacond build/beacond [--sizes 1000,10000,100000]

Results go to stdout as a table and to --tsv (default tools/bench/results/registration_latency.tsv).
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime, all threads


def dns_query(port, name, qtype=1):
    q = struct.pack(">HHHHHH", 0x1234, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(q, ("127.0.0.1", port))
        r, _ = s.recvfrom(4096)
    return r[3] & 0x0F, struct.unpack(">H", r[6:8])[0]  # rcode, ancount


class Api:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def put(self, service, instance, address):
        body = json.dumps({"address": address, "port": 8080})
        self.conn.request("PUT", f"/v1/services/{service}/instances/{instance}", body,
                          {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        r.read()
        if r.status not in (200, 201):
            raise RuntimeError(f"PUT {service}/{instance}: {r.status}")


def address(n):
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def metric_sums(http_port):
    """Sums and counts of the store-commit and snapshot-build histograms from /metrics."""
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    out = {}
    for line in text.splitlines():
        for name in ("beacon_store_commit_seconds", "beacon_snapshot_build_seconds"):
            if line.startswith(name + "_sum "):
                out[name + "_sum"] = float(line.split()[1])
            elif line.startswith(name + "_count "):
                out[name + "_count"] = float(line.split()[1])
    return out


def fill(http_port, size, workers=32):
    services = size // 5

    def work(w):
        api = Api(http_port)
        for s in range(w, services, workers):
            for i in range(5):
                api.put(f"svc-{s}", f"i{i}", address(s * 5 + i))

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, range(workers)))


def wait_ready(dns_port, deadline=60):
    end = time.time() + deadline
    while time.time() < end:
        try:
            dns_query(dns_port, "svc.internal", 6)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("beacond did not answer")


def measure(beacond, size, registrations):
    with tempfile.TemporaryDirectory() as data:
        dns_port, http_port = free_port(), free_port()
        proc = subprocess.Popen([beacond, "--dns-listen", f"127.0.0.1:{dns_port}",
                                 "--http-listen", f"127.0.0.1:{http_port}", "--data-dir", data,
                                 "--zone-dir", tempfile.mkdtemp(), "--log-level", "warn"],
                                stderr=subprocess.DEVNULL)
        try:
            wait_ready(dns_port)
            t = time.time()
            fill(http_port, size)
            fill_s = time.time() - t
            api = Api(http_port)
            latencies = []
            cpu_before = cpu_seconds(proc.pid)
            metrics_before = metric_sums(http_port)
            for n in range(registrations):
                service = f"svc-{n % (size // 5)}"
                start = time.perf_counter()
                api.put(service, f"new{n}", address(size + n))
                latencies.append((time.perf_counter() - start) * 1000)
                rcode, answers = dns_query(dns_port, f"new{n}.{service}.svc.internal")
                if rcode != 0 or answers != 1:
                    raise RuntimeError(f"new{n}.{service} not visible after its 2xx (rcode {rcode})")
            cpu = (cpu_seconds(proc.pid) - cpu_before) / registrations * 1e6
            metrics_after = metric_sums(http_port)
            def mean_us(name):
                n = metrics_after[name + "_count"] - metrics_before[name + "_count"]
                return (metrics_after[name + "_sum"] - metrics_before[name + "_sum"]) / max(n, 1) * 1e6
            rss = int(open(f"/proc/{proc.pid}/status").read().split("VmRSS:")[1].split()[0]) // 1024
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]
    return {"size": size, "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99),
            "mean_ms": statistics.mean(latencies), "cpu_us_per_registration": cpu,
            "fill_s": fill_s, "rss_mib": rss,
            "commit_us": mean_us("beacon_store_commit_seconds"),
            "publish_us": mean_us("beacon_snapshot_build_seconds")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--beacond", default="build/beacond")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--registrations", type=int, default=300)
    ap.add_argument("--tsv", default=os.path.join(os.path.dirname(__file__), "results", "registration_latency.tsv"))
    args = ap.parse_args()
    rows = [measure(args.beacond, int(s), args.registrations) for s in args.sizes.split(",")]
    base = rows[0]
    cols = ["size", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "cpu_us_per_registration", "commit_us", "publish_us",
            "fill_s", "rss_mib"]
    print("\t".join(cols + ["p50_vs_first", "cpu_vs_first"]))
    lines = []
    for r in rows:
        vals = [f"{r[c]:.2f}" if isinstance(r[c], float) else str(r[c]) for c in cols]
        vals += [f"{r['p50_ms'] / base['p50_ms']:.2f}", f"{r['cpu_us_per_registration'] / base['cpu_us_per_registration']:.2f}"]
        lines.append("\t".join(vals))
        print(lines[-1])
    os.makedirs(os.path.dirname(args.tsv), exist_ok=True)
    with open(args.tsv, "w") as f:
        f.write("\t".join(cols + ["p50_vs_first", "cpu_vs_first"]) + "\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
