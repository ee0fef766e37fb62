"""One measured run of one scenario against one server: the client (wrk, h2load or sockload.py) runs
while the server's processes are measured from /proc before and after."""
import json
import os
import re
import select
import signal
import subprocess
import sys
import time

import procstat

HERE = os.path.dirname(os.path.abspath(__file__))
NPROC = os.cpu_count() or 1
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


class Client:
    """A client subprocess whose CPU time (rusage of the child) is collected when it is reaped."""

    live = set()   # clients not reaped yet: bench/run kills them on exit

    def __init__(self, argv, out_path, env=None, stdin=False):
        self.out_path = out_path
        self.out = open(out_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     start_new_session=True)
        Client.live.add(self)
        self.rusage = None
        self.status = None

    def cpu_now(self):
        try:
            return procstat.cpu_ticks(self.proc.pid) / procstat.CLK_TCK
        except (OSError, ValueError, IndexError):
            return None

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self.rusage, self.status = ru, self.proc.returncode
                break
            if time.monotonic() >= deadline:
                self.kill()
                _, status, ru = os.wait4(self.proc.pid, 0)
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self.rusage, self.status = ru, "killed"
                break
            time.sleep(0.05)
        Client.live.discard(self)
        self.out.close()
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def cpu_s(self):
        return (self.rusage.ru_utime + self.rusage.ru_stime) if self.rusage else 0.0

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class Window:
    """Server counters, machine CPU and wall time between begin() and end()."""

    def __init__(self, server):
        self.server = server

    def begin(self):
        self.snap0 = procstat.snapshot(self.server.pgid)
        self.m0 = procstat.machine_cpu()
        self.t0 = time.monotonic()

    def end(self):
        self.wall = time.monotonic() - self.t0
        self.snap1 = procstat.snapshot(self.server.pgid)
        self.m1 = procstat.machine_cpu()
        self.d = procstat.delta(self.snap0, self.snap1)
        busy = (self.m1[0] - self.m0[0]) / procstat.CLK_TCK
        self.machine_busy_s = busy

    def pss_mib(self):
        return procstat.pss_total_kib(self.server.pgid) / 1024.0


def finish_record(rec, win, client_cpu_s, requests):
    cap = win.wall * NPROC
    rec["requests"] = requests
    rec["server_cpu_s"] = round(win.d["cpu_s"], 3)
    rec["ctx_switches"] = win.d["ctx_switches"]
    rec["cpu_us_per_req"] = round(win.d["cpu_s"] * 1e6 / requests, 2) if requests else None
    rec["ctx_per_req"] = round(win.d["ctx_switches"] / requests, 4) if requests else None
    rec["ctx_invol_per_req"] = round(win.d["ctx_involuntary"] / requests, 4) if requests else None
    rec["ctx_vol_per_req"] = round((win.d["ctx_switches"] - win.d["ctx_involuntary"]) / requests, 4) if requests else None
    rec["server_procs"] = win.d["procs"]
    rec["server_procs_lost"] = win.d["procs_lost"]
    rec["client_cpu_share"] = round(client_cpu_s / cap, 4) if cap else None
    rec["server_cpu_share"] = round(win.d["cpu_s"] / cap, 4) if cap else None
    other = win.machine_busy_s - win.d["cpu_s"] - client_cpu_s
    rec["other_cpu_share"] = round(max(0.0, other) / cap, 4) if cap else None
    rec["wall_s"] = round(win.wall, 3)
    return rec


def parse_wrk(text):
    m = re.search(r"^BENCHJSON (\{.*\})$", text, re.M)
    if not m:
        return None
    return json.loads(m.group(1))


def wrk_argv(server, conns, duration, path, threads=None):
    threads = threads or min(NPROC, conns)
    return ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{max(1, int(round(duration)))}s", "--timeout", "10s",
            "-s", os.path.join(HERE, "report.lua"), server.url(path)]


def run_wrk(server, conns, duration, path, close, logpath):
    """Keep-alive (or Connection: close) load with wrk; returns the measurement record."""
    env = dict(os.environ, WRK_CLOSE="1" if close else "0")
    win = Window(server)
    win.begin()
    c = Client(wrk_argv(server, conns, duration, path), logpath, env=env)
    text = c.wait(duration + 30)
    win.end()
    rec = {"pss_mib": round(win.pss_mib(), 2)}
    w = parse_wrk(text)
    if not w:
        rec["failed"] = f"wrk gave no result (exit {c.status}); see {logpath}"
        return finish_record(rec, win, c.cpu_s(), 0)
    dur = w["duration_us"] / 1e6
    rec.update({
        "rps": round(w["requests"] / dur, 1) if dur else 0.0,
        "p50_ms": w["lat_p50_us"] / 1000.0, "p90_ms": w["lat_p90_us"] / 1000.0,
        "p99_ms": w["lat_p99_us"] / 1000.0, "max_ms": w["lat_max_us"] / 1000.0,
        "sock_errors": w["err_connect"] + w["err_read"] + w["err_write"] + w["err_timeout"],
        "sock_errors_detail": {k[4:]: w[k] for k in ("err_connect", "err_read", "err_write", "err_timeout")},
        "non2xx": w["non2xx"],
        "mbytes_s": round(w["bytes"] / dur / 1e6, 2) if dur else 0.0,
    })
    return finish_record(rec, win, c.cpu_s(), w["requests"])


def run_h2load(server, conns, duration, path, streams, logpath):
    """HTTP/2 cleartext (prior knowledge) load with h2load."""
    win = Window(server)
    win.begin()
    argv = ["h2load", "-c", str(conns), "-m", str(streams), "-t", str(min(NPROC, conns)), "-D", str(max(1, int(round(duration)))),
            "-T", "10", server.url(path)]
    c = Client(argv, logpath)
    text = c.wait(duration + 30)
    win.end()
    rec = {"pss_mib": round(win.pss_mib(), 2)}
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                  r"(\d+) errored, (\d+) timeout", text)
    st = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    fin = re.search(r"finished in ([\d.]+)(m?s)", text)
    if not (m and st and fin):
        rec["failed"] = f"h2load gave no result (exit {c.status}); see {logpath}"
        return finish_record(rec, win, c.cpu_s(), 0)
    secs = float(fin.group(1)) / (1000.0 if fin.group(2) == "ms" else 1.0)
    ok = int(m.group(4))
    lat = {}
    for line in text.splitlines():
        if line.startswith("time for request:"):
            parts = line.split()[3:]
            lat = {"min": parts[0], "max": parts[1], "mean": parts[2]}
    rec.update({
        "rps": round(ok / secs, 1) if secs else 0.0,
        "p50_ms": None, "p99_ms": None,  # h2load reports no percentiles; see the mean in the log
        "mean_ms": _h2_time_ms(lat.get("mean")), "max_ms": _h2_time_ms(lat.get("max")),
        "sock_errors": int(m.group(6)) + int(m.group(7)),
        "non2xx": int(st.group(3)) + int(st.group(4)),
    })
    return finish_record(rec, win, c.cpu_s(), int(m.group(3)))


def _h2_time_ms(s):
    if not s:
        return None
    m = re.match(r"([\d.]+)(us|ms|s)", s)
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def run_idle(server, idle_conns, conns, duration, logdir, tag, sources):
    """Measures wrk -c conns alone (the baseline), then again while idle_conns idle keep-alive connections
    are held open, then alone again once they are closed. The ratio's baseline is the mean of the two
    runs without them: a server whose speed drifts between runs (by 10-20% on a shared machine) then
    does not get a ratio decided by one lucky or unlucky baseline."""
    base = run_wrk(server, conns, duration, "/1k.txt", False, os.path.join(logdir, f"{tag}-baseline.log"))
    time.sleep(1.0)
    holder = Client([PY, os.path.join(HERE, "sockload.py"), "idle", "--port", str(server.port),
                     "--conns", str(idle_conns), "--sources", sources, "--setup-timeout", "60",
                     "--hold-timeout", str(duration + 120)],
                    os.path.join(logdir, f"{tag}-holder.log"), stdin=True)
    ready = _read_json_line(holder, "ready", 75)
    rec = {"idle_wanted": idle_conns, "idle_held": ready.get("held", 0) if ready else 0,
           "idle_setup_s": ready.get("setup_s") if ready else None}
    if not ready:
        holder.kill()
        holder.wait(5)
        rec["failed"] = "the idle-connection holder did not get ready"
        return rec
    time.sleep(1.0)
    h0 = holder.cpu_now() or 0.0
    wrec = run_wrk(server, conns, duration, "/1k.txt", False, os.path.join(logdir, f"{tag}.log"))
    h1 = holder.cpu_now() or h0
    # PSS while the idle connections are still held
    wrec["pss_mib"] = round(procstat.pss_total_kib(server.pgid) / 1024.0, 2)
    try:
        holder.proc.stdin.write(b"stop\n")
        holder.proc.stdin.flush()
    except OSError:
        pass
    done = _read_json_line(holder, "done", 20)
    holder.wait(15)
    time.sleep(3.0)
    # memory once the idle connections are gone: does the server give it back?
    wrec["pss_after_close_mib"] = round(procstat.pss_total_kib(server.pgid) / 1024.0, 2)
    after = run_wrk(server, conns, duration, "/1k.txt", False, os.path.join(logdir, f"{tag}-baseline-after.log"))
    wrec.update(rec)
    wrec["baseline_rps"] = base.get("rps")
    wrec["baseline_after_rps"] = after.get("rps")
    wrec["baseline_p99_ms"] = base.get("p99_ms")
    baselines = [x for x in (base.get("rps"), after.get("rps")) if x]
    mean = sum(baselines) / len(baselines) if baselines else None
    wrec["idle_keep_ratio"] = round(wrec["rps"] / mean, 4) if mean and wrec.get("rps") else None
    wrec["idle_still_open"] = done.get("still_open", 0) if done else 0
    wrec["idle_closed_by_server"] = done.get("closed_by_server") if done else None
    # the holder's CPU during the measured window counts as client CPU too
    if wrec.get("client_cpu_share") is not None and wrec.get("wall_s"):
        wrec["client_cpu_share"] = round(wrec["client_cpu_share"] + (h1 - h0) / (wrec["wall_s"] * NPROC), 4)
    return wrec


def _read_json_line(client, event, timeout):
    """Waits for a JSON line with the given event in the client's output file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client.out.flush()
        try:
            with open(client.out_path, errors="replace") as f:
                for line in f:
                    if line.startswith("{"):
                        try:
                            d = json.loads(line)
                        except ValueError:
                            continue
                        if d.get("event") == event:
                            return d
        except OSError:
            pass
        if client.proc.poll() is not None:
            break
        time.sleep(0.2)
    return None


def run_slow(server, slow_clients, duration, logpath, sources, ramp=1.5):
    """slow_clients clients sending a byte every 100 ms; 4 probes measure time to first byte."""
    win = Window(server)
    win.begin()
    c = Client([PY, os.path.join(HERE, "sockload.py"), "slow", "--port", str(server.port),
                "--clients", str(slow_clients), "--duration", str(duration), "--ramp", str(ramp),
                "--sources", sources, "--probes", "4", "--probe-every", "0.1", "--probe-timeout", "10"],
               logpath)
    text = c.wait(duration + ramp + 40)
    win.end()
    rec = {"pss_mib": round(win.pss_mib(), 2)}
    d = None
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                d = json.loads(line)
            except ValueError:
                pass
    if not d:
        rec["failed"] = f"sockload slow gave no result (exit {c.status}); see {logpath}"
        return finish_record(rec, win, c.cpu_s(), 0)
    p, s = d["probes"], d["slow"]
    rec.update({
        "rps": round((p["ok"] + s["completed_in_window"]) / duration, 1),
        "probe_rps": round(p["ok"] / duration, 1),
        "slow_completed": s["completed"],
        "p50_ms": round(p["ttfb_p50_s"] * 1000, 3) if p["ttfb_p50_s"] is not None else None,
        "p99_ms": round(p["ttfb_p99_s"] * 1000, 3) if p["ttfb_p99_s"] is not None else None,
        "max_ms": round(p["ttfb_max_s"] * 1000, 3) if p["ttfb_max_s"] is not None else None,
        "probes_sent": p["sent"], "probes_ok": p["ok"], "probe_timeouts": p["timeouts"],
        "sock_errors": p["errors"] + s["connect_errors"],
        "non2xx": p["non2xx"] + s["non2xx"],
        "slow_closed_by_server": s["closed_by_server"],
    })
    return finish_record(rec, win, c.cpu_s(), p["ok"] + s["completed"])


def warm_up(server, logdir):
    for conns, dur, path in ((50, 2, "/1k.txt"), (10, 1, "/100k.txt")):
        c = Client(wrk_argv(server, conns, dur, path), os.path.join(logdir, f"warmup-{server.name}.log"))
        c.wait(dur + 20)
