"""Registration API refusals (issue 3 §2): every bad request gets its status and a
{"error", "field"} body, and leaves the catalog byte-for-byte unchanged (nothing half-applied).
"""

import json
import socket
import unittest

import harness
from harness import RCODE, TYPE, Beacond, build_query

ZONE = "svc.internal."

# A zone file of the registry's own origin: its SOA/NS are used and its names are static,
# so no service may take them (409).
REGISTRY_ZONE = """\
$ORIGIN svc.internal.
$TTL 300
@        IN SOA  ns1 hostmaster 42 3600 600 86400 30
         IN NS   ns1
ns1      IN A    192.0.2.53
static   IN A    192.0.2.60
_legacy._tcp IN SRV 0 0 80 static
"""

GOOD = {"address": "10.0.0.1", "port": 80}
JSON = {"Content-Type": "application/json"}


def with_(**changes):
    body = dict(GOOD)
    body.update(changes)
    return body


def without(*keys):
    return {k: v for k, v in GOOD.items() if k not in keys}


def raw_http(port, request, timeout=5.0):
    """Sends raw bytes, returns (status, headers dict, body) of the first response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            head, sep, rest = data.partition(b"\r\n\r\n")
            if sep:
                headers = {}
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.decode().partition(":")
                    headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0"))
                if len(rest) >= length:
                    return int(head.split()[1]), headers, rest[:length]
    raise AssertionError(f"no complete HTTP response; got {data!r}")


class RegistryApiRefusals(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        zones = dict(harness.DEFAULT_ZONES)
        zones["svc.internal"] = REGISTRY_ZONE
        cls.b = Beacond(zones=zones, config="dns:\n  threads: 1\n").start()
        try:
            cls.b.register("web", "a", {"address": "10.0.0.1", "port": 80, "tags": ["primary"],
                                        "meta": {"version": "1"}, "ttl": "1h"})
            cls.b.register("web", "b", {"address": "10.0.0.2", "port": 81})
            cls.b.register("api", "x", {"address": "2001:db8::1", "port": 443})
        except BaseException:
            cls.b.kill()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.b.stop()

    def catalog(self):
        """Both catalog views, as the exact bytes the API returns."""
        out = []
        for path in ("/v1/services", "/v1/services/web", "/v1/services/api"):
            status, _, body = self.b.api("GET", path)
            self.assertEqual(status, 200)
            out.append(body)
        return out

    def setUp(self):
        self.before = self.catalog()

    def tearDown(self):
        self.assertEqual(self.catalog(), self.before, "a refused request changed the catalog")
        msg = self.b.udp(build_query("web." + ZONE, "A"))
        self.assertEqual(sorted(r.rdata for r in msg.answer), ["10.0.0.1", "10.0.0.2"])

    def assert_refused(self, status, field, method, path, body=None, headers=None):
        got, hdrs, raw = self.b.api(method, path, body, headers)
        self.assertEqual(got, status, f"{method} {path} {body!r}: {raw!r}")
        self.assertEqual(hdrs.get("content-type"), "application/json")
        err = json.loads(raw)
        self.assertIsInstance(err.get("error"), str)
        self.assertTrue(err["error"])
        if field is not None:
            self.assertEqual(err.get("field"), field, f"{method} {path} {body!r}: {raw!r}")
        return hdrs

    def put(self, body, service="web", instance="a", status=400, field=None, headers=None):
        return self.assert_refused(status, field, "PUT", f"/v1/services/{service}/instances/{instance}", body,
                                   headers)

    # -- 400 ---------------------------------------------------------------------------------

    def test_bad_labels_in_path(self):
        for service in ("-web", "web-", "we_b", "we.b", "w" * 64, "w%C3%A9b", "we%20b", "web%2F"):
            with self.subTest(service=service):
                self.put(GOOD, service=service, field="service")
        for instance in ("-a", "a-", "a_b", "a.b", "i" * 64, "a%2Fb"):
            with self.subTest(instance=instance):
                self.put(GOOD, instance=instance, field="id")
        self.assert_refused(400, "service", "GET", "/v1/services/we_b")

    def test_bad_addresses(self):
        for body in (with_(address="10.0.0.256"), with_(address="not-an-ip"), with_(address=""),
                     with_(address="10.0.0.1:80"), with_(address=["10.0.0.1"]), with_(address=167772161),
                     with_(address="fe80::1%eth0")):
            with self.subTest(body=body):
                self.put(body, field="address")
        for body in (dict(without("address"), addresses=[]), dict(without("address"), addresses="10.0.0.1"),
                     dict(without("address"), addresses=["10.0.0.1", "bad"]),
                     dict(without("address"), addresses=["10.0.0.1", "10.0.0.1"]),
                     dict(without("address"), addresses=[f"10.0.0.{i}" for i in range(1, 18)]),
                     with_(addresses=["10.0.0.2"])):
            with self.subTest(body=body):
                self.put(body, field="addresses")
        self.put(without("address"), field="address")

    def test_bad_numbers(self):
        for port in (0, 65536, -1, "80", 1.5, None, True):
            with self.subTest(port=port):
                self.put(with_(port=port), field="port")
        self.put(without("port"), field="port")
        for field in ("weight", "priority"):
            for value in (-1, 65536, "1", 0.5):
                with self.subTest(field=field, value=value):
                    self.put(with_(**{field: value}), field=field)

    def test_bad_protocol_and_tags(self):
        for protocol in ("sctp", "", 6, None):
            with self.subTest(protocol=protocol):
                self.put(with_(protocol=protocol), field="protocol")
        for tags in (["bad_tag"], ["-x"], ["x-"], ["t" * 64], [""], [7], "primary", ["ok", "dup", "dup"],
                     ["Dup", "dup"], [f"t{i}" for i in range(33)]):
            with self.subTest(tags=tags):
                self.put(with_(tags=tags), field="tags")

    def test_bad_meta(self):
        # key=value of 256 octets does not fit one TXT string; 255 does (checked below on a
        # fresh instance so the catalog check of this test still holds).
        self.put(with_(meta={"k": "v" * 254}), field="meta.k")
        self.put(with_(meta={"version": 2}), field="meta.version")
        self.put(with_(meta={"a=b": "c"}), field="meta.a=b")
        self.put(with_(meta={"": "c"}), field="meta.")
        self.put(with_(meta=["version=1"]), field="meta")
        # 17 entries of 251 octets: each fits, together over 4096.
        self.put(with_(meta={f"k{i:02d}": "v" * 247 for i in range(17)}), field="meta")

    def test_bad_durations(self):
        for field, value in (("ttl", "0s"), ("ttl", "abc"), ("ttl", "10x"), ("ttl", "25h"), ("ttl", -1),
                             ("ttl", "1.5s"), ("ttl", ""), ("ttl", 1.5), ("ttl", "999ms"),
                             ("deregister_after", "0"), ("deregister_after", "31d"), ("deregister_after", "s"),
                             ("dns_ttl", "500ms"), ("dns_ttl", "2d"), ("dns_ttl", -5), ("dns_ttl", "x")):
            with self.subTest(field=field, value=value):
                self.put(with_(**{field: value}), field=field)

    def test_unknown_fields_and_bad_json(self):
        self.put(with_(adress="10.0.0.9"), field="adress")
        self.put(with_(tag=["primary"]), field="tag")  # a typo of tags is refused, not ignored
        self.put(with_(Port=80), field="Port")
        for body in (b"{not json", b"", b"[]", b'"text"', b"null", b'{"address": "10.0.0.1", "port": 80',
                     b'{"address": "10.0.0.1", "port": 80} trailing'):
            with self.subTest(body=body):
                self.put(body, headers=JSON)
        # Heartbeat bodies are checked as well.
        hb = "/v1/services/web/instances/a/heartbeat"
        self.assert_refused(400, "status", "PUT", hb, {"status": "sick"})
        self.assert_refused(400, "statu", "PUT", hb, {"statu": "passing"})
        self.assert_refused(400, None, "PUT", hb, b"{bad", JSON)
        self.assert_refused(415, None, "PUT", hb, b'{"status": "critical"}', {"Content-Type": "text/plain"})

    # -- 404, 405, 409, 411, 413, 415 --------------------------------------------------------

    def test_wrong_content_type_415(self):
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/jsonx"):
            with self.subTest(ctype=ctype):
                self.put(json.dumps(GOOD), status=415, headers={"Content-Type": ctype})
        status, body = self.b.curl("PUT", "/v1/services/web/instances/new", json.dumps(GOOD))  # curl: form type
        self.assertEqual(status, 415, body)

    def test_body_over_64k_413(self):
        big = json.dumps(with_(meta={"pad": "x" * 200})).encode()
        big = big[:-1] + b", " + b" " * (65 * 1024) + b"}"
        self.put(big, status=413, headers=JSON)
        self.put(big, instance="new", status=413, headers=JSON)
        # Declared but not sent: refused on the header alone.
        status, _, _ = raw_http(self.b.http_port, b"PUT /v1/services/web/instances/new HTTP/1.1\r\nHost: x\r\n"
                                                  b"Content-Type: application/json\r\nContent-Length: 70000\r\n\r\n")
        self.assertEqual(status, 413)
        status, body = self.b.curl("PUT", "/v1/services/web/instances/new", big.decode(),
                                   headers=["Content-Type: application/json"])
        self.assertEqual(status, 413, body)

    def test_no_content_length_411(self):
        status, _, body = raw_http(self.b.http_port, b"PUT /v1/services/web/instances/new HTTP/1.1\r\nHost: x\r\n"
                                                     b"Content-Type: application/json\r\nConnection: close\r\n\r\n")
        self.assertEqual(status, 411, body)
        self.assertEqual(json.loads(body)["field"], "body")

    def test_wrong_method_405(self):
        for method, path, allow in (("POST", "/v1/services/web/instances/a", "PUT, DELETE"),
                                    ("GET", "/v1/services/web/instances/a", "PUT, DELETE"),
                                    ("PATCH", "/v1/services/web/instances/new", "PUT, DELETE"),
                                    ("DELETE", "/v1/services/web/instances/a/heartbeat", "PUT"),
                                    ("POST", "/v1/services/web/instances/a/heartbeat", "PUT"),
                                    ("POST", "/v1/services/web", None), ("PUT", "/v1/services/web", None),
                                    ("POST", "/v1/services", "GET"), ("DELETE", "/v1/services", "GET"),
                                    ("POST", "/healthz", "GET, HEAD")):
            with self.subTest(method=method, path=path):
                body = json.dumps(GOOD) if method in ("POST", "PATCH", "PUT") else None
                hdrs = self.assert_refused(405, "method", method, path, body, JSON if body else None)
                if allow is None:  # the methods of /v1/services/{s} grow: GET at least
                    self.assertIn("GET", hdrs.get("allow", "").replace(" ", "").split(","))
                else:
                    self.assertEqual(hdrs.get("allow"), allow)

    def test_unknown_paths_404(self):
        for path in ("/", "/v1", "/v2/services", "/v1/service", "/v1/services/web/things/a",
                     "/v1/services/web/instances", "/v1/services/web/instances/a/beat",
                     "/v1/services/web/instances/a/heartbeat/x", "/metricsz"):
            with self.subTest(path=path):
                self.assert_refused(404, None, "GET", path)
        self.put(GOOD, service="web", instance="a/extra", status=404)
        # Unknown service or instance.
        self.assert_refused(404, "service", "GET", "/v1/services/nosuch")
        self.assert_refused(404, None, "DELETE", "/v1/services/web/instances/nosuch")
        self.assert_refused(404, None, "DELETE", "/v1/services/nosuch/instances/a")
        self.assert_refused(404, None, "PUT", "/v1/services/web/instances/nosuch/heartbeat")
        self.assert_refused(404, None, "PUT", "/v1/services/nosuch/instances/a/heartbeat", {"status": "passing"})

    def test_conflicts_409(self):
        self.put(GOOD, instance="primary", status=409, field="id")  # a tag of instance a
        self.put(GOOD, instance="PRIMARY", status=409, field="id")  # case folded first
        self.put(with_(tags=["b"]), instance="new", status=409, field="tags")  # the id of instance b
        self.put(with_(tags=["b"]), instance="a", status=409, field="tags")  # replacement too
        self.put(with_(tags=["a"]), instance="a", status=409, field="tags")  # its own id
        # A service name equal to a static name of the zone file of the same origin.
        for service in ("static", "ns1", "legacy", "Static"):
            with self.subTest(service=service):
                self.put(GOOD, service=service, instance="i", status=409, field="service")
        # Heartbeat and delete on a static name are simply unknown.
        self.assert_refused(404, None, "DELETE", "/v1/services/static/instances/i")

    def test_static_zone_served_alongside(self):
        msg = self.b.udp(build_query("static." + ZONE, "A"))
        self.assertEqual([r.rdata for r in msg.answer], ["192.0.2.60"])
        soa = self.b.udp(build_query(ZONE, "SOA"))
        self.assertEqual(soa.answer[0].ttl, 300)
        # The zone file's SOA: MINIMUM 30 < TTL 300.
        msg = self.b.udp(build_query("nosuch." + ZONE, "A"))
        self.assertEqual(msg.rcode, RCODE["NXDOMAIN"])
        self.assertEqual([(r.type, r.ttl) for r in msg.authority], [(TYPE["SOA"], 30)])
        d = self.b.dig(f"_legacy._tcp.{ZONE}", "SRV")
        self.assertEqual(d.answer[0][4], "0 0 80 static.svc.internal.")


class RegistryApiAccepts(unittest.TestCase):
    """The boundaries just inside the rules are accepted (the refusals above are not vacuous)."""

    def test_boundaries_accepted(self):
        with Beacond(config="dns:\n  threads: 1\n") as b:
            ok = [({"address": "10.0.0.1", "port": 1}, 201), ({"address": "10.0.0.1", "port": 65535}, 200),
                  (with_(meta={"k": "v" * 253}), 200),  # k=vvv... is 255 octets
                  (with_(meta={f"k{i:02d}": "v" * 247 for i in range(16)}), 200),  # 16 * 252 = 4032
                  (with_(weight=0, priority=65535), 200), (with_(weight=65535, priority=0), 200),
                  (with_(ttl=15, deregister_after="10m", dns_ttl=0), 200),
                  (with_(ttl="1s", deregister_after="30d", dns_ttl="1d"), 200),
                  (with_(ttl="24h"), 200), (with_(ttl="2m", protocol="udp"), 200),
                  (with_(tags=["a" * 63, "x-1", "0"]), 200),
                  ({"addresses": [f"10.0.0.{i}" for i in range(1, 17)], "port": 80}, 200),
                  ({"addresses": ["::1", "10.0.0.1", "2001:db8::ffff:1.2.3.4"], "port": 80}, 200)]
            for body, status in ok:
                with self.subTest(body=body):
                    got, _, raw = b.api("PUT", "/v1/services/web/instances/i", body)
                    self.assertEqual(got, status, raw)
            # Names are case folded: WEB/I is web/i.
            got, hdrs, raw = b.api("PUT", "/v1/services/WEB/instances/I", GOOD)
            self.assertEqual(got, 200, raw)
            self.assertEqual(hdrs.get("location"), "/v1/services/web/instances/i")
            got, _, raw = b.api("PUT", "/v1/services/" + "s" * 63 + "/instances/" + "i" * 63, GOOD)
            self.assertEqual(got, 201, raw)
            # Content-Type with parameters; a heartbeat with no body at all.
            got, _, raw = b.api("PUT", "/v1/services/web/instances/i", json.dumps(GOOD),
                                {"Content-Type": "application/json; charset=utf-8"})
            self.assertEqual(got, 200, raw)
            self.assertEqual(b.api("PUT", "/v1/services/web/instances/i/heartbeat")[0], 200)
            msg = b.udp(build_query("web." + ZONE, "A"))
            self.assertEqual([r.rdata for r in msg.answer], ["10.0.0.1"])


if __name__ == "__main__":
    harness.main()
