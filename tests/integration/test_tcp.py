#!/usr/bin/env python3
"""DNS over TCP (RFC 7766): framing, pipelining, partial reads, the idle timeout and the
connection limit."""

import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import build_query, frame, parse_message, recv_framed  # noqa: E402

# Bounds for things the server does on its own; generous so a loaded CI box does not flake.
CLOSE_BOUND = 5.0


def read_answers(sock, count):
    answers = {}
    for _ in range(count):
        data = recv_framed(sock)
        if data is None:
            raise AssertionError(f"connection closed after {len(answers)} of {count} answers")
        msg = parse_message(data)
        answers[msg.id] = msg
    return answers


class TcpTest(harness.ServerTestCase):
    def test_pipelined_queries_in_one_send(self):
        queries = {
            101: ("www.example.test.", "A", ["192.0.2.1"]),
            102: ("www.example.test.", "AAAA", ["2001:db8::1"]),
            103: ("big.example.test.", "A", None),  # large answer in the middle of the batch
            104: ("nope.example.test.", "A", []),
            105: ("txt.example.test.", "TXT", None),
            106: ("www.example.com.", "A", []),
        }
        s = self.connect()
        s.sendall(b"".join(frame(build_query(name, qtype, qid=qid)) for qid, (name, qtype, _) in queries.items()))
        answers = read_answers(s, len(queries))
        self.assertEqual(set(answers), set(queries), "every id answered exactly once")
        for qid, (name, qtype, expected) in queries.items():
            msg = answers[qid]
            self.assertEqual(msg.question[0][:2], (name, harness.TYPE[qtype]))
            if expected is not None:
                self.assertEqual(sorted(r.rdata for r in msg.answer), expected)
        self.assertEqual(len(answers[103].answer), harness.BIG_COUNT)
        self.assertFalse(answers[103].has(harness.FLAG_TC))
        self.assertEqual(answers[104].rcode, harness.RCODE["NXDOMAIN"])
        self.assertEqual(answers[106].rcode, harness.RCODE["REFUSED"])
        # The connection stays usable after the batch.
        s.sendall(frame(build_query("www.example.test", "A", qid=107)))
        self.assertEqual(set(read_answers(s, 1)), {107})

    def test_many_pipelined_queries(self):
        s = self.connect()
        ids = list(range(1000, 1200))
        s.sendall(b"".join(frame(build_query("big.example.test", "A", qid=i)) for i in ids))
        answers = read_answers(s, len(ids))
        self.assertEqual(sorted(answers), ids)
        self.assertTrue(all(len(m.answer) == harness.BIG_COUNT for m in answers.values()))

    def test_kdig_several_queries_over_one_tcp_connection(self):
        out = harness.kdig(self.server.host, self.server.port, "+tcp", "+keepopen",
                           "www.example.test", "A", "www.example.test", "AAAA", "txt.example.test", "TXT",
                           "big.example.test", "A")
        self.assertEqual(len(re.findall(r"status: NOERROR", out)), 4, out)
        self.assertEqual(len(re.findall(r"\(TCP\)", out)), 4, out)
        self.assertRegex(out, r"www\.example\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.1")
        self.assertRegex(out, r"www\.example\.test\.\s+3600\s+IN\s+AAAA\s+2001:db8::1")
        self.assertRegex(out, r'txt\.example\.test\.\s+3600\s+IN\s+TXT\s+"hello world" "second string"')
        self.assertEqual(len(re.findall(r"big\.example\.test\.\s+3600\s+IN\s+A\s", out)), harness.BIG_COUNT)

    def test_query_sent_one_byte_at_a_time(self):
        s = self.connect()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = frame(build_query("www.example.test", "A", qid=0xB17E))
        for i in range(len(data)):
            s.sendall(data[i:i + 1])
            # Pacing, not synchronization: gives each byte its own segment (and read) on loopback.
            time.sleep(0.005)
        msg = parse_message(recv_framed(s))
        self.assertEqual(msg.id, 0xB17E)
        self.assertEqual([r.rdata for r in msg.answer], ["192.0.2.1"])

    def test_message_split_across_sends(self):
        s = self.connect()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        first, second = frame(build_query("www.example.test", "A", qid=1)), frame(build_query("txt.example.test", "TXT", qid=2))
        s.sendall(first + second[:1])  # one whole message plus half of the next length prefix
        self.assertEqual(set(read_answers(s, 1)), {1})
        s.sendall(second[1:7])
        s.sendall(second[7:])
        self.assertEqual(set(read_answers(s, 1)), {2})

    def test_client_half_close_still_gets_answers(self):
        s = self.connect()
        s.sendall(frame(build_query("www.example.test", "A", qid=5)) + frame(build_query("big.example.test", "A", qid=6)))
        s.shutdown(socket.SHUT_WR)
        answers = read_answers(s, 2)
        self.assertEqual(set(answers), {5, 6})
        self.assertIsNotNone(harness.wait_closed_by_peer(s, CLOSE_BOUND), "server closes after the last answer")


class TcpIdleTimeoutTest(unittest.TestCase):
    """dns.tcp.idle_timeout: 1s, one DNS thread so both clients share one event loop."""

    def setUp(self):
        self.server = harness.Beacond(config="dns:\n  threads: 1\n  tcp:\n    idle_timeout: 1s\n")
        self.server.start()
        self.addCleanup(self.server.stop)

    def connect(self):
        s = harness.tcp_connect(self.server.host, self.server.port)
        self.addCleanup(s.close)
        return s

    def test_silent_connection_is_closed(self):
        s = self.connect()
        elapsed = harness.wait_closed_by_peer(s, CLOSE_BOUND)
        self.assertIsNotNone(elapsed, f"idle connection still open after {CLOSE_BOUND}s")
        self.assertGreaterEqual(elapsed, 0.5, "closed well before the 1s idle timeout")

    def test_timeout_restarts_after_each_query(self):
        s = self.connect()
        start = time.monotonic()
        for i in range(3):
            s.sendall(frame(build_query("www.example.test", "A", qid=i)))
            self.assertEqual(set(read_answers(s, 1)), {i})
        self.assertIsNotNone(harness.wait_closed_by_peer(s, CLOSE_BOUND))
        self.assertGreaterEqual(time.monotonic() - start, 0.5)

    def test_client_stalled_mid_message_does_not_block_others(self):
        stalled = self.connect()
        query = frame(build_query("www.example.test", "A", qid=7))
        stalled.sendall(query[:9])  # length prefix and part of the header, then nothing
        other = self.connect()
        other.settimeout(0.5)  # well under the idle timeout: must not wait for `stalled` to go
        other.sendall(frame(build_query("txt.example.test", "TXT", qid=8)))
        self.assertEqual(set(read_answers(other, 1)), {8})
        self.assertTrue(harness.is_open_without_data(stalled), "the stalled client was closed too early")
        self.assertIsNotNone(harness.wait_closed_by_peer(stalled, CLOSE_BOUND),
                             "a client stalled mid-message must be dropped by the idle timeout")
        self.server.assert_serving(self)


    def test_client_trickling_a_message_is_dropped(self):
        """One byte every 500 ms (under the 1s idle timeout) never completes a query in time:
        the timer restarts only on a complete query, so the client is dropped (slowloris)."""
        s = self.connect()
        query = frame(build_query("www.example.test", "A", qid=9))
        start = time.monotonic()
        closed = False
        for byte in query:
            try:
                s.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if harness.wait_closed_by_peer(s, 0.5) is not None:
                closed = True
                break
            if time.monotonic() - start > CLOSE_BOUND:
                break
        self.assertTrue(closed, f"a client sending a byte every 500 ms held its connection for {CLOSE_BOUND}s")
        self.assertLess(time.monotonic() - start, 1.0 + 2.0)
        self.server.assert_serving(self)


class TcpConnectionLimitTest(unittest.TestCase):
    """dns.tcp.max_connections: 3 (shared by both DNS threads)."""

    def setUp(self):
        self.server = harness.Beacond(
            config="dns:\n  threads: 2\n  tcp:\n    max_connections: 3\n    idle_timeout: 60s\n")
        self.server.start()
        self.addCleanup(self.server.stop)

    def open_and_query(self, qid):
        """A connection the server has accepted and answered on."""
        s = harness.tcp_connect(self.server.host, self.server.port)
        self.addCleanup(s.close)
        s.sendall(frame(build_query("www.example.test", "A", qid=qid)))
        data = recv_framed(s)
        if data is None:
            s.close()
            return None
        self.assertEqual(parse_message(data).id, qid)
        return s

    def test_fourth_connection_is_refused_until_one_closes(self):
        held = [self.open_and_query(i) for i in range(3)]
        self.assertTrue(all(held), "the first three connections are served")

        fourth = harness.tcp_connect(self.server.host, self.server.port)  # the kernel accepts it ...
        self.addCleanup(fourth.close)
        try:
            fourth.sendall(frame(build_query("www.example.test", "A", qid=99)))
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = recv_framed(fourth)
        except (ConnectionResetError, BrokenPipeError):
            answer = None
        self.assertIsNone(answer, "... but beacond closes it without answering")

        # The three are still served.
        for i, s in enumerate(held):
            s.sendall(frame(build_query("www.example.test", "A", qid=200 + i)))
            self.assertEqual(set(read_answers(s, 1)), {200 + i})

        # Closing one frees its slot once the server has seen the close: poll with a deadline.
        held[0].close()
        deadline = time.monotonic() + CLOSE_BOUND
        replacement = None
        while replacement is None and time.monotonic() < deadline:
            try:
                replacement = self.open_and_query(300)
            except (ConnectionResetError, BrokenPipeError):
                replacement = None
        self.assertIsNotNone(replacement, "a new connection is served after one of the three closed")
        # And the limit still holds with the replacement in place.
        extra = harness.tcp_connect(self.server.host, self.server.port)
        self.addCleanup(extra.close)
        self.assertIsNotNone(harness.wait_closed_by_peer(extra, CLOSE_BOUND))
        # UDP is not affected by the TCP limit.
        self.assertEqual(self.server.udp(build_query("www.example.test", "A", qid=400)).id, 400)


class TcpPerClientLimitTest(unittest.TestCase):
    """dns.tcp.max_connections_per_client: 2 under a larger total limit."""

    def setUp(self):
        self.server = harness.Beacond(
            config="dns:\n  tcp:\n    max_connections: 10\n    max_connections_per_client: 2\n    idle_timeout: 60s\n")
        self.server.start()
        self.addCleanup(self.server.stop)

    def test_third_connection_from_one_address_is_closed(self):
        held = []
        for i in range(2):
            s = harness.tcp_connect(self.server.host, self.server.port)
            self.addCleanup(s.close)
            s.sendall(frame(build_query("www.example.test", "A", qid=i)))
            self.assertEqual(set(read_answers(s, 1)), {i})
            held.append(s)
        third = harness.tcp_connect(self.server.host, self.server.port)
        self.addCleanup(third.close)
        self.assertIsNotNone(harness.wait_closed_by_peer(third, CLOSE_BOUND), "third connection from 127.0.0.1")
        for i, s in enumerate(held):
            s.sendall(frame(build_query("www.example.test", "A", qid=10 + i)))
            self.assertEqual(set(read_answers(s, 1)), {10 + i})


if __name__ == "__main__":
    harness.main()
