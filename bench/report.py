#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the guest's benchmark log into bench/results/<date>-<kernel>.{json,md}
and the report's PNG plots.

The log is what bench/guest/bench.sh printed on the guest's second serial
port: "BENCH {json}" result lines and "# ..." progress lines. Repeated
measurements are summarised by their median; latency distributions pool every
repetition. Nothing here judges a figure: the report states them, the ratios
and the observed complexity, and explains where tcgroup is behind.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FS = ("tcgroup", "cgroup")
FS_NAME = {"tcgroup": "tcgroup", "cgroup": "cgroup v1", "umh": "limit module", "events": "tcgroup cgroup.events"}
LIMIT_TARGET = 0.95


def parse(path):
    results = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("BENCH "):
                try:
                    results.append(json.loads(line[6:]))
                except json.JSONDecodeError as e:
                    print(f"warning: unreadable result line ({e}): {line[:120]}", file=sys.stderr)
    return results


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def pct(sorted_values, p):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def kernel_config(kdir):
    cfg = {}
    try:
        with open(os.path.join(kdir, ".config")) as f:
            for line in f:
                m = re.match(r"^(CONFIG_\w+)=(.*)$", line.strip())
                if m:
                    cfg[m.group(1)] = m.group(2).strip('"')
    except OSError:
        pass
    return cfg


def host_facts(accel):
    facts = {"accel": accel, "host_machine": platform.machine()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    facts["host_cpu"] = line.split(":", 1)[1].strip()
                    break
        facts["host_cores"] = os.cpu_count()
    except OSError:
        pass
    try:
        out = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout
        facts["qemu"] = out.splitlines()[0] if out else None
    except OSError:
        pass
    return facts


def slope(points):
    """Least-squares slope of log(y) against log(x): y ~ x^slope."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x and y and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den if den else None


def complexity(k):
    if k is None:
        return "n/a"
    if k < 0.85:
        return f"sublinear (N^{k:.2f})"
    if k < 1.2:
        return f"linear, O(N) (N^{k:.2f})"
    if k < 1.7:
        return f"superlinear (N^{k:.2f})"
    return f"about quadratic (N^{k:.2f})"


def summarise(results):
    s = {"conditions": next((r for r in results if r["kind"] == "conditions"), {}),
         "errors": [r for r in results if r["kind"] == "error"]}

    fork = {}
    for r in results:
        if r["kind"] == "fork":
            fork.setdefault(r["label"], []).append(r)
    s["fork"] = {label: {"runs": len(rs),
                         "fork_us": med([r["fork_ns"] for r in rs]) / 1e3,
                         "thread_us": med([r["thread_ns"] for r in rs]) / 1e3,
                         "fork_us_all": [r["fork_ns"] / 1e3 for r in rs],
                         "thread_us_all": [r["thread_ns"] / 1e3 for r in rs]}
                 for label, rs in fork.items()}

    s["attach"] = {}
    for fs in FS:
        rs = [r for r in results if r["kind"] == "attach" and r["fs"] == fs]
        if rs:
            s["attach"][fs] = {k: med([r[k] for r in rs]) for k in
                               ("single_moves_per_s", "single_move_us", "tasks_moves_per_s", "tasks_total_ms",
                                "procs_total_ms")}
            s["attach"][fs]["runs"] = len(rs)

    s["memory"] = {}
    for fs in FS:
        rs = [r for r in results if r["kind"] == "memory" and r["fs"] == fs]
        if not rs:
            continue
        m = {"runs": len(rs), "k": rs[0]["k"]}
        for part in ("per_group", "per_file_lookup", "per_css_set", "left_after_rmdir"):
            if part not in rs[0]:
                continue
            m[part] = {k: med([r[part][k] for r in rs]) for k in
                       ("slabinfo_bytes", "meminfo_slab_bytes", "percpu_bytes", "memavailable_bytes")}
            m[part]["caches"] = rs[-1][part]["caches"]
        s["memory"][fs] = m

    s["release"] = {}
    for kind, names in (("release", FS), ("umh", ("umh",)), ("events", ("tcgroup",))):
        for name in names:
            rs = [r for r in results if r["kind"] == kind and r.get("fs", "umh") == name]
            key = "events" if kind == "events" else name
            for n in sorted({r["n"] for r in rs}):
                rn = [r for r in rs if r["n"] == n]
                lat = sorted(v for r in rn for v in r["lat_us"])
                total = med([r["total_ms"] for r in rn])
                entry = {"runs": len(rn),
                         "total_ms": total,
                         # The rate of the median run, so that rate and time agree.
                         "rate_per_s": n * 1e3 / total,
                         "total_ms_all": [r["total_ms"] for r in rn],
                         "lat_p50_ms": pct(lat, 0.5) / 1e3, "lat_p90_ms": pct(lat, 0.9) / 1e3,
                         "lat_p99_ms": pct(lat, 0.99) / 1e3, "lat_max_ms": lat[-1] / 1e3,
                         "lat_us": lat}
                for k in ("exits_ms", "first_call_ms", "mkdir_per_s", "place_per_s", "rmdir_per_s",
                          "launched", "epoll_wakeups", "failed", "gap_p50_us"):
                    if k in rn[0]:
                        entry[k] = med([r[k] for r in rn])
                s["release"].setdefault(key, {})[str(n)] = entry

    s["profile"] = {}
    for r in results:
        if r["kind"] != "profile":
            continue
        p = s["profile"].setdefault(r["fs"], {"fs": r["fs"], "n": r.get("n"), "runs": 0, "calls": 0, "callers": 0,
                                              "max_inflight": 0, "waits": []})
        p["runs"] += 1
        p["calls"] += r["calls"]
        p["callers"] = max(p["callers"], r["callers"])
        p["max_inflight"] = max(p["max_inflight"], r["max_inflight"])
        p["waits"].append(r["mean_call_us"])
        p["mean_call_us"] = statistics.mean(p["waits"])
        for k in ("tcgroup_release_runs", "tcgroup_checks", "cgroup1_release_agent_runs"):
            if k in r:
                p.setdefault(k + "_all", []).append(r[k])
                p[k] = statistics.mean(p[k + "_all"])

    s["depth"] = {}
    for fs in FS:
        rs = [r for r in results if r["kind"] == "depth" and r["fs"] == fs]
        for d in sorted({r["depth"] for r in rs}):
            rd = [r for r in rs if r["depth"] == d]
            s["depth"].setdefault(fs, {})[str(d)] = {"runs": len(rd),
                                                     "lat_p50_ms": med([r["lat_p50_ms"] for r in rd]),
                                                     "moves_per_s": med([r["moves_per_s"] for r in rd])}

    s["complexity"] = {}
    for key, by_n in s["release"].items():
        pts = [(int(n), e["total_ms"]) for n, e in by_n.items()]
        k = slope(pts)
        s["complexity"][key] = {"total_time_exponent": k, "class": complexity(k),
                                "p50_latency_exponent": slope([(int(n), e["lat_p50_ms"]) for n, e in by_n.items()])}
    return s


def fmt(v, digits=3):
    if v is None:
        return "n/a"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def verdict(tc, v1, higher_is_better):
    """'tcgroup is' column: how much better or worse tcgroup is."""
    if tc is None or v1 is None or tc <= 0 or v1 <= 0:
        return "n/a"
    r = tc / v1 if higher_is_better else v1 / tc
    if 0.95 <= r <= 1.05:
        return "same (within 5 %)"
    return f"{r:.2f}x faster" if r > 1 else f"{1 / r:.2f}x slower"


def smaller(tc, v1):
    if tc is None or v1 is None or v1 <= 0:
        return "n/a"
    r = tc / v1
    return "same (within 5 %)" if 0.95 <= r <= 1.05 else (f"{1 / r:.2f}x smaller" if r < 1 else f"{r:.2f}x larger")


def ratio(a, b):
    return a / b if a is not None and b else None


def plots(s, outdir, stem):
    files = {}
    ns = sorted({int(n) for key in ("tcgroup", "cgroup") for n in s["release"].get(key, {})})
    if ns:
        fig, axes = plt.subplots(1, len(ns), figsize=(5 * len(ns), 4), squeeze=False)
        for ax, n in zip(axes[0], ns):
            for key, style in (("tcgroup", "-"), ("cgroup", "-"), ("events", ":")):
                e = s["release"].get(key, {}).get(str(n))
                if not e:
                    continue
                lat = [v / 1e3 for v in e["lat_us"]]
                y = [(i + 1) / len(lat) for i in range(len(lat))]
                ax.plot(lat, y, style, label=FS_NAME[key] + (" (poll)" if key == "events" else " (agent)"))
            ax.set_title(f"N = {n} groups released at once")
            ax.set_xlabel("exit -> notification (ms, TCG guest)")
            ax.set_ylabel("fraction of groups")
            ax.set_xscale("symlog", linthresh=1)
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        files["latency"] = f"{stem}-latency.png"
        fig.savefig(os.path.join(outdir, files["latency"]), dpi=100)
        plt.close(fig)

        fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(15, 4))
        for fs, color in (("tcgroup", "C0"), ("cgroup", "C1")):
            by_n = s["release"].get(fs, {})
            xs = sorted(int(n) for n in by_n)
            for k, style, what in (("mkdir_per_s", "-", "mkdir"), ("place_per_s", "--", "tasks write"),
                                   ("rmdir_per_s", ":", "rmdir")):
                a3.plot(xs, [1e6 / by_n[str(x)][k] for x in xs], style, color=color, marker="o",
                        label=f"{FS_NAME[fs]}: {what}")
        a3.set_xscale("log")
        a3.set_yscale("log")
        a3.set_xlabel("N groups (siblings, css_sets)")
        a3.set_ylabel("µs per operation (TCG guest)")
        a3.set_title("set-up cost per group with N groups", fontsize=10)
        a3.grid(True, which="both", alpha=0.3)
        a3.legend(fontsize=7)
        for key, marker in (("tcgroup", "o"), ("cgroup", "s"), ("umh", "^"), ("events", "x")):
            by_n = s["release"].get(key)
            if not by_n:
                continue
            xs = sorted(int(n) for n in by_n)
            label = FS_NAME[key] + (" (poll)" if key == "events" else "")
            a1.plot(xs, [by_n[str(x)]["total_ms"] for x in xs], marker=marker, label=label)
            a2.plot(xs, [by_n[str(x)]["rate_per_s"] for x in xs], marker=marker, label=label)
        for ax, title, ylabel in ((a1, "time from the exits to the last notification", "ms (TCG guest)"),
                                  (a2, "notifications per second", "per s (TCG guest)")):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("N groups")
            ax.set_ylabel(ylabel)
            ax.set_title(title, fontsize=10)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        files["scaling"] = f"{stem}-scaling.png"
        fig.savefig(os.path.join(outdir, files["scaling"]), dpi=100)
        plt.close(fig)

    if s["fork"]:
        order = [c for c in ("baseline", "loaded", "tcgroup-root", "cgroup-root", "tcgroup-group", "cgroup-group")
                 if c in s["fork"]]
        base = s["fork"].get("baseline")
        fig, ax = plt.subplots(figsize=(8, 4))
        width = 0.4
        for i, (key, label) in enumerate((("fork_us", "fork+exit+wait"), ("thread_us", "thread create+exit+join"))):
            vals = [s["fork"][c][key] / base[key] if base else s["fork"][c][key] for c in order]
            ax.bar([x + (i - 0.5) * width for x in range(len(order))], vals, width, label=label)
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order, fontsize=8)
        ax.axhline(1, color="grey", lw=0.8)
        ax.set_ylabel("time per operation / baseline (median)")
        ax.set_title("fork/exit and thread overhead by condition")
        ax.legend(fontsize=8)
        fig.tight_layout()
        files["fork"] = f"{stem}-fork.png"
        fig.savefig(os.path.join(outdir, files["fork"]), dpi=100)
        plt.close(fig)
    return files


def markdown(s, facts, cfg, files, stem):
    c = s["conditions"]
    out = []
    w = out.append
    w(f"# tcgroup and cgroup v1 side by side: {stem}\n")
    w("Generated by `make bench` (bench/report.py) from one boot of the test guest; raw results in "
      f"`{stem}.json`.\n")
    w("## Conditions\n")
    w(f"- Guest: QEMU {facts.get('accel', '?').upper()} (software emulation: `{facts.get('qemu', '?')}`), "
      f"{c.get('cpus', '?')} vCPUs, {c.get('memtotal_kb', 0) // 1024} MiB, on a {facts.get('host_cpu', '?')} "
      f"host with {facts.get('host_cores', '?')} cores shared with other jobs.")
    w(f"- Kernel {c.get('kernel', '?')}: the harness's `test` kernel, the one `make check` boots "
      "(`tinyconfig` + `scripts/kconfig/test.config`): "
      f"HZ={cfg.get('CONFIG_HZ', '?')}, "
      f"{'PREEMPT_LAZY' if cfg.get('CONFIG_PREEMPT_LAZY') == 'y' else 'PREEMPT' if cfg.get('CONFIG_PREEMPT') == 'y' else 'no forced preemption'}, "
      f"SLUB{' (SLUB_DEBUG, /proc/slabinfo)' if cfg.get('CONFIG_SLUB_DEBUG') == 'y' else ''}, "
      f"CGROUPS={cfg.get('CONFIG_CGROUPS', 'n')} with no controller, MEMCG={cfg.get('CONFIG_MEMCG', 'n')}, "
      f"no lock debugging{'' if cfg.get('CONFIG_PROVE_LOCKING') != 'y' else ' (PROVE_LOCKING on!)'}.")
    w("- Both filesystems are measured in the same boot, in alternating order (ABBA, or reversed every "
      "repetition), and each figure is the median of its repetitions: "
      f"release runs per N = {c.get('reps', '?')} (for N = {c.get('ns', '?')}), fork loops of "
      f"{c.get('fork_m', '?')} x {c.get('rounds', '?')} rounds, attach x2, memory x2 ({c.get('memory_k', '?')} "
      "groups).")
    w("- cgroup v1 is a named hierarchy without controllers "
      "(`mount -t cgroup -o none,name=ref,release_agent=/bench/agent-cgroup`); tcgroup is "
      "`mount -t tcgroup -o none,name=bench,release_agent=/bench/agent-tcgroup`.")
    w("- The agent is a static C program that appends `PATH CLOCK_MONOTONIC-ns` to a log and exits "
      "(no `rmdir`); latency is from the worker thread's last timestamp before it exits to the agent's "
      "first instruction.")
    w("- **Absolute times under TCG are not hardware figures** (every instruction is emulated, an exec "
      "costs milliseconds). The ratios between tcgroup and cgroup v1, measured side by side, are the "
      "figures to read.\n")
    if s["errors"]:
        w("**Workloads that failed in this run:** " + "; ".join(e.get("what", "?") for e in s["errors"]) + "\n")

    w("## Summary\n")
    w("Ratio = tcgroup / cgroup v1 of the figure as shown.\n")
    w("| figure | tcgroup | cgroup v1 | ratio | tcgroup is |")
    w("| --- | ---: | ---: | ---: | --- |")
    rel = s["release"]
    for n in sorted({int(n) for n in rel.get("tcgroup", {})} | {int(n) for n in rel.get("cgroup", {})}):
        tc, v1 = rel.get("tcgroup", {}).get(str(n)), rel.get("cgroup", {}).get(str(n))
        if not tc or not v1:
            continue
        w(f"| release N={n}: exits to last agent call (ms) | {fmt(tc['total_ms'])} | {fmt(v1['total_ms'])} | "
          f"{fmt(ratio(tc['total_ms'], v1['total_ms']))} | {verdict(tc['total_ms'], v1['total_ms'], False)} |")
        w(f"| release N={n}: agent calls per second | {fmt(tc['rate_per_s'])} | {fmt(v1['rate_per_s'])} | "
          f"{fmt(ratio(tc['rate_per_s'], v1['rate_per_s']))} | {verdict(tc['rate_per_s'], v1['rate_per_s'], True)} |")
        w(f"| release N={n}: latency p50 / p99 (ms) | {fmt(tc['lat_p50_ms'])} / {fmt(tc['lat_p99_ms'])} | "
          f"{fmt(v1['lat_p50_ms'])} / {fmt(v1['lat_p99_ms'])} | {fmt(ratio(tc['lat_p50_ms'], v1['lat_p50_ms']))} | "
          f"{verdict(tc['lat_p50_ms'], v1['lat_p50_ms'], False)} (p50) |")
    at = s["attach"]
    if "tcgroup" in at and "cgroup" in at:
        a, b = at["tcgroup"], at["cgroup"]
        w(f"| attach: one task moved back and forth (moves/s) | {fmt(a['single_moves_per_s'])} | "
          f"{fmt(b['single_moves_per_s'])} | {fmt(ratio(a['single_moves_per_s'], b['single_moves_per_s']))} | "
          f"{verdict(a['single_moves_per_s'], b['single_moves_per_s'], True)} |")
        w(f"| attach: 1000 threads, one `tasks` write each (moves/s) | {fmt(a['tasks_moves_per_s'])} | "
          f"{fmt(b['tasks_moves_per_s'])} | {fmt(ratio(a['tasks_moves_per_s'], b['tasks_moves_per_s']))} | "
          f"{verdict(a['tasks_moves_per_s'], b['tasks_moves_per_s'], True)} |")
        w(f"| attach: 1001 threads, one `cgroup.procs` write (ms) | {fmt(a['procs_total_ms'])} | "
          f"{fmt(b['procs_total_ms'])} | {fmt(ratio(a['procs_total_ms'], b['procs_total_ms']))} | "
          f"{verdict(a['procs_total_ms'], b['procs_total_ms'], False)} |")
    fk = s["fork"]
    if "baseline" in fk:
        base = fk["baseline"]
        for key, what in (("fork_us", "fork+exit"), ("thread_us", "thread create+exit")):
            for where in ("root", "group"):
                a, b = fk.get(f"tcgroup-{where}"), fk.get(f"cgroup-{where}")
                if a and b:
                    # Overlapping ranges over the rounds: the difference is noise.
                    overlap = (min(a[key + "_all"]) <= max(b[key + "_all"])
                               and min(b[key + "_all"]) <= max(a[key + "_all"]))
                    w(f"| {what}, task in {'the root group' if where == 'root' else 'a child group'} "
                      f"(time / baseline) | {a[key] / base[key]:.3f}x | {b[key] / base[key]:.3f}x | "
                      f"{fmt(ratio(a[key], b[key]))} | {verdict(a[key], b[key], False)}"
                      f"{' (ranges over the rounds overlap: noise)' if overlap else ''} |")
        bg = sorted(c[len("tcgroup-"):] for c in fk if c.startswith("tcgroup-group-") and c.endswith("csets"))
        for b in bg:
            a, v = fk.get("tcgroup-" + b), fk.get("cgroup-" + b)
            if a and v:
                for key, what in (("fork_us", "fork+exit"), ("thread_us", "thread create+exit")):
                    overlap = (min(a[key + "_all"]) <= max(v[key + "_all"])
                               and min(v[key + "_all"]) <= max(a[key + "_all"]))
                    w(f"| {what}, task in a child group, {b.split('-')[1].replace('csets', '')} other "
                      f"populated groups (time / baseline) | {a[key] / base[key]:.3f}x | {v[key] / base[key]:.3f}x | "
                      f"{fmt(ratio(a[key], v[key]))} | {verdict(a[key], v[key], False)}"
                      f"{' (ranges over the rounds overlap: noise)' if overlap else ''} |")
    mem = s["memory"]
    if "tcgroup" in mem and "cgroup" in mem:
        for part, what in (("per_group", "memory per empty group (bytes, slab + percpu)"),
                           ("per_css_set", "memory per task in a group of its own: css_set, links (bytes)")):
            a = mem["tcgroup"][part]["slabinfo_bytes"] + mem["tcgroup"][part]["percpu_bytes"]
            b = mem["cgroup"][part]["slabinfo_bytes"] + mem["cgroup"][part]["percpu_bytes"]
            w(f"| {what} | {fmt(a)} | {fmt(b)} | {fmt(ratio(a, b))} | {smaller(a, b)} |")
    ev = rel.get("events", {})
    for n, e in sorted(ev.items(), key=lambda x: int(x[0])):
        v1 = rel.get("cgroup", {}).get(n)
        if v1:
            w(f"| N={n}: notifications/s by each one's fastest path (tcgroup: `cgroup.events` poll; "
              f"v1: the agent, it has no pollable file) | {fmt(e['rate_per_s'])} | {fmt(v1['rate_per_s'])} | "
              f"{fmt(ratio(e['rate_per_s'], v1['rate_per_s']))} | "
              f"{verdict(e['rate_per_s'], v1['rate_per_s'], True)} |")
    w("")
    if ev:
        w("## The pollable event path against the agent path\n")
        w("The same workload as the release runs (N groups, one thread each, all exit at once), observed by "
          "one process that has every group's `cgroup.events` open in an epoll set and reads a file when "
          "it is reported (`EPOLLPRI`), until every group read `populated 0`; `notify_on_release` off.\n")
        w("| N | poll: notifications/s | poll p50 / p99 latency (ms) | epoll wake-ups | tcgroup agent/s | "
          "v1 agent/s | poll / tcgroup agent |")
        w("| ---: | ---: | --- | ---: | ---: | ---: | ---: |")
        for n, e in sorted(ev.items(), key=lambda x: int(x[0])):
            ag = rel.get("tcgroup", {}).get(n, {})
            v1 = rel.get("cgroup", {}).get(n, {})
            w(f"| {n} | {fmt(e['rate_per_s'])} | {fmt(e['lat_p50_ms'])} / {fmt(e['lat_p99_ms'])} | "
              f"{fmt(e.get('epoll_wakeups'))} | {fmt(ag.get('rate_per_s'))} | {fmt(v1.get('rate_per_s'))} | "
              f"{fmt(ratio(e['rate_per_s'], ag.get('rate_per_s')))} |")
        w("")

    w("## Release throughput against the limit\n")
    w("The limit module (`bench/umh/tcgroup_umh_bench.c`) runs the same agent N times with "
      "`call_usermodehelper(UMH_WAIT_EXEC)`, one call after the other, from one work item on an unbound "
      "workqueue with `max_active` 1, with no group logic: the rate of execs made one after the other "
      "(tcgroup overlaps its calls since it gives each a work item of its own, so it can exceed it). It is started "
      "when the N threads of the same set-up (N groups on the tcgroup mount, without "
      "`notify_on_release`) are woken to exit, so only the group logic differs from the release runs. "
      f"Target: tcgroup's rate at least {LIMIT_TARGET:.0%} of it.\n")
    w("Two measures: the rate over the whole run (N / time from the exits to the last call), and the "
      "rate of a typical call (1 / the median time between consecutive agent calls), which a few calls "
      "slowed down by the shared host do not move. For v1, whose calls overlap, only the first applies.\n")
    w("| N | limit (calls/s) | tcgroup (calls/s) | tcgroup / limit | limit, median gap (ms) | "
      "tcgroup, median gap (ms) | tcgroup / limit by gap | cgroup v1 (calls/s) | v1 / limit |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")

    def mark(f):
        return "" if f is None else (" (meets the target)" if f >= LIMIT_TARGET else " (below the target)")

    for n in sorted(rel.get("umh", {}), key=int):
        u = rel["umh"][n]["rate_per_s"]
        t = rel.get("tcgroup", {}).get(n, {})
        tc = t.get("rate_per_s")
        v1 = rel.get("cgroup", {}).get(n, {}).get("rate_per_s")
        frac = ratio(tc, u)
        ug, tg = rel["umh"][n].get("gap_p50_us"), t.get("gap_p50_us")
        gfrac = ratio(ug, tg)
        w(f"| {n} | {fmt(u)} | {fmt(tc)} | {fmt(frac * 100 if frac else None)} %{mark(frac)} | "
          f"{fmt(ug / 1e3 if ug else None)} | {fmt(tg / 1e3 if tg else None)} | "
          f"{fmt(gfrac * 100 if gfrac else None)} %{mark(gfrac)} | {fmt(v1)} | "
          f"{fmt(ratio(v1, u) * 100 if ratio(v1, u) else None)} % |")
    w("")
    w("Per N, with every repetition (ms from the exits, or the `run` write, to the last agent call):\n")
    w("| N | tcgroup | cgroup v1 | limit | tcgroup poll | tcgroup: runs of the release work (profiled run) |")
    w("| ---: | --- | --- | --- | --- | ---: |")
    for n in sorted({n for k in rel for n in rel[k]}, key=int):
        cells = []
        for key in ("tcgroup", "cgroup", "umh", "events"):
            e = rel.get(key, {}).get(n)
            cells.append(", ".join(fmt(v) for v in e["total_ms_all"]) if e else "n/a")
        ptc = s["profile"].get("tcgroup", {})
        runs = ptc.get("tcgroup_release_runs") if str(n) == str(ptc.get("n")) else None
        w(f"| {n} | " + " | ".join(cells) + f" | {fmt(runs) if runs is not None else '-'} |")
    w("")

    w("## Observed complexity\n")
    w("Exponent k of a least-squares fit of time ~ N^k over the N measured (k = 1 is linear).\n")
    w("| path | total time (exits to last notification) | p50 per-group latency exponent |")
    w("| --- | --- | ---: |")
    for key in ("tcgroup", "cgroup", "umh", "events"):
        cx = s["complexity"].get(key)
        if cx:
            w(f"| {FS_NAME[key]} | {cx['class']} | {fmt(cx['p50_latency_exponent'])} |")
    w("")
    dp = s["depth"]
    if dp:
        w("With depth D (a chain of D nested groups, a thread in the deepest; median of the repetitions):\n")
        w("| depth | fs | exit -> agent call (ms) | moves/s root <-> deepest |")
        w("| ---: | --- | ---: | ---: |")
        for d in sorted({d for fs in dp for d in dp[fs]}, key=int):
            for fs in FS:
                e = dp.get(fs, {}).get(d)
                if e:
                    w(f"| {d} | {FS_NAME[fs]} | {fmt(e['lat_p50_ms'])} | {fmt(e['moves_per_s'])} |")
        for fs in FS:
            pts = [(int(d), e["lat_p50_ms"]) for d, e in dp.get(fs, {}).items()]
            mv = [(int(d), 1 / e["moves_per_s"]) for d, e in dp.get(fs, {}).items() if e["moves_per_s"]]
            w(f"\n{FS_NAME[fs]}: agent latency grows as depth^{fmt(slope(pts))}, time per move as "
              f"depth^{fmt(slope(mv))}.")
        w("")
    w("Time per operation against the number N of groups (or css_sets) that exist, from the release "
      "runs' set-up and clean-up (k = 0: constant per operation, so O(N) for N of them; k = 1: linear per "
      "operation, O(N^2) in all):\n")
    w("| operation | tcgroup k | cgroup v1 k |")
    w("| --- | ---: | ---: |")
    for k, what in (("mkdir_per_s", "mkdir of one more group in the same parent"),
                    ("place_per_s", "`tasks` write moving a thread into a group of its own (new css_set)"),
                    ("rmdir_per_s", "rmdir"), ("exits_ms", "thread exit (per exit, all at once)")):
        cells = []
        for fs in FS:
            by_n = rel.get(fs, {})
            if k == "exits_ms":
                pts = [(int(n), e[k] / int(n)) for n, e in by_n.items() if e.get(k)]
            else:
                pts = [(int(n), 1 / e[k]) for n, e in by_n.items() if e.get(k)]
            cells.append(fmt(slope(pts)))
        w(f"| {what} | " + " | ".join(cells) + " |")
    w("")
    w("Group creation, placement and removal rates per N (median, per second):\n")
    w("| N | fs | mkdir/s | `tasks` writes/s | rmdir/s | exits took (ms) | first agent call after (ms) |")
    w("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for n in sorted({n for k in FS for n in rel.get(k, {})}, key=int):
        for fs in FS:
            e = rel.get(fs, {}).get(n)
            if e:
                w(f"| {n} | {FS_NAME[fs]} | {fmt(e.get('mkdir_per_s'))} | {fmt(e.get('place_per_s'))} | "
                  f"{fmt(e.get('rmdir_per_s'))} | {fmt(e.get('exits_ms'))} | {fmt(e.get('first_call_ms'))} |")
    w("")

    w("## Fork/exit and thread overhead\n")
    w("Median time per operation (µs, TCG) and its ratio to the baseline (module not loaded, no named v1 "
      "hierarchy). Conditions: `loaded` = tcgroup.ko loaded, nothing mounted (its fork/exit probes are "
      "registered); `*-root` = both hierarchies mounted, the task in that hierarchy's root; `*-group` = the "
      "task in a child group of that hierarchy (and in the other's root).\n")
    w("| condition | runs | fork+exit+wait (µs) | range | ratio | thread create+exit+join (µs) | range | ratio |")
    w("| --- | ---: | ---: | --- | ---: | ---: | --- | ---: |")
    base = fk.get("baseline")
    std = ["baseline", "loaded", "tcgroup-root", "cgroup-root", "tcgroup-group", "cgroup-group"]
    for cnd in std + sorted(c for c in fk if c not in std and c != "warmup"):
        e = fk.get(cnd)
        if e and base:
            w(f"| {cnd} | {e['runs']} | {fmt(e['fork_us'])} | {fmt(min(e['fork_us_all']))}-"
              f"{fmt(max(e['fork_us_all']))} | {fmt(ratio(e['fork_us'], base['fork_us']))} | "
              f"{fmt(e['thread_us'])} | {fmt(min(e['thread_us_all']))}-{fmt(max(e['thread_us_all']))} | "
              f"{fmt(ratio(e['thread_us'], base['thread_us']))} |")
    w("")

    w("## Memory\n")
    w("From the kernel's own accounting: the sum of active objects x object size over `/proc/slabinfo` "
      "(every cache shrunk through `/sys/kernel/slab/*/shrink` before each reading, so free objects "
      "held in per-CPU slabs are not counted as used), and `Percpu` of `/proc/meminfo`; `Slab` of "
      "`/proc/meminfo` (whole pages) as a cross-check. Each is the delta over "
      f"{c.get('memory_k', '?')} objects divided by their number. A *css_set* figure is the cost of "
      "moving one task into a group of its own (the task already existed, and so did the group and its "
      "looked-up `tasks` file): v1's css_set and its links, tcgroup's css_set and membership entry. "
      "With slab merging (`SLAB_MERGE_DEFAULT`) caches of equal size share a name.\n")
    w("| figure | fs | slabinfo (B) | percpu (B) | meminfo Slab (B) | largest caches (B per object) |")
    w("| --- | --- | ---: | ---: | ---: | --- |")
    for part, what in (("per_group", "empty group"), ("per_file_lookup", "first lookup of its `tasks` file"),
                       ("per_css_set", "task in a group of its own"), ("left_after_rmdir", "left after rmdir")):
        for fs in FS:
            m = mem.get(fs, {}).get(part)
            if m:
                caches = ", ".join(f"{k} {v:.0f}" for k, v in m["caches"].items())
                w(f"| {what} | {FS_NAME[fs]} | {fmt(m['slabinfo_bytes'])} | {fmt(m['percpu_bytes'])} | "
                  f"{fmt(m['meminfo_slab_bytes'])} | {caches} |")
    w("")

    w("## Attach\n")
    w("| fs | single moves/s | µs per move | 1000 `tasks` writes (ms) | 1001 threads by `cgroup.procs` (ms) |")
    w("| --- | ---: | ---: | ---: | ---: |")
    for fs in FS:
        a = at.get(fs)
        if a:
            w(f"| {FS_NAME[fs]} | {fmt(a['single_moves_per_s'])} | {fmt(a['single_move_us'])} | "
              f"{fmt(a['tasks_total_ms'])} | {fmt(a['procs_total_ms'])} |")
    w("")

    pr = s["profile"]
    if pr:
        w("## Profile of the release path (counting)\n")
        w("The guest kernel has no perf tool, so the release runs are profiled by counting: kprobe events on "
          "`call_usermodehelper_exec` (entry and return, traced with the `mono` clock), on tcgroup's release "
          "scheduling and checks and on v1's `cgroup1_release_agent`, in one extra run per path that is not "
          "part of the figures above.\n")
        w("| path | N | profiled runs | agent calls | distinct calling threads (max) | most calls in flight | "
          "mean wait in `call_usermodehelper_exec` (µs; per run) | release work runs (mean) |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
        for key in ("tcgroup", "cgroup", "umh"):
            p = pr.get(key)
            if p:
                runs = p.get("tcgroup_release_runs") if key == "tcgroup" else p.get(
                    "cgroup1_release_agent_runs") if key == "cgroup" else None
                w(f"| {FS_NAME[key]} | {p.get('n', '')} | {p['runs']} | {p['calls']} | {p['callers']} | "
                  f"{p['max_inflight']} | {fmt(p['mean_call_us'])} ({', '.join(fmt(x) for x in p['waits'])}) | "
                  f"{fmt(runs) if runs is not None else '-'} |")
        w("")
    w(ANALYSIS.format(**analysis_values(s)))

    if files:
        w("## Plots\n")
        for key, title in (("latency", "Per-group latency distribution (CDF)"),
                           ("scaling", "Scaling with N"), ("fork", "Fork and thread overhead")):
            if key in files:
                w(f"### {title}\n\n![{title}]({files[key]})\n")
    return "\n".join(out) + "\n"


def analysis_values(s):
    rel, pr, fk = s["release"], s["profile"], s["fork"]
    v = {"v1_inflight": pr.get("cgroup", {}).get("max_inflight", "?"),
         "v1_callers": pr.get("cgroup", {}).get("callers", "?"),
         "tc_wait": fmt(pr.get("tcgroup", {}).get("mean_call_us")),
         "v1_wait": fmt(pr.get("cgroup", {}).get("mean_call_us")),
         "umh_wait": fmt(pr.get("umh", {}).get("mean_call_us")),
         "tc_runs": pr.get("tcgroup", {}).get("tcgroup_release_runs", "?"),
         "tc_checks": pr.get("tcgroup", {}).get("tcgroup_checks", "?"),
         "pn": pr.get("tcgroup", {}).get("n", "?")}
    fr = {n: ratio(rel.get("tcgroup", {}).get(n, {}).get("rate_per_s"), rel["umh"][n]["rate_per_s"])
          for n in rel.get("umh", {})}
    fr = {n: f for n, f in fr.items() if f}
    vt = {n: ratio(rel.get("cgroup", {}).get(n, {}).get("rate_per_s"), e["rate_per_s"])
          for n, e in rel.get("tcgroup", {}).items()}
    gf = {n: ratio(rel["umh"][n].get("gap_p50_us"), rel.get("tcgroup", {}).get(n, {}).get("gap_p50_us"))
          for n in rel.get("umh", {})}
    v["limit_gap"] = ", ".join(f"{f * 100:.0f} % at N = {n}" for n, f in sorted(gf.items(), key=lambda x: int(x[0]))
                               if f) or "n/a"
    sp = {n: max(e["total_ms_all"]) / min(e["total_ms_all"]) for n, e in rel.get("umh", {}).items()
          if len(e["total_ms_all"]) > 1 and min(e["total_ms_all"]) > 0}
    v["limit_spread"] = ", ".join(f"{(f - 1) * 100:.0f} % at N = {n}"
                                  for n, f in sorted(sp.items(), key=lambda x: int(x[0]))) or "n/a (one run)"
    v["v1_vs_tc"] = ", ".join(f"{f:.2f}x at N = {n}" for n, f in sorted(vt.items(), key=lambda x: int(x[0])) if f)
    v["limit"] = ", ".join(f"{f * 100:.0f} % at N = {n}" for n, f in sorted(fr.items(), key=lambda x: int(x[0])))
    exps = {}
    for fs in FS:
        by_n = rel.get(fs, {})
        exps[fs] = {k: slope([(int(n), 1 / e[k]) for n, e in by_n.items() if e.get(k)])
                    for k in ("mkdir_per_s", "place_per_s", "rmdir_per_s")}
    v["tc_mkdir_k"] = fmt(exps["tcgroup"]["mkdir_per_s"])
    v["v1_mkdir_k"] = fmt(exps["cgroup"]["mkdir_per_s"])
    v["tc_place_k"] = fmt(exps["tcgroup"]["place_per_s"])
    v["v1_place_k"] = fmt(exps["cgroup"]["place_per_s"])
    big = max((int(n) for n in rel.get("tcgroup", {})), default=0)
    e_tc, e_v1 = rel.get("tcgroup", {}).get(str(big), {}), rel.get("cgroup", {}).get(str(big), {})
    v["big"] = big
    v["tc_mkdir_big"] = fmt(e_tc.get("mkdir_per_s"))
    v["v1_mkdir_big"] = fmt(e_v1.get("mkdir_per_s"))
    v["tc_exits_big"] = fmt(e_tc.get("exits_ms"))
    v["v1_exits_big"] = fmt(e_v1.get("exits_ms"))
    bg = [c for c in fk if c.startswith("tcgroup-group-") and c.endswith("csets")]
    base = fk.get("baseline", {}).get("fork_us")
    if bg and base and fk.get("cgroup" + bg[0][len("tcgroup"):]):
        a, b = fk[bg[0]], fk["cgroup" + bg[0][len("tcgroup"):]]
        v["bg"] = (f"with {bg[0].split('-')[2].replace('csets', '')} other populated groups, fork+exit from a "
                   f"child group took {a['fork_us'] / base:.2f}x the baseline on tcgroup and "
                   f"{b['fork_us'] / base:.2f}x on v1, thread create+exit {a['thread_us'] / fk['baseline']['thread_us']:.2f}x "
                   f"and {b['thread_us'] / fk['baseline']['thread_us']:.2f}x")
    else:
        v["bg"] = "the forkbg rows were not measured in this run"
    return v


ANALYSIS = """## Where tcgroup is behind cgroup v1, and why

These explanations come from the counts above and from reading both implementations; the
module fixes named are proposals, not changes made by the benchmark.

**Release throughput and latency.** tcgroup's release work, on the module's unbound workqueue,
takes every queued group off in one pass ({tc_runs} run(s) of the release work for {pn} groups in
the profiled run, {tc_checks} release checks) and hands each call to a work item of its own on the
same workqueue (default `max_active`), where it waits in `call_usermodehelper(UMH_WAIT_EXEC)`
({tc_wait} µs on average under TCG in the profiled run; the limit module's serial calls waited
{umh_wait} µs). cgroup v1 gives every group a work item of its own (`cgrp->release_agent_work`,
`schedule_work()` on the per-CPU system workqueue): the profiled v1 run had up to {v1_inflight}
calls in flight from {v1_callers} kworkers, each waiting {v1_wait} µs on average because they all
compete for the same 2 vCPUs. Both now overlap the execs; an exec is CPU work, so overlapping
gains at most what the otherwise idle second vCPU adds. v1's rate was {v1_vs_tc} tcgroup's in
this run. Until commit "tcgroup: release: one work item per agent call" tcgroup made the calls one
after the other from the release work and was 2.0x (N = 1 000) to 2.4x (N = 10 000) slower than
v1 (the report of that run is in this file's git history); that commit was this report's
proposal. Against the limit module, which makes its calls one after the other, tcgroup's rate was
{limit} over whole runs and {limit_gap} by the median time between calls: above 100 % is the
overlap, which the serial limit does not have. These are the noisiest figures of the report: the
limit's own repetitions differ by {limit_spread} (slowest / fastest run), the host's cores are
shared with other jobs and one exec costs milliseconds of emulated work; the largest N has a
single repetition. The part of tcgroup's release path that is not the exec (one tree walk per run
of the release work, one path build and one work item per group) is small next to an exec.

**mkdir with many siblings.** A group keeps its children in a `kernel::rbtree::RBTree` keyed by
name (`Tree::children` in rust/group.rs), as kernfs keeps a v1 directory (by name hash), so lookup,
mkdir, rename and rmdir are O(log N) in the siblings: the time per mkdir grows as
N^{tc_mkdir_k} (v1: N^{v1_mkdir_k}); at N = {big}, tcgroup made {tc_mkdir_big} groups/s against v1's
{v1_mkdir_big}. Until commit "tcgroup: group: children in an rbtree keyed by name" the children were
a vector scanned by name, O(N^2) for N siblings (N^0.709; 2,294 groups/s against v1's 29,065 at
N = 10 000, in the report of 2026-11-29-7.3.4).

**css_sets: fork, exit and attach with many groups populated.** tcgroup's css_set registry
(`Membership::csets` in rust/membership.rs) is a vector in which each css_set knows its index
(`CssSet::slot`): the fork probe finds the list's reference and the last exit unlists it in O(1)
under `CSS_SET_LOCK`; {bg}; the time per `tasks` write into a new group grows as N^{tc_place_k}
(v1: N^{v1_place_k}), and the {big} exits at once took {tc_exits_big} ms on tcgroup and
{v1_exits_big} ms on v1. A move plans its target css_set once per source css_set, so a
`cgroup.procs` write of a whole thread group costs one plan, as v1 migrates per css_set; what is
left per thread is the publication in the task map and the use counts. The search for an
existing css_set with the same groups is still a scan of the registry, once per source css_set
of a move; v1 hashes them (`css_set_table`), the next step if attach with very many css_sets
matters. Before the commits "tcgroup: membership: plan a move once per source css_set" and
"tcgroup: membership: O(1) css_set lookup and unlisting" each of these was a linear search (the
`tasks` write grew as N^0.212 and the 1001-thread `cgroup.procs` write was 5.4x v1's time in the
report of 2026-11-29-7.3.4).

**Poll vs agent.** `cgroup.events` needs no exec: a reader is woken from the exit path, so its
rate is bounded by the exits and the reader's reads, not by process creation.

**Everything else** where the summary shows tcgroup behind by a few percent is within the
run-to-run spread of a TCG guest on shared host cores; the fork/exit rows in the root and in a
single child group in particular differ by less than their spread between rounds (marked).
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", required=True, help="bench.log of the guest's second serial port")
    ap.add_argument("--kdir", default="", help="the guest kernel's build directory (for its .config)")
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--date", default=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"))
    args = ap.parse_args()

    results = parse(args.log)
    if not any(r["kind"] == "conditions" for r in results):
        print(f"error: no benchmark results in {args.log}", file=sys.stderr)
        return 1
    s = summarise(results)
    for key, r in s["profile"].items():
        r.setdefault("n", None)
    cfg = kernel_config(args.kdir)
    facts = host_facts(args.accel)
    kernel = s["conditions"].get("kernel", "unknown")
    stem = f"{args.date}-{kernel}"
    os.makedirs(args.outdir, exist_ok=True)
    files = plots(s, args.outdir, stem)
    doc = {"date": args.date, "kernel": kernel, "host": facts,
           "config": {k: cfg.get(k) for k in ("CONFIG_HZ", "CONFIG_PREEMPT_LAZY", "CONFIG_PREEMPT", "CONFIG_SLUB",
                                              "CONFIG_SLUB_DEBUG", "CONFIG_CGROUPS", "CONFIG_MEMCG", "CONFIG_NR_CPUS",
                                              "CONFIG_PROVE_LOCKING", "CONFIG_KASAN")},
           "summary": s, "plots": files, "raw": results}
    # The pooled latencies repeat the raw results: left out of the summary. Each raw result
    # is one line, as the guest printed it.
    for by_n in s["release"].values():
        for e in by_n.values():
            e.pop("lat_us", None)
    raw = doc.pop("raw")
    text = json.dumps(doc, indent=1)
    text = text[:text.rindex("}")].rstrip() + ',\n "raw": [\n'
    text += ",\n".join("  " + json.dumps(r) for r in raw) + "\n ]\n}\n"
    with open(os.path.join(args.outdir, f"{stem}.json"), "w") as f:
        f.write(text)
    with open(os.path.join(args.outdir, f"{stem}.md"), "w") as f:
        f.write(markdown(s, facts, cfg, files, stem))
    print(f"    report: {os.path.join(args.outdir, stem)}.md (.json, plots: {', '.join(files.values())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
