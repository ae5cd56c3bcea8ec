#!/usr/local/bin/ppy
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: ICMP echo with a raw socket, holding only cap_net_raw.

    install -o monitor -g monitor -m 0755 ping.py /srv/monitor/
    setcap cap_net_raw=p /srv/monitor/ping.py
    # /srv/monitor/ping.conf, owned by root (or monitor), mode 0644: one host per line
    #     127.0.0.1
    /srv/monitor/ping.py

Who may start it: anyone, safely. The hosts come only from ping.conf beside it (checked
with ppy_py.trusted_config); it takes no arguments, and the raw socket only ever sends one
echo request with a fixed payload to each. cap_net_raw is raised only to open the socket.
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


if sys.argv[1:]:
    sys.exit("ping.py takes no arguments: the hosts it pings are in ping.conf beside it")
hosts = [l.strip() for l in ppy_py.trusted_config("ping.conf").splitlines()
         if l.strip() and not l.startswith("#")]
with ppy_py.raised("net_raw"):
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident, payload = os.getpid() & 0xFFFF, b"ppy-ping"
sock.settimeout(5)
for seq, host in enumerate(hosts, 1):
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    packet = struct.pack("!BBHHH", 8, 0, checksum(header + payload), ident, seq) + payload
    start = time.monotonic()
    sock.sendto(packet, (host, 0))
    while True:
        reply, addr = sock.recvfrom(1024)
        icmp = reply[(reply[0] & 0x0F) * 4:]
        kind, _, _, rid, rseq = struct.unpack("!BBHHH", icmp[:8])
        if kind == 0 and rid == ident and rseq == seq:
            break
    print("reply from %s: seq=%d time=%.3f ms" % (addr[0], seq, (time.monotonic() - start) * 1000))
