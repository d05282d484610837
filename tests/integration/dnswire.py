"""DNS wire format and sockets for the integration tests: build queries (including malformed
ones byte by byte), parse answers, and exchange them over UDP and TCP (RFC 1035 §4.2.2 framing).

Standard library only; harness.py re-exports everything here.
"""

import socket
import struct
import time

# ---------------------------------------------------------------------------------------------
# DNS constants and a minimal wire codec

TYPE = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33,
        "OPT": 41, "ANY": 255}
CLASS_IN, CLASS_CH = 1, 3
RCODE = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5,
         "BADVERS": 16}
FLAG_QR, FLAG_AA, FLAG_TC, FLAG_RD, FLAG_RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080


def encode_name(name):
    """Text name -> uncompressed wire labels (no escapes needed by these tests)."""
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\x00"


def build_header(qid, flags=FLAG_RD, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def opt_record(udp_size=1232, version=0, ext_rcode=0, do=False):
    ttl = (ext_rcode << 24) | (version << 16) | (0x8000 if do else 0)
    return b"\x00" + struct.pack("!HHIH", TYPE["OPT"], udp_size, ttl, 0)


def build_query(name, qtype="A", qid=0x1234, flags=FLAG_RD, qclass=CLASS_IN, edns=None):
    """A well-formed query; edns=None for none, else the advertised UDP size."""
    qt = TYPE[qtype] if isinstance(qtype, str) else qtype
    ar = 0 if edns is None else 1
    msg = build_header(qid, flags, 1, 0, 0, ar) + encode_name(name) + struct.pack("!HH", qt, qclass)
    if edns is not None:
        msg += opt_record(edns)
    return msg


class Record:
    def __init__(self, name, rtype, rclass, ttl, rdata):
        self.name, self.type, self.rclass, self.ttl, self.rdata = name, rtype, rclass, ttl, rdata

    def __repr__(self):
        return f"Record({self.name!r}, {self.type}, {self.rclass}, {self.ttl}, {self.rdata!r})"


class Message:
    """A parsed DNS message. `rcode` includes the OPT extended bits. Raises ValueError on
    anything malformed: counts that do not match the records, bytes left over or missing,
    bad names (see _read_name), RDATA whose structure does not fill its length."""

    def __init__(self, data):
        if len(data) < 12:
            raise ValueError("shorter than a header")
        try:
            self._parse(bytes(data))
        except (IndexError, struct.error) as e:
            raise ValueError(f"runs past the end of the message ({e})") from None

    def _parse(self, data):
        self.raw = data
        self.id, self.flags, qd, an, ns, ar = struct.unpack("!HHHHHH", data[:12])
        self.opcode = (self.flags >> 11) & 0xF
        self.counts = (qd, an, ns, ar)
        pos = 12
        self.question = []
        for _ in range(qd):
            name, pos = _read_name(data, pos)
            qtype, qclass = struct.unpack("!HH", data[pos:pos + 4])
            pos += 4
            self.question.append((name, qtype, qclass))
        self.answer, pos = _read_records(data, pos, an)
        self.authority, pos = _read_records(data, pos, ns)
        additional, pos = _read_records(data, pos, ar)
        if pos != len(data):
            raise ValueError("trailing bytes after the last record")
        self.opt = [r for r in additional if r.type == TYPE["OPT"]]
        self.additional = [r for r in additional if r.type != TYPE["OPT"]]
        self.rcode = self.flags & 0xF
        if self.opt:
            self.rcode |= (self.opt[0].ttl >> 24) << 4

    def has(self, flag):
        return bool(self.flags & flag)

    @property
    def edns_version(self):
        return (self.opt[0].ttl >> 16) & 0xFF

    @property
    def edns_udp_size(self):
        return self.opt[0].rclass


def parse_message(data):
    return Message(data)


def _read_name(data, pos):
    """(name, position after it). Strict: a compression pointer must point backwards (to a
    prior occurrence, RFC 1035 4.1.4) and the name must fit 255 octets (RFC 1035 3.1)."""
    labels, end, wire_length = [], None, 1
    while True:
        length = data[pos]
        if length & 0xC0 == 0xC0:
            target = ((length & 0x3F) << 8) | data[pos + 1]
            if target >= pos:
                raise ValueError("compression pointer does not point backwards")
            if end is None:
                end = pos + 2
            pos = target
            continue
        if length & 0xC0:
            raise ValueError("bad label type")
        pos += 1
        if length == 0:
            break
        if pos + length > len(data):
            raise ValueError("label runs past the end")
        wire_length += length + 1
        if wire_length > 255:
            raise ValueError("name longer than 255 octets")
        labels.append(data[pos:pos + length].decode("ascii", "replace"))
        pos += length
    return ".".join(labels) + ".", (end if end is not None else pos)


def _check_rdata(data, pos, rtype, rdlen):
    """Raises ValueError unless the RDATA of a type with structure (names, strings, options)
    is exactly rdlen octets of it."""
    end = pos + rdlen
    if rtype in (TYPE["NS"], TYPE["CNAME"], 12):  # 12: PTR
        pos = _read_name(data, pos)[1]
    elif rtype == TYPE["SOA"]:
        pos = _read_name(data, _read_name(data, pos)[1])[1] + 20
    elif rtype in (TYPE["MX"], TYPE["SRV"]):
        pos = _read_name(data, pos + (2 if rtype == TYPE["MX"] else 6))[1]
    elif rtype == TYPE["TXT"]:
        if rdlen == 0:
            raise ValueError("TXT without a string")
        while pos < end:
            pos += 1 + data[pos]
    elif rtype == TYPE["OPT"]:
        while pos < end:
            pos += 4 + struct.unpack("!H", data[pos + 2:pos + 4])[0]
    else:
        return
    if pos != end:
        raise ValueError(f"RDATA of type {rtype} is {rdlen} octets, its content {rdlen + pos - end}")


def _read_records(data, pos, count):
    records = []
    for _ in range(count):
        name, pos = _read_name(data, pos)
        rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", data[pos:pos + 10])
        pos += 10
        rdata = data[pos:pos + rdlen]
        if len(rdata) != rdlen:
            raise ValueError("RDATA runs past the end")
        _check_rdata(data, pos, rtype, rdlen)
        if rtype in (TYPE["NS"], TYPE["CNAME"]):
            rdata = _read_name(data, pos)[0]
        elif rtype == TYPE["A"]:
            rdata = socket.inet_ntop(socket.AF_INET, rdata)
        elif rtype == TYPE["AAAA"]:
            rdata = socket.inet_ntop(socket.AF_INET6, rdata)
        pos += rdlen
        records.append(Record(name, rtype, rclass, ttl, rdata))
    return records, pos


# ---------------------------------------------------------------------------------------------
# Sockets


def udp_socket(host="127.0.0.1", timeout=2.0):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    return s


def udp_exchange(host, port, packet, timeout=2.0):
    """Sends one datagram and returns the parsed answer whose id matches (raises on timeout)."""
    with udp_socket(host, timeout) as s:
        s.sendto(packet, (host, port))
        qid = struct.unpack("!H", packet[:2])[0] if len(packet) >= 2 else None
        while True:
            data = s.recv(65535)
            msg = parse_message(data)
            if qid is None or msg.id == qid:
                return msg


def tcp_connect(host, port, timeout=2.0):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def frame(packet):
    return struct.pack("!H", len(packet)) + packet


def recv_exact(sock, n):
    """Reads exactly n bytes; returns fewer only if the peer closed the connection."""
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def recv_framed(sock):
    """One RFC 1035 §4.2.2 framed message, or None if the connection closed first."""
    head = recv_exact(sock, 2)
    if len(head) < 2:
        return None
    length = struct.unpack("!H", head)[0]
    body = recv_exact(sock, length)
    return body if len(body) == length else None


def tcp_exchange(host, port, packet, timeout=2.0):
    with tcp_connect(host, port, timeout) as s:
        s.sendall(frame(packet))
        data = recv_framed(s)
    if data is None:
        raise AssertionError("TCP connection closed without an answer")
    return parse_message(data)


def wait_closed_by_peer(sock, timeout):
    """Seconds until the peer closes `sock` (EOF or reset); None if still open at the deadline.

    Data that arrives meanwhile is discarded."""
    start = time.monotonic()
    deadline = start + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            if not sock.recv(4096):
                return time.monotonic() - start
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
        except socket.timeout:
            return None


def is_open_without_data(sock):
    """True if the peer has neither closed `sock` nor sent anything on it yet."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
        return False  # data or EOF
    except BlockingIOError:
        return True
    except (ConnectionResetError, BrokenPipeError):
        return False
    finally:
        sock.setblocking(True)


def has_ipv6_loopback():
    """(True, "") if ::1 is configured on lo, else (False, why)."""
    try:
        with open("/proc/net/if_inet6") as f:
            for line in f:
                fields = line.split()
                if fields and fields[0] == "0" * 31 + "1" and fields[-1] == "lo":
                    return True, ""
    except OSError as e:
        return False, f"cannot read /proc/net/if_inet6: {e}"
    return False, "::1 is not configured on lo (/proc/net/if_inet6 has no such entry)"
