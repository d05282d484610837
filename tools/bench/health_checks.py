#!/usr/bin/env python3
"""DNS throughput with and without 10 000 active health checks running (issue 4 §4).

What it does, with bounded counts and times everywhere:
  1. Starts local probe targets in a child process (this script with --serve-targets): one
     listener on each of --hosts loopback addresses 127.0.0.2, 127.0.0.3, ... (all in
     127.0.0.0/8, nothing else is bound), one blocking accept loop thread each. `--kind http`
     answers every request "200 OK" and closes; `--kind tcp` accepts and closes. It counts the
     probes it serves.
  2. Starts beacond (dns.threads, health.max_concurrent from the flags) on free loopback ports
     and registers SERVICES x PER_SERVICE instances (default 2 000 x 5 = 10 000) without checks.
  3. "without": runs `dnsperf -l DURATION` over A queries for every service name and records
     the qps, the lost queries and beacond's CPU time (utime+stime from /proc).
  4. Re-registers every instance with a check (--interval, default 1s; --timeout 500ms) spread
     round robin over the targets, waits until beacond's health_check_stats log line shows
     all checks scheduled and one full stats period has passed, checks that every instance is
     passing (an overloaded checker would turn them critical), then
  5. "with": the same dnsperf run, plus the check lateness percentiles from the
     health_check_stats lines (logged every 10 s) covering the run, and the probes the
     targets served per second during it.
  The probe rate is beacond's own (beacon_health_check_runs_total from /metrics).
  --targets nginx serves the probes with Debian's nginx-light instead of this script's
  threads, which top out near 5 000 probes/s and would make the targets, not the checker,
  the limit (results/health_checks_nginx.tsv).

  apt-get install -y dnsperf
  tools/bench/health_checks.py --beacond build/beacond [--targets nginx] [--services 2000 --per-service 5]
      [--kind http|tcp] [--hosts 8] [--interval 1s] [--duration 10] [--dns-threads 1]

Results go to stdout and to --tsv (default tools/bench/results/health_checks.tsv): one row per
phase (qps, lost, beacond CPU seconds, lateness p50/p90/p99/max ms, probes/s) and the
with/without qps ratio. On a small machine the targets, dnsperf and beacond share the cores,
so the ratio measures contention as much as beacond; the CPU columns tell them apart.
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
ZONE = "svc.internal"


# ---------------------------------------------------------------------------------------------
# Probe targets (child process)


def serve_targets(kind, hosts):
    """One blocking accept loop thread per listener (the work is in the kernel; asyncio was
    too slow for 10 000 connections a second and ran out of descriptors)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    served = [0] * hosts
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"

    def loop(index, listener):
        while True:
            conn, _ = listener.accept()
            try:
                if kind == "http":
                    conn.settimeout(1.0)
                    request = b""
                    while b"\r\n\r\n" not in request:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        request += chunk
                    conn.sendall(response)
            except OSError:
                pass
            finally:
                conn.close()
            served[index] += 1

    listeners = []
    for h in range(hosts):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((f"127.0.0.{2 + h}", 0))
        s.listen(4096)
        listeners.append(s)
        threading.Thread(target=loop, args=(h, s), daemon=True).start()
    print("ready " + " ".join("%s:%d" % s.getsockname() for s in listeners), flush=True)
    while True:  # the parent kills us; report the count once a second meanwhile
        time.sleep(1)
        print(f"served {sum(served)} {time.monotonic():.3f}", flush=True)


class Targets:
    def __init__(self, kind, hosts):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-targets", "--kind", kind,
                                      "--hosts", str(hosts)], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            raise RuntimeError("probe targets did not start")
        self.endpoints = line[1:]
        self.counts = []  # (monotonic, served)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            parts = line.split()
            if parts and parts[0] == "served":
                self.counts.append((float(parts[2]), int(parts[1])))

    def rate(self, start, end):
        inside = [c for c in list(self.counts) if start <= c[0] <= end]
        if len(inside) < 2:
            return 0.0
        return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])

    def stop(self):
        self.proc.kill()
        self.proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------------
# beacond


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Beacond:
    def __init__(self, path, dns_threads, max_concurrent):
        self.workdir = tempfile.mkdtemp(prefix="bench-health-")
        self.dns_port, self.http_port = free_port(), free_port()
        config = os.path.join(self.workdir, "beacond.yaml")
        with open(config, "w") as f:
            f.write(f"dns:\n  threads: {dns_threads}\n")
            if max_concurrent:
                f.write(f"health:\n  max_concurrent: {max_concurrent}\n")
        zones = os.path.join(self.workdir, "zones")
        os.mkdir(zones)
        self.proc = subprocess.Popen([path, "--dns-listen", f"127.0.0.1:{self.dns_port}", "--http-listen",
                                      f"127.0.0.1:{self.http_port}", "--data-dir", os.path.join(self.workdir, "data"),
                                      "--zone-dir", zones, "--config", config, "--log-level", "info"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.lines = []  # (monotonic, line)
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self._wait_ready()

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.cond.notify_all()

    def _wait_ready(self, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.05)
            if self.proc.poll() is not None:
                break
        raise RuntimeError("beacond did not start:\n" + "\n".join(l for _, l in self.lines))

    def wait_for_line(self, pattern, after, timeout):
        regex = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, line in self.lines:
                    if t > after and regex.search(line):
                        return t, line
                left = end - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"no log line matching {pattern!r} within {timeout}s")
                self.cond.wait(left)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


def register_all(http_port, services, per_service, check_for, workers=16):
    """PUTs every instance (check_for(n) -> check object or None); bounded by the count."""
    def work(w):
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
        for s in range(w, services, workers):
            for i in range(per_service):
                n = s * per_service + i
                body = {"address": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}", "port": 8080}
                check = check_for(n)
                if check:
                    body["check"] = check
                conn.request("PUT", f"/v1/services/svc-{s}/instances/i{i}", json.dumps(body),
                             {"Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
                if r.status not in (200, 201):
                    raise RuntimeError(f"PUT svc-{s}/i{i}: {r.status} {data!r}")

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, range(workers)))


def health_counts(http_port):
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
    conn.request("GET", "/v1/services")
    body = json.loads(conn.getresponse().read())
    out = {"passing": 0, "warning": 0, "critical": 0}
    for s in body["services"]:
        for k in out:
            out[k] += s[k]
    return out


def check_runs(http_port):
    """beacond's own count of completed probes (beacon_health_check_runs_total)."""
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
    conn.request("GET", "/metrics")
    for line in conn.getresponse().read().decode().splitlines():
        if line.startswith("beacon_health_check_runs_total "):
            return float(line.split()[1])
    return 0.0


class NginxTargets:
    """The probe targets as one nginx (Debian's nginx-light) on HOSTS loopback addresses:
    fast enough that the checker, not the targets, sets the probe rate."""

    def __init__(self, hosts):
        if shutil.which("nginx") is None:
            sys.exit("nginx is not installed (apt-get install -y nginx-light)")
        self.dir = tempfile.mkdtemp(prefix="beacon-bench-nginx-")
        port = free_port()
        self.endpoints = [f"127.0.0.{2 + h}:{port}" for h in range(hosts)]
        listens = "".join(f"    listen {ep} backlog=4096;\n" for ep in self.endpoints)
        conf = (f"worker_processes 1;\nerror_log {self.dir}/error.log;\npid {self.dir}/nginx.pid;\n"
                "worker_rlimit_nofile 65536;\nevents { worker_connections 16384; }\n"
                f"http {{\n  access_log off;\n  client_body_temp_path {self.dir};\n  server {{\n{listens}"
                "    location / { return 200 \"ok\\n\"; }\n  }\n}\n")
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf"),
                                      "-g", "daemon off; master_process off;"])
        host, p = self.endpoints[0].split(":")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((host, int(p)), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def rate(self, start, end):
        return float("nan")

    def stop(self):
        self.proc.kill()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def dnsperf(port, query_file, duration, clients):
    cmd = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", query_file, "-l", str(duration),
           "-c", str(clients), "-t", "2"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30)
    if done.returncode != 0:
        raise RuntimeError(f"dnsperf failed: {done.stderr}")
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", done.stdout).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", done.stdout).group(1))
    noerror = re.search(r"Response codes:\s+(.*)", done.stdout)
    return qps, lost, noerror.group(1).strip() if noerror else ""


STATS = re.compile(r"event=health_check_stats checks=(\d+) runs_total=(\d+) sampled=(\d+) in_flight=(\d+) late_p50_ms=([\d.]+) "
                   r"late_p90_ms=([\d.]+) late_p99_ms=([\d.]+) late_max_ms=([\d.]+)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--beacond", default="build/beacond")
    ap.add_argument("--services", type=int, default=2000)
    ap.add_argument("--per-service", type=int, default=5)
    ap.add_argument("--kind", choices=("http", "tcp"), default="http")
    ap.add_argument("--hosts", type=int, default=8, help="target addresses 127.0.0.2 .. (at most 200)")
    ap.add_argument("--interval", default="1s")
    ap.add_argument("--timeout", default="500ms")
    ap.add_argument("--duration", type=int, default=10, help="seconds per dnsperf run")
    ap.add_argument("--clients", type=int, default=4, help="dnsperf -c")
    ap.add_argument("--dns-threads", type=int, default=1)
    ap.add_argument("--max-concurrent", type=int, default=0, help="health.max_concurrent (0: beacond's default)")
    ap.add_argument("--tsv", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                                  "health_checks.tsv"))
    ap.add_argument("--targets", choices=("python", "nginx"), default="python",
                    help="probe targets: this script's threads (~5k probes/s at most) or nginx (http only)")
    ap.add_argument("--serve-targets", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_targets:
        return serve_targets(args.kind, args.hosts)
    if not 1 <= args.hosts <= 200 or args.services * args.per_service > 100_000 or not 1 <= args.duration <= 120:
        sys.exit("keep --hosts in 1..200, instances <= 100 000, --duration in 1..120")
    if shutil.which("dnsperf") is None:
        sys.exit("dnsperf is not installed (apt-get install -y dnsperf)")

    instances = args.services * args.per_service
    targets = NginxTargets(args.hosts) if args.targets == "nginx" else Targets(args.kind, args.hosts)
    b = None
    try:
        b = Beacond(args.beacond, args.dns_threads, args.max_concurrent)
        query_file = os.path.join(b.workdir, "queries.txt")
        with open(query_file, "w") as f:
            for s in range(args.services):
                f.write(f"svc-{s}.{ZONE} A\n")

        t = time.monotonic()
        register_all(b.http_port, args.services, args.per_service, lambda n: None)
        print(f"registered {instances} instances without checks in {time.monotonic() - t:.1f}s", flush=True)

        rows = []
        cpu0 = cpu_seconds(b.proc.pid)
        qps, lost, codes = dnsperf(b.dns_port, query_file, args.duration, args.clients)
        rows.append({"phase": "without", "qps": qps, "lost": lost, "codes": codes,
                     "beacond_cpu_s": cpu_seconds(b.proc.pid) - cpu0})
        print(f"without checks: {qps:.0f} qps, lost {lost}, {codes}", flush=True)

        def check_for(n):
            ep = targets.endpoints[n % len(targets.endpoints)]
            spec = {"http": f"http://{ep}/health"} if args.kind == "http" else {"tcp": ep}
            return dict(spec, interval=args.interval, timeout=args.timeout)

        t = time.monotonic()
        register_all(b.http_port, args.services, args.per_service, check_for)
        print(f"re-registered {instances} instances with {args.kind} checks in {time.monotonic() - t:.1f}s", flush=True)
        # Steady state: a stats line counting every check, then one more full period.
        b.wait_for_line(rf"event=health_check_stats checks={instances}\b", time.monotonic() - 0.5, 25)
        settled, _ = b.wait_for_line(r"event=health_check_stats", time.monotonic(), 15)
        counts = health_counts(b.http_port)
        print(f"health before the run: {counts}", flush=True)

        cpu0, start, runs0 = cpu_seconds(b.proc.pid), time.monotonic(), check_runs(b.http_port)
        qps, lost, codes = dnsperf(b.dns_port, query_file, args.duration, args.clients)
        end, cpu = time.monotonic(), cpu_seconds(b.proc.pid) - cpu0
        checker_rate = (check_runs(b.http_port) - runs0) / (time.monotonic() - start)
        # The stats lines of the periods overlapping the run (each covers the 10 s before it).
        last, _ = b.wait_for_line(r"event=health_check_stats", end, 15)
        stats = [STATS.search(l) for t, l in list(b.lines) if start < t <= last and STATS.search(l)]
        after = health_counts(b.http_port)
        row = {"phase": "with", "qps": qps, "lost": lost, "codes": codes, "beacond_cpu_s": cpu,
               "probes_per_s": checker_rate, "passing_after": after["passing"],
               "critical_after": after["critical"]}
        for i, name in enumerate(("late_p50_ms", "late_p90_ms", "late_p99_ms", "late_max_ms")):
            row[name] = max(float(m.group(5 + i)) for m in stats) if stats else float("nan")
        row["stats_lines"] = len(stats)
        rows.append(row)
        print(f"with checks: {qps:.0f} qps, lost {lost}, {codes}; health after: {after}", flush=True)
        for m in stats:
            print("  " + m.group(0), flush=True)
    finally:
        if b:
            b.stop()
        targets.stop()

    without, with_ = rows
    ratio = with_["qps"] / without["qps"] if without["qps"] else float("nan")
    cols = ["phase", "instances", "kind", "interval", "dns_threads", "qps", "qps_ratio", "lost", "beacond_cpu_s",
            "probes_per_s", "late_p50_ms", "late_p90_ms", "late_p99_ms", "late_max_ms", "passing_after",
            "critical_after"]
    lines = ["\t".join(cols)]
    for r in rows:
        r.update(instances=instances, kind=args.kind, interval=args.interval, dns_threads=args.dns_threads,
                 qps_ratio=1.0 if r is without else ratio)
        lines.append("\t".join(f"{r[c]:.2f}" if isinstance(r.get(c), float) else str(r.get(c, "-")) for c in cols))
    print("\n".join(lines))
    print(f"qps with / without checks: {ratio:.3f}")
    os.makedirs(os.path.dirname(args.tsv), exist_ok=True)
    with open(args.tsv, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
