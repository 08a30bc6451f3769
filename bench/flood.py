#!/usr/bin/env python3
"""flood.py - slow clients and a connection flood against `tamis serve`
(make soak, issue 10), with --max-connections and --timeout set low so that
the limits are reached in seconds:

  1. slowloris: FLOOD_LIMIT - 16 connections send a request line, then one
     header byte a second and never finish; then as many that connect and
     send nothing. Is the server still answering others, and does it close
     the slow ones (--timeout is an idle timeout: a trickle is not idle)?
  2. flood: FLOOD_LIMIT + 64 idle connections at once. How many does the
     server accept (its open sockets, from /proc), what happens to the
     others (closed, or left in the kernel's listen queue), does it answer
     others while they are held, and when does it recover?
  3. slowloris at the limit: FLOOD_LIMIT connections, all trickling. Does
     anyone else get an answer?

The slow and flooding connections come from 127.0.0.1; the probe and the
other client from 127.0.0.2, as an attacker's address differs from the
platform's. A probe asks GET /m/lookup every 100 ms on a new connection throughout
and its latencies are reported by phase, with the server's resident
memory. Prints a table; exits 1 if the server stops answering for good,
holds more connections than its limit, or its memory grows by more than
FLOOD_MEM_MB (32). Needs only Python 3's standard library.
  TAMIS_BUILD (build), FLOOD_LIMIT (256), FLOOD_TIMEOUT (5), FLOOD_PORT (18192)
"""
import os
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.environ.get("TAMIS_BUILD", "build")
TAMIS = os.path.join(ROOT, B, "tamis")
LIMIT = int(os.environ.get("FLOOD_LIMIT", "256"))
TIMEOUT = int(os.environ.get("FLOOD_TIMEOUT", "5"))
PORT = int(os.environ.get("FLOOD_PORT", "18192"))
MEM_MB = int(os.environ.get("FLOOD_MEM_MB", "32"))
OTHER = ("127.0.0.2", 0)  # the other clients' address (the attack's is 127.0.0.1)
D = os.path.join(ROOT, B, "bench-data", "flood")
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Probe(threading.Thread):
    """A well-behaved client: one lookup every 100 ms, each on a new
    connection, its latency (or its failure) recorded with the phase."""

    def __init__(self, token):
        super().__init__(daemon=True)
        self.token, self.phase, self.stop = token, "start", False
        self.results = []  # (phase, seconds or None, time)

    def run(self):
        req = ("GET /m/lookup?signal_type=pdq&signal=%s HTTP/1.1\r\nHost: x\r\n"
               "Authorization: Bearer %s\r\nConnection: close\r\n\r\n" % (PDQ, self.token)).encode()
        while not self.stop:
            t0 = time.monotonic()
            ok = None
            try:
                with socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT * 2,
                                              source_address=OTHER) as s:
                    s.sendall(req)
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    if data.startswith(b"HTTP/1.1 200"):
                        ok = time.monotonic() - t0
            except OSError:
                pass
            self.results.append((self.phase, ok, time.monotonic()))
            time.sleep(max(0.0, 0.1 - (time.monotonic() - t0)))


def sockets(pid):
    """The number of sockets the process holds open."""
    try:
        d = "/proc/%d/fd" % pid
        return sum(1 for f in os.listdir(d) if os.readlink(os.path.join(d, f)).startswith("socket:"))
    except OSError:
        return 0


def closed_by_peer(s):
    """True if the server has closed the socket (EOF or reset)."""
    try:
        s.setblocking(False)
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))] if xs else float("nan")


def main():
    os.makedirs(D, exist_ok=True)
    db = os.path.join(D, "flood.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    token = subprocess.run([TAMIS, "token", "create", "--db", db, "--role", "matcher"],
                           capture_output=True, text=True, check=True).stdout.split()[-1]
    log = open(os.path.join(D, "serve.log"), "w")
    srv = subprocess.Popen([TAMIS, "serve", "--db", db, "--no-snapshot", "--quiet",
                            "--listen", "127.0.0.1:%d" % PORT,
                            "--max-connections", str(LIMIT), "--timeout", str(TIMEOUT)],
                           stderr=log)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    print("flood: %d cores, load average %s; tamis serve --max-connections %d --timeout %d"
          % (os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3]), LIMIT, TIMEOUT))
    base_sockets = sockets(srv.pid)  # the listening socket, the database's
    probe = Probe(token)
    probe.start()
    time.sleep(1)
    mem = {"start": rss_kb(srv.pid)}
    rows = []
    failed = []

    # ---- 1. slowloris: trickled headers, and silent connections ----------
    probe.phase = "slowloris"
    n_slow = max(1, LIMIT - 16)
    slow = []
    for i in range(n_slow):
        try:
            s = socket.create_connection(("127.0.0.1", PORT), timeout=2)
            s.sendall(b"GET /m/lookup?signal_type=pdq&signal=%s HTTP/1.1\r\nHost: x\r\n" % PDQ.encode())
            slow.append([s, i % 2 == 0, None])  # socket, trickles?, closed at
        except OSError:
            pass
    t0 = time.monotonic()
    peak, held_slow = 0, 0
    while time.monotonic() - t0 < 3 * TIMEOUT:
        held_slow = max(held_slow, sockets(srv.pid) - base_sockets)
        for c in slow:
            if c[2] is not None:
                continue
            if closed_by_peer(c[0]):
                c[2] = time.monotonic() - t0
            elif c[1]:
                try:
                    c[0].setblocking(True)
                    c[0].sendall(b"X")  # one byte of a header that never ends
                except OSError:
                    c[2] = time.monotonic() - t0
        peak = max(peak, rss_kb(srv.pid))
        time.sleep(1)
    trickled = [c for c in slow if c[1]]
    silent = [c for c in slow if not c[1]]
    t_closed = [c[2] for c in trickled if c[2] is not None]
    s_closed = [c[2] for c in silent if c[2] is not None]
    rows.append(("slow connections opened", "%d (half trickle a byte a second, half silent); "
                 "the server held up to %d" % (len(slow), held_slow)))
    rows.append(("trickling: closed by the server", "%d of %d%s" % (
        len(t_closed), len(trickled),
        (", after %.1f-%.1f s" % (min(t_closed), max(t_closed))) if t_closed else
        " in %d s (a trickle is activity: --timeout never fires)" % (3 * TIMEOUT))))
    rows.append(("silent: closed by the server", "%d of %d%s" % (
        len(s_closed), len(silent),
        (", after %.1f-%.1f s" % (min(s_closed), max(s_closed))) if s_closed else "")))
    for c in slow:
        c[0].close()
    mem["slowloris peak"] = peak
    time.sleep(1)

    # ---- 2. a flood of idle connections beyond the limit --------------------
    probe.phase = "flood"
    flood, refused_connect = [], 0
    t0 = time.monotonic()
    for i in range(LIMIT + 64):
        try:
            flood.append(socket.create_connection(("127.0.0.1", PORT), timeout=2))
        except OSError:
            refused_connect += 1
    time.sleep(1.0)
    dropped_at_once = sum(1 for s in flood if closed_by_peer(s))
    held = sockets(srv.pid) - base_sockets  # accepted; the rest wait in the listen queue
    waiting = len(flood) - dropped_at_once - held
    peak = rss_kb(srv.pid)
    # held until the server's idle timeout closes them
    while time.monotonic() - t0 < TIMEOUT + 4:
        peak = max(peak, rss_kb(srv.pid))
        time.sleep(0.5)
    still_open = sum(1 for s in flood if not closed_by_peer(s))
    for s in flood:
        s.close()
    mem["flood peak"] = peak
    rows.append(("flood: connections tried", "%d (limit %d)" % (LIMIT + 64, LIMIT)))
    rows.append(("flood: accepted by the server", "%d (its open sockets, less the %d before)"
                 % (held, base_sockets)))
    rows.append(("flood: waiting in the listen queue", "%d" % max(0, waiting)))
    rows.append(("flood: closed at once", "%d, and %d refused at connect"
                 % (dropped_at_once, refused_connect)))
    rows.append(("flood: open after --timeout + 4 s", "%d" % still_open))
    if held > LIMIT:
        failed.append("held %d connections over a limit of %d" % (held, LIMIT))

    # ---- 3. slowloris at the limit: every connection trickling -------------
    time.sleep(TIMEOUT + 1)  # the queued flood connections time out too
    probe.phase = "slowloris at the limit"
    slow = []
    for i in range(LIMIT):
        try:
            s = socket.create_connection(("127.0.0.1", PORT), timeout=2)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        except OSError:
            pass
    # one request of another client, sent once every slot is taken
    direct = []

    def ask():
        req = ("GET /m/lookup?signal_type=pdq&signal=%s HTTP/1.1\r\nHost: x\r\n"
               "Authorization: Bearer %s\r\nConnection: close\r\n\r\n" % (PDQ, token)).encode()
        t1 = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=3 * TIMEOUT,
                                          source_address=OTHER) as c:
                c.sendall(req)
                ok = c.recv(12).startswith(b"HTTP/1.1 200")
                direct.append(time.monotonic() - t1 if ok else None)
        except OSError:
            direct.append(None)

    t0 = time.monotonic()
    asker = None
    held_all = 0
    while time.monotonic() - t0 < 3 * TIMEOUT + 2:
        for s in slow:
            try:
                s.sendall(b"X")
            except OSError:
                pass
        if asker is None and time.monotonic() - t0 > 2:
            held_all = sockets(srv.pid) - base_sockets
            asker = threading.Thread(target=ask, daemon=True)
            asker.start()
        time.sleep(1)
    asker.join(3 * TIMEOUT + 5)
    for s in slow:
        s.close()
    starved = not direct or direct[0] is None
    rows.append(("slowloris at the limit", "%d trickling connections, %d held; another "
                 "client's lookup: %s" % (
                     len(slow), held_all,
                     "no answer in %d s" % (3 * TIMEOUT) if starved
                     else "answered in %.1f ms" % (1e3 * direct[0]))))
    if starved:
        failed.append("%d trickling connections from one address starve another address's client"
                      % LIMIT)

    probe.phase = "after"
    time.sleep(TIMEOUT + 3)
    probe.stop = True
    probe.join()
    mem["end"] = rss_kb(srv.pid)
    srv.terminate()
    exit_status = srv.wait(timeout=3 * TIMEOUT + 10)

    for phase in ("start", "slowloris", "flood", "slowloris at the limit", "after"):
        r = [x for x in probe.results if x[0] == phase]
        ok = [x[1] for x in r if x[1] is not None]
        gaps, last_ok = 0.0, None
        for x in r:  # the longest time without an answer
            if x[1] is not None:
                last_ok = x[2]
            elif last_ok is not None:
                gaps = max(gaps, x[2] - last_ok)
        rows.append(("probe during %s" % phase,
                     "%d/%d answered, p50 %.1f ms, p99 %.1f ms, max %.1f ms%s" % (
                         len(ok), len(r), 1e3 * pct(ok, 50), 1e3 * pct(ok, 99),
                         1e3 * max(ok) if ok else float("nan"),
                         (", longest without an answer %.1f s" % gaps) if gaps else "")))
    after = [x for x in probe.results if x[0] == "after"]
    if not any(x[1] is not None for x in after):
        failed.append("the server did not answer after the flood")
    rows.append(("memory (kB)", ", ".join("%s %d" % kv for kv in mem.items())))
    if max(mem.values()) - mem["start"] > MEM_MB * 1024:
        failed.append("memory grew by more than %d MB" % MEM_MB)
    rows.append(("exit on SIGTERM", str(exit_status)))
    if exit_status != 0:
        failed.append("exit status %d" % exit_status)

    print()
    for name, val in rows:
        print("%-40s %s" % (name, val))
    print("(a shared machine: latencies include other people's builds and tests)")
    print("flood: " + ("; ".join(failed) if failed else "bounded: answered again after, "
                       "no more than the limit held, memory bounded"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
