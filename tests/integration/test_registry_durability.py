"""Registry durability (issue 3 §8): SIGTERM and restart restores every registration, TTL
instances get one TTL of grace, kill -9 in a burst loses nothing acknowledged and applies
nothing by halves, and an unusable data dir stops start-up with a message naming it.
"""

import http.client
import json
import os
import shutil
import tempfile
import threading
import time
import unittest

import harness
from harness import RCODE, TYPE, Beacond, build_query

ZONE = "svc.internal."
CONFIG = "dns:\n  threads: 1\n"

# What the catalog reports that is not the registration itself, or not kept over a restart.
VOLATILE = ("last_heartbeat", "health", "heartbeat_status", "check_status")


def query(b, name, qtype="A"):
    return b.udp(build_query(name, qtype))


def catalog(b):
    """{service: {id: instance json without volatile keys}} from the API."""
    out = {}
    for s in b.api_json("GET", "/v1/services", expect=200)[1]["services"]:
        instances = b.api_json("GET", f"/v1/services/{s['name']}", expect=200)[1]["instances"]
        out[s["name"]] = {i["id"]: {k: v for k, v in i.items() if k not in VOLATILE} for i in instances}
    return out


def dns_view(b, names):
    """{(name, type): (rcode, sorted answer rdata)} for the given names."""
    view = {}
    for name in names:
        for qtype in ("A", "AAAA", "SRV", "TXT"):
            msg = query(b, name, qtype)
            view[(name, qtype)] = (msg.rcode, sorted(str(r.rdata) for r in msg.answer))
    return view


class RegistryDurability(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="beacon-durability-")
        self.data_dir = os.path.join(self.tmp, "data")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_restart_restores_every_registration(self):
        with Beacond(config=CONFIG, data_dir=self.data_dir) as b:
            b.register("web", "a", {"address": "10.0.0.1", "port": 8080, "tags": ["primary", "eu"],
                                    "meta": {"version": "1.4.2", "env": "prod"}, "weight": 10, "priority": 1,
                                    "dns_ttl": 30, "deregister_after": "10m"})
            b.register("web", "b", {"addresses": ["10.0.0.2", "2001:db8::2"], "port": 8081, "tags": ["eu"]})
            b.register("web", "c", {"address": "2001:db8::3", "port": 8082, "protocol": "udp"})
            b.register("api", "x", {"address": "10.0.1.1", "port": 443, "ttl": "30s"})
            b.register("gone", "y", {"address": "10.0.2.1", "port": 1})
            b.register("web", "a", {"address": "10.0.0.1", "port": 8080, "tags": ["primary", "eu"],  # replaced
                                    "meta": {"version": "1.4.3", "env": "prod"}, "weight": 10, "priority": 1,
                                    "dns_ttl": 30, "deregister_after": "10m"}, expect=(200,))
            self.assertEqual(b.api("DELETE", "/v1/services/gone/instances/y")[0], 204)
            before = catalog(b)
            self.assertLessEqual({"api", "web"}, set(before))
            self.assertEqual(before.get("gone", {}), {})
            names = ["web." + ZONE, f"_web._tcp.{ZONE}", f"_web._udp.{ZONE}", "eu.web." + ZONE, "a.web." + ZONE,
                     "b.web." + ZONE, "api." + ZONE, "x.api." + ZONE, "gone." + ZONE]
            dns_before = dns_view(b, names)
            self.assertEqual(dns_before[("gone." + ZONE, "A")],
                             (RCODE["NOERROR"] if "gone" in before else RCODE["NXDOMAIN"], []))

            b.restart()
            self.assertEqual(catalog(b), before)  # registered_at included: kept, not reset
            self.assertEqual(dns_view(b, names), dns_before)
            for inst in b.api_json("GET", "/v1/services/web", expect=200)[1]["instances"]:
                self.assertEqual(inst["health"], "passing")

            # A second restart after more writes (the WAL is replayed, not only the main file).
            b.register("api", "z", {"address": "10.0.1.2", "port": 443})
            b.restart()
            self.assertIn("z", catalog(b)["api"])

    def test_ttl_instances_get_one_ttl_of_grace_after_restart(self):
        with Beacond(config=CONFIG, data_dir=self.data_dir) as b:
            b.register("web", "stay", {"address": "10.0.0.1", "port": 80})
            b.register("web", "hb", {"address": "10.0.0.2", "port": 80, "ttl": "2s"})

            def served():
                return "10.0.0.2" in [r.rdata for r in query(b, "web." + ZONE).answer]

            # Let it lapse: critical before the restart.
            deadline = time.monotonic() + 2 + 1.5
            while served():
                self.assertLess(time.monotonic(), deadline, "heartbeat TTL did not lapse")
                time.sleep(0.05)

            b.restart()
            restarted = time.monotonic()
            # Heartbeats are not stored: after a restart it gets one TTL of grace, served again.
            self.assertTrue(served(), "a TTL instance was not given grace after the restart")
            while served():
                self.assertLess(time.monotonic() - restarted, 2 + 1.5, "grace lasted longer than one TTL")
                time.sleep(0.05)
            self.assertGreater(time.monotonic() - restarted, 0.5, "grace ended well before one TTL")
            # A heartbeat brings it back as usual.
            b.api_json("PUT", "/v1/services/web/instances/hb/heartbeat", expect=200)
            self.assertTrue(served())

    def test_kill_9_during_a_burst_keeps_every_acknowledged_registration(self):
        acked = {}  # id -> body, for every 2xx
        attempted = {}  # id -> body, sent (acknowledged or not)
        lock = threading.Lock()
        stop = threading.Event()

        def body_for(worker, n):
            return {"address": f"10.{worker}.{n // 250}.{n % 250 + 1}", "port": 1000 + n,
                    "tags": [f"w{worker}"], "meta": {"worker": str(worker), "n": str(n), "pad": "x" * 100},
                    "weight": n % 65536, "priority": worker}

        def burst(b, worker):
            conn = http.client.HTTPConnection("127.0.0.1", b.http_port, timeout=5)  # keep-alive
            n = 0
            try:
                while not stop.is_set():
                    iid = f"w{worker}-{n}"
                    body = body_for(worker, n)
                    with lock:
                        attempted[iid] = body
                    status, _, _ = harness.http_request(conn, "PUT", f"/v1/services/burst/instances/{iid}", body)
                    if status in (200, 201):
                        with lock:
                            acked[iid] = body
                    n += 1
            except (OSError, http.client.HTTPException):
                pass  # the server died under us
            finally:
                conn.close()

        with Beacond(config="dns:\n  threads: 2\n", data_dir=self.data_dir) as b:
            b.register("burst", "seed", {"address": "10.9.9.9", "port": 9})
            workers = [threading.Thread(target=burst, args=(b, w)) for w in range(4)]
            for t in workers:
                t.start()
            deadline = time.monotonic() + 10
            while len(acked) < 40 or time.monotonic() - deadline + 10 < 1.0:  # ~1 s and some progress
                self.assertLess(time.monotonic(), deadline, f"burst made no progress: {len(acked)} acked")
                time.sleep(0.02)
            b.proc.kill()
            stop.set()
            for t in workers:
                t.join(timeout=10)
            with lock:
                acked_now, attempted_now = dict(acked), dict(attempted)
            self.assertGreater(len(acked_now), 0)

            b.restart(hard=True)  # already dead: restart on the same data dir
            instances = {i["id"]: i for i in b.api_json("GET", "/v1/services/burst", expect=200)[1]["instances"]}
            lost = sorted(set(acked_now) - set(instances))
            self.assertEqual(lost, [], f"{len(lost)} of {len(acked_now)} acknowledged registrations lost")
            unknown = sorted(set(instances) - set(attempted_now) - {"seed"})
            self.assertEqual(unknown, [])
            # At most the one in-flight request per worker may have landed unacknowledged.
            self.assertLessEqual(len(set(instances) - set(acked_now) - {"seed"}), 4)
            # Nothing by halves: each stored registration is exactly what was sent.
            for iid, inst in instances.items():
                if iid == "seed":
                    continue
                sent = attempted_now[iid]
                got = {k: inst[k] for k in sent}
                self.assertEqual(got, sent, iid)
            # And DNS answers each acknowledged one by its instance name.
            missing = []
            for iid, body in acked_now.items():
                msg = query(b, f"{iid}.burst.{ZONE}")
                if [r.rdata for r in msg.answer] != [body["address"]]:
                    missing.append((iid, msg.rcode, [r.rdata for r in msg.answer]))
            self.assertEqual(missing, [])
            total = len(instances)
            srv = b.dig("burst." + ZONE, "SRV", "+tcp")
            self.assertEqual(len([r for r in srv.answer if r[3] == "SRV"]), total)

    def test_unusable_data_dir_stops_startup(self):
        blocker = os.path.join(self.tmp, "regular-file")
        with open(blocker, "w") as f:
            f.write("not a directory\n")
        bad = os.path.join(blocker, "data")
        port, lock = harness.reserve_port()
        http_port, http_lock = harness.reserve_port()
        zone_dir = harness.write_zone_dir({}, self.tmp)
        try:
            args = ["--dns-listen", f"127.0.0.1:{port}", "--http-listen", f"127.0.0.1:{http_port}",
                    "--zone-dir", zone_dir]
            rc, _, err = harness.run_beacond(args + ["--data-dir", bad])
            self.assertNotEqual(rc, 0, err)
            self.assertIn(bad, err)
            self.assertRegex(err, r"(?i)data directory|database")

            # A beacon.db that is not a database.
            garbage = os.path.join(self.tmp, "garbage")
            os.makedirs(garbage)
            with open(os.path.join(garbage, "beacon.db"), "wb") as f:
                f.write(b"this is not an SQLite file at all" * 100)
            rc, _, err = harness.run_beacond(args + ["--data-dir", garbage])
            self.assertNotEqual(rc, 0, err)
            self.assertIn(os.path.join(garbage, "beacon.db"), err)

            # beacon.db is a directory.
            dir_db = os.path.join(self.tmp, "dirdb")
            os.makedirs(os.path.join(dir_db, "beacon.db"))
            rc, _, err = harness.run_beacond(args + ["--data-dir", dir_db])
            self.assertNotEqual(rc, 0, err)
            self.assertIn(os.path.join(dir_db, "beacon.db"), err)

            # The same through the config file's storage.path.
            cfg = os.path.join(self.tmp, "beacond.yaml")
            with open(cfg, "w") as f:
                f.write(f"storage:\n  path: {bad}\n")
            rc, _, err = harness.run_beacond(args + ["--config", cfg])
            self.assertNotEqual(rc, 0, err)
            self.assertIn(bad, err)
        finally:
            os.close(lock)
            os.close(http_lock)


if __name__ == "__main__":
    harness.main()
