"""Service registry, end to end (issue 3): instances registered over the HTTP API answered in
DNS — rotation, caps, SRV with glue, tag and instance names, TXT metadata, TTLs, negative
answers, heartbeat TTLs, deregister_after, DELETE, and visibility on acknowledgement.

Validation lives in test_registry_api.py, restarts and kill -9 in test_registry_durability.py.
"""

import json
import re
import time
import unittest

import harness
from harness import RCODE, TYPE, Beacond, build_query

ZONE = "svc.internal."


def config(threads=1, **dns):
    """A beacond.yaml: dns.threads plus the given dns.* keys (values written as is)."""
    lines = ["dns:", f"  threads: {threads}"] + [f"  {k}: {v}" for k, v in dns.items()]
    return "\n".join(lines) + "\n"


def query(b, name, qtype="A"):
    """One UDP query from a fresh socket (so a fresh source port): the parsed answer."""
    query.qid = (getattr(query, "qid", 0) + 1) & 0xFFFF
    return b.udp(build_query(name, qtype, qid=query.qid))


def addresses(msg, qtype="A"):
    """The answer's A or AAAA rdata, in answer order."""
    return [r.rdata for r in msg.answer if r.type == TYPE[qtype]]


def srv_records(answer):
    """dig SRV answer -> [(priority, weight, port, target)] in answer order."""
    out = []
    for name, ttl, cls, rtype, rdata in answer.answer:
        if rtype == "SRV":
            p, w, port, target = rdata.split()
            out.append((int(p), int(w), int(port), target.lower()))
    return out


def txt_strings(rdata):
    return [re.sub(r"\\(.)", r"\1", s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', rdata)]


def wait_until(predicate, timeout, interval=0.05):
    """Polls `predicate` until it is true; returns the seconds it took, or None at the deadline."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None
        time.sleep(interval)


class RegistryAnswers(unittest.TestCase):
    def assert_nodata(self, msg, negative_ttl):
        self.assertEqual(msg.rcode, RCODE["NOERROR"])
        self.assertEqual(msg.answer, [])
        self.assert_soa_authority(msg, negative_ttl)

    def assert_nxdomain(self, msg, negative_ttl):
        self.assertEqual(msg.rcode, RCODE["NXDOMAIN"])
        self.assertEqual(msg.answer, [])
        self.assert_soa_authority(msg, negative_ttl)

    def assert_soa_authority(self, msg, ttl):
        self.assertTrue(msg.has(harness.FLAG_AA))
        soa = [r for r in msg.authority if r.type == TYPE["SOA"]]
        self.assertEqual(len(soa), 1, msg.authority)
        self.assertEqual(soa[0].name.lower(), ZONE)
        self.assertEqual(soa[0].ttl, ttl)

    # -- registration and rotation ---------------------------------------------------------

    def test_curl_registers_three_and_dig_sees_them_rotated(self):
        with Beacond(config=config(threads=1)) as b:
            for i, inst in enumerate(["a", "b", "c"], start=1):
                status, body = b.curl("PUT", f"/v1/services/web/instances/{inst}",
                                      json.dumps({"address": f"10.0.0.{i}", "port": 8080}),
                                      headers=["Content-Type: application/json"])
                self.assertEqual(status, 201, body)
                self.assertEqual(json.loads(body)["health"], "passing")
            # Registering the same thing again replaces it: 200, idempotent.
            status, body = b.curl("PUT", "/v1/services/web/instances/c", json.dumps({"address": "10.0.0.3", "port": 8080}),
                                  headers=["Content-Type: application/json"])
            self.assertEqual(status, 200, body)
            status, body = b.curl("GET", "/v1/services/web")
            self.assertEqual(status, 200, body)
            self.assertEqual(sorted(i["id"] for i in json.loads(body)["instances"]), ["a", "b", "c"])
            status, body = b.curl("GET", "/v1/services")
            services = json.loads(body)["services"]
            self.assertEqual(len(services), 1, services)
            self.assertLessEqual({"name": "web", "instances": 3, "passing": 3, "warning": 0, "critical": 0}.items(),
                                 services[0].items())

            d = b.dig("web." + ZONE, "A")
            self.assertEqual(d.status, "NOERROR")
            self.assertIn("aa", d.flags)
            self.assertEqual(d.rrset("answer", "web." + ZONE, "A"), ["10.0.0.1", "10.0.0.2", "10.0.0.3"])

            # Round robin on the one DNS thread: any 3 consecutive answers each start elsewhere.
            firsts = []
            for _ in range(9):
                msg = query(b, "web." + ZONE)
                self.assertEqual(sorted(addresses(msg)), ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
                firsts.append(addresses(msg)[0])
            for i in range(len(firsts) - 2):
                self.assertEqual(len(set(firsts[i:i + 3])), 3, f"not round robin: {firsts}")
            # dig (its own source ports) sees the rotation continue as well.
            digs = [b.dig("web." + ZONE, "A").answer[0][4] for _ in range(3)]
            self.assertEqual(len(set(digs)), 3, digs)

    def test_max_answers_caps_and_still_hands_out_everyone(self):
        with Beacond(config=config(threads=1, max_answers=3)) as b:
            everyone = {f"10.0.1.{i}" for i in range(1, 11)}
            for i in range(1, 11):
                b.register("web", f"i{i}", {"address": f"10.0.1.{i}", "port": 80}, expect=(201,))
            seen = set()
            for _ in range(10):
                msg = query(b, "web." + ZONE)
                got = addresses(msg)
                self.assertEqual(len(got), 3, got)
                self.assertEqual(len(set(got)), 3, got)
                self.assertFalse(msg.has(harness.FLAG_TC))
                seen.update(got)
            self.assertEqual(seen, everyone)
            # The cap is for A/AAAA: SRV lists every instance.
            self.assertEqual(len(srv_records(b.dig("web." + ZONE, "SRV"))), 10)

    # -- SRV --------------------------------------------------------------------------------

    def test_srv_names_glue_protocols_and_priority(self):
        with Beacond(config=config(threads=1)) as b:
            b.register("web", "a", {"address": "10.0.2.1", "port": 8081, "priority": 10, "weight": 5})
            b.register("web", "b", {"address": "2001:db8::b", "port": 8082, "priority": 10, "weight": 7})
            b.register("web", "c", {"addresses": ["10.0.2.3", "2001:db8::c"], "port": 8083, "priority": 20,
                                    "weight": 0})
            b.register("web", "u", {"address": "10.0.2.4", "port": 5353, "protocol": "udp", "priority": 30})
            target = {i: f"{i}.web.{ZONE}" for i in "abcu"}
            want_tcp = {(10, 5, 8081, target["a"]), (10, 7, 8082, target["b"]), (20, 0, 8083, target["c"])}
            want_udp = {(30, 1, 5353, target["u"])}

            d = b.dig("web." + ZONE, "SRV")
            self.assertEqual(d.status, "NOERROR")
            self.assertEqual(set(srv_records(d)), want_tcp | want_udp)
            # Glue: every target's A/AAAA in the additional section.
            self.assertEqual(d.rrset("additional", target["a"], "A"), ["10.0.2.1"])
            self.assertEqual(d.rrset("additional", target["b"], "AAAA"), ["2001:db8::b"])
            self.assertEqual(d.rrset("additional", target["c"], "A"), ["10.0.2.3"])
            self.assertEqual(d.rrset("additional", target["c"], "AAAA"), ["2001:db8::c"])
            self.assertEqual(d.rrset("additional", target["u"], "A"), ["10.0.2.4"])

            d = b.dig(f"_web._tcp.{ZONE}", "SRV")
            self.assertEqual(set(srv_records(d)), want_tcp)
            self.assertEqual(d.rrset("additional", target["b"], "AAAA"), ["2001:db8::b"])
            d = b.dig(f"_web._udp.{ZONE}", "SRV")
            self.assertEqual(set(srv_records(d)), want_udp)
            self.assertEqual(d.rrset("additional", target["u"], "A"), ["10.0.2.4"])

            # Priority order kept in every answer; only the priority-10 pair ever comes first.
            firsts = []
            for _ in range(6):
                records = srv_records(b.dig(f"_web._tcp.{ZONE}", "SRV"))
                self.assertEqual([r[0] for r in records], [10, 10, 20], records)
                self.assertEqual(records[2][3], target["c"])
                firsts.append(records[0][3])
            self.assertEqual(set(firsts), {target["a"], target["b"]}, firsts)

            # The SRV targets resolve on their own.
            self.assertEqual(addresses(query(b, target["c"], "AAAA"), "AAAA"), ["2001:db8::c"])

    def test_srv_rotation_within_a_priority_is_round_robin(self):
        with Beacond(config=config(threads=1)) as b:
            b.register("web", "a", {"address": "10.0.2.1", "port": 80, "priority": 10})
            b.register("web", "b", {"address": "10.0.2.2", "port": 80, "priority": 10})
            b.register("web", "c", {"address": "10.0.2.3", "port": 80, "priority": 20})
            firsts = [srv_records(b.dig(f"_web._tcp.{ZONE}", "SRV"))[0][3] for _ in range(6)]
            for x, y in zip(firsts, firsts[1:]):
                self.assertNotEqual(x, y, f"not round robin within priority 10: {firsts}")

    # -- tag names, instance names, TXT, AAAA -----------------------------------------------

    def test_tag_and_instance_names_txt_and_aaaa(self):
        with Beacond(config=config(threads=1)) as b:
            b.register("web", "a", {"address": "10.0.3.1", "port": 80, "tags": ["primary", "eu"],
                                    "meta": {"version": "1.4.2", "env": "prod", "note": "hello world"}})
            b.register("web", "b", {"address": "2001:db8::3:2", "port": 80, "tags": ["EU"]})  # case folded
            b.register("web", "c", {"addresses": ["10.0.3.3", "2001:db8::3:3"], "port": 80, "tags": ["us"]})

            # Service name: A from v4 and dual-stack, AAAA from v6 and dual-stack.
            self.assertEqual(sorted(addresses(query(b, "web." + ZONE))), ["10.0.3.1", "10.0.3.3"])
            self.assertEqual(sorted(addresses(query(b, "web." + ZONE, "AAAA"), "AAAA")),
                             ["2001:db8::3:2", "2001:db8::3:3"])

            # Tag names: only the instances carrying the tag.
            self.assertEqual(addresses(query(b, "primary.web." + ZONE)), ["10.0.3.1"])
            self.assertEqual(addresses(query(b, "eu.web." + ZONE)), ["10.0.3.1"])
            self.assertEqual(addresses(query(b, "EU.Web." + ZONE, "AAAA"), "AAAA"), ["2001:db8::3:2"])
            self.assertEqual({r[3] for r in srv_records(b.dig("eu.web." + ZONE, "SRV"))},
                             {f"a.web.{ZONE}", f"b.web.{ZONE}"})
            self.assertEqual(addresses(query(b, "us.web." + ZONE, "AAAA"), "AAAA"), ["2001:db8::3:3"])
            self.assertEqual(query(b, "nosuchtag.web." + ZONE).rcode, RCODE["NXDOMAIN"])

            # Instance names: that instance only; TXT holds the metadata as key=value strings.
            self.assertEqual(addresses(query(b, "a.web." + ZONE)), ["10.0.3.1"])
            self.assertEqual(addresses(query(b, "c.web." + ZONE)), ["10.0.3.3"])
            self.assertEqual(addresses(query(b, "c.web." + ZONE, "AAAA"), "AAAA"), ["2001:db8::3:3"])
            self.assert_nodata(query(b, "b.web." + ZONE, "A"), 5)  # v6-only: no A
            d = b.dig("a.web." + ZONE, "TXT")
            self.assertEqual(d.status, "NOERROR")
            txt = [r for r in d.answer if r[3] == "TXT"]
            self.assertEqual(len(txt), 1, d.text)
            self.assertEqual(sorted(txt_strings(txt[0][4])), ["env=prod", "note=hello world", "version=1.4.2"])
            self.assert_nodata(query(b, "b.web." + ZONE, "TXT"), 5)  # no metadata: NODATA

            # The question's case is echoed.
            msg = query(b, "A.WEB.Svc.Internal.")
            self.assertEqual(msg.question[0][0], "A.WEB.Svc.Internal.")
            self.assertEqual(addresses(msg), ["10.0.3.1"])

    # -- TTLs and negative answers -----------------------------------------------------------

    def test_rrset_ttl_is_minimum_of_members_and_negative_ttl(self):
        with Beacond(config=config(threads=1, ttl="30s", negative_ttl="7s")) as b:
            b.register("web", "a", {"address": "10.0.4.1", "port": 80, "dns_ttl": "10s", "tags": ["t"]})
            b.register("web", "b", {"address": "10.0.4.2", "port": 80, "dns_ttl": 20, "tags": ["t", "slow"]})
            b.register("web", "c", {"address": "10.0.4.3", "port": 80, "tags": ["dflt"]})
            b.register("web", "d", {"address": "10.0.4.4", "port": 80, "dns_ttl": "1m", "tags": ["dflt", "long"]})

            def ttls(name, qtype="A"):
                return {r.ttl for r in query(b, name, qtype).answer}

            self.assertEqual(ttls("web." + ZONE), {10})
            self.assertEqual(ttls("t.web." + ZONE), {10})
            self.assertEqual(ttls("slow.web." + ZONE), {20})
            self.assertEqual(ttls("dflt.web." + ZONE), {30})  # min(default 30, 60)
            self.assertEqual(ttls("long.web." + ZONE), {60})  # higher than dns.ttl is allowed
            self.assertEqual(ttls("c.web." + ZONE), {30})
            self.assertEqual({r[1] for r in b.dig("web." + ZONE, "SRV").answer}, {10})

            # Synthesized SOA: TTL 60 > MINIMUM 7, so negative answers carry 7.
            soa = query(b, ZONE, "SOA")
            self.assertEqual(len(soa.answer), 1)
            self.assertEqual(soa.answer[0].ttl, 60)
            self.assert_nxdomain(query(b, "nosuch." + ZONE), 7)
            self.assert_nxdomain(query(b, "x.nosuch." + ZONE), 7)
            self.assert_nodata(query(b, "web." + ZONE, "TXT"), 7)
            # The synthesized SOA: refresh/retry/expire defaults, MINIMUM = dns.negative_ttl.
            d = b.dig(ZONE, "SOA")
            self.assertTrue(d.answer[0][4].endswith(" 3600 600 86400 7"), d.answer)

    def test_default_ttl_and_negative_ttl_capped_by_soa_ttl(self):
        with Beacond(config=config(threads=1, negative_ttl="300s")) as b:
            b.register("web", "a", {"address": "10.0.5.1", "port": 80})
            self.assertEqual({r.ttl for r in query(b, "web." + ZONE).answer}, {5})  # dns.ttl default
            # SOA TTL 60 < MINIMUM 300: negative answers carry 60 (RFC 2308 §5).
            self.assert_nxdomain(query(b, "nosuch." + ZONE), 60)
            self.assert_nodata(query(b, "web." + ZONE, "TXT"), 60)
            # Out of every zone: REFUSED, no recursion.
            msg = query(b, "web.svc.elsewhere.")
            self.assertEqual(msg.rcode, RCODE["REFUSED"])
            self.assertFalse(msg.has(harness.FLAG_RA))

    # -- health ------------------------------------------------------------------------------

    def test_heartbeat_ttl_lapse_restore_and_reported_status(self):
        with Beacond(config=config(threads=1)) as b:
            b.register("web", "stay", {"address": "10.0.6.1", "port": 80})
            registered = time.monotonic()
            b.register("web", "hb", {"address": "10.0.6.2", "port": 80, "ttl": "1s"})

            def served():
                return "10.0.6.2" in addresses(query(b, "web." + ZONE))

            self.assertTrue(served())
            self.assertIsNotNone(wait_until(lambda: not served(), 1.0 + 1.5 + 0.5),
                                 "a lapsed heartbeat TTL did not take the instance out of DNS")
            gone_after = time.monotonic() - registered
            self.assertLessEqual(gone_after, 1.0 + 1.5, f"left DNS {gone_after:.2f}s after registration")
            self.assertGreater(gone_after, 0.9, "left DNS before its TTL")
            self.assertEqual(addresses(query(b, "web." + ZONE)), ["10.0.6.1"])
            self.assert_nodata(query(b, "hb.web." + ZONE), 5)  # the name exists, no address while critical
            inst = {i["id"]: i for i in b.api_json("GET", "/v1/services/web", expect=200)[1]["instances"]}
            self.assertEqual(inst["hb"]["health"], "critical")

            # A heartbeat brings it back, visible on the very next query.
            b.api_json("PUT", "/v1/services/web/instances/hb/heartbeat", expect=200)
            self.assertTrue(served())
            self.assertEqual(addresses(query(b, "hb.web." + ZONE)), ["10.0.6.2"])

            # Reported status: critical takes it out at once, warning serves it, passing too.
            b.api_json("PUT", "/v1/services/web/instances/hb/heartbeat", {"status": "critical"}, expect=200)
            self.assertFalse(served())
            b.api_json("PUT", "/v1/services/web/instances/hb/heartbeat", {"status": "warning"}, expect=200)
            self.assertTrue(served())
            inst = {i["id"]: i for i in b.api_json("GET", "/v1/services/web", expect=200)[1]["instances"]}
            self.assertEqual(inst["hb"]["health"], "warning")
            b.api_json("PUT", "/v1/services/web/instances/hb/heartbeat", {"status": "passing"}, expect=200)
            self.assertTrue(served())

            # A service whose only instance lapsed answers NODATA, not NXDOMAIN.
            b.register("solo", "x", {"address": "10.0.6.9", "port": 80, "ttl": "1s"})
            self.assertIsNotNone(wait_until(lambda: query(b, "solo." + ZONE).answer == [], 3.0))
            self.assert_nodata(query(b, "solo." + ZONE), 5)

    def test_deregister_after_removes_the_instance(self):
        with Beacond(config=config(threads=1)) as b:
            b.register("web", "stay", {"address": "10.0.7.1", "port": 80})
            start = time.monotonic()
            b.register("web", "tmp", {"address": "10.0.7.2", "port": 80, "ttl": "1s", "deregister_after": "1s"})

            def ids():
                return {i["id"] for i in b.api_json("GET", "/v1/services/web", expect=200)[1]["instances"]}

            self.assertIn("tmp", ids())
            took = wait_until(lambda: "tmp" not in ids(), 1 + 1 + 1.5 + 1.0)
            self.assertIsNotNone(took, "deregister_after did not remove the instance")
            self.assertLessEqual(time.monotonic() - start, 1 + 1 + 1.5)
            self.assertEqual(b.api("DELETE", "/v1/services/web/instances/tmp")[0], 404)
            self.assertEqual(b.api("PUT", "/v1/services/web/instances/tmp/heartbeat")[0], 404)
            self.assert_nxdomain(query(b, "tmp.web." + ZONE), 5)
            self.assertEqual(addresses(query(b, "web." + ZONE)), ["10.0.7.1"])

            # Reported critical counts as well.
            b.register("solo", "x", {"address": "10.0.7.9", "port": 80, "deregister_after": "1s"})
            b.api_json("PUT", "/v1/services/solo/instances/x/heartbeat", {"status": "critical"}, expect=200)

            def solo_ids():
                status, body = b.api_json("GET", "/v1/services/solo")
                return set() if status == 404 else {i["id"] for i in body["instances"]}

            self.assertIsNotNone(wait_until(lambda: "x" not in solo_ids(), 1 + 1.5))
            self.assert_nxdomain(query(b, "x.solo." + ZONE), 5)
            self.assert_unknown_or_empty(b, "solo")

    def test_delete_gives_nodata_then_nxdomain(self):
        with Beacond(config=config(threads=1)) as b:
            b.register("web", "a", {"address": "10.0.8.1", "port": 80})
            b.register("web", "b", {"address": "10.0.8.2", "port": 80})
            b.api_json("PUT", "/v1/services/web/instances/b/heartbeat", {"status": "critical"}, expect=200)
            self.assertEqual(addresses(query(b, "web." + ZONE)), ["10.0.8.1"])

            status, headers, body = b.api("DELETE", "/v1/services/web/instances/a")
            self.assertEqual((status, body), (204, b""))
            self.assertEqual(b.api("DELETE", "/v1/services/web/instances/a")[0], 404)
            # b (critical) is still registered: the service answers NODATA, for every name of it.
            self.assert_nodata(query(b, "web." + ZONE), 5)
            self.assert_nodata(query(b, "web." + ZONE, "AAAA"), 5)
            self.assert_nodata(query(b, "web." + ZONE, "SRV"), 5)
            self.assert_nxdomain(query(b, "a.web." + ZONE), 5)

            status, body = b.curl("DELETE", "/v1/services/web/instances/b")
            self.assertEqual(status, 204, body)
            self.assert_unknown_or_empty(b, "web")

    def assert_unknown_or_empty(self, b, service):
        """The last instance of `service` is gone. The design's rule, whichever beacond applies:
        still a registered service (in the catalog, empty) -> NODATA; unknown -> NXDOMAIN.
        A service kept without instances must become unknown once DELETEd itself."""
        name = f"{service}.{ZONE}"
        listed = [s["name"] for s in b.api_json("GET", "/v1/services", expect=200)[1]["services"]]
        status, body = b.api_json("GET", f"/v1/services/{service}")
        if status == 200:
            self.assertIn(service, listed)
            self.assertEqual(body["instances"], [])
            self.assert_nodata(query(b, name), 5)
            self.assert_nodata(query(b, name, "SRV"), 5)
            status, _, raw = b.api("DELETE", f"/v1/services/{service}")
            self.assertEqual(status, 204, f"a service without instances cannot be removed: {raw!r}")
            status = b.api("GET", f"/v1/services/{service}")[0]
            listed = [s["name"] for s in b.api_json("GET", "/v1/services", expect=200)[1]["services"]]
        self.assertEqual(status, 404)
        self.assertNotIn(service, listed)
        self.assert_nxdomain(query(b, name), 5)
        self.assert_nxdomain(query(b, name, "SRV"), 5)
        self.assert_nxdomain(query(b, f"_{service}._tcp.{ZONE}", "SRV"), 5)

    # -- visible on acknowledgement ----------------------------------------------------------

    def test_write_visible_to_the_very_next_query_on_any_thread(self):
        with Beacond(config=config(threads=2)) as b:
            misses = []
            for i in range(50):
                addr = f"10.9.{i // 200}.{i % 200 + 1}"
                b.register("web", f"n{i}", {"address": addr, "port": 80}, expect=(201,))
                for _ in range(4):  # fresh sockets: spread over the SO_REUSEPORT threads
                    got = addresses(query(b, f"n{i}.web.{ZONE}"))
                    if got != [addr]:
                        misses.append(("register", i, got))
                srv = {r[3] for r in srv_records(b.dig("web." + ZONE, "SRV"))}
                if f"n{i}.web.{ZONE}" not in srv:
                    misses.append(("srv", i))
                if i % 2:
                    self.assertEqual(b.api("DELETE", f"/v1/services/web/instances/n{i}")[0], 204)
                    for _ in range(4):
                        msg = query(b, f"n{i}.web.{ZONE}")
                        if msg.rcode != RCODE["NXDOMAIN"]:
                            misses.append(("delete", i, msg.rcode))
            self.assertEqual(misses, [])

    def test_healthz(self):
        with Beacond() as b:
            status, headers, body = b.api("GET", "/healthz")
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("content-type"), "application/json")
            self.assertEqual(json.loads(body), {"status": "ok"})
            self.assertEqual(b.curl("GET", "/healthz")[0], 200)


if __name__ == "__main__":
    harness.main()
