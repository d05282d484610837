"""Stub resolvers in front of beacond (issue 5): unbound and dnsmasq, each run in the
foreground on free loopback ports with the README's snippet (packaging/resolvers/*.conf, the
README's port 8053 replaced by the test's beacond port) plus test-only settings (ports, pid file,
no daemon). Checked with dig against the resolver, never against beacond directly.

unbound: answers pass through; the short TTL is honoured (after a registration change and one
TTL the new set is served); negative answers are cached no longer than the SOA minimum.
dnsmasq: answers pass through (with stop-dns-rebind on, as routers run it), and TTLs too.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients"))
import support  # noqa: E402
from support import ZONE, Server, config, harness, resolver_snippet, wait_until  # noqa: E402

TTL = 2  # dns.ttl and dns.negative_ttl of these tests: the SOA MINIMUM is 2 too
SLACK = 1.5  # seconds a resolver may take beyond a TTL (its clock ticks in whole seconds)


class Resolver:
    """A resolver process in the foreground on a free, locked loopback port."""

    name = "resolver"

    def __init__(self, beacond_port):
        self.beacond_port = beacond_port
        self.dir = tempfile.mkdtemp(prefix=f"{self.name}-")
        self.port, self._lock = harness.reserve_port()
        self.log_path = os.path.join(self.dir, "log")
        self.proc = None

    def command(self):
        raise NotImplementedError

    def __enter__(self):
        try:
            with open(self.log_path, "w") as log:
                self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                             preexec_fn=harness._die_with_parent)
            ok = wait_until(self._ready, 10, interval=0.1)
            if not ok:
                raise AssertionError(f"{self.name} did not answer within 10 s:\n{self.log()}")
            return self
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
        done = subprocess.run(["dig", "@127.0.0.1", "-p", str(self.port), "+time=1", "+tries=1", ZONE, "SOA"],
                              capture_output=True, text=True)
        return done.returncode == 0 and "status: NOERROR" in done.stdout

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        os.close(self._lock)
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def dig(self, *args):
        return harness.dig("127.0.0.1", self.port, *args)


class Unbound(Resolver):
    name = "unbound"

    def command(self):
        conf = os.path.join(self.dir, "unbound.conf")
        # Test-only settings first: a foreground unbound on our port, nothing outside the temp dir.
        text = f"""\
server:
    interface: 127.0.0.1@{self.port}
    port: {self.port}
    do-ip6: no
    num-threads: 1
    so-reuseport: no
    username: ""
    chroot: ""
    directory: "{self.dir}"
    pidfile: "{os.path.join(self.dir, 'unbound.pid')}"
    use-syslog: no
    logfile: ""
    verbosity: 1
    access-control: 127.0.0.0/8 allow
remote-control:
    control-enable: no
""" + resolver_snippet("unbound.conf", self.beacond_port)
        harness.write_file(conf, text)
        check = subprocess.run(["unbound-checkconf", conf], capture_output=True, text=True)
        if check.returncode != 0:
            raise AssertionError(f"unbound-checkconf {conf}:\n{check.stdout}{check.stderr}\n{text}")
        return ["unbound", "-d", "-c", conf]


class Dnsmasq(Resolver):
    name = "dnsmasq"

    def command(self):
        conf = os.path.join(self.dir, "dnsmasq.conf")
        text = f"""\
port={self.port}
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
pid-file={os.path.join(self.dir, 'dnsmasq.pid')}
log-facility=-
stop-dns-rebind
""" + resolver_snippet("dnsmasq.conf", self.beacond_port)
        harness.write_file(conf, text)
        return ["dnsmasq", "--keep-in-foreground", "--conf-file=" + conf]


def a_set(answer, name):
    return answer.rrset("answer", name, "A")


class SnippetsAreTheReadmes(unittest.TestCase):
    def test_readme_shows_the_snippets_the_tests_run(self):
        with open(support.README) as f:
            readme = f.read()
        for name in ("unbound.conf", "dnsmasq.conf"):
            with open(os.path.join(support.RESOLVERS, name)) as f:
                snippet = f.read()
            self.assertTrue(snippet in readme, f"README.md does not show packaging/resolvers/{name} verbatim")


class StubResolvers(unittest.TestCase):
    def start(self):
        b = Server(config(threads=1, ttl=f"{TTL}s", negative_ttl=f"{TTL}s"))
        b.start()
        self.addCleanup(b.stop)
        for i in (1, 2):
            b.register("web", f"web-{i}", {"address": f"192.0.2.{i}", "port": 8080, "meta": {"v": str(i)}})
        b.register("web", "web-6", {"address": "2001:db8::6", "port": 8080})
        return b

    def check_pass_through(self, resolver):
        web = "web." + ZONE
        d = resolver.dig(web, "A")
        self.assertEqual(d.status, "NOERROR", d.text)
        self.assertEqual(a_set(d, web), ["192.0.2.1", "192.0.2.2"])
        self.assertTrue(all(r[1] <= TTL for r in d.answer), d.text)
        d = resolver.dig(web, "AAAA")
        self.assertEqual(d.rrset("answer", web, "AAAA"), ["2001:db8::6"])
        d = resolver.dig("_web._tcp." + ZONE, "SRV")
        self.assertEqual(d.status, "NOERROR", d.text)
        targets = sorted(r.split()[3].lower() for r in d.rrset("answer", "_web._tcp." + ZONE, "SRV"))
        self.assertEqual(targets, [f"web-{i}.web.{ZONE}" for i in (1, 2, 6)])
        for r in d.rrset("answer", "_web._tcp." + ZONE, "SRV"):
            self.assertEqual(r.split()[2], "8080")
        d = resolver.dig("web-1.web." + ZONE, "TXT")
        self.assertEqual(d.rrset("answer", "web-1.web." + ZONE, "TXT"), ['"v=1"'])
        d = resolver.dig("nope." + ZONE, "A")
        self.assertEqual(d.status, "NXDOMAIN", d.text)
        return web

    def check_ttl_honoured(self, b, resolver, web):
        """A registration change is served by the resolver within one TTL (plus slack)."""
        self.assertEqual(a_set(resolver.dig(web, "A"), web), ["192.0.2.1", "192.0.2.2"])
        b.register("web", "web-3", {"address": "192.0.2.3", "port": 8080})
        b.deregister("web", "web-1")
        changed = time.monotonic()
        seen = wait_until(lambda: a_set(resolver.dig(web, "A"), web) == ["192.0.2.2", "192.0.2.3"], TTL + SLACK + 2)
        took = time.monotonic() - changed
        self.assertTrue(seen, f"{resolver.name} still served the old set {took:.1f}s after the change")
        self.assertLessEqual(took, TTL + SLACK, f"{resolver.name} served the old set for {took:.1f}s (TTL {TTL})")

    def test_unbound_passes_answers_and_honours_ttls(self):
        b = self.start()
        with Unbound(b.port) as u:
            web = self.check_pass_through(u)
            # unbound caches: the answer is served from the cache, its TTL counting down.
            d = u.dig(web, "A")
            self.assertLessEqual(max(r[1] for r in d.answer), TTL)
            self.check_ttl_honoured(b, u, web)

    def test_unbound_caches_negative_answers_no_longer_than_the_soa_minimum(self):
        b = self.start()
        with Unbound(b.port) as u:
            late = "late." + ZONE
            d = u.dig(late, "A")
            self.assertEqual(d.status, "NXDOMAIN", d.text)
            soa = [r for r in d.authority if r[3] == "SOA"]
            self.assertEqual(len(soa), 1, d.text)
            self.assertLessEqual(soa[0][1], TTL, d.text)
            minimum = int(soa[0][4].split()[-1])
            self.assertLessEqual(minimum, TTL, d.text)
            # The NXDOMAIN is cached: a registration does not show at once...
            b.register("late", "late-1", {"address": "192.0.2.50", "port": 80})
            registered = time.monotonic()
            # ...but within the SOA minimum (plus slack) it does.
            seen = wait_until(lambda: a_set(u.dig(late, "A"), late) == ["192.0.2.50"], TTL + SLACK + 2)
            took = time.monotonic() - registered
            self.assertTrue(seen, f"unbound still answered NXDOMAIN {took:.1f}s after the registration")
            self.assertLessEqual(took, TTL + SLACK, f"NXDOMAIN cached for {took:.1f}s, SOA minimum {TTL}")
            # NODATA too: `late` has no AAAA; one is registered; it shows within the minimum.
            d = u.dig(late, "AAAA")
            self.assertEqual((d.status, d.answer), ("NOERROR", []), d.text)
            b.register("late", "late-6", {"address": "2001:db8::50", "port": 80})
            registered = time.monotonic()
            seen = wait_until(lambda: u.dig(late, "AAAA").rrset("answer", late, "AAAA") == ["2001:db8::50"],
                              TTL + SLACK + 2)
            took = time.monotonic() - registered
            self.assertTrue(seen, f"unbound still answered NODATA {took:.1f}s after the registration")
            self.assertLessEqual(took, TTL + SLACK, f"NODATA cached for {took:.1f}s, SOA minimum {TTL}")

    def test_dnsmasq_passes_answers_and_honours_ttls(self):
        b = self.start()
        with Dnsmasq(b.port) as m:
            web = self.check_pass_through(m)
            self.check_ttl_honoured(b, m, web)
            # Out of the zone, dnsmasq has no upstream: beacond is never asked for it.
            d = m.dig("example.com.", "A")
            self.assertNotEqual(d.status, "NOERROR", d.text)


if __name__ == "__main__":
    support.main(tools=("dig", "unbound", "unbound-checkconf", "dnsmasq"))
