#!/usr/local/bin/ppy
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: ICMP echo with a raw socket, holding only cap_net_raw.

    chown monitor:monitor ping.py; chmod 0755 ping.py
    setcap cap_net_raw=p ping.py
    ./ping.py 127.0.0.1
"""
import os
import socket
import struct
import sys
import time

import ppy_py


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
with ppy_py.raised("net_raw"):
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident, payload = os.getpid() & 0xFFFF, b"ppy-ping"
header = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
packet = struct.pack("!BBHHH", 8, 0, checksum(header + payload), ident, 1) + payload
sock.settimeout(5)
start = time.monotonic()
sock.sendto(packet, (host, 0))
while True:
    reply, addr = sock.recvfrom(1024)
    icmp = reply[(reply[0] & 0x0F) * 4:]
    kind, _, _, rid, seq = struct.unpack("!BBHHH", icmp[:8])
    if kind == 0 and rid == ident and seq == 1:
        break
print("reply from %s: seq=1 time=%.3f ms" % (addr[0], (time.monotonic() - start) * 1000))
