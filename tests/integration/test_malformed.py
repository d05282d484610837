#!/usr/bin/env python3
"""Malformed and unsupported queries: each class gets the RFC's answer (or none), and after
each one the server still answers a normal query. The same garbage over TCP does no harm."""

import os
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CLASS_CH, FLAG_QR, FLAG_RD, RCODE, build_header, build_query, encode_name, opt_record  # noqa: E402

QID = 0xBAD1
A_IN = struct.pack("!HH", 1, 1)


def header(qd=1, ar=0, flags=FLAG_RD):
    return build_header(QID, flags, qd, 0, 0, ar)


def opcode_query(opcode):
    return build_query("www.example.test", "A", qid=QID, flags=FLAG_RD | (opcode << 11))


# name: (packet, expected rcode or None for "no answer at all")
CASES = {
    "runt": (b"\x12\x34\x01\x00\x00", None),
    "qr_set": (build_query("www.example.test", "A", qid=QID, flags=FLAG_QR | FLAG_RD), None),
    "qdcount_0": (header(qd=0), RCODE["FORMERR"]),
    "qdcount_2": (header(qd=2) + (encode_name("www.example.test") + A_IN) * 2, RCODE["FORMERR"]),
    "truncated_question_name": (header() + b"\x03www\x07exam", RCODE["FORMERR"]),
    "truncated_question_type": (header() + encode_name("www.example.test") + b"\x00", RCODE["FORMERR"]),
    "compression_pointer_loop": (header() + b"\xc0\x0c" + A_IN, RCODE["FORMERR"]),
    "compression_pointer_two_step_loop": (header() + b"\x03www\xc0\x0c" + A_IN, RCODE["FORMERR"]),
    "label_type_0x40": (header() + b"\x40www\x00" + A_IN, RCODE["FORMERR"]),
    "label_type_0x80": (header() + b"\x80www\x00" + A_IN, RCODE["FORMERR"]),
    "name_over_255_octets": (header() + encode_name(".".join(["a" * 63] * 4) + ".example.test") + A_IN,
                             RCODE["FORMERR"]),
    "two_opt_records": (header(ar=2) + encode_name("www.example.test") + A_IN + opt_record() + opt_record(),
                        RCODE["FORMERR"]),
    "opt_not_at_root": (header(ar=1) + encode_name("www.example.test") + A_IN + b"\x01x" + opt_record()[1:],
                        RCODE["FORMERR"]),
    "trailing_garbage": (build_query("www.example.test", "A", qid=QID) + b"\xde\xad", RCODE["FORMERR"]),
    "edns_version_1": (header(ar=1) + encode_name("www.example.test") + A_IN + opt_record(version=1),
                       RCODE["BADVERS"]),
    "opcode_2_status": (opcode_query(2), RCODE["NOTIMP"]),
    "opcode_4_notify": (opcode_query(4), RCODE["NOTIMP"]),
    "opcode_5_update": (opcode_query(5), RCODE["NOTIMP"]),
    "class_ch": (build_query("version.bind", "TXT", qid=QID, qclass=CLASS_CH), RCODE["REFUSED"]),
    "class_ch_in_zone": (build_query("www.example.test", "A", qid=QID, qclass=CLASS_CH), RCODE["REFUSED"]),
}


class MalformedUdpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Beacond()
        cls.server.start()
        cls.addClassCleanup(cls.server.stop)

    def send_case(self, packet):
        """Sends `packet`, then a normal query from the same socket. Returns the parsed reply to
        `packet`, or None if there was none. The server answers one socket's datagrams in order,
        so a reply to `packet` would arrive before the normal answer: no waiting for silence."""
        with harness.udp_socket() as s:
            s.connect((self.server.host, self.server.port))
            s.send(packet)
            s.send(build_query("www.example.test", "A", qid=0x600D))
            first = harness.parse_message(s.recv(65535))
            if first.id == 0x600D:
                self.assertEqual([r.rdata for r in first.answer], ["192.0.2.1"])
                return None
            second = harness.parse_message(s.recv(65535))
            self.assertEqual(second.id, 0x600D)
            return first

    def check(self, name):
        packet, rcode = CASES[name]
        reply = self.send_case(packet)
        if rcode is None:
            self.assertIsNone(reply, f"{name}: expected no answer")
        else:
            self.assertIsNotNone(reply, f"{name}: expected rcode {rcode}, got no answer")
            self.assertEqual(reply.id, QID)
            self.assertTrue(reply.has(FLAG_QR))
            self.assertEqual(reply.rcode, rcode, f"{name}: rcode")
            self.assertEqual(reply.answer, [])
        self.server.assert_serving(self)
        return reply

    def test_runt_shorter_than_header(self):
        self.check("runt")
        for n in (0, 1, 11):
            with self.subTest(length=n):
                self.assertIsNone(self.send_case(build_query("www.example.test", qid=QID)[:n] if n else b""))

    def test_qr_set(self):
        self.check("qr_set")

    def test_qdcount_0(self):
        self.check("qdcount_0")

    def test_qdcount_2(self):
        self.check("qdcount_2")

    def test_truncated_question(self):
        self.check("truncated_question_name")
        self.check("truncated_question_type")

    def test_compression_pointer_loop(self):
        self.check("compression_pointer_loop")
        self.check("compression_pointer_two_step_loop")

    def test_label_length_0x40(self):
        self.check("label_type_0x40")
        self.check("label_type_0x80")

    def test_name_over_255_octets(self):
        self.check("name_over_255_octets")

    def test_two_opt_records(self):
        self.check("two_opt_records")

    def test_opt_not_owned_by_root(self):
        self.check("opt_not_at_root")

    def test_trailing_garbage(self):
        self.check("trailing_garbage")

    def test_edns_version_1_badvers(self):
        reply = self.check("edns_version_1")
        self.assertEqual(len(reply.opt), 1, "BADVERS needs an OPT to carry the extended rcode")
        self.assertEqual(reply.edns_version, 0)
        self.assertEqual(reply.flags & 0xF, 0)  # 16 = extended 1, header 0

    def test_opcode_status_notify_update_notimp(self):
        for name in ("opcode_2_status", "opcode_4_notify", "opcode_5_update"):
            with self.subTest(name=name):
                reply = self.check(name)
                self.assertEqual(reply.opcode, int(name.split("_")[1]), "opcode echoed")

    def test_class_ch_refused(self):
        self.check("class_ch")
        self.check("class_ch_in_zone")


class MalformedTcpTest(unittest.TestCase):
    def setUp(self):
        self.server = harness.Beacond()
        self.server.start()
        self.addCleanup(self.server.stop)

    def connect(self):
        s = harness.tcp_connect(self.server.host, self.server.port)
        self.addCleanup(s.close)
        return s

    def test_every_malformed_case_over_one_connection(self):
        s = self.connect()
        answered = [name for name, (_, rcode) in CASES.items() if rcode is not None]
        s.sendall(b"".join(harness.frame(packet) for packet, _ in CASES.values()))
        s.sendall(harness.frame(build_query("www.example.test", "A", qid=0x600D)))
        rcodes = []
        for _ in answered:
            msg = harness.parse_message(harness.recv_framed(s))
            self.assertEqual(msg.id, QID)
            rcodes.append(msg.rcode)
        self.assertEqual(rcodes, [CASES[n][1] for n in answered])
        last = harness.parse_message(harness.recv_framed(s))
        self.assertEqual((last.id, [r.rdata for r in last.answer]), (0x600D, ["192.0.2.1"]))
        self.server.assert_serving(self)

    def test_garbage_streams_do_not_kill_the_server(self):
        streams = [
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # 'GE' reads as a 18245-byte length
            b"\xff\xff" + os.urandom(300),  # promises 65535 bytes, sends few, hangs up
            b"\x00\x00" * 50,  # zero-length messages
            b"\x00\x05\x12\x34\x00\x00\x00",  # a runt inside a valid frame
            os.urandom(4096),
        ]
        for i, data in enumerate(streams):
            with self.subTest(stream=i):
                s = self.connect()
                try:
                    s.sendall(data)
                    s.shutdown(socket.SHUT_WR)
                    harness.wait_closed_by_peer(s, 5.0)
                except (ConnectionResetError, BrokenPipeError):
                    pass
                s.close()
                self.server.assert_serving(self)
        # Reset mid-message (SO_LINGER 0 sends RST).
        s = self.connect()
        s.sendall(harness.frame(build_query("www.example.test", "A"))[:10])
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        self.server.assert_serving(self)


if __name__ == "__main__":
    harness.main()
