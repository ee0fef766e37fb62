"""Medians over rounds, ours/stock ratios, the targets of issue 5, the terminal table, CSV and the plot."""
import csv
import os
import statistics

# (key, header, format) of the per-scenario table; lower is better for all but rps.
METRICS = [
    ("rps", "req/s", "{:.0f}"),
    ("p50_ms", "p50 ms", "{:.2f}"),
    ("p99_ms", "p99 ms", "{:.2f}"),
    ("sock_errors", "sockerr", "{:.0f}"),
    ("non2xx", "non2xx", "{:.0f}"),
    ("cpu_us_per_req", "CPU us/req", "{:.1f}"),
    ("ctx_per_req", "cs/req", "{:.2f}"),
    ("ctx_invol_per_req", "preempt", "{:.2f}"),   # the involuntary part of cs/req
    ("pss_mib", "PSS MiB", "{:.1f}"),
    ("client_cpu_share", "client%", "{:.0%}"),
    ("other_cpu_share", "other%", "{:.0%}"),
]
SUMMED = ("sock_errors", "non2xx")   # errors are also reported as the total over all rounds

SWEEP = [(10, "sweep_c10"), (50, "ka1k_50"), (100, "sweep_c100"), (200, "sweep_c200"), (400, "ka1k_400"),
         (1000, "sweep_c1000")]


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def summarize(runs, scenarios, servers):
    """{scenario: {server: {metric: {"median", "min", "max", "n", "sum"}}}} over the successful runs."""
    out = {}
    for sc in scenarios:
        out[sc] = {}
        for srv in servers:
            rs = [r for r in runs if r["scenario"] == sc and r["server"] == srv and not r.get("failed")]
            fails = [r for r in runs if r["scenario"] == sc and r["server"] == srv and r.get("failed")]
            m = {"runs": len(rs), "failed_runs": len(fails)}
            keys = set()
            for r in rs:
                keys.update(k for k, v in r.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
                            and k != "round")
            for k in sorted(keys):
                vals = [r.get(k) for r in rs if r.get(k) is not None]
                if not vals:
                    continue
                m[k] = {"median": median(vals), "min": min(vals), "max": max(vals), "n": len(vals),
                        "sum": sum(vals)}
            out[sc][srv] = m
    return out


def med(summary, sc, srv, key):
    try:
        return summary[sc][srv][key]["median"]
    except (KeyError, TypeError):
        return None


def total(summary, sc, srv, key):
    try:
        return summary[sc][srv][key]["sum"]
    except (KeyError, TypeError):
        return None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def per_round_ratios(runs, sc, ours, stock, key):
    out = []
    rounds = sorted({r["round"] for r in runs if r["scenario"] == sc})
    for rd in rounds:
        a = [r.get(key) for r in runs if r["scenario"] == sc and r["server"] == ours and r["round"] == rd
             and not r.get("failed")]
        b = [r.get(key) for r in runs if r["scenario"] == sc and r["server"] == stock and r["round"] == rd
             and not r.get("failed")]
        if a and b and a[0] is not None and b[0]:
            out.append(a[0] / b[0])
    return out


def straddles(spread, need):
    """Whether the per-round values fall on both sides of the threshold (the verdict is undecided)."""
    return bool(spread) and len(spread) > 1 and need is not None and min(spread) < need < max(spread)


def _verdict(ok, value, need, spread=None):
    if ok is None:
        return "n/a"
    lo, hi = (min(spread), max(spread)) if spread else (None, None)
    if ok:
        # A median on the right side with rounds on both sides is not settled either.
        return f"PASS (per-round ratios {lo:.2f}-{hi:.2f}: some rounds miss)" if straddles(spread, need) else "PASS"
    if spread and len(spread) > 1:
        if straddles(spread, need):
            return f"MISS (per-round ratios {lo:.2f}-{hi:.2f}: some rounds pass)"
        return f"MISS (every round: {lo:.2f}-{hi:.2f})"
    return "MISS"


def targets(kind, summary, runs, ours, stock, scenarios, worker_ref=None):
    """The targets of issues 4 and 5 for this kind: list of dicts (name, value, need, result)."""
    T = []

    def add(name, value, need, ok, fmt="{:.2f}x", spread=None):
        T.append({"target": name, "value": value, "need": need,
                  "shown": (fmt.format(value) if value is not None else "n/a"),
                  "ok": ok, "result": _verdict(ok, value, _need_num(need), spread),
                  "straddles": ok is not None and straddles(spread, _need_num(need))})

    def cmp(value, op, thr):
        if value is None:
            return None
        return value >= thr if op == ">=" else value <= thr

    if kind == "event":
        sc = "ka1k_50"
        if sc in scenarios:
            r = ratio(med(summary, sc, ours, "rps"), med(summary, sc, stock, "rps"))
            add("ka1k_50 requests/s ours/stock", r, ">= 1.30x", cmp(r, ">=", 1.3),
                spread=per_round_ratios(runs, sc, ours, stock, "rps"))
            if worker_ref and summary[sc].get(worker_ref, {}).get("runs"):
                r = ratio(med(summary, sc, ours, "rps"), med(summary, sc, worker_ref, "rps"))
                add(f"ka1k_50 requests/s ours/stock {worker_ref} (issue 4)", r, ">= 1.00x", cmp(r, ">=", 1.0),
                    spread=per_round_ratios(runs, sc, ours, worker_ref, "rps"))
            r = ratio(med(summary, sc, ours, "cpu_us_per_req"), med(summary, sc, stock, "cpu_us_per_req"))
            add("ka1k_50 CPU per request ours/stock", r, "<= 0.75x", cmp(r, "<=", 0.75),
                spread=per_round_ratios(runs, sc, ours, stock, "cpu_us_per_req"))
            v = med(summary, sc, ours, "ctx_per_req")
            add("ka1k_50 context switches per request (ours, absolute)", v, "<= 0.50", cmp(v, "<=", 0.5),
                fmt="{:.2f}")
            r = ratio(med(summary, sc, ours, "p99_ms"), med(summary, sc, stock, "p99_ms"))
            add("ka1k_50 p99 latency ours/stock (no worse)", r, "<= 1.00x", cmp(r, "<=", 1.0),
                spread=per_round_ratios(runs, sc, ours, stock, "p99_ms"))
        sc = "ka1k_400"
        if sc in scenarios:
            e = (total(summary, sc, ours, "sock_errors") or 0) + (total(summary, sc, ours, "non2xx") or 0)
            runs_ok = (summary[sc][ours].get("runs", 0) > 0)
            add("ka1k_400 errors of ours (all rounds)", e if runs_ok else None, "= 0",
                (e == 0) if runs_ok else None, fmt="{:.0f}")
        sc = "idle10k"
        if sc in scenarios:
            held = summary[sc][ours].get("idle_still_open", {}).get("min")
            want = summary[sc][ours].get("idle_wanted", {}).get("max")
            add("idle10k idle connections still open at the end (ours, worst round)", held,
                f"= {want}" if want else "= 10000", (held == want) if held is not None and want else None,
                fmt="{:.0f}")
            r = med(summary, sc, ours, "idle_keep_ratio")
            spread = [x.get("idle_keep_ratio") for x in runs if x["scenario"] == sc and x["server"] == ours
                      and x.get("idle_keep_ratio") is not None]
            add("idle10k ours: req/s of 50 clients with the idle connections / without (same run)", r,
                ">= 0.90x", cmp(r, ">=", 0.9), spread=spread)
    else:
        for sc in scenarios:
            if sc.startswith("sweep_"):
                continue
            if sc == "slow500":
                # throughput is paced by the slow clients; the probes' time to first byte is the measure
                r = ratio(med(summary, sc, ours, "p50_ms"), med(summary, sc, stock, "p50_ms"))
                add(f"{sc} probe TTFB p50 ours/stock (lower is better)", r, "<= 1.00x", cmp(r, "<=", 1.0),
                    spread=per_round_ratios(runs, sc, ours, stock, "p50_ms"))
            else:
                r = ratio(med(summary, sc, ours, "rps"), med(summary, sc, stock, "rps"))
                add(f"{sc} requests/s ours/stock", r, ">= 1.00x", cmp(r, ">=", 1.0),
                    spread=per_round_ratios(runs, sc, ours, stock, "rps"))
            eo = (total(summary, sc, ours, "sock_errors") or 0) + (total(summary, sc, ours, "non2xx") or 0)
            es = (total(summary, sc, stock, "sock_errors") or 0) + (total(summary, sc, stock, "non2xx") or 0)
            have = summary[sc][ours].get("runs", 0) > 0 and summary[sc][stock].get("runs", 0) > 0
            add(f"{sc} errors ours vs stock (all rounds)", eo if have else None, f"<= {es:.0f} (stock)",
                (eo <= es) if have else None, fmt="{:.0f}")
    return T


def _need_num(need):
    for tok in need.replace("x", " ").split():
        try:
            return float(tok)
        except ValueError:
            continue
    return None


def _fmt(v, f):
    if v is None:
        return "-"
    try:
        return f.format(v)
    except (ValueError, TypeError):
        return str(v)


def table(kind, summary, scen_desc, scenarios, ours, stock, extras=()):
    """Rows: per scenario, ours, stock (and the reference servers) medians, then the ratio ours/stock."""
    servers = [ours, stock] + list(extras)
    head = ["scenario", "server"] + [h for _, h, _ in METRICS]
    rows = []
    for sc in scenarios:
        for srv in servers:
            if srv not in summary.get(sc, {}) or summary[sc][srv].get("runs", 0) == 0:
                if srv in extras:
                    continue
                rows.append([sc if srv == ours else "", srv, "no successful run"] + [""] * (len(METRICS) - 1))
                continue
            row = [sc if srv == ours else "", srv]
            for k, _, f in METRICS:
                row.append(_fmt(med(summary, sc, srv, k), f))
            rows.append(row)
        row = ["", "ours/stock"]
        for k, _, f in METRICS:
            if k in ("client_cpu_share", "other_cpu_share"):
                row.append("")
                continue
            a, b = med(summary, sc, ours, k), med(summary, sc, stock, k)
            r = ratio(a, b)
            row.append(f"{r:.2f}x" if r is not None else ("=" if a == b and a is not None else "-"))
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(widths[i]) if i < 2 else str(c).rjust(widths[i]) for i, c in enumerate(head))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        if len(r) > 2 and r[2] == "no successful run":
            lines.append("  ".join([str(r[0]).ljust(widths[0]), str(r[1]).ljust(widths[1]), r[2]]))
            continue
        lines.append("  ".join(str(c).ljust(widths[i]) if i < 2 else str(c).rjust(widths[i])
                               for i, c in enumerate(r)))
    return lines


def switch_split(summary, sc, srv):
    """(all, voluntary, involuntary) context switches per request of srv in sc (medians), or None."""
    if sc not in summary or not summary[sc].get(srv, {}).get("runs"):
        return None
    vals = [med(summary, sc, srv, k) for k in ("ctx_per_req", "ctx_vol_per_req", "ctx_invol_per_req")]
    return None if None in vals else tuple(vals)


def targets_table(T):
    if not T:
        return []
    w = max(len(t["target"]) for t in T)
    lines = [f"{'target':<{w}}  {'value':>9}  {'need':<18}  result", "-" * (w + 50)]
    for t in T:
        lines.append(f"{t['target']:<{w}}  {t['shown']:>9}  {t['need']:<18}  {t['result']}")
    return lines


def write_csv(path, runs):
    keys = ["kind", "round", "scenario", "server", "role", "time", "failed"]
    for r in runs:
        for k, v in r.items():
            if k not in keys and not isinstance(v, (dict, list)):
                keys.append(k)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in runs:
            w.writerow(r)


def write_summary_csv(path, kind, summary, scenarios, ours, stock):
    with open(path, "a", newline="") as f:
        w = csv.writer(f)
        if f.tell() == 0:
            w.writerow(["kind", "scenario", "metric", "ours", "stock", "ratio_ours_stock", "ours_min", "ours_max",
                        "stock_min", "stock_max"])
        for sc in scenarios:
            for k, _, _ in METRICS:
                a, b = med(summary, sc, ours, k), med(summary, sc, stock, k)
                if a is None and b is None:
                    continue
                r = ratio(a, b)

                def mm(srv, which):
                    try:
                        return summary[sc][srv][k][which]
                    except KeyError:
                        return None
                w.writerow([kind, sc, k, a, b, round(r, 4) if r is not None else None, mm(ours, "min"),
                            mm(ours, "max"), mm(stock, "min"), mm(stock, "max")])


def plot(path, kind, summary, ours, stock, extra=None, title_note=""):
    """Two panels: requests/s and p99 latency against concurrency (keep-alive 1 KiB)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    styles = {ours: dict(color="tab:blue", marker="o", label=f"{ours} (ours)"),
              stock: dict(color="tab:orange", marker="s", label=f"{stock} (stock)")}
    if extra:
        styles[extra] = dict(color="tab:gray", marker="^", linestyle="--", label=f"{extra} (reference)")
    plotted = False
    for srv, st in styles.items():
        for ax, key in ((ax1, "rps"), (ax2, "p99_ms")):
            xs, ys, lo, hi = [], [], [], []
            for c, sc in SWEEP:
                try:
                    d = summary[sc][srv][key]
                except KeyError:
                    continue
                xs.append(c)
                ys.append(d["median"])
                lo.append(d["median"] - d["min"])
                hi.append(d["max"] - d["median"])
            if xs:
                plotted = True
                ax.errorbar(xs, ys, yerr=[lo, hi], capsize=3, **st)
    for ax, lab in ((ax1, "requests/s (median, bars: min-max of rounds)"), (ax2, "p99 latency, ms (log)")):
        ax.set_xscale("log")
        ax.set_xlabel("concurrent keep-alive connections (1 KiB static file)")
        ax.set_ylabel(lab)
        ax.set_xticks([c for c, _ in SWEEP])
        ax.set_xticklabels([str(c) for c, _ in SWEEP])
        ax.grid(True, which="both", alpha=0.3)
        if plotted:
            ax.legend()
    ax1.set_ylim(bottom=0)
    ax2.set_yscale("log")
    fig.suptitle(f"{ours} vs {stock}: throughput and p99 against concurrency {title_note}")
    fig.tight_layout()
    if plotted:
        fig.savefig(path, dpi=110)
    plt.close(fig)
    return plotted
