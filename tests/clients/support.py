"""Shared pieces of the stock-client tests (tests/integration/test_clients_*.py).

Standard library only. The tests import it after putting tests/clients on sys.path; it builds
on tests/integration/harness.py (free-port locks, dig) and dnswire.py (the DNS codec).

  - Server: one beacond on the zone svc.internal. with an EMPTY zone dir (so SOA and NS are
    synthesized from the config), a temp data dir, its own DNS and HTTP ports (free, locked
    ports by default; fixed ones such as 53 inside a private network namespace), readiness by
    polling a real DNS query and /healthz, registration over HTTP, SIGTERM with exit code 0.
  - resolver_snippet(): the README's resolver configuration snippets, kept in
    packaging/resolvers/, with the README's port 8053 replaced by the test's port.
  - main(): `python3 test_clients_x.py --beacond PATH [--cares-probe PATH] [unittest args]`.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402
from dnswire import build_query, udp_exchange  # noqa: E402

ZONE = "svc.internal."
README = os.path.join(ROOT, "README.md")
RESOLVERS = os.path.join(ROOT, "packaging", "resolvers")
README_PORT = 8053  # the port the README snippets name

BEACOND = os.environ.get("BEACOND", "")
CARES_PROBE = os.environ.get("CARES_PROBE", "")

READY_TIMEOUT = 10.0


def config(threads=1, **dns):
    """A beacond.yaml: dns.threads plus the given dns.* keys (values written as is)."""
    lines = ["dns:", f"  threads: {threads}"] + [f"  {k}: {v}" for k, v in dns.items()]
    return "\n".join(lines) + "\n"


def wait_until(predicate, timeout, interval=0.05):
    """Polls `predicate` until it returns a true value (returned); None at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def resolver_snippet(name, port):
    """packaging/resolvers/NAME with the README's port replaced by `port`."""
    with open(os.path.join(RESOLVERS, name)) as f:
        text = f.read()
    return text.replace(str(README_PORT), str(port))


class Server:
    """One beacond. Context manager; start() returns once DNS and the HTTP API both answer."""

    def __init__(self, cfg=None, dns_hosts=("127.0.0.1",), dns_port=None, http_port=None, log=None):
        self.workdir = tempfile.mkdtemp(prefix="beacond-clients-")
        self.zone_dir = os.path.join(self.workdir, "zones")  # empty: SOA/NS from config
        self.data_dir = os.path.join(self.workdir, "data")
        os.makedirs(self.zone_dir)
        self.config_path = os.path.join(self.workdir, "beacond.yaml")
        harness.write_file(self.config_path, cfg if cfg is not None else config())
        self.dns_hosts = list(dns_hosts)
        self.port = dns_port
        self.http_port = http_port
        self._locks = []
        self.proc = None
        self._lines = []
        self._reader = None
        self._log = log

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.stop()
        else:
            self.kill()
        return False

    def start(self):
        try:
            if self.port is None:
                self.port, fd = harness.reserve_port(tuple(self.dns_hosts))
                self._locks.append(fd)
            if self.http_port is None:
                self.http_port, fd = harness.reserve_port()
                self._locks.append(fd)
            cmd = [BEACOND, "--config", self.config_path, "--zone-dir", self.zone_dir,
                   "--data-dir", self.data_dir, "--http-listen", f"127.0.0.1:{self.http_port}"]
            for host in self.dns_hosts:
                cmd += ["--dns-listen", f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"]
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, text=True, errors="replace",
                                         preexec_fn=harness._die_with_parent)
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()
            self._wait_ready()
            return self
        except BaseException:
            self.kill()
            raise

    def _read(self):
        for line in self.proc.stderr:
            self._lines.append(line.rstrip("\n"))
            if self._log:
                print(line, end="", file=self._log)

    def stderr(self):
        return "\n".join(self._lines)

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        qid = 0
        for host in self.dns_hosts:
            while True:
                self._check_alive(deadline, f"answering DNS on {host}")
                qid += 1
                try:
                    udp_exchange(host, self.port, build_query(ZONE, "SOA", qid=qid), timeout=0.2)
                    break
                except (socket.timeout, ConnectionRefusedError):
                    continue
        while True:
            self._check_alive(deadline, "answering /healthz")
            try:
                if self.api("GET", "/healthz", timeout=0.5)[0] == 200:
                    return
            except OSError:
                time.sleep(0.02)

    def _check_alive(self, deadline, what):
        if self.proc.poll() is not None:
            self._reader.join(timeout=2)
            raise AssertionError(f"beacond exited with {self.proc.returncode} before {what}:\n{self.stderr()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"beacond was not {what} within {READY_TIMEOUT}s:\n{self.stderr()}")

    def stop(self):
        if self.proc is None:
            return
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                raise AssertionError("beacond did not exit within 10s of SIGTERM:\n" + self.stderr())
            self._reader.join(timeout=2)
            if rc != 0:
                raise AssertionError(f"beacond exited with {rc}, expected 0:\n{self.stderr()}")
        finally:
            self.kill()

    def kill(self):
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
            self.proc = None
        for fd in self._locks:
            os.close(fd)
        self._locks = []
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- registration API --------------------------------------------------------------------

    def api(self, method, path, body=None, timeout=5.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        try:
            headers = {}
            if body is not None:
                body = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def register(self, service, instance, body):
        status, raw = self.api("PUT", f"/v1/services/{service}/instances/{instance}", body)
        if status not in (200, 201):
            raise AssertionError(f"register {service}/{instance} -> {status}: {raw!r}")

    def deregister(self, service, instance):
        status, raw = self.api("DELETE", f"/v1/services/{service}/instances/{instance}")
        if status != 204:
            raise AssertionError(f"deregister {service}/{instance} -> {status}: {raw!r}")

    # -- queries -----------------------------------------------------------------------------

    def query(self, name, qtype="A", host="127.0.0.1", qid=0x4242):
        return udp_exchange(host, self.port, build_query(name, qtype, qid=qid), 2.0)


def run(cmd, timeout=30, check=True, **kwargs):
    """subprocess.run with text output; fails the test with the output if `check` and rc != 0."""
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done


def main(tools=(), cares_probe=False):
    """Parses --beacond and --cares-probe, checks the external tools exist, runs unittest."""
    global BEACOND, CARES_PROBE
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--beacond", default=BEACOND)
    parser.add_argument("--cares-probe", default=CARES_PROBE)
    known, rest = parser.parse_known_args()
    BEACOND = os.path.abspath(known.beacond) if known.beacond else ""
    CARES_PROBE = os.path.abspath(known.cares_probe) if known.cares_probe else ""
    if not BEACOND or not os.access(BEACOND, os.X_OK):
        sys.exit(f"{sys.argv[0]}: need --beacond PATH (or BEACOND=PATH) to an executable beacond, got {BEACOND!r}")
    harness.BEACOND = BEACOND
    if cares_probe and (not CARES_PROBE or not os.access(CARES_PROBE, os.X_OK)):
        sys.exit(f"{sys.argv[0]}: need --cares-probe PATH (or CARES_PROBE=PATH) to the built cares_probe")
    missing = [t for t in tools if shutil.which(t) is None and not os.access(t, os.X_OK)]
    if missing:
        sys.exit(f"{sys.argv[0]}: not installed: {', '.join(missing)} (run tools/deps.sh --test as root)")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
