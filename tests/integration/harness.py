"""Integration harness: runs the real beacond on free loopback ports and talks DNS to it.

Standard library only. What it gives the test files:
  - Beacond: temp zone dir + config, start on free ports, readiness by polling with a real
    DNS query, stderr captured line by line (wait_for_log), stop with SIGTERM (exit code 0
    asserted), kill on any failure.
  - dig()/kdig(): run the external clients and parse dig's text output into a DigAnswer.
  - Re-exported from dnswire.py: a small DNS codec (build_query, parse_message) and UDP/TCP
    helpers for bytes the clients will not send (malformed packets, TCP framing).
  - The registration API: every Beacond gets its own locked HTTP port and data dir
    (--http-listen, --data-dir); api()/curl() talk to it; restart() keeps ports and data.
  - main(): `python3 test_x.py --beacond PATH [unittest args]` (or BEACOND=PATH).
"""

import argparse
import fcntl
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
import unittest

from dnswire import *  # noqa: F401,F403 - the tests reach everything through harness
from dnswire import build_query, tcp_exchange, udp_exchange

BEACOND = os.environ.get("BEACOND", "")

READY_TIMEOUT = 10.0  # seconds for beacond to answer its first query
STOP_TIMEOUT = 10.0  # seconds for beacond to exit after SIGTERM

# ---------------------------------------------------------------------------------------------
# Free ports: the kernel picks one, a lock file keeps other test processes off it.
#
# beacond binds with SO_REUSEPORT, so two beacond processes of one user could share a port
# without an error. A per-port flock in a shared directory stops two concurrent tests (this
# run under ctest -j, or another checkout's run) from choosing the same one.

_PORT_LOCK_DIR = os.path.join(tempfile.gettempdir(), "beacon-integration-ports")


def _bindable(port, hosts):
    for host in hosts:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(family, kind) as s:
                if family == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                try:
                    s.bind((host, port))
                except OSError:
                    return False
    return True


def reserve_port(hosts=("127.0.0.1",)):
    """Returns (port, lock_fd): a port free for UDP and TCP on every host, locked for us."""
    os.makedirs(_PORT_LOCK_DIR, exist_ok=True)
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        fd = os.open(os.path.join(_PORT_LOCK_DIR, str(port)), os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        if _bindable(port, hosts):
            return port, fd
        os.close(fd)
    raise RuntimeError("no free port found")


# ---------------------------------------------------------------------------------------------
# The server under test

# The zone most tests query. Sizes matter: `big` has 100 A records, so its answer (~1.6 KB)
# exceeds both 512 (no EDNS) and 1232 (EDNS) bytes but fits a TCP message.
EXAMPLE_ZONE = """\
$ORIGIN example.test.
$TTL 3600
; SOA TTL 3600 > MINIMUM 300: negative answers carry TTL 300
@        IN SOA  ns1 hostmaster 2024010101 3600 600 86400 300
         IN NS   ns1
         IN NS   ns2
ns1      IN A    192.0.2.53
ns2      IN A    192.0.2.54
www      IN A    192.0.2.1
         IN AAAA 2001:db8::1
_sip._udp IN SRV 10 60 5060 sip
sip      IN A    192.0.2.10
txt      IN TXT  "hello world" "second string"
alias    IN CNAME alias2
alias2   IN CNAME alias3
alias3   IN CNAME www
loop1    IN CNAME loop2
loop2    IN CNAME loop1
*.wild   IN A    192.0.2.99
*.wild   IN TXT  "wildcard"
sub      IN NS   ns.sub
sub      IN NS   ns.elsewhere.net.
ns.sub   IN A    192.0.2.200
multi    IN A    192.0.2.7
multi    IN AAAA 2001:db8::7
multi    IN TXT  "multi"
multi    IN MX   10 mail
""" + "".join(f"big IN A 10.0.{i // 250}.{i % 250 + 1}\n" for i in range(100))

# SOA TTL 60 < MINIMUM 600: negative answers carry TTL 60.
OTHER_ZONE = """\
$ORIGIN other.test.
$TTL 60
@    60 IN SOA ns1 hostmaster 7 3600 600 86400 600
        IN NS  ns1
ns1     IN A   192.0.2.80
host    IN A   192.0.2.81
"""

DEFAULT_ZONES = {"example.test": EXAMPLE_ZONE, "other.test": OTHER_ZONE}
BIG_COUNT = 100


def beacond_path():
    if not BEACOND:
        raise RuntimeError("pass --beacond PATH or set BEACOND")
    return BEACOND


def write_zone_dir(zones, parent):
    """Writes {origin: text} as origin.zone files into a new directory under `parent`."""
    path = tempfile.mkdtemp(prefix="zones-", dir=parent)
    for origin, text in zones.items():
        write_file(os.path.join(path, origin + ".zone"), text)
    return path


def write_file(path, text):
    """Writes via a rename so a reload never sees a half-written file."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _die_with_parent():
    """preexec_fn: if this test process is killed (e.g. by ctest's TIMEOUT), take beacond too."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class StartupFailed(Exception):
    pass


class Beacond:
    """One beacond process. Use as a context manager or call start()/stop() (kill() on error)."""

    def __init__(self, zones=None, config=None, ipv6=False, extra_args=(), data_dir=None):
        self.workdir = tempfile.mkdtemp(prefix="beacond-it-")
        # The registration database; a caller-owned data_dir outlives this object.
        self.data_dir = data_dir or os.path.join(self.workdir, "data")
        self.http_port = None
        self._http_lock_fd = None
        self.zone_dir = write_zone_dir(DEFAULT_ZONES if zones is None else zones, self.workdir)
        self.config_path = None
        if config is not None:
            self.config_path = os.path.join(self.workdir, "beacond.yaml")
            write_file(self.config_path, config)
        self.ipv6 = ipv6
        self.extra_args = list(extra_args)
        self.host = "127.0.0.1"
        self.port = None
        self.proc = None
        self._lock_fd = None
        self._lines = []
        self._cond = threading.Condition()
        self._reader = None

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.stop()
        else:
            self.kill()
        return False

    def command(self):
        cmd = [beacond_path(), "--dns-listen", f"127.0.0.1:{self.port}", "--zone-dir", self.zone_dir,
               "--http-listen", f"127.0.0.1:{self.http_port}", "--data-dir", self.data_dir]
        if self.ipv6:
            cmd += ["--dns-listen", f"[::1]:{self.port}"]
        if self.config_path:
            cmd += ["--config", self.config_path]
        return cmd + self.extra_args

    def start(self):
        hosts = ("127.0.0.1", "::1") if self.ipv6 else ("127.0.0.1",)
        try:
            for attempt in range(3):
                self.port, self._lock_fd = reserve_port(hosts)
                self.http_port, self._http_lock_fd = reserve_port()
                self._spawn()
                try:
                    self._wait_ready()
                    return self
                except StartupFailed:
                    # Someone outside our lock scheme took the port in between: try another.
                    if "cannot listen" not in self.stderr() or attempt == 2:
                        raise
                    self._release_port()
        except BaseException:
            self.kill()
            raise

    def _spawn(self):
        with self._cond:
            self._lines = []
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, errors="replace",
                                     preexec_fn=_die_with_parent)
        self._reader = threading.Thread(target=self._read_stderr, args=(self.proc.stderr,), daemon=True)
        self._reader.start()

    def _read_stderr(self, stream):
        for line in stream:
            with self._cond:
                self._lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _wait_ready(self):
        """Polls with a real query on every listen address until each one is answered."""
        deadline = time.monotonic() + READY_TIMEOUT
        hosts = ["127.0.0.1"] + (["::1"] if self.ipv6 else [])
        qid = 1
        for host in hosts:
            while True:
                if self.proc.poll() is not None:
                    self._reader.join(timeout=2)
                    raise StartupFailed(f"beacond exited with {self.proc.returncode} before answering:\n"
                                        + self.stderr())
                if time.monotonic() > deadline:
                    raise StartupFailed(f"beacond did not answer on {host} within {READY_TIMEOUT}s:\n"
                                        + self.stderr())
                qid += 1
                try:
                    udp_exchange(host, self.port, build_query("example.test", "SOA", qid=qid), timeout=0.2)
                    break
                except (socket.timeout, ConnectionRefusedError):
                    continue
        # The API listens before the first DNS answer; accept() runs once the daemon's loop
        # does, so wait for /healthz too rather than let the first registration race it.
        while True:
            if self.proc.poll() is not None:
                self._reader.join(timeout=2)
                raise StartupFailed(f"beacond exited with {self.proc.returncode} before serving HTTP:\n"
                                    + self.stderr())
            if time.monotonic() > deadline:
                raise StartupFailed(f"beacond did not answer /healthz within {READY_TIMEOUT}s:\n" + self.stderr())
            try:
                if self.api("GET", "/healthz", timeout=0.5)[0] == 200:
                    return
            except OSError:
                time.sleep(0.02)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, wait, and assert exit code 0. Kills and raises if it does not exit."""
        if self.proc is None:
            return
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"beacond did not exit within {timeout}s of SIGTERM:\n" + self.stderr())
            self._reader.join(timeout=2)
            if rc != 0:
                raise AssertionError(f"beacond exited with {rc}, expected 0:\n" + self.stderr())
        finally:
            self.kill()

    def restart(self, hard=False):
        """Stops beacond (SIGTERM with exit code 0 asserted, or SIGKILL if hard) and starts it
        again on the same ports, zone dir, config and data dir; returns once it serves again."""
        if hard:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"beacond did not exit within {STOP_TIMEOUT}s of SIGTERM:\n" + self.stderr())
            if rc != 0:
                raise AssertionError(f"beacond exited with {rc}, expected 0:\n" + self.stderr())
        self._reader.join(timeout=2)
        self.proc.stderr.close()
        self._spawn()
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise
        return self

    def kill(self):
        """Unconditional clean-up: kill the process if alive, free the port, remove temp files."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            if self._reader is not None:
                self._reader.join(timeout=2)
            if self.proc.stderr:
                self.proc.stderr.close()
        self._release_port()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _release_port(self):
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        if self._http_lock_fd is not None:
            os.close(self._http_lock_fd)
            self._http_lock_fd = None

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- logs --------------------------------------------------------------------------------

    def log_mark(self):
        """A position in the log; wait_for_log(after=mark) only looks at later lines."""
        with self._cond:
            return len(self._lines)

    def stderr(self):
        with self._cond:
            return "\n".join(self._lines)

    def log_lines(self):
        with self._cond:
            return list(self._lines)

    def wait_for_log(self, pattern, after=0, timeout=10.0):
        """Returns the first line after `after` matching regex `pattern`; fails at the deadline."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self._lines[after:]:
                    if regex.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no log line matching {pattern!r} within {timeout}s; log:\n"
                                         + "\n".join(self._lines))
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"beacond exited ({self.proc.returncode}) before logging {pattern!r}:\n"
                                         + "\n".join(self._lines))
                self._cond.wait(min(left, 0.2))

    # -- queries -----------------------------------------------------------------------------

    def udp(self, packet, timeout=2.0, host=None):
        return udp_exchange(host or self.host, self.port, packet, timeout)

    def tcp(self, packet, timeout=2.0, host=None):
        return tcp_exchange(host or self.host, self.port, packet, timeout)

    def dig(self, *args, server=None):
        return dig(server or self.host, self.port, *args)

    def assert_serving(self, testcase):
        """A normal query over UDP and over TCP still gets the right answer."""
        testcase.assertTrue(self.is_running(), "beacond died:\n" + self.stderr())
        for exchange in (self.udp, self.tcp):
            msg = exchange(build_query("www.example.test", "A", qid=0x5EED))
            testcase.assertEqual(msg.id, 0x5EED)
            testcase.assertEqual(msg.rcode, RCODE["NOERROR"])
            testcase.assertEqual([r.rdata for r in msg.answer], ["192.0.2.1"])


    # -- registration API --------------------------------------------------------------------

    def api(self, method, path, body=None, headers=None, timeout=5.0):
        """One request on a new connection: (status, headers as a lower-cased dict, body bytes).

        `body` may be bytes/str (sent as is) or any other JSON value (serialized, with
        Content-Type application/json unless `headers` says otherwise)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        try:
            return http_request(conn, method, path, body, headers)
        finally:
            conn.close()

    def api_json(self, method, path, body=None, expect=None):
        """api() with the body parsed as JSON (None if empty); asserts the status if `expect`."""
        status, headers, raw = self.api(method, path, body)
        if expect is not None and status != expect:
            raise AssertionError(f"{method} {path} -> {status}, expected {expect}: {raw!r}")
        return status, (json.loads(raw) if raw else None)

    def register(self, service, instance, body, expect=(200, 201)):
        """PUT a registration; asserts a status in `expect` and returns the parsed answer."""
        status, headers, raw = self.api("PUT", f"/v1/services/{service}/instances/{instance}", body)
        if status not in expect:
            raise AssertionError(f"register {service}/{instance} -> {status}, expected {expect}: {raw!r}")
        return json.loads(raw) if raw else None

    def curl(self, method, path, body=None, headers=()):
        """The same call made with curl: (status, body text). Fails the test if curl fails."""
        cmd = ["curl", "-sS", "--max-time", "5", "-X", method, "-o", "-", "-w", "\n%{http_code}"]
        for h in headers:
            cmd += ["-H", h]
        if body is not None:
            cmd += ["--data-binary", body if isinstance(body, str) else json.dumps(body)]
        cmd.append(f"http://127.0.0.1:{self.http_port}{path}")
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr}")
        text, _, code = done.stdout.rpartition("\n")
        return int(code), text


def http_request(conn, method, path, body=None, headers=None):
    """Sends one request on an http.client connection (keep-alive friendly): (status, headers, body)."""
    hdrs = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        hdrs.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def run_beacond(args, timeout=10.0):
    """Runs beacond to completion (for --check-config and start-up failures): (rc, out, err)."""
    try:
        done = subprocess.run([beacond_path()] + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout, preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"beacond {' '.join(args)} still running after {timeout}s") from e
    return done.returncode, done.stdout, done.stderr


# ---------------------------------------------------------------------------------------------
# dig and kdig


class DigAnswer:
    """dig's text output for one query, parsed. Sections hold (name, ttl, class, type, rdata)."""

    def __init__(self, text):
        self.text = text
        self.retried_over_tcp = "Truncated, retrying in TCP mode" in text
        # After a TCP retry dig prints only the final answer, but take the last one to be sure.
        blocks = text.split(";; Got answer:")
        if len(blocks) < 2:
            raise AssertionError("dig got no answer:\n" + text)
        block = blocks[-1]
        m = re.search(r";; ->>HEADER<<- opcode: (\w+), status: (\w+), id: (\d+)", block)
        self.opcode, self.status, self.id = m.group(1), m.group(2), int(m.group(3))
        m = re.search(r";; flags:([^;]*); QUERY: (\d+), ANSWER: (\d+), AUTHORITY: (\d+), ADDITIONAL: (\d+)", block)
        self.flags = set(m.group(1).split())
        self.counts = tuple(int(m.group(i)) for i in range(2, 6))
        m = re.search(r"; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)", block)
        self.edns = None if m is None else {"version": int(m.group(1)), "udp": int(m.group(3))}
        m = re.search(r";; SERVER: .*\((UDP|TCP)\)", block)
        self.transport = m.group(1) if m else None
        self.question = []
        self.answer, self.authority, self.additional = [], [], []
        section = None
        for line in block.splitlines():
            header = re.match(r";; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:", line)
            if header:
                section = header.group(1)
                continue
            if not line.strip():
                section = None
                continue
            if section == "QUESTION":
                name, qclass, qtype = line.lstrip(";").split()
                self.question.append((name, qclass, qtype))
            elif section in ("ANSWER", "AUTHORITY", "ADDITIONAL"):
                name, ttl, rclass, rtype, rdata = line.split(None, 4)
                getattr(self, section.lower()).append((name, int(ttl), rclass, rtype, rdata))

    def rrset(self, section, name, rtype):
        return sorted(r[4] for r in getattr(self, section) if r[0].lower() == name.lower() and r[3] == rtype)


def dig(host, port, *args):
    """Runs dig against beacond; fails the test if dig itself fails (e.g. a timeout)."""
    cmd = ["dig", f"@{host}", "-p", str(port), "+time=2", "+tries=1"] + list(args)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return DigAnswer(done.stdout)


def kdig(host, port, *args):
    cmd = ["kdig", f"@{host}", "-p", str(port), "+time=2", "+retry=0"] + list(args)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


class ServerTestCase(unittest.TestCase):
    """Tests that share one beacond with the default zones, started once per class."""

    @classmethod
    def setUpClass(cls):
        cls.server = Beacond()
        cls.server.start()
        cls.addClassCleanup(cls.server.stop)

    def dig(self, *args):
        return self.server.dig(*args)

    def connect(self):
        """A TCP connection to the server, closed at the end of the test."""
        s = tcp_connect(self.server.host, self.server.port)
        self.addCleanup(s.close)
        return s


# ---------------------------------------------------------------------------------------------
# Entry point


def main():
    """`python3 test_x.py --beacond PATH [unittest options]`."""
    global BEACOND
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--beacond", default=BEACOND)
    known, rest = parser.parse_known_args()
    BEACOND = os.path.abspath(known.beacond) if known.beacond else ""
    if not BEACOND or not os.access(BEACOND, os.X_OK):
        sys.exit(f"{sys.argv[0]}: need --beacond PATH (or BEACOND=PATH) to an executable beacond, got {BEACOND!r}")
    for tool in ("dig", "kdig"):
        if shutil.which(tool) is None:
            sys.exit(f"{sys.argv[0]}: {tool} is not installed (bind9-dnsutils / knot-dnsutils)")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
