"""Per-process counters from /proc for the server under test: CPU time, context switches, PSS.

A server is identified by its process group (apache2 runs in a session of its own, started by bench/run,
and its children inherit the group), so no other apache2 on the machine is ever counted or touched.
"""
import os

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read().decode("latin-1")
    # comm may contain spaces and parentheses: the fields start after the last ')'
    return data[data.rindex(")") + 2:].split()


def group_pids(pgid):
    """PIDs of every live process whose process group is pgid."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            f = _stat_fields(name)
        except (OSError, ValueError):
            continue
        if int(f[2]) == pgid and f[0] != "Z":
            pids.append(int(name))
    return sorted(pids)


def cpu_ticks(pid):
    """utime+stime of the whole process (all its threads, live and exited), in clock ticks."""
    f = _stat_fields(pid)
    return int(f[11]) + int(f[12])


HAVE_SCHEDSTAT = os.path.exists("/proc/self/schedstat")


def task_counters(pid):
    """(cpu_ns, context switches, of which involuntary) summed over the live threads of pid.

    Involuntary switches are preemptions (on a machine whose cores the client shares, mostly the client
    taking the core back); voluntary ones are the server's own waits and hand-offs between its threads.

    CPU comes from each thread's schedstat (nanoseconds on the CPU). /proc/PID/stat would count the
    exited threads too, but only in whole clock ticks per process, which over 400 prefork children is an
    error of seconds; the configuration keeps every thread alive during a run, so nothing is lost here.
    """
    cpu_ns = switches = invol = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0, 0, 0
    for tid in tids:
        base = f"/proc/{pid}/task/{tid}/"
        try:
            if HAVE_SCHEDSTAT:
                with open(base + "schedstat") as f:
                    cpu_ns += int(f.read().split()[0])
            with open(base + "status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        n = int(line.split()[1])
                        switches += n
                        if line.startswith("non"):
                            invol += n
        except (OSError, ValueError, IndexError):
            pass
    if not HAVE_SCHEDSTAT:
        try:
            cpu_ns = cpu_ticks(pid) * 1_000_000_000 // CLK_TCK
        except (OSError, ValueError, IndexError):
            pass
    return cpu_ns, switches, invol


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def snapshot(pgid):
    """{pid: (cpu_ns, ctx_switches, involuntary)} for the live processes of the group."""
    return {pid: task_counters(pid) for pid in group_pids(pgid)}


def delta(before, after):
    """CPU seconds and context switches spent between two snapshots by the processes alive at the end
    (a process born in between counts from zero); also how many processes were lost in between."""
    ns = switches = invol = 0
    for pid, (t, c, i) in after.items():
        t0, c0, i0 = before.get(pid, (0, 0, 0))
        ns += max(0, t - t0)
        switches += max(0, c - c0)
        invol += max(0, i - i0)
    lost = sum(1 for pid in before if pid not in after)
    return {"cpu_s": ns / 1e9, "ctx_switches": switches, "ctx_involuntary": invol, "procs": len(after),
            "procs_lost": lost}


def pss_total_kib(pgid):
    return sum(pss_kib(pid) for pid in group_pids(pgid))


def threads_total(pgid):
    n = 0
    for pid in group_pids(pgid):
        try:
            n += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass
    return n


def machine_cpu():
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    vals = [int(x) for x in parts[:8]]
    idle = vals[3] + vals[4]
    total = sum(vals)
    return total - idle, total
