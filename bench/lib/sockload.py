#!/usr/bin/python3
"""Socket-level load helpers for bench/run (python3 standard library only).

  sockload.py idle --port P --conns N [--sources 127.0.0.2,...]
      Opens N keep-alive connections (at most --inflight connecting at once), sends one request on each,
      reads the whole response, and then keeps them idle. Prints one JSON line {"event": "ready", ...}
      when all are set up (or --setup-timeout passed), then watches them until a line arrives on stdin
      (or --hold-timeout passes), prints {"event": "done", "still_open": ...} and exits.

  sockload.py slow --port P --clients N --duration S
      N slow clients each send a request one byte every --interval seconds (keep-alive; a new request
      after each response; a new connection when the server closes), while --probes normal clients
      (a new connection per request, one request every --probe-every seconds each) measure the time
      from connect() to the first response byte. Prints one JSON line with the counts and the probe
      latencies at the end.

Every loop is bounded by its own deadline; the process exits by itself.
"""
import argparse
import json
import os
import resource
import selectors
import socket
import sys
import threading
import time

IP_BIND_ADDRESS_NO_PORT = 24


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(need, soft)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def request_bytes(path, host, close=False):
    extra = "Connection: close\r\n" if close else ""
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()


class Response:
    """Incremental HTTP/1.1 response parser (status line, Content-Length body; enough for static files)."""

    def __init__(self):
        self.buf = b""
        self.status = None
        self.need = None

    def feed(self, data):
        """Returns True once the whole response is in (surplus bytes are kept for the next response)."""
        self.buf += data
        if self.need is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return False
            head = self.buf[:end].decode("latin-1").split("\r\n")
            parts = head[0].split(" ", 2)
            self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            self.need = end + 4 + length
        if len(self.buf) >= self.need:
            self.buf = self.buf[self.need:]
            self.need = None
            return True
        return False


def new_socket(source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    if source:
        s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        s.bind((source, 0))
    return s


# ---------------------------------------------------------------------------------------------- idle
def cmd_idle(a):
    raise_nofile(a.conns + 256)
    sources = [x for x in a.sources.split(",") if x] or [None]
    req = request_bytes(a.path, a.host)
    sel = selectors.DefaultSelector()
    sel.register(sys.stdin, selectors.EVENT_READ, "stdin")
    conns = {}          # fd -> [sock, state, Response]
    started = ready = failed = 0
    t0 = time.monotonic()
    setup_deadline = t0 + a.setup_timeout
    inflight = 0
    stop = False

    def fail(fd):
        nonlocal failed, inflight, ready
        s, state, _ = conns.pop(fd)
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        s.close()
        failed += 1
        if state == "idle":
            ready -= 1
        else:
            inflight -= 1

    while (ready + failed < a.conns) and time.monotonic() < setup_deadline and not stop:
        while started < a.conns and inflight < a.inflight:
            s = new_socket(sources[started % len(sources)])
            err = s.connect_ex((a.host, a.port))
            started += 1
            inflight += 1
            conns[s.fileno()] = [s, "connecting", Response()]
            if err not in (0, 115):  # EINPROGRESS
                fail(s.fileno())
                continue
            sel.register(s, selectors.EVENT_WRITE, "c")
        for key, _ in sel.select(timeout=0.2):
            if key.data == "stdin":
                stop = True
                break
            s = key.fileobj
            fd = s.fileno()
            c = conns.get(fd)
            if c is None:
                continue
            try:
                if c[1] == "connecting":
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                        fail(fd)
                        continue
                    s.send(req)  # small: fits the empty send buffer
                    c[1] = "reading"
                    sel.modify(s, selectors.EVENT_READ, "c")
                elif c[1] == "reading":
                    data = s.recv(65536)
                    if not data:
                        fail(fd)
                        continue
                    if c[2].feed(data):
                        if c[2].status != 200:
                            fail(fd)
                            continue
                        c[1] = "idle"
                        ready += 1
                        inflight -= 1
                elif c[1] == "idle":
                    if not s.recv(4096):
                        fail(fd)
            except OSError:
                fail(fd)
    setup_s = time.monotonic() - t0
    print(json.dumps({"event": "ready", "held": ready, "failed": failed, "setup_s": round(setup_s, 3),
                      "wanted": a.conns}), flush=True)

    # Hold: watch for the server closing idle connections until told to stop.
    closed_by_server = 0
    hold_deadline = time.monotonic() + a.hold_timeout
    while not stop and time.monotonic() < hold_deadline:
        for key, _ in sel.select(timeout=0.5):
            if key.data == "stdin":
                stop = True
                break
            s = key.fileobj
            fd = s.fileno()
            c = conns.get(fd)
            if c is None or c[1] != "idle":
                continue
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                conns.pop(fd)
                s.close()
                closed_by_server += 1
    still_open = sum(1 for c in conns.values() if c[1] == "idle")
    print(json.dumps({"event": "done", "held": ready, "still_open": still_open,
                      "closed_by_server": closed_by_server}), flush=True)
    for c in conns.values():
        c[0].close()
    return 0


# ---------------------------------------------------------------------------------------------- slow
def probe_thread(a, req, end, results, lock):
    mine = []
    nxt = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if now < nxt:
            time.sleep(min(nxt - now, end - now))
            continue
        nxt += a.probe_every
        t0 = time.monotonic()
        rec = {"ok": False, "status": 0, "ttfb": None, "error": None}
        try:
            with socket.create_connection((a.host, a.port), timeout=a.probe_timeout) as s:
                s.sendall(req)
                resp = Response()
                first = True
                while True:
                    data = s.recv(65536)
                    if first and data:
                        rec["ttfb"] = time.monotonic() - t0
                        first = False
                    if not data:
                        rec["error"] = "closed"
                        break
                    if resp.feed(data):
                        rec["status"] = resp.status
                        rec["ok"] = 200 <= resp.status < 300
                        break
        except socket.timeout:
            rec["error"] = "timeout"
        except OSError as e:
            rec["error"] = type(e).__name__
        mine.append(rec)
        if nxt < time.monotonic():  # a slow probe does not make the next ones bunch up
            nxt = time.monotonic()
    with lock:
        results.extend(mine)


def cmd_slow(a):
    raise_nofile(a.clients + 256)
    sources = [x for x in a.sources.split(",") if x] or [None]
    req = request_bytes(a.path, a.host)
    sel = selectors.DefaultSelector()
    t0 = time.monotonic()
    end = t0 + a.ramp + a.duration
    counts = {"completed": 0, "non2xx": 0, "connect_errors": 0, "closed_by_server": 0,
              "completed_in_window": 0}
    clients = []   # dicts: sock, state, pos, next, resp
    window_start = t0 + a.ramp

    def connect(c):
        s = new_socket(c["source"])
        err = s.connect_ex((a.host, a.port))
        c.update(sock=s, state="connecting", pos=0, resp=Response())
        if err not in (0, 115):
            s.close()
            c.update(sock=None, state="retry", next=time.monotonic() + a.interval)
            counts["connect_errors"] += 1
            return
        sel.register(s, selectors.EVENT_WRITE, c)

    def drop(c, reason):
        s = c["sock"]
        if s is not None:
            try:
                sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()
        c.update(sock=None, state="retry", next=time.monotonic() + a.interval)
        counts[reason] += 1

    for i in range(a.clients):
        c = {"source": sources[i % len(sources)], "sock": None, "state": "new",
             "next": t0 + a.interval * i / a.clients}
        clients.append(c)

    results, lock = [], threading.Lock()
    probes = []

    def start_probes():
        for _ in range(a.probes):
            th = threading.Thread(target=probe_thread,
                                  args=(a, request_bytes(a.path, a.host, close=True), end, results, lock),
                                  daemon=True)
            th.start()
            probes.append(th)

    probes_started = False
    hard_end = end + a.probe_timeout + 2
    while True:
        now = time.monotonic()
        # the slow clients keep going until the last probe (started before `end`) has its answer
        if now >= end and (not any(th.is_alive() for th in probes) or now >= hard_end):
            break
        if not probes_started and now >= window_start:
            start_probes()
            probes_started = True
        for c in clients:
            if c["next"] is not None and c["next"] <= now:
                if c["state"] in ("new", "retry"):
                    c["next"] = None
                    connect(c)
                    continue
                if c["state"] == "sending":
                    try:
                        c["sock"].send(req[c["pos"]:c["pos"] + 1])
                    except OSError:
                        drop(c, "closed_by_server")
                        continue
                    c["pos"] += 1
                    if c["pos"] >= len(req):
                        c["state"] = "reading"
                        c["next"] = None
                    else:
                        c["next"] = now + a.interval
        for key, _ in sel.select(timeout=0.01):
            c = key.data
            s = c["sock"]
            try:
                if c["state"] == "connecting":
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                        drop(c, "connect_errors")
                        continue
                    sel.modify(s, selectors.EVENT_READ, c)
                    c.update(state="sending", pos=0, next=time.monotonic())
                    continue
                data = s.recv(65536)
                if not data:
                    drop(c, "closed_by_server")
                    continue
                if c["state"] == "reading" and c["resp"].feed(data):
                    counts["completed"] += 1
                    if window_start <= time.monotonic() < end:
                        counts["completed_in_window"] += 1
                    if not 200 <= c["resp"].status < 300:
                        counts["non2xx"] += 1
                    c.update(state="sending", pos=0, next=time.monotonic() + a.interval)
            except OSError:
                drop(c, "closed_by_server")
    for th in probes:
        th.join(timeout=a.probe_timeout + 2)
    for c in clients:
        if c["sock"] is not None:
            c["sock"].close()
    # a probe that never saw a first byte counts as the probe timeout (the percentiles are then lower bounds)
    ttfb = sorted(r["ttfb"] if r["ttfb"] is not None else a.probe_timeout for r in results)

    def pct(p):
        if not ttfb:
            return None
        return ttfb[min(len(ttfb) - 1, int(round(p / 100.0 * (len(ttfb) - 1))))]

    out = {
        "event": "done",
        "window_s": a.duration,
        "slow": counts,
        "probes": {
            "sent": len(results),
            "ok": sum(1 for r in results if r["ok"]),
            "non2xx": sum(1 for r in results if r["status"] and not r["ok"]),
            "errors": sum(1 for r in results if r["error"] and not r["status"]),
            "timeouts": sum(1 for r in results if r["error"] == "timeout"),
            "ttfb_p50_s": pct(50), "ttfb_p99_s": pct(99), "ttfb_max_s": ttfb[-1] if ttfb else None,
        },
    }
    print(json.dumps(out), flush=True)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("idle", "slow"):
        q = sub.add_parser(name)
        q.add_argument("--host", default="127.0.0.1")
        q.add_argument("--port", type=int, required=True)
        q.add_argument("--path", default="/1k.txt")
        q.add_argument("--sources", default="", help="comma-separated local source addresses (127.0.0.x)")
    q = sub.choices["idle"]
    q.add_argument("--conns", type=int, default=10000)
    q.add_argument("--inflight", type=int, default=200)
    q.add_argument("--setup-timeout", type=float, default=60)
    q.add_argument("--hold-timeout", type=float, default=300)
    q = sub.choices["slow"]
    q.add_argument("--clients", type=int, default=500)
    q.add_argument("--interval", type=float, default=0.1)
    q.add_argument("--duration", type=float, default=10)
    q.add_argument("--ramp", type=float, default=1.0)
    q.add_argument("--probes", type=int, default=4)
    q.add_argument("--probe-every", type=float, default=0.1)
    q.add_argument("--probe-timeout", type=float, default=10)
    a = p.parse_args()
    return cmd_idle(a) if a.cmd == "idle" else cmd_slow(a)


if __name__ == "__main__":
    sys.exit(main())
