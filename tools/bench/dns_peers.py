#!/usr/bin/env python3
"""beacond against Knot DNS and NSD on the same data, side by side (issue 8, item 1).

  tools/bench/dns_peers.py [--beacond build-perf/beacond] [--services 1000] [--instances 5]
                           [--large-services 100000] [--reps 3] [--seconds 10]

What it does, in order:

1. Installs what it needs from Debian (dnsperf knot nsd valgrind linux-perf) unless present,
   stops/disables the knot and nsd system services the packages may start, builds beacond
   (Release, in build-perf/) if --beacond does not exist, and compiles the closed-loop load
   generators tools/bench/dns_peers.cpp (DNS) and registration_load.cpp (HTTP) into the temp dir.
2. Generates the same data for every server: SERVICES x INSTANCES, i.e. per service web-N
   A records (one per instance; beacond caps A answers at dns.max_answers=8 and rotates, so
   with 5 instances all 5 are returned, as from the zone file), and _web-N._tcp SRV records
   (0 1 8080 iK.web-N.svc.internal.) whose targets have A records. Knot and NSD get it as one
   zone file (svc.internal.); beacond gets it through its HTTP API (PUT
   /v1/services/web-N/instances/iK, registration_load.cpp on 64 keep-alive connections), then is
   restarted on that data dir for every run, so it loads the registry from SQLite. One shuffled query file:
   70 % A web-N, 20 % SRV _web-N._tcp, 10 % names that do not exist (NXDOMAIN).
3. For MODE in pinned, unpinned; for REP in 1..REPS; for each server in turn (the order
   rotates every rep): starts the server in the foreground on 127.0.0.1 high ports with a
   config in the temp dir -- pinned: `taskset -c 1`, one worker (Knot udp-workers: 1,
   background-workers: 1 and, because Knot pins its UDP workers itself, every thread moved with
   `taskset -a -p -c 1` after start; NSD server-count: 1; beacond dns.threads: 1), load on
   CPU 0; unpinned: two workers/threads each, no taskset -- then measures
     * dnsperf (-c 1 -T 1 pinned, -c 2 -T 2 unpinned, -q 500, -l SECONDS): qps, and server CPU
       time per query = utime+stime of the server's whole process tree (all threads, from
       /proc/PID/stat) after - before, divided by the queries dnsperf got answered;
     * the same with dns_peers.cpp, a sendmmsg/recvmmsg closed-loop generator (256 in flight),
       since dnsperf tops out near 100 k qps and saturates no server ("sat" columns);
     * pinned only: syscalls per query at saturation (`perf stat -e 'syscalls:sys_enter_*'` on
       every server thread during a dns_peers.cpp run, divided by its answered queries), and
       latency p50/p99 at a fixed 20 k qps (dnsperf -Q 20000 -v, per-query latencies).
4. Instructions per query: each server with one worker under `valgrind --tool=callgrind`,
   sent 2 000 and then (in a second run) 22 000 queries by dnsperf at 2 000 qps; total Ir of
   the second minus the first, divided by the 20 000 extra queries answered, so start-up,
   the zone load and idle timers cancel out. User-space instructions only (callgrind does not
   see the kernel). beacond's top functions (callgrind_annotate) go to
   results/dns_peers.beacond-profile.txt.
5. Large data (LARGE_SERVICES x INSTANCES, default 100 000 x 5 = 500 000 instances): time from
   exec to the first correct answer (A web-<last>, all INSTANCES records) and RSS/PSS after it,
   per server. beacond is filled through the API first, then restarted on the filled data dir:
   its start-up is loading 500 000 registrations from SQLite.

--latency-only: just the latency block (pinned, dnsperf -Q 20000), REPS alternating reps per
server, medians printed (no results files): p99 is the figure that moves most between runs, and
this measures it again in two minutes.

Load on the 2-core machine matters: before the first measured block it waits (up to --max-wait,
5 min) for the 1-minute load average to fall under 0.8, a fifth of that before each later rep or
large-data start, and records the load every run started at (TSV column load1).

Output: a table on stdout and in tools/bench/results/dns_peers.md, one TSV row per
(server, mode, rep) plus the medians in tools/bench/results/dns_peers.tsv, and beacon's
ratios to each peer (medians). Servers bind 127.0.0.1 only; every process started is killed on
exit. Needs root (apt-get, perf tracepoints).
"""
import argparse
import atexit
import glob
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RESULTS = os.path.join(ROOT, "tools", "bench", "results")
CLK_TCK = os.sysconf("SC_CLK_TCK")
ORIGIN = "svc.internal"
SERVERS = ["beacond", "knot", "nsd"]
CHILDREN = []  # every Popen we start, killed on exit


# ---------------------------------------------------------------- processes and /proc

def cleanup():
    for p in CHILDREN:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, start_new_session=True, **kw)
    CHILDREN.append(p)
    return p


def stop(p, timeout=60):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def tree(pid):
    """pid and all its descendants (NSD forks its server and xfrd processes)."""
    parents = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    parents[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += [c for c, pp in parents.items() if pp == p]
    return out


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime of all its threads
        except OSError:
            pass
    return total / CLK_TCK


def memory_mib(pids):
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
    return rss / 1024, pss / 1024


def threads_of(pids):
    return [int(t) for pid in pids for t in os.listdir(f"/proc/{pid}/task")]


def wait_load(limit=0.8, max_wait=300):
    end = time.time() + max_wait
    while True:
        load = float(open("/proc/loadavg").read().split()[0])
        if load < limit or time.time() > end:
            return load
        time.sleep(10)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- DNS

def dns_query(port, name, qtype=1, timeout=1.0):
    q = struct.pack(">HHHHHH", random.randrange(65536), 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(q, ("127.0.0.1", port))
        r, _ = s.recvfrom(4096)
    an, ns, ar = struct.unpack(">HHH", r[6:12])
    return {"rcode": r[3] & 0x0F, "aa": bool(r[2] & 4), "an": an, "ns": ns, "ar": ar, "size": len(r)}


def wait_answer(port, name, count, deadline, proc=None):
    """Seconds until `name A` is answered NOERROR with `count` records, polling every 5 ms."""
    start = time.time()
    while time.time() - start < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            r = dns_query(port, name, 1, timeout=0.2)
            if r["rcode"] == 0 and r["an"] == count:
                return time.time() - start
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"no correct answer for {name} within {deadline} s")


# ---------------------------------------------------------------- data

def address(n):
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def write_zone(path, services, instances):
    with open(path, "w") as f:
        f.write(f"$ORIGIN {ORIGIN}.\n$TTL 5\n"
                f"@ IN SOA ns1.{ORIGIN}. hostmaster.{ORIGIN}. 1 3600 600 86400 5\n"
                "@ IN NS ns1\nns1 IN A 127.0.0.1\n")
        for s in range(services):
            for i in range(instances):
                a = address(s * instances + i)
                f.write(f"web-{s} IN A {a}\ni{i}.web-{s} IN A {a}\n"
                        f"_web-{s}._tcp IN SRV 0 1 8080 i{i}.web-{s}\n")


def write_queries(path, services, count=100_000, seed=8):
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        kind = n % 10
        s = rng.randrange(services)
        if kind < 7:
            lines.append(f"web-{s}.{ORIGIN} A")
        elif kind < 9:
            lines.append(f"_web-{s}._tcp.{ORIGIN} SRV")
        else:
            lines.append(f"nx-{s}.{ORIGIN} A")
    rng.shuffle(lines)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def fill_beacond(http_port, services, instances, tmp):
    """PUT every instance over 64 keep-alive connections with tools/bench/registration_load.cpp
    (compiled by build()); the same addresses as write_zone, as address() derives them."""
    argv = [os.path.join(tmp, "registration_load"), "--port", str(http_port), "--services", str(services),
            "--instances", str(instances), "--connections", "64", "--count", str(services * instances),
            "--seconds", "3600"]
    out = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    if out["acked"] != services * instances:
        raise RuntimeError(f"fill: {out}")


# ---------------------------------------------------------------- servers

class Servers:
    def __init__(self, beacond, tmp):
        self.beacond = beacond
        self.tmp = tmp

    def command(self, name, data, port, workers, under=()):
        """(argv, run dir) to start `name` on `data` (a dict made by prepare)."""
        run = tempfile.mkdtemp(dir=self.tmp, prefix=f"{name}-")
        if name == "beacond":
            cfg = os.path.join(run, "beacon.yaml")
            with open(cfg, "w") as f:
                f.write(f"dns:\n  threads: {workers}\n  max_answers: 8\n  ttl: 5s\nlog:\n  level: warn\n")
            argv = [self.beacond, "--config", cfg, "--dns-listen", f"127.0.0.1:{port}",
                    "--http-listen", f"127.0.0.1:{free_port()}", "--data-dir", data["beacond_dir"],
                    "--zone-dir", data["empty_dir"], "--log-level", "warn"]
        elif name == "knot":
            cfg = os.path.join(run, "knot.conf")
            with open(cfg, "w") as f:
                f.write(f"server:\n    rundir: {run}\n    listen: 127.0.0.1@{port}\n"
                        f"    udp-workers: {workers}\n    tcp-workers: 1\n    background-workers: 1\n"
                        f"database:\n    storage: {run}\n"
                        "log:\n  - target: stderr\n    any: warning\n"
                        f"template:\n  - id: default\n    storage: {run}\n    journal-content: none\n"
                        "    zonefile-sync: -1\n    zonefile-load: whole\n    semantic-checks: off\n"
                        f"zone:\n  - domain: {ORIGIN}.\n    file: {data['zone']}\n")
            argv = ["knotd", "-c", cfg]
        elif name == "nsd":
            cfg = os.path.join(run, "nsd.conf")
            with open(cfg, "w") as f:
                f.write(f"server:\n    ip-address: 127.0.0.1\n    port: {port}\n    server-count: {workers}\n"
                        f"    reuseport: yes\n    username: \"\"\n    chroot: \"\"\n    zonesdir: {run}\n"
                        f"    database: \"\"\n    pidfile: {run}/nsd.pid\n    xfrdfile: {run}/xfrd.state\n"
                        f"    zonelistfile: {run}/zone.list\n    xfrdir: {run}\n    logfile: {run}/nsd.log\n"
                        "    verbosity: 0\n    minimal-responses: no\n    zonefiles-write: 0\n"
                        "    rrl-ratelimit: 0\n    rrl-whitelist-ratelimit: 0\n"
                        "remote-control:\n    control-enable: no\n"
                        f"zone:\n    name: {ORIGIN}\n    zonefile: {data['zone']}\n")
            argv = ["nsd", "-d", "-c", cfg]
        return list(under) + argv, run

    def start(self, name, data, workers, pinned, under=(), deadline=120):
        port = free_port()
        argv, run = self.command(name, data, port, workers, under)
        if pinned:
            argv = ["taskset", "-c", "1"] + argv
        log = open(os.path.join(run, "stderr.log"), "w")
        started = time.time()
        proc = spawn(argv, stdout=log, stderr=subprocess.STDOUT)
        ready = wait_answer(port, f"web-{data['services'] - 1}.{ORIGIN}", data["instances"], deadline, proc)
        if pinned:  # Knot pins its UDP workers to CPU i mod ncpus itself: move every thread back
            for pid in tree(proc.pid):
                subprocess.run(["taskset", "-a", "-p", "-c", "1", str(pid)], stdout=subprocess.DEVNULL, check=True)
        return proc, port, ready, time.time() - started, run


# ---------------------------------------------------------------- load

def dnsperf(port, queries, seconds, clients, pinned, extra=(), capture_verbose=False):
    argv = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", queries, "-c", str(clients),
            "-T", str(clients), "-q", "500", "-t", "2"] + list(extra)
    if seconds:
        argv += ["-l", str(seconds)]
    if capture_verbose:
        argv.append("-v")
    if pinned:
        argv = ["taskset", "-c", "0"] + argv
    p = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = p.communicate(timeout=(seconds or 120) + 60)
    m = re.search(r"Queries completed:\s+(\d+)", out)
    qps = re.search(r"Queries per second:\s+([\d.]+)", out)
    if not m or not qps:
        raise RuntimeError("dnsperf output not understood:\n" + out[-2000:])
    res = {"completed": int(m.group(1)), "qps": float(qps.group(1)),
           "lost": int(re.search(r"Queries lost:\s+(\d+)", out).group(1))}
    if capture_verbose:
        lat = sorted(float(x) for x in re.findall(r"^> \S+ .* (\d+\.\d+)$", out, re.M))
        res["latencies"] = lat
    return res


def loadgen(binary, port, queries, seconds, threads, pinned):
    argv = [binary, "127.0.0.1", str(port), queries, str(seconds), "256", str(threads)]
    if pinned:
        argv = ["taskset", "-c", "0"] + argv
    p = spawn(argv, stdout=subprocess.PIPE, text=True)
    out, _ = p.communicate(timeout=seconds + 30)
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", out)}


def raise_nofile():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def syscalls_per_query(proc, binary, port, queries, seconds):
    pids = tree(proc.pid)
    tids = ",".join(map(str, threads_of(pids)))
    perf = spawn(["perf", "stat", "-x", ",", "-e", "syscalls:sys_enter_*", "-t", tids],
                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                 preexec_fn=raise_nofile)
    time.sleep(1.0)  # perf opens ~350 tracepoints per thread
    lg = loadgen(binary, port, queries, seconds, 1, True)
    time.sleep(0.2)
    perf.send_signal(signal.SIGINT)
    _, err = perf.communicate(timeout=30)
    counts = {}
    for line in err.splitlines():
        f = line.split(",")
        if len(f) > 2 and f[0].isdigit() and f[2].startswith("syscalls:sys_enter_"):
            counts[f[2][len("syscalls:sys_enter_"):]] = counts.get(f[2][len("syscalls:sys_enter_"):], 0) + int(f[0])
    if not counts:
        raise RuntimeError("perf stat gave no tracepoint counts:\n" + err[-2000:])
    answered = lg["received"]
    top = sorted(((n / answered, s) for s, n in counts.items() if n), reverse=True)[:4]
    return sum(counts.values()) / answered, " ".join(f"{s}:{v:.3f}" for v, s in top)


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


# ---------------------------------------------------------------- phases

def install():
    need = {"dnsperf": "dnsperf", "knotd": "knot", "nsd": "nsd", "valgrind": "valgrind", "perf": "linux-perf"}
    missing = [pkg for exe, pkg in need.items() if not shutil.which(exe) and not os.path.exists(f"/usr/sbin/{exe}")]
    if missing:
        print("installing", " ".join(missing), flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq"] + missing, check=True, env=env, stdout=subprocess.DEVNULL)
    os.environ["PATH"] += ":/usr/sbin:/sbin"
    for unit in ("knot", "nsd"):  # the packages may have started system instances on port 53
        if shutil.which("systemctl") and os.path.isdir("/run/systemd/system"):
            subprocess.run(["systemctl", "disable", "--now", unit], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif shutil.which("service"):
            subprocess.run(["service", unit, "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def build(beacond, tmp):
    if not os.path.exists(beacond):
        bdir = os.path.join(ROOT, "build-perf")
        # BEACON_WERROR=OFF: GCC 12 -O3 reports a false -Wrestrict inside libstdc++ string code.
        subprocess.run(["cmake", "-S", ROOT, "-B", bdir, "-DCMAKE_BUILD_TYPE=Release", "-DBEACON_WERROR=OFF"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", bdir, "-j2", "--target", "beacond"], check=True, stdout=subprocess.DEVNULL)
    load = os.path.join(tmp, "dns_peers_load")
    subprocess.run(["g++", "-O2", "-std=c++20", "-pthread", "-o", load,
                    os.path.join(ROOT, "tools", "bench", "dns_peers.cpp")], check=True)
    subprocess.run(["g++", "-O2", "-std=c++20", "-pthread", "-o", os.path.join(tmp, "registration_load"),
                    os.path.join(ROOT, "tools", "bench", "registration_load.cpp")], check=True)
    return load


def prepare(servers, tmp, services, instances, tag):
    data = {"services": services, "instances": instances, "zone": os.path.join(tmp, f"{tag}.svc.internal.zone"),
            "beacond_dir": os.path.join(tmp, f"{tag}-beacond-data"), "empty_dir": os.path.join(tmp, "empty-zones")}
    os.makedirs(data["beacond_dir"], exist_ok=True)
    os.makedirs(data["empty_dir"], exist_ok=True)
    write_zone(data["zone"], services, instances)
    # beacond: a fresh instance, filled through the HTTP API; it is restarted on this data dir.
    port, http_port = free_port(), free_port()
    proc = spawn([servers.beacond, "--dns-listen", f"127.0.0.1:{port}", "--http-listen", f"127.0.0.1:{http_port}",
                  "--data-dir", data["beacond_dir"], "--zone-dir", data["empty_dir"], "--log-level", "warn"])
    try:
        wait_answer_any(port, 30)
        t = time.time()
        fill_beacond(http_port, services, instances, tmp)
        data["fill_s"] = time.time() - t
        data["fill_rss_mib"] = memory_mib(tree(proc.pid))[0]
        wait_answer(port, f"web-{services - 1}.{ORIGIN}", instances, 30, proc)
    finally:
        stop(proc)
    return data


def wait_answer_any(port, deadline):
    end = time.time() + deadline
    while time.time() < end:
        try:
            dns_query(port, ORIGIN, 6, 0.2)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("beacond did not start")


def check_answers(servers, data):
    """The three query kinds give the same sections from every server."""
    rows = {}
    for name in SERVERS:
        proc, port, _, _, _ = servers.start(name, data, 1, False)
        try:
            rows[name] = [dns_query(port, f"web-1.{ORIGIN}", 1), dns_query(port, f"_web-1._tcp.{ORIGIN}", 33),
                          dns_query(port, f"nx-1.{ORIGIN}", 1)]
        finally:
            stop(proc)
    return rows


def callgrind(servers, data, tmp, queries_file, name, extra_queries=20_000, base_queries=2_000):
    lines = open(queries_file).read().splitlines()
    totals = []
    for n in (base_queries, base_queries + extra_queries):
        qf = os.path.join(tmp, f"q{n}.txt")
        with open(qf, "w") as f:
            f.write("\n".join((lines * (n // len(lines) + 1))[:n]) + "\n")
        out = os.path.join(tmp, f"callgrind-{name}-{n}")
        os.makedirs(out, exist_ok=True)
        under = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/callgrind.out.%p", "-q"]
        proc, port, _, _, _ = servers.start(name, data, 1, False, under=under, deadline=600)
        res = dnsperf(port, qf, 0, 1, False, extra=["-n", "1", "-Q", "2000"])
        stop(proc, timeout=300)
        time.sleep(1)
        ir = 0
        for path in glob.glob(f"{out}/callgrind.out.*"):
            with open(path) as f:
                for line in f:
                    if line.startswith(("summary:", "totals:")):
                        ir += int(line.split()[1])
                        break
        totals.append((ir, res["completed"], out))
    (ir0, done0, out0), (ir1, done1, out1) = totals
    return (ir1 - ir0) / (done1 - done0), (out0, out1, done1 - done0)


def function_costs(out):
    """{function: Ir} over every callgrind.out file in `out` (exclusive cost)."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", "--auto=no"]
                          + glob.glob(f"{out}/callgrind.out.*"), capture_output=True, text=True).stdout
    costs = {}
    for m in re.finditer(r"^\s*([\d,]+) \([\s\d.]+%\)\s+(.*?)\s*$", text, re.M):
        if "PROGRAM TOTALS" not in m.group(2):
            fn = re.sub(r"^(\?\?\?|\S+?\.(c|cc|cpp|h|hpp|tcc|S)):", "", m.group(2), count=1)  # drop "file:"
            costs[fn] = costs.get(fn, 0) + int(m.group(1).replace(",", ""))
    return costs


def short(function):
    """A C++ signature without its argument lists, the object file by its base name."""
    function = function.replace("(anonymous namespace)", "{anon}")
    for _ in range(3):
        function = re.sub(r"\((?:[^()]|\([^()]*\))*\)", "()", function)
    return re.sub(r"\[\S*/([^/\]]+)\]$", r"[\1]", function)[:140]


def differential_profile(runs):
    """Exclusive Ir per query by function: the long run minus the short one, per extra query."""
    out0, out1, queries = runs
    a, b = function_costs(out0), function_costs(out1)
    diff = sorted(((b.get(f, 0) - a.get(f, 0)) / queries, f) for f in set(a) | set(b))[::-1]
    total = sum(v for v, _ in diff)
    lines = [f"beacond: user-space instructions per query by function (callgrind, exclusive; run with "
             f"{queries} more queries minus the short run), total {total:.0f} Ir/q", ""]
    lines += [f"{v:8.1f} {100 * v / total:5.1f}%  {short(f)}" for v, f in diff[:30]]
    return "\n".join(lines) + "\n"


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--beacond", default=os.path.join(ROOT, "build-perf", "beacond"))
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--instances", type=int, default=5)
    ap.add_argument("--large-services", type=int, default=100_000, help="0 skips the large data set")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--max-wait", type=float, default=300,
                    help="seconds to wait for the 1-min load to fall under 0.8 before the first block (a fifth of it before later ones)")
    ap.add_argument("--skip-valgrind", action="store_true")
    ap.add_argument("--latency-only", action="store_true", help="only p50/p99 at 20 k qps, pinned; REPS alternating reps")
    ap.add_argument("--out", default=os.path.join(RESULTS, "dns_peers"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root: apt-get, perf tracepoints, taskset of other users' threads")
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    install()
    tmp = tempfile.mkdtemp(prefix="dns_peers-")
    atexit.register(shutil.rmtree, tmp, True)
    load_bin = build(os.path.abspath(args.beacond), tmp)
    servers = Servers(os.path.abspath(args.beacond), tmp)
    t0 = time.time()

    print(f"data: {args.services} x {args.instances}", flush=True)
    data = prepare(servers, tmp, args.services, args.instances, "small")
    queries = os.path.join(tmp, "queries.txt")
    write_queries(queries, args.services)
    notes = [f"data {args.services} x {args.instances}: beacond filled over HTTP in {data['fill_s']:.1f} s"]
    for name, rows in check_answers(servers, data).items():
        notes.append(f"{name} answers (rcode/AA/an/ns/ar/bytes) A: " + "; ".join(
            f"{r['rcode']}/{int(r['aa'])}/{r['an']}/{r['ns']}/{r['ar']}/{r['size']}" for r in rows) + "  (A; SRV; nonexistent)")
        print(notes[-1], flush=True)

    if args.latency_only:
        latency_only(servers, data, queries, args)
        return

    runs = []  # one dict per (mode, rep, server)
    for mode in ("pinned", "unpinned"):
        pinned = mode == "pinned"
        workers = 1 if pinned else 2
        for rep in range(args.reps):
            order = SERVERS[rep % 3:] + SERVERS[:rep % 3]
            load = wait_load(max_wait=args.max_wait if mode == "pinned" and rep == 0 else args.max_wait / 5)
            for name in order:
                load = float(open("/proc/loadavg").read().split()[0])
                proc, port, _, _, _ = servers.start(name, data, workers, pinned)
                try:
                    row = {"server": name, "mode": mode, "rep": rep + 1, "load1": load}
                    pids = tree(proc.pid)
                    c0 = cpu_seconds(pids)
                    dp = dnsperf(port, queries, args.seconds, workers, pinned)
                    c1 = cpu_seconds(pids)
                    row.update(dnsperf_qps=dp["qps"], dnsperf_lost=dp["lost"],
                               dnsperf_cpu_us=(c1 - c0) / dp["completed"] * 1e6)
                    c0 = cpu_seconds(pids)
                    lg = loadgen(load_bin, port, queries, args.seconds, workers, pinned)
                    c1 = cpu_seconds(pids)
                    row.update(sat_qps=lg["qps"], sat_lost=int(lg["lost"]), sat_cpu_us=(c1 - c0) / lg["received"] * 1e6,
                               sat_nxdomain_pct=100 * lg["nxdomain"] / max(1, lg["received"]))
                    if pinned:
                        row["syscalls_per_q"], row["top_syscalls"] = syscalls_per_query(proc, load_bin, port, queries, 5)
                        lat = dnsperf(port, queries, args.seconds, 1, True, extra=["-Q", "20000"], capture_verbose=True)
                        row.update(lat_qps=lat["qps"], p50_us=percentile(lat["latencies"], 50) * 1e6,
                                   p99_us=percentile(lat["latencies"], 99) * 1e6)
                    row["rss_mib"], row["pss_mib"] = memory_mib(tree(proc.pid))
                finally:
                    stop(proc)
                runs.append(row)
                print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)

    ir, profile = {}, None
    if not args.skip_valgrind:
        for name in SERVERS:
            ir[name], cg_runs = callgrind(servers, data, tmp, queries, name)
            print(f"{name}: {ir[name]:.0f} instructions per query (callgrind, user space)", flush=True)
            if name == "beacond":
                profile = differential_profile(cg_runs)
                print(profile, flush=True)

    large = {}
    if args.large_services:
        print(f"data: {args.large_services} x {args.instances}", flush=True)
        big = prepare(servers, tmp, args.large_services, args.instances, "large")
        notes.append(f"data {args.large_services} x {args.instances}: beacond filled over HTTP (64 keep-alive "
                     f"connections) in {big['fill_s']:.1f} s = {args.large_services * args.instances / big['fill_s']:.0f} "
                     f"registrations/s, RSS right after the fill {big['fill_rss_mib']:.0f} MiB")
        for name in SERVERS:
            load = wait_load(max_wait=args.max_wait / 5)
            proc, port, ready, total, _ = servers.start(name, big, 2, False, deadline=600)
            try:
                time.sleep(1)
                rss, pss = memory_mib(tree(proc.pid))
                large[name] = {"startup_s": ready, "rss_mib": rss, "pss_mib": pss, "load1": load}
            finally:
                stop(proc)
            print(f"{name} large: first correct answer after {ready:.2f} s, RSS {rss:.0f} MiB, PSS {pss:.0f} MiB", flush=True)
        notes.append("start-up = exec to first correct answer (A web-<last>, all records); beacond restarts on its "
                     "filled data dir, i.e. loads the registrations from SQLite")
    report(args, runs, ir, large, notes, profile, time.time() - t0)


def latency_only(servers, data, queries, args):
    """p50/p99 at a fixed 20 k qps, pinned, each server in turn, REPS times; medians."""
    seen = {name: [] for name in SERVERS}
    wait_load(max_wait=args.max_wait)
    for rep in range(args.reps):
        for name in SERVERS[rep % 3:] + SERVERS[:rep % 3]:
            wait_load(max_wait=args.max_wait / 5)
            proc, port, _, _, _ = servers.start(name, data, 1, True)
            try:
                lat = dnsperf(port, queries, args.seconds, 1, True, extra=["-Q", "20000"], capture_verbose=True)
            finally:
                stop(proc)
            p50, p99 = percentile(lat["latencies"], 50) * 1e6, percentile(lat["latencies"], 99) * 1e6
            seen[name].append((p50, p99))
            print(f"{name} rep {rep + 1}: p50 {p50:.0f} us, p99 {p99:.0f} us at {lat['qps']:.0f} qps", flush=True)
    medians = {}
    for name, values in seen.items():
        medians[name] = (statistics.median(v[0] for v in values), statistics.median(v[1] for v in values))
        print(f"{name}: median p50 {medians[name][0]:.0f} us, p99 {medians[name][1]:.0f} us "
              f"(p99 of each rep: {', '.join(f'{v[1]:.0f}' for v in values)})")
    for peer in ("knot", "nsd"):
        print(f"beacond / {peer}: p50 {medians['beacond'][0] / medians[peer][0]:.2f}, "
              f"p99 {medians['beacond'][1] / medians[peer][1]:.2f}")


def report(args, runs, ir, large, notes, profile, elapsed):
    def med(name, mode, key):
        return median([r[key] for r in runs if r["server"] == name and r["mode"] == mode and key in r])

    cols = [("pinned", "dnsperf_qps", "qps dnsperf", "{:.0f}"),
            ("pinned", "dnsperf_cpu_us", "CPU µs/q dnsperf", "{:.2f}"),
            ("pinned", "sat_qps", "qps sat", "{:.0f}"),
            ("pinned", "sat_cpu_us", "CPU µs/q sat", "{:.2f}"),
            ("pinned", "syscalls_per_q", "syscalls/q sat", "{:.3f}"),
            ("pinned", "p50_us", "p50 µs @20k", "{:.0f}"),
            ("pinned", "p99_us", "p99 µs @20k", "{:.0f}"),
            ("pinned", "pss_mib", "PSS MiB small", "{:.1f}"),
            ("unpinned", "dnsperf_qps", "qps dnsperf 2w", "{:.0f}"),
            ("unpinned", "dnsperf_cpu_us", "CPU µs/q dnsperf 2w", "{:.2f}"),
            ("unpinned", "sat_qps", "qps sat 2w", "{:.0f}"),
            ("unpinned", "sat_cpu_us", "CPU µs/q sat 2w", "{:.2f}")]
    table = {}
    for name in SERVERS:
        vals = {f"{mode}:{key}": med(name, mode, key) for mode, key, _, _ in cols}
        vals["ir"] = ir.get(name, float("nan"))
        for k in ("startup_s", "rss_mib", "pss_mib"):
            vals[f"large:{k}"] = large.get(name, {}).get(k, float("nan"))
        table[name] = vals
    heads = [h for _, _, h, _ in cols] + ["instr/q", "start-up s large", "RSS MiB large", "PSS MiB large"]
    keys = [f"{m}:{k}" for m, k, _, _ in cols] + ["ir", "large:startup_s", "large:rss_mib", "large:pss_mib"]
    fmts = [f for _, _, _, f in cols] + ["{:.0f}", "{:.2f}", "{:.0f}", "{:.0f}"]
    lines = ["| server | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for name in SERVERS:
        lines.append(f"| {name} | " + " | ".join(f.format(table[name][k]) for k, f in zip(keys, fmts)) + " |")
    for peer in ("knot", "nsd"):
        lines.append(f"| beacond / {peer} | " + " | ".join(
            f"{table['beacond'][k] / table[peer][k]:.2f}" if table[peer][k] else "-" for k in keys) + " |")
    loads = [r["load1"] for r in runs]
    md = [f"# beacond vs Knot DNS {version('knotd', '-V')} and NSD {version('nsd', '-v')} (tools/bench/dns_peers.py)", "",
          f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} CPUs, {elapsed / 60:.0f} min; medians of "
          f"{args.reps} alternating reps; 1-min load at block starts {min(loads):.2f}..{max(loads):.2f}. "
          "pinned: server on CPU 1 with one worker, load on CPU 0; 2w: unpinned, two workers/threads. "
          "dnsperf: -c1 -T1 (-c2 -T2 for 2w), -q 500; sat: dns_peers.cpp closed loop, 256 in flight. "
          "CPU µs/q: utime+stime of all server threads / answered queries. "
          "instr/q: callgrind user-space Ir per query. p50/p99: dnsperf -Q 20000, pinned.", "",
          *lines, "", *[f"- {n}" for n in notes], ""]
    text = "\n".join(md)
    print("\n" + text)
    with open(args.out + ".md", "w") as f:
        f.write(text)
    rk = sorted({k for r in runs for k in r}, key=lambda k: list(runs[0].keys()).index(k) if k in runs[0] else 99)
    with open(args.out + ".tsv", "w") as f:
        f.write("\t".join(["kind"] + rk) + "\n")
        for r in runs:
            f.write("\t".join(["run"] + [fmt(r.get(k, "")) for k in rk]) + "\n")
        f.write("\t".join(["median", "server"] + keys) + "\n")
        for name in SERVERS:
            f.write("\t".join(["median", name] + [fmt(table[name][k]) for k in keys]) + "\n")
    if profile:
        with open(args.out + ".beacond-profile.txt", "w") as f:
            f.write(profile)


def fmt(v):
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def version(exe, flag):
    out = subprocess.run([exe, flag], capture_output=True, text=True)
    m = re.search(r"(\d+\.\d+\.\d+)", out.stdout + out.stderr)
    return m.group(1) if m else "?"


if __name__ == "__main__":
    sys.exit(main())
