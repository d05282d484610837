#!/usr/bin/env python3
"""TLS on the registration API (issue 6 §5, http.tls): a round trip with a throwaway
certificate (register over https, answered in DNS), plain HTTP and a wrong CA refused, a
client that never says ClientHello dropped within http.request_timeout, a certificate
renewed by SIGHUP, start-up and --check-config refusing a key that is missing or wrong, and
beaconctl over https with --cacert.

    python3 test_tls.py --beacond PATH --beaconctl PATH [unittest args]
"""

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_beaconctl  # noqa: E402 - its main() (--beaconctl) and run_ctl
CLOSE_SLACK = 3.0  # on top of a configured timeout; generous for a loaded CI box
REG = {"address": "10.9.8.7", "port": 8443}


def make_certificate(directory, name):
    """A self-signed P-256 certificate for 127.0.0.1, valid one day: (cert path, key path)."""
    cert, key = os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")
    done = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                           "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                           "-keyout", key, "-out", cert], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise AssertionError("openssl req failed:\n" + done.stderr)
    return cert, key


def tls_config(cert, key, extra=""):
    return f"http:\n  tls:\n    certificate: {cert}\n    key: {key}\n{extra}"


class TlsBeacond(harness.Beacond):
    """beacond with http.tls: api() (and so the readiness poll) speaks https, trusting `cafile`."""

    def __init__(self, cafile, **kwargs):
        super().__init__(**kwargs)
        self.cafile = cafile

    def connection(self, cafile=None, timeout=5.0, **context_options):
        context = ssl.create_default_context(cafile=cafile or self.cafile)
        for name, value in context_options.items():
            setattr(context, name, value)
        return http.client.HTTPSConnection("127.0.0.1", self.http_port, timeout=timeout, context=context)

    def api(self, method, path, body=None, headers=None, timeout=5.0):
        conn = self.connection(timeout=timeout)
        try:
            return harness.http_request(conn, method, path, body, headers)
        finally:
            conn.close()


class CertificateDir(unittest.TestCase):
    """A temp directory with the server's certificate `api` and an unrelated one, `other`."""

    @classmethod
    def make_certificates(cls):
        cls.certs = tempfile.mkdtemp(prefix="beacon-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.certs, True)
        cls.cert, cls.key = make_certificate(cls.certs, "api")
        cls.other_cert, cls.other_key = make_certificate(cls.certs, "other")


class RoundTripTest(CertificateDir):
    """http.request_timeout: 1s, so the silent client's drop is quick to see."""

    @classmethod
    def setUpClass(cls):
        cls.make_certificates()
        cls.server = TlsBeacond(cls.cert, config=tls_config(cls.cert, cls.key, "  request_timeout: 1s\n"))
        cls.server.start()
        cls.addClassCleanup(cls.server.stop)

    def test_a_registration_over_https_is_answered_in_dns(self):
        status, _, raw = self.server.api("PUT", "/v1/services/secure/instances/s-1", REG)
        self.assertEqual(status, 201, raw)
        answer = self.server.dig("secure.svc.internal", "A")
        self.assertEqual(answer.status, "NOERROR")
        self.assertEqual(answer.rrset("answer", "secure.svc.internal.", "A"), ["10.9.8.7"])

    def test_keep_alive_and_tls_1_2_or_later(self):
        conn = self.server.connection()
        self.addCleanup(conn.close)
        for _ in range(3):
            self.assertEqual(harness.http_request(conn, "GET", "/healthz")[0], 200)
        self.assertIn(conn.sock.version(), ("TLSv1.2", "TLSv1.3"))
        # A client that speaks at most TLS 1.2 is served too.
        conn12 = self.server.connection(maximum_version=ssl.TLSVersion.TLSv1_2)
        self.addCleanup(conn12.close)
        self.assertEqual(harness.http_request(conn12, "GET", "/healthz")[0], 200)
        self.assertEqual(conn12.sock.version(), "TLSv1.2")

    def test_tls_1_1_is_refused(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(self.cert)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = ssl.TLSVersion.TLSv1
                context.maximum_version = ssl.TLSVersion.TLSv1_1
            context.set_ciphers("ALL:@SECLEVEL=0")
        except (ValueError, ssl.SSLError):
            self.skipTest("this Python/OpenSSL cannot offer TLS 1.1")
        with socket.create_connection(("127.0.0.1", self.server.http_port), timeout=5) as raw:
            with self.assertRaises((ssl.SSLError, ConnectionResetError)):
                context.wrap_socket(raw, server_hostname="127.0.0.1").close()

    def test_plain_http_gets_no_http_response(self):
        with socket.create_connection(("127.0.0.1", self.server.http_port), timeout=5) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            received = b""
            try:
                while chunk := sock.recv(4096):
                    received += chunk
            except ConnectionResetError:
                pass
            self.assertFalse(received.startswith(b"HTTP/"), received)
        # The server is unharmed.
        self.assertEqual(self.server.api("GET", "/healthz")[0], 200)

    def test_a_client_that_never_says_hello_is_dropped_within_the_request_timeout(self):
        sock = socket.create_connection(("127.0.0.1", self.server.http_port), timeout=5)
        self.addCleanup(sock.close)
        start = time.monotonic()
        # Others are served meanwhile.
        self.assertEqual(self.server.api("GET", "/healthz")[0], 200)
        elapsed = harness.wait_closed_by_peer(sock, 1.0 + CLOSE_SLACK)
        self.assertIsNotNone(elapsed, "a client that never starts the handshake still holds its connection")
        self.assertGreaterEqual(time.monotonic() - start, 0.8, "dropped well before request_timeout")

    def test_a_client_trusting_another_ca_fails_verification(self):
        conn = self.server.connection(cafile=self.other_cert)
        self.addCleanup(conn.close)
        with self.assertRaises(ssl.SSLCertVerificationError):
            harness.http_request(conn, "GET", "/healthz")

    def test_curl_with_cacert(self):
        if shutil.which("curl") is None:
            self.skipTest("curl is not installed")
        done = subprocess.run(["curl", "-sS", "--max-time", "5", "--cacert", self.cert,
                               f"https://127.0.0.1:{self.server.http_port}/healthz", "-o", "/dev/null",
                               "-w", "%{http_code}"], capture_output=True, text=True, timeout=30)
        self.assertEqual((done.returncode, done.stdout), (0, "200"), done.stderr)

    def test_beaconctl_over_https_with_cacert(self):
        ctl = ["--server", f"https://127.0.0.1:{self.server.http_port}", "--dns", f"127.0.0.1:{self.server.port}"]
        rc, _, err = test_beaconctl.run_ctl(*ctl, "--cacert", self.cert, "register", "ctl-tls", "c-1",
                                            "--address", "10.9.8.6", "--port", "80")
        self.assertEqual(rc, 0, err)
        rc, out, err = test_beaconctl.run_ctl(*ctl, "--cacert", self.cert, "resolve", "ctl-tls")
        self.assertIn("10.9.8.6", out, err)
        # Without the CA (the system's do not know it), verification fails: unreachable, 3.
        rc, out, err = test_beaconctl.run_ctl(*ctl, "ls")
        self.assertEqual(rc, 3, out + err)
        self.assertIn("certificate", err)


class ReloadTest(CertificateDir):
    """SIGHUP re-reads the certificate and key: new connections get the new certificate."""

    def setUp(self):
        self.make_certificates()
        self.live_cert = os.path.join(self.certs, "live.crt")
        self.live_key = os.path.join(self.certs, "live.key")
        shutil.copy(self.cert, self.live_cert)
        shutil.copy(self.key, self.live_key)
        self.server = TlsBeacond(self.cert, config=tls_config(self.live_cert, self.live_key))
        self.server.start()
        self.addCleanup(self.server.stop)

    def reload(self, expect):
        mark = self.server.log_mark()
        self.server.send_signal(signal.SIGHUP)
        return self.server.wait_for_log(expect, after=mark)

    def test_a_renewed_certificate_is_served_after_sighup(self):
        kept = self.server.connection()
        self.addCleanup(kept.close)
        self.assertEqual(harness.http_request(kept, "GET", "/healthz")[0], 200)
        shutil.copy(self.other_cert, self.live_cert)
        shutil.copy(self.other_key, self.live_key)
        self.reload(r"\breloaded\b")
        conn = self.server.connection(cafile=self.other_cert)
        self.addCleanup(conn.close)
        self.assertEqual(harness.http_request(conn, "GET", "/healthz")[0], 200)
        with self.assertRaises(ssl.SSLCertVerificationError):
            harness.http_request(self.server.connection(cafile=self.cert), "GET", "/healthz")
        # The connection made before the reload carries on.
        self.assertEqual(harness.http_request(kept, "GET", "/healthz")[0], 200)

    def test_a_key_that_does_not_load_fails_the_reload_and_keeps_the_old_certificate(self):
        with open(self.live_key, "w") as f:
            f.write("not a key\n")
        line = self.reload(r"reload_failed")
        self.assertIn(self.live_key, line)
        self.assertEqual(self.server.api("GET", "/healthz")[0], 200)


class StartupTest(CertificateDir):
    @classmethod
    def setUpClass(cls):
        cls.make_certificates()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="beacon-tls-cfg-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def config(self, cert, key):
        path = os.path.join(self.dir, "beacond.yaml")
        harness.write_file(path, f"dns:\n  zone_dir: {self.dir}\n" + tls_config(cert, key))
        return path

    def start(self, cert, key):
        """Start-up and --check-config with this pair: both must fail; the two stderr texts."""
        path = self.config(cert, key)
        (dns, dns_lock), (api, api_lock) = harness.reserve_port(), harness.reserve_port()
        try:
            rc, _, startup = harness.run_beacond(["--config", path, "--dns-listen", f"127.0.0.1:{dns}", "--http-listen",
                                                  f"127.0.0.1:{api}", "--data-dir", self.dir])
        finally:
            os.close(dns_lock)
            os.close(api_lock)
        self.assertEqual(rc, 1, startup)
        rc, _, check = harness.run_beacond(["--check-config", path])
        self.assertEqual(rc, 1, check)
        return startup, check

    def test_a_missing_key_file_stops_start_up_naming_the_file(self):
        missing = os.path.join(self.dir, "missing.key")
        for err in self.start(self.cert, missing):
            self.assertIn("http.tls.key", err)
            self.assertIn(missing, err)
            self.assertIn("No such file", err)

    def test_a_key_of_another_certificate_is_refused(self):
        for err in self.start(self.cert, self.other_key):
            self.assertIn("http.tls.key", err)
            self.assertIn(self.other_key, err)

    def test_a_certificate_that_is_not_pem_is_refused(self):
        for err in self.start(self.key, self.key):
            self.assertIn("http.tls.certificate", err)
            self.assertIn(self.key, err)

    def test_a_good_pair_passes_check_config(self):
        rc, out, err = harness.run_beacond(["--check-config", self.config(self.cert, self.key)])
        self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    test_beaconctl.main()  # --beacond PATH --beaconctl PATH
