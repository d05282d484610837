#!/usr/bin/env python3
"""Lifecycle: SIGHUP reloads (and survives bad zones), start-up errors name file and line,
--check-config, and SIGTERM exits 0."""

import os
import re
import signal
import socket
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ZONE_V1 = """\
$ORIGIN reload.test.
$TTL 60
@    IN SOA ns1 hostmaster 1 3600 600 86400 60
     IN NS  ns1
ns1  IN A   192.0.2.53
www  IN A   192.0.2.1
"""
ZONE_V2 = ZONE_V1.replace(" 1 3600", " 2 3600").replace("192.0.2.1", "192.0.2.2") + "new  IN TXT \"added\"\n"
# Line 7 is bad: an IPv4 address that is not one.
ZONE_BROKEN = ZONE_V1.replace(" 1 3600", " 3 3600") + "broken IN A 999.1.2.3\n"


def a_record(server, qname="www.reload.test"):
    return server.dig(qname, "A").rrset("answer", qname + ".", "A")


class ReloadTest(unittest.TestCase):
    def setUp(self):
        self.server = harness.Beacond(zones={"reload.test": ZONE_V1})
        self.server.start()
        self.addCleanup(self.server.stop)
        self.zone_file = os.path.join(self.server.zone_dir, "reload.test.zone")

    def reload(self, expect):
        mark = self.server.log_mark()
        self.server.send_signal(signal.SIGHUP)
        return self.server.wait_for_log(rf"event={expect}\b", after=mark)

    def test_sighup_picks_up_a_changed_zone(self):
        self.assertEqual(a_record(self.server), ["192.0.2.1"])
        harness.write_file(self.zone_file, ZONE_V2)
        self.reload("reloaded")
        self.assertEqual(a_record(self.server), ["192.0.2.2"])
        soa = self.server.dig("reload.test", "SOA").answer
        self.assertEqual(soa[0][4].split()[2], "2", "new serial")
        txt = self.server.dig("new.reload.test", "TXT")
        self.assertEqual(txt.rrset("answer", "new.reload.test.", "TXT"), ['"added"'])

    def test_sighup_adds_and_removes_zones(self):
        other = os.path.join(self.server.zone_dir, "other.test.zone")
        harness.write_file(other, harness.OTHER_ZONE)
        self.assertEqual(self.server.dig("host.other.test", "A").status, "REFUSED")
        self.reload("reloaded")
        self.assertEqual(a_record(self.server, "host.other.test"), ["192.0.2.81"])
        os.remove(other)
        self.reload("reloaded")
        self.assertEqual(self.server.dig("host.other.test", "A").status, "REFUSED")

    def test_sighup_with_broken_zone_keeps_old_answers(self):
        harness.write_file(self.zone_file, ZONE_BROKEN)
        line = self.reload("reload_failed")
        self.assertIn("reload.test.zone:7", line, "the error names the file and line")
        self.assertTrue(self.server.is_running())
        self.assertEqual(a_record(self.server), ["192.0.2.1"])
        self.assertEqual(self.server.dig("broken.reload.test", "A").status, "NXDOMAIN")
        # Fixing the file and reloading again recovers.
        harness.write_file(self.zone_file, ZONE_V2)
        self.reload("reloaded")
        self.assertEqual(a_record(self.server), ["192.0.2.2"])

    def test_repeated_sighup_under_query_load(self):
        answers, errors, stop = [], [], threading.Event()

        def query_loop():
            qid = 0
            while not stop.is_set():
                qid = (qid + 1) & 0xFFFF
                try:
                    msg = self.server.udp(harness.build_query("www.reload.test", "A", qid=qid))
                    answers.append(tuple(r.rdata for r in msg.answer))
                except Exception as e:  # noqa: BLE001 - any failure is the finding
                    errors.append(repr(e))

        worker = threading.Thread(target=query_loop)
        worker.start()
        try:
            for i in range(6):
                harness.write_file(self.zone_file, ZONE_V1 if i % 2 else ZONE_V2)
                self.reload("reloaded")
                self.assertEqual(a_record(self.server), ["192.0.2.1"] if i % 2 else ["192.0.2.2"])
        finally:
            stop.set()
            worker.join()
        self.assertEqual(errors, [])
        self.assertGreater(len(answers), 0)
        self.assertLessEqual(set(answers), {("192.0.2.1",), ("192.0.2.2",)})


class LifecycleTest(unittest.TestCase):
    def setUp(self):
        self.workdir = self.enterContext(tempfile.TemporaryDirectory(prefix="beacond-cfg-"))
        self.zone_dir = harness.write_zone_dir({"reload.test": ZONE_V1}, self.workdir)

    def write_config(self, text):
        path = os.path.join(self.workdir, "beacond.yaml")
        harness.write_file(path, text)
        return path

    def test_startup_with_zone_syntax_error_fails_naming_file_and_line(self):
        bad_dir = harness.write_zone_dir({"bad.test": ZONE_BROKEN.replace("reload.test", "bad.test")}, self.workdir)
        port, lock = harness.reserve_port()
        try:
            rc, _, err = harness.run_beacond(["--dns-listen", f"127.0.0.1:{port}", "--zone-dir", bad_dir])
        finally:
            os.close(lock)
        self.assertNotEqual(rc, 0)
        self.assertIn("event=startup_failed", err)
        self.assertRegex(err, r"bad\.test\.zone:7\b", err)

    def test_a_second_server_on_a_taken_port_fails_instead_of_sharing_it(self):
        # SO_REUSEPORT would let it bind and the kernel would split the queries between the two.
        with harness.Beacond(zones={"reload.test": ZONE_V1}) as first:
            for proto in ("udp", "tcp"):
                with self.subTest(taken=proto):
                    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM)
                    try:
                        if proto == "tcp":
                            other.bind(("127.0.0.1", 0))
                            other.listen()
                            port = other.getsockname()[1]
                        else:
                            port = first.port
                        data = os.path.join(self.workdir, f"second-{proto}")
                        http_port, lock = harness.reserve_port()
                        try:
                            rc, _, err = harness.run_beacond(["--dns-listen", f"127.0.0.1:{port}", "--zone-dir",
                                                              self.zone_dir, "--http-listen", f"127.0.0.1:{http_port}",
                                                              "--data-dir", data])
                        finally:
                            os.close(lock)
                    finally:
                        other.close()
                    self.assertNotEqual(rc, 0)
                    self.assertIn("event=startup_failed", err)
                    self.assertIn(f"cannot listen on 127.0.0.1:{port}/{proto}", err)
            self.assertEqual(first.dig("www.reload.test", "A").status, "NOERROR")  # the first one is unharmed

    def test_check_config_good(self):
        path = self.write_config(
            f"dns:\n  listen: [\"127.0.0.1:5353\", \"[::1]:5353\"]\n  threads: 2\n  zone_dir: {self.zone_dir}\n"
            "  max_udp_payload: 1400\n  tcp:\n    idle_timeout: 500ms\n    max_connections: 10\n"
            "    max_connections_per_client: 2\nlog:\n  level: debug\n")
        rc, out, err = harness.run_beacond(["--check-config", path])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.strip(), f"{path}: ok")

    def test_check_config_unknown_key(self):
        for text, key in ((f"dns:\n  zone_dir: {self.zone_dir}\n  bogus: 1\n", "dns.bogus"),
                          (f"dns:\n  zone_dir: {self.zone_dir}\n  tcp:\n    idle_timout: 1s\n", "dns.tcp.idle_timout"),
                          (f"dns:\n  zone_dir: {self.zone_dir}\nlogging:\n  level: info\n", "logging")):
            with self.subTest(key=key):
                rc, out, err = harness.run_beacond(["--check-config", self.write_config(text)])
                self.assertNotEqual(rc, 0)
                self.assertRegex(err, rf"(^|\s){re.escape(key)}\b.*unknown key", err)
                self.assertNotIn("ok", out)

    def test_check_config_bad_value(self):
        for text, key in ((f"dns:\n  zone_dir: {self.zone_dir}\n  max_udp_payload: 100\n", "dns.max_udp_payload"),
                          (f"dns:\n  zone_dir: {self.zone_dir}\n  tcp:\n    idle_timeout: soon\n", "dns.tcp.idle_timeout"),
                          (f"dns:\n  zone_dir: {self.zone_dir}\n  listen: [\"127.0.0.1\"]\n", "dns.listen"),
                          (f"dns:\n  zone_dir: {self.zone_dir}\n  threads: many\n", "dns.threads"),
                          (f"dns:\n  zone_dir: {self.zone_dir}\nlog:\n  level: loud\n", "log.level")):
            with self.subTest(key=key):
                rc, _, err = harness.run_beacond(["--check-config", self.write_config(text)])
                self.assertNotEqual(rc, 0)
                self.assertIn(key, err)

    def test_check_config_broken_zone(self):
        bad_dir = harness.write_zone_dir({"bad.test": ZONE_BROKEN.replace("reload.test", "bad.test")}, self.workdir)
        rc, _, err = harness.run_beacond(["--check-config", self.write_config(f"dns:\n  zone_dir: {bad_dir}\n")])
        self.assertNotEqual(rc, 0)
        self.assertIn("bad.test.zone:7", err)

    def test_sigterm_exits_zero_with_open_connections(self):
        server = harness.Beacond(zones={"reload.test": ZONE_V1})
        with server:
            idle = harness.tcp_connect(server.host, server.port)
            busy = harness.tcp_connect(server.host, server.port)
            busy.sendall(harness.frame(harness.build_query("www.reload.test", "A", qid=1))[:5])  # mid-message
            self.addCleanup(idle.close)
            self.addCleanup(busy.close)
            self.assertEqual(a_record(server), ["192.0.2.1"])
        # __exit__ sent SIGTERM and asserted exit code 0 within the bound.
        self.assertEqual(server.proc.returncode, 0)
        self.assertIn("event=stopped", server.stderr())


if __name__ == "__main__":
    harness.main()
