"""A syslog socket the test owns, seen as /dev/log by the commands it wraps.

ppy logs to /dev/log (glibc's syslog(3) has no other path). Binding a socket there on the
host would fight with a syslog daemon or a parallel test run, so the command runs in a
private mount namespace instead (root, `unshare -m`), whose /dev is a small tmpfs holding
copies of the device nodes ppy and Python use, the real /dev/pts, and the test's socket
bind-mounted as /dev/log. The host's /dev is not touched.

    with OwnLog(base) as log:
        proc = subprocess.run(log.wrap(["setpriv", ..., ppy, script]), ...)
        line = log.find("refused: uid=4343")
"""
import os
import select
import socket
import time

DEVICES = ("null", "zero", "full", "random", "urandom", "tty")

SETUP = r"""
set -e
dev="$1"; sock="$2"; nodes="$3"; shift 3
mount -t tmpfs -o mode=0755,size=64k ppy-test-dev "$dev"
for n in $nodes; do cp -a "/dev/$n" "$dev/"; done
mkdir "$dev/pts"; mount --bind /dev/pts "$dev/pts"; ln -s pts/ptmx "$dev/ptmx"
ln -s /proc/self/fd "$dev/fd"
touch "$dev/log"; mount --bind "$sock" "$dev/log"
mount --move "$dev" /dev
exec "$@"
"""


class OwnLog:
    """A datagram socket in BASE (a root-owned directory) that wrapped commands log to."""

    def __init__(self, base, devices=DEVICES):
        self.base = base
        self.devices = devices
        self.path = os.path.join(base, "ownlog.sock")
        self.dev = os.path.join(base, "ownlog-dev")
        self.sock = None
        self.seen = []

    def __enter__(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        os.makedirs(self.dev, 0o755, exist_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)      # as syslog daemons make /dev/log: anyone may log
        return self

    def __exit__(self, *exc):
        self.lines()            # what was logged stays readable after the socket is gone
        self.sock.close()
        self.sock = None
        os.unlink(self.path)

    def wrap(self, argv):
        """ARGV run (as root, who may then drop to any uid) where /dev/log is this socket."""
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", SETUP, "ownlog",
                self.dev, self.path, " ".join(self.devices), *argv]

    def lines(self):
        """Every message received so far."""
        if self.sock is None:
            return self.seen
        self.sock.setblocking(False)
        while True:
            try:
                self.seen.append(self.sock.recv(65536).decode(errors="replace"))
            except BlockingIOError:
                return self.seen

    def find(self, *words, timeout=5.0):
        """The first message containing every one of WORDS; fails after TIMEOUT seconds."""
        deadline = time.monotonic() + timeout
        while True:
            for msg in self.lines():
                if all(w in msg for w in words):
                    return msg
            left = deadline - time.monotonic()
            if left <= 0 or self.sock is None:
                raise AssertionError(f"no log message with {words!r}; got {self.seen!r}")
            select.select([self.sock], [], [], min(left, 0.2))
