#!/usr/bin/python3
"""Crash and load safety, measured (issue 6, item 6).

A registration storm against the real beacond while dnsperf queries it and health checks flap,
with kill -9 at random points, then a check that every acknowledged write survived.

  tools/bench/crash_safety.py [--beacond build/beacond] [--seed 1] [--kills 5] [--duration 90]
                              [--workers 4] [--connections 48] [--keys 4096] [--qps 10000]

What it does (every loop is bounded in count and time):
  1. Starts FLAPPERS tiny HTTP health targets (a child process, this script with
     --serve-flappers) answering 200 and 503 in turn, switching every --flap-period seconds,
     and beacond (tests/integration/harness.py's Beacond: free locked loopback ports, a fresh
     temp data dir, config: dns.threads 2, log level warn) with a sentinel instance the storm
     never touches.
  2. The storm: --workers processes (this script with --storm-worker, plain subprocesses so
     the GIL does not cap the rate) with --connections keep-alive HTTP connections in all, one
     thread each. A connection owns a disjoint set of the --keys keys (key K is instance iK of
     service svc-(K mod --services)) and works on one key at a time: PUT a new version (the
     version is in the address, 10.x.y.z), DELETE, a DELETE of an absent key (404), or an
     invalid PUT (400). Instances of every 4th service carry an HTTP check on a flapping
     target (interval 1s, timeout 500ms). Each connection journals every op sent with its
     outcome: ack (2xx), refused (4xx/5xx) or unknown (the connection died before the whole
     answer came: beacond was killed).
  3. Meanwhile dnsperf (-Q --qps, installed with apt-get if missing and root) queries A, SRV
     and instance names of the registry, one run per phase, and a sampler thread sends
     --sample-rate queries/s (one in ten over TCP) and decodes every answer fully with
     tests/integration/dnswire.py (header, question, every RR with name compression, counts
     and length consumed exactly, RDATA structure); anything it cannot decode, or whose id,
     QR bit or question does not match, is malformed.
  4. --kills times: after a random --kill-after (default 1-4 s, seeded --seed) of storm,
     kill -9 beacond and restart it on the same data dir and ports; restart time = kill to
     the first correct answer for the sentinel (polled every 2 ms), and to ready (harness:
     DNS answered and /healthz 200). Then a last phase of --duration seconds of storm.
  5. The storm stops. Every journal is replayed per key: the possible states start at
     {absent}; an ack sets them to {its state}, a refusal leaves them, an unknown adds its
     state. A 201 where the key could only be registered, a 200 where it could only be absent,
     a 204 or 404 likewise, is a lost write seen during the storm. Then beacond's state of
     every key is read via the API (GET /v1/services/svc-N: is iK there, with which address)
     and via DNS (iK.svc-N.svc.internal A, for the services without checks: a flapping check
     legitimately hides an instance) and must be one of the possible states; once live and
     once more after a final kill -9 and restart (the committed state). A key whose state
     is not possible is a lost write.
Output: a table on stdout, --out PREFIX.tsv and .md (default tools/bench/results/crash_safety).
Exit status 1 if any write was lost, any answer malformed or beacond misbehaved, else 0.
"""
import argparse
import collections
import glob
import http.client
import http.server
import json
import os
import random
import re
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import dnswire  # noqa: E402  the integration tests' DNS codec
import harness  # noqa: E402  Beacond: free ports, config, start, readiness, restart

ZONE = "svc.internal"
SENTINEL = ("sentinel", "s0", "192.0.2.77")
CHECKED_EVERY = 4  # services svc-3, svc-7, ... carry flapping HTTP checks
INVALID_VERSION = 0xFFFFFF  # the address of the invalid registrations (never a real version)


def service_of(key, services):
    return f"svc-{key % services}"


def is_checked(key, services):
    return key % services % CHECKED_EVERY == CHECKED_EVERY - 1


def address(version):
    return f"10.{(version >> 16) & 255}.{(version >> 8) & 255}.{version & 255}"


def version_of(addr):
    a, b, c, d = (int(x) for x in addr.split("."))
    return (b << 16) | (c << 8) | d if a == 10 else -1


# ---------------------------------------------------------------------------------------------
# Flapping health targets (child process)


def serve_flappers(count, period):
    """COUNT HTTP servers on 127.0.0.1; each answers 200 or 503, switching every PERIOD s
    (shifted per server so the services do not flap in step)."""
    started = time.monotonic()

    def handler_for(shift):
        class Flap(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                up = int((time.monotonic() - started) / period + shift) % 2 == 0
                self.send_response(200 if up else 503)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()

            def log_message(self, *args):
                pass
        return Flap

    servers = []
    for i in range(count):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_for(i / count))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    print(" ".join(str(s.server_address[1]) for s in servers), flush=True)
    sys.stdin.read()  # until the parent closes our stdin or dies


# ---------------------------------------------------------------------------------------------
# Storm worker (child process): one thread per keep-alive connection


class HttpConn:
    """A raw HTTP/1.1 keep-alive client; send() returns (status, None) or (None, why) when the
    connection died after (part of) the request was sent."""

    def __init__(self, port, timeout):
        self.port, self.timeout, self.sock, self.buf = port, timeout, None, b""

    def connect(self):
        self.close()
        s = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buf = s, b""

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, method, path, body=None):
        head = f"{method} {path} HTTP/1.1\r\nHost: beacon\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        try:
            self.sock.sendall(head.encode() + b"\r\n" + (body or b""))
            while b"\r\n\r\n" not in self.buf:
                self._fill()
            header, self.buf = self.buf.split(b"\r\n\r\n", 1)
            lines = header.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            fields = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
            length = int(fields.get("content-length", "0"))
            while len(self.buf) < length:
                self._fill()
            self.buf = self.buf[length:]
            if fields.get("connection", "").lower() == "close":
                self.close()
            return status, None
        except (OSError, ValueError, IndexError) as e:
            self.close()
            return None, type(e).__name__

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("EOF")
        self.buf += chunk


def storm_connection(conf, conn_index, stop, deadline):
    """One connection's sequential ops over its own keys; journal lines
    `t key op version outcome status` (op P put, D delete, X invalid put; version 0 = absent)."""
    rng = random.Random(conf["seed"] * 1000003 + conn_index)
    services, connections = conf["services"], conf["connections"]
    keys = list(range(conn_index, conf["keys"], connections))
    believed = {k: 0 for k in keys}  # op choice only; the verdict replays the journal
    next_version = {k: 1 for k in keys}
    http_conn = HttpConn(conf["http_port"], timeout=conf["request_timeout"])
    journal = open(os.path.join(conf["journal_dir"], f"journal-{conn_index}.tsv"), "w", buffering=1 << 16)
    with journal:
        while not stop.is_set() and time.monotonic() < deadline:
            if http_conn.sock is None:
                try:
                    http_conn.connect()
                except OSError:
                    time.sleep(0.01)  # beacond is down: try again, bounded by the deadline
                    continue
            key = rng.choice(keys)
            path = f"/v1/services/{service_of(key, services)}/instances/i{key}"
            roll = rng.random()
            if roll < 0.03:  # refused (400): must change nothing
                op, version, method = "X", INVALID_VERSION, "PUT"
                body = json.dumps({"address": address(version), "port": 8080, "no_such_field": 1}).encode()
            elif believed[key] and roll < 0.45 or roll < 0.08:
                op, version, method, body = "D", 0, "DELETE", None
            else:
                op, version, method = "P", next_version[key], "PUT"
                next_version[key] += 1
                reg = {"address": address(version), "port": 8080}
                if is_checked(key, services):
                    port = conf["flappers"][key % len(conf["flappers"])]
                    reg["check"] = {"http": f"http://127.0.0.1:{port}/health", "interval": "1s",
                                    "timeout": "500ms"}
                body = json.dumps(reg).encode()
            status, died = http_conn.request(method, path, body)
            if status is None:
                outcome = "unknown"
            else:
                outcome = "ack" if 200 <= status < 300 else "refused"
            journal.write(f"{time.monotonic():.4f}\t{key}\t{op}\t{version}\t{outcome}\t{status or died}\n")
            if outcome == "ack":
                believed[key] = version
            elif outcome == "unknown" and op != "X":
                believed[key] = version


def storm_worker(conf):
    """Runs this process's connections until a line on stdin (or EOF) or conf["max_seconds"]."""
    stop = threading.Event()
    deadline = time.monotonic() + conf["max_seconds"]
    mine = range(conf["worker"], conf["connections"], conf["workers"])
    failed = []

    def run(c):
        try:
            storm_connection(conf, c, stop, deadline)
        except Exception as e:  # the journal is incomplete: the run must not pass
            failed.append(f"connection {c}: {e!r}")
            stop.set()

    threads = [threading.Thread(target=run, args=(c,)) for c in mine]
    for t in threads:
        t.start()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    for t in threads:
        t.join()
    if failed:
        sys.exit("storm worker failed: " + "; ".join(failed))


# ---------------------------------------------------------------------------------------------
# Journal replay and verification


class KeyState:
    """What a key may be in beacond: a set of versions (0 = absent)."""

    def __init__(self):
        self.possible = {0}

    def apply(self, op, version, outcome, status):
        """Returns why a status contradicts the possible states (a lost write), or None."""
        why = None
        if op == "X" and outcome == "ack":
            why = "an invalid registration was acknowledged"
        if outcome == "ack":
            registered = any(v for v in self.possible)
            if op == "P" and status == "201" and 0 not in self.possible:
                why = "201 Created for a key that was registered"
            elif op == "P" and status == "200" and not registered:
                why = "200 replaced for a key that was absent"
            elif op == "D" and not registered:
                why = "204 for a key that was absent"
            self.possible = {version}
        elif outcome == "refused":
            if op == "D" and status == "404" and 0 not in self.possible:
                why = "404 for a key that was registered"
                self.possible = {0}  # count the loss once
        else:  # unknown: applied or not
            self.possible = self.possible | {version}
        return why


def replay(journal_dir):
    states = collections.defaultdict(KeyState)
    counts = collections.Counter()
    lost = []
    times = []
    for path in sorted(glob.glob(os.path.join(journal_dir, "journal-*.tsv"))):
        with open(path) as f:
            for line in f:
                t, key, op, version, outcome, status = line.rstrip("\n").split("\t")
                counts[outcome] += 1
                times.append(float(t))
                why = states[int(key)].apply(op, int(version), outcome, status)
                if why:
                    lost.append((int(key), why))
    return states, counts, lost, times


def api_state(b, keys, services):
    """{key: version or 0} from GET /v1/services/svc-N."""
    found = {}
    conn = http.client.HTTPConnection("127.0.0.1", b.http_port, timeout=30)
    for s in range(services):
        status, _, raw = harness.http_request(conn, "GET", f"/v1/services/svc-{s}")
        if status == 404:
            continue
        if status != 200:
            raise RuntimeError(f"GET /v1/services/svc-{s} -> {status}: {raw[:200]!r}")
        for inst in json.loads(raw)["instances"]:
            found[int(inst["id"][1:])] = version_of(inst["address"])
    conn.close()
    return {k: found.get(k, 0) for k in keys}


def dns_state(b, key, services):
    """Version the A answer of iK.svc-N shows (0 if none), or None if the answer is not one."""
    name = f"i{key}.{service_of(key, services)}.{ZONE}"
    for attempt in range(3):
        try:
            msg = b.udp(dnswire.build_query(name, "A", qid=key & 0xFFFF), timeout=1.0)
            break
        except socket.timeout:
            if attempt == 2:
                return None
    addrs = [r.rdata for r in msg.answer if r.type == dnswire.TYPE["A"]]
    if msg.rcode in (0, 3) and not addrs:
        return 0
    return version_of(addrs[0]) if msg.rcode == 0 and len(addrs) == 1 else None


def verify(b, states, keys, services):
    """Keys whose API or DNS state is not a possible one: [(key, where, got, possible)]."""
    bad = []
    got = api_state(b, keys, services)
    for k in keys:
        if got[k] not in states[k].possible:
            bad.append((k, "api", got[k], sorted(states[k].possible)))
        if not is_checked(k, services):
            seen = dns_state(b, k, services)
            if seen not in states[k].possible:
                bad.append((k, "dns", seen, sorted(states[k].possible)))
    return bad, sum(1 for k in keys if got[k])


# ---------------------------------------------------------------------------------------------
# DNS load and sampling


def install_dnsperf():
    if shutil.which("dnsperf"):
        return True
    if os.geteuid() != 0:
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "dnsperf"], check=True, env=env, stdout=subprocess.DEVNULL)
    return shutil.which("dnsperf") is not None


def write_query_file(path, keys, services, rng):
    lines = []
    for s in range(services):
        lines += [f"svc-{s}.{ZONE} A", f"_svc-{s}._tcp.{ZONE} SRV"]
    lines += [f"i{k}.{service_of(k, services)}.{ZONE} A" for k in rng.sample(range(keys), min(keys, 4 * services))]
    rng.shuffle(lines)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Dnsperf:
    """One dnsperf run in the background for `seconds`."""

    def __init__(self, port, query_file, seconds, qps):
        self.proc = subprocess.Popen(["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", query_file,
                                      "-l", f"{seconds:.2f}", "-Q", str(qps), "-c", "2", "-t", "1", "-q", "200"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     preexec_fn=harness._die_with_parent)

    def result(self):
        out, _ = self.proc.communicate(timeout=120)
        def num(label):
            m = re.search(label + r":\s+(\d+)", out)
            return int(m.group(1)) if m else 0
        codes = dict((c, int(n)) for c, n in re.findall(r"(\b[A-Z]+) (\d+) \(", out.split("Response codes:")[-1]
                                                          .splitlines()[0] if "Response codes:" in out else ""))
        return {"sent": num("Queries sent"), "answered": num("Queries completed"), "lost": num("Queries lost"),
                "noerror": codes.get("NOERROR", 0), "nxdomain": codes.get("NXDOMAIN", 0),
                "other_rcodes": sum(n for c, n in codes.items() if c not in ("NOERROR", "NXDOMAIN"))}


class Sampler(threading.Thread):
    """Queries at `rate`/s (every tenth over TCP) and decodes every answer with dnswire."""

    def __init__(self, b, keys, services, rate, seed):
        super().__init__(daemon=True)
        self.b, self.keys, self.services, self.rate = b, keys, services, rate
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.counts = collections.Counter()
        self.malformed = []

    def question(self):
        s = self.rng.randrange(self.services)
        k = self.rng.randrange(self.keys)
        return self.rng.choice([(f"svc-{s}.{ZONE}", "A"), (f"svc-{s}.{ZONE}", "AAAA"), (f"_svc-{s}._tcp.{ZONE}", "SRV"),
                                (f"i{k}.{service_of(k, self.services)}.{ZONE}", "A"),
                                (f"i{k}.{service_of(k, self.services)}.{ZONE}", "TXT"),
                                (f"nx-{s}.{ZONE}", "A"), (ZONE, "SOA"), (ZONE, "NS")])

    def run(self):
        n = 0
        start = time.monotonic()
        while not self.stop.is_set():
            n += 1
            name, qtype = self.question()
            qid = self.rng.randrange(65536)
            query = dnswire.build_query(name, qtype, qid=qid, edns=1232 if n % 2 else None)
            tcp = n % 10 == 0
            try:
                raw = self._exchange(query, tcp)
            except (OSError, AssertionError):
                self.counts["unanswered"] += 1
            else:
                self.counts["decoded"] += 1
                why = self._malformed(raw, qid, name, qtype)
                if why:
                    self.counts["malformed"] += 1
                    if len(self.malformed) < 20:
                        self.malformed.append(f"{name} {qtype} {'tcp' if tcp else 'udp'}: {why}: {raw.hex()}")
            delay = start + n / self.rate - time.monotonic()
            if delay > 0:
                self.stop.wait(delay)

    def _exchange(self, query, tcp):
        """Raw answer bytes (not parsed here: a parse failure must count, not be retried)."""
        if tcp:
            with dnswire.tcp_connect("127.0.0.1", self.b.port, timeout=1.0) as s:
                s.sendall(dnswire.frame(query))
                raw = dnswire.recv_framed(s)
            if raw is None:
                raise AssertionError("closed without an answer")
            return raw
        with dnswire.udp_socket(timeout=0.5) as s:
            s.sendto(query, ("127.0.0.1", self.b.port))
            return s.recv(65535)

    @staticmethod
    def _malformed(raw, qid, name, qtype):
        try:
            msg = dnswire.parse_message(raw)
        except ValueError as e:
            return str(e)
        if msg.id != qid or not msg.has(dnswire.FLAG_QR):
            return f"id {msg.id} (sent {qid}) or QR clear"
        if [(q[0].lower(), q[1], q[2]) for q in msg.question] != [(name + ".", dnswire.TYPE[qtype], 1)]:
            return f"question {msg.question}"
        if msg.rcode not in (0, 3):
            return f"rcode {msg.rcode}"
        return None


def correct_sentinel(port):
    try:
        msg = dnswire.udp_exchange("127.0.0.1", port, dnswire.build_query(f"{SENTINEL[1]}.{SENTINEL[0]}.{ZONE}"),
                                   timeout=0.05)
        return [r.rdata for r in msg.answer] == [SENTINEL[2]]
    except (OSError, ValueError):
        return False


def restart_after_kill(b):
    """kill -9, then the harness restart on the same ports and data dir. Returns (seconds to
    the first correct sentinel answer, seconds to ready), both from the kill."""
    killed = time.monotonic()
    b.proc.kill()
    b.proc.wait(timeout=10)
    first = []

    def poll():
        end = time.monotonic() + 30
        while time.monotonic() < end and not first:
            if correct_sentinel(b.port):
                first.append(time.monotonic())
            else:
                time.sleep(0.002)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    b.restart(hard=True)
    ready = time.monotonic()
    poller.join(timeout=31)
    return (first[0] - killed if first else float("nan")), ready - killed


# ---------------------------------------------------------------------------------------------
# Main


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--beacond", default=os.path.join(ROOT, "build", "beacond"))
    ap.add_argument("--seed", type=int, default=1, help="seeds kill points, ops and samples")
    ap.add_argument("--kills", type=int, default=5, help="kill -9 during the storm this many times")
    ap.add_argument("--kill-after", default="1-4", help="MIN-MAX seconds of storm before each kill")
    ap.add_argument("--duration", type=float, default=90, help="seconds of the last storm phase")
    ap.add_argument("--workers", type=int, default=4, help="storm processes")
    ap.add_argument("--connections", type=int, default=48, help="keep-alive HTTP connections in all")
    ap.add_argument("--keys", type=int, default=4096, help="instances the storm writes")
    ap.add_argument("--services", type=int, default=64)
    ap.add_argument("--flappers", type=int, default=4, help="flapping HTTP health targets")
    ap.add_argument("--flap-period", type=float, default=0.7)
    ap.add_argument("--qps", type=int, default=10000, help="dnsperf -Q")
    ap.add_argument("--no-dnsperf", action="store_true", help="skip dnsperf (the sampler still runs)")
    ap.add_argument("--sample-rate", type=float, default=300, help="sampled queries per second")
    ap.add_argument("--out", default=os.path.join(ROOT, "tools", "bench", "results", "crash_safety"),
                    help="results go to OUT.tsv and OUT.md")
    ap.add_argument("--inject-loss", action="store_true",
                    help="test the checker: after the storm, deregister one acknowledged registration behind the "
                         "journal's back (the run must then report lost writes and exit 1)")
    ap.add_argument("--storm-worker", help=argparse.SUPPRESS)
    ap.add_argument("--serve-flappers", nargs=2, type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    lo, _, hi = args.kill_after.partition("-")
    args.kill_min, args.kill_max = float(lo), float(hi or lo)
    if not (0 <= args.kills <= 50 and 0 < args.kill_min <= args.kill_max <= 60 and 1 <= args.duration <= 600
            and 1 <= args.workers <= args.connections <= 256 and args.connections <= args.keys <= 100_000
            and 1 <= args.services <= args.keys and 1 <= args.flappers <= 32 and 1 <= args.sample_rate <= 5000):
        ap.error("keep --kills 0..50, --kill-after within 0..60, --duration 1..600, "
                 "workers <= connections <= 256, connections <= keys <= 100000, services <= keys")
    return args


def main():
    args = parse_args()
    if args.storm_worker:
        return storm_worker(json.loads(args.storm_worker))
    if args.serve_flappers:
        return serve_flappers(int(args.serve_flappers[0]), args.serve_flappers[1])
    harness.BEACOND = os.path.abspath(args.beacond)
    if not os.access(harness.BEACOND, os.X_OK):
        sys.exit(f"no executable beacond at {harness.BEACOND} (cmake --build build --target beacond)")
    use_dnsperf = not args.no_dnsperf and install_dnsperf()
    if not args.no_dnsperf and not use_dnsperf:
        sys.exit("dnsperf is not installed and this is not root (apt-get install -y dnsperf, or --no-dnsperf)")

    rng = random.Random(args.seed)
    started, load_start = time.monotonic(), os.getloadavg()[0]
    workdir = tempfile.mkdtemp(prefix="beacon-crash-safety-")
    children = []
    b = None
    try:
        flappers = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-flappers",
                                     str(args.flappers), str(args.flap_period)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True, preexec_fn=harness._die_with_parent)
        children.append(flappers)
        flapper_ports = [int(p) for p in flappers.stdout.readline().split()]
        if len(flapper_ports) != args.flappers:
            raise RuntimeError("the flapping health targets did not start")

        b = harness.Beacond(zones={}, config="dns:\n  threads: 2\nlog:\n  level: warn\n")
        b.start()
        b.register(SENTINEL[0], SENTINEL[1], {"address": SENTINEL[2], "port": 80})
        query_file = os.path.join(workdir, "queries.txt")
        write_query_file(query_file, args.keys, args.services, rng)

        journal_dir = os.path.join(workdir, "journals")
        os.mkdir(journal_dir)
        plan = [rng.uniform(args.kill_min, args.kill_max) for _ in range(args.kills)]
        max_seconds = sum(plan) + args.kills * 15 + args.duration + 30
        base = {"seed": args.seed, "http_port": b.http_port, "keys": args.keys, "services": args.services,
                "connections": args.connections, "workers": args.workers, "flappers": flapper_ports,
                "journal_dir": journal_dir, "max_seconds": max_seconds, "request_timeout": 10}
        workers = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--storm-worker",
                                     json.dumps(dict(base, worker=w))], stdin=subprocess.PIPE, text=True,
                                    preexec_fn=harness._die_with_parent) for w in range(args.workers)]
        children += workers
        sampler = Sampler(b, args.keys, args.services, args.sample_rate, args.seed)
        sampler.start()

        phases = []  # one row per storm phase
        for i, seconds in enumerate(plan + [args.duration]):
            final = i == len(plan)
            t0 = time.monotonic()
            perf = Dnsperf(b.port, query_file, seconds, args.qps) if use_dnsperf else None
            time.sleep(max(0.0, t0 + seconds - time.monotonic()))
            row = {"phase": "final" if final else f"kill {i + 1}", "storm_s": seconds, "t_start": t0,
                   "t_end": time.monotonic()}
            if not final:
                if not b.is_running():
                    raise RuntimeError("beacond died on its own:\n" + b.stderr()[-3000:])
                row["first_answer_s"], row["ready_s"] = restart_after_kill(b)
            if perf:
                row.update(perf.result())
            phases.append(row)
            print(f"{row['phase']}: {seconds:.1f} s of storm"
                  + (f", restarted: first correct answer {row['first_answer_s'] * 1000:.0f} ms after the kill, "
                     f"ready {row['ready_s'] * 1000:.0f} ms" if not final else "")
                  + (f"; dnsperf answered {row['answered']}, lost {row['lost']}" if perf else ""), flush=True)

        for w in workers:
            w.stdin.write("stop\n")
            w.stdin.close()
        for w in workers:
            if w.wait(timeout=60) != 0:
                raise RuntimeError(f"a storm worker exited with {w.returncode}")
        sampler.stop.set()
        sampler.join(timeout=10)
        alive_alone = b.is_running()

        states, outcomes, lost_in_storm, times = replay(journal_dir)
        keys = range(args.keys)
        if args.inject_loss:  # test the checker: lose an acknowledged registration behind its back
            victim = next(k for k in keys if 0 not in states[k].possible)
            b.api("DELETE", f"/v1/services/{service_of(victim, args.services)}/instances/i{victim}")
            print(f"injected a lost write: deregistered i{victim} behind the journal's back", flush=True)
        live_bad, registered = verify(b, states, keys, args.services)
        t_kill = time.monotonic()
        after_first, after_ready = restart_after_kill(b)  # the committed state, without the storm
        durable_bad, _ = verify(b, states, keys, args.services)
        print(f"after the storm: kill -9 and restart, first correct answer {after_first * 1000:.0f} ms, "
              f"ready {after_ready * 1000:.0f} ms", flush=True)
        error_lines = [l for l in b.log_lines() if "level=error" in l]
        b.stop()  # SIGTERM: exit code 0 asserted
        b = None
    finally:
        for p in children:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        if b is not None:
            b.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    for row in phases:
        row["writes"] = sum(1 for t in times if row["t_start"] <= t < row["t_end"])
        row["writes_per_s"] = row["writes"] / (row["t_end"] - row["t_start"])
    acked, refused, unknown = outcomes["ack"], outcomes["refused"], outcomes["unknown"]
    lost = len(lost_in_storm) + len(live_bad) + len(durable_bad)
    summary = {
        "seed": args.seed, "kills": args.kills, "keys": args.keys, "connections": args.connections,
        "writes": acked + refused + unknown, "writes_acked": acked, "writes_lost": lost,
        "lost_seen_in_storm": len(lost_in_storm), "lost_live": len(live_bad), "lost_after_restart": len(durable_bad),
        "writes_unknown": unknown, "writes_refused": refused, "registered_at_end": registered,
        "storm_writes_per_s": (acked + refused + unknown) / (phases[-1]["t_end"] - phases[0]["t_start"]),
        "dnsperf_sent": sum(r.get("sent", 0) for r in phases),
        "dnsperf_answered": sum(r.get("answered", 0) for r in phases),
        "dnsperf_lost": sum(r.get("lost", 0) for r in phases),
        "dnsperf_other_rcodes": sum(r.get("other_rcodes", 0) for r in phases),
        "sampled_decoded": sampler.counts["decoded"], "sampled_unanswered": sampler.counts["unanswered"],
        "malformed": sampler.counts["malformed"],
        "restart_first_answer_ms": [round(r["first_answer_s"] * 1000) for r in phases if "first_answer_s" in r]
        + [round(after_first * 1000)],
        "restart_ready_ms": [round(r["ready_s"] * 1000) for r in phases if "ready_s" in r] + [round(after_ready * 1000)],
        "beacond_error_lines": len(error_lines), "beacond_alive_before_final_kill": alive_alone,
        "elapsed_s": time.monotonic() - started, "load1_start": load_start, "load1_end": os.getloadavg()[0],
    }
    report(args, summary, phases)
    problems = []
    if lost:
        problems.append(f"{lost} lost writes: " + "; ".join(
            [f"key {k}: {why}" for k, why in lost_in_storm[:10]]
            + [f"key {k} ({where}): got version {got}, possible {poss}" for k, where, got, poss in
               (live_bad + durable_bad)[:10]]))
    if sampler.counts["malformed"]:
        problems.append(f"{sampler.counts['malformed']} malformed answers:\n  " + "\n  ".join(sampler.malformed))
    if not alive_alone:
        problems.append("beacond died on its own during the last phase")
    if error_lines:
        problems.append("beacond logged errors:\n  " + "\n  ".join(error_lines[:10]))
    for p in problems:
        print("FAIL: " + p, file=sys.stderr)
    return 1 if problems else 0


def report(args, summary, phases):
    cols = ["phase", "storm_s", "writes", "writes_per_s", "first_answer_s", "ready_s", "sent", "answered", "lost",
            "noerror", "nxdomain", "other_rcodes"]

    def fmt(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    tsv = ["\t".join(["kind"] + cols)]
    tsv += ["\t".join(["phase"] + [fmt(r.get(c, "-")) for c in cols]) for r in phases]
    tsv += ["\t".join(["summary", k, fmt(v if not isinstance(v, list) else ",".join(map(str, v)))])
            for k, v in summary.items()]
    md = ["# Crash and load safety (tools/bench/crash_safety.py)", "",
          f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} CPUs, {summary['elapsed_s']:.0f} s, "
          f"1-min load {summary['load1_start']:.2f} at the start, {summary['load1_end']:.2f} at the end. Seed {args.seed}; {args.kills} kill -9 after "
          f"{args.kill_min:g}-{args.kill_max:g} s of storm each, then {args.duration:g} s; {args.workers} storm "
          f"processes, {args.connections} keep-alive connections, {args.keys} keys in {args.services} services "
          f"(every {CHECKED_EVERY}th with HTTP checks on {args.flappers} targets flapping every {args.flap_period:g} s); "
          + (f"dnsperf -Q {args.qps}" if "sent" in phases[0] else "no dnsperf")
          + f"; {args.sample_rate:g} sampled queries/s decoded.", "",
          "| measure | value |", "|---|---|"]
    md += [f"| {k} | {fmt(v) if not isinstance(v, list) else ', '.join(map(str, v))} |" for k, v in summary.items()]
    md += ["", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(fmt(r.get(c, "-")) for c in cols) + " |" for r in phases]
    md += ["", "writes_lost = lost_seen_in_storm (a status contradicting every possible state, e.g. 201 for a key "
           "that could only be registered) + lost_live (API or DNS state after the storm not a possible one) + "
           "lost_after_restart (the same after one more kill -9). restart times: kill to the first correct "
           "answer for an untouched instance / to ready (DNS and /healthz), the last after the storm stopped. "
           "dnsperf lost: queries in flight (dnsperf -q 200) when beacond was killed; writes_unknown: ops whose "
           "connection died under them (each may or may not have been applied; both are accepted)."]
    text = "\n".join(md) + "\n"
    print("\n" + text)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".tsv", "w") as f:
        f.write("\n".join(tsv) + "\n")
    with open(args.out + ".md", "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
