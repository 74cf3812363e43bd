"""The benches' small RESP client (python3 heredocs in bench/*.sh import it with PYTHONPATH=bench/lib).

Enough for scripted loads and probes, not a general client: one blocking socket, replies decoded as str/int/list.
"""
import os
import socket


def enc(args):
    """One command as a RESP array of bulk strings (str and int arguments are encoded as UTF-8 text)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """A connection to 127.0.0.1:port. Error replies raise, or with raise_errors=False come back as an Exception."""

    def __init__(self, port, raise_errors=True):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")
        self.raise_errors = raise_errors

    def read(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b":":
            return int(rest)
        if t == b"-":
            e = Exception(rest.decode())
            if self.raise_errors:
                raise e
            return e
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2].decode(errors="replace")
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise Exception("connection closed" if not line else f"unexpected reply {line!r}")

    def call(self, *args):
        self.s.sendall(enc(args))
        return self.read()


def cpu(pid):
    """A process's CPU seconds so far (user + system, /proc): robust where wall time is not on a shared machine."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
