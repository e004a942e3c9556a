#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the guest's benchmark log into bench/results/<stem>.{json,md} and the
report's PNG plots.

The log is what bench/guest/bench.sh printed on the guest's second serial
port: "BENCH {json}" result lines and "# ..." progress lines. The JSON holds
every raw result, the conditions of the run and a summary computed from the
raw results; the Markdown is then written from that JSON alone (read back from
the file), so that every figure in it comes from the JSON of the same run.
`--from-json FILE` writes the Markdown of an existing JSON file again.

Statistics: a figure measured R times is given as the median of its R values
and their range (min..max). A ratio tcgroup / cgroup v1 is the ratio of the
medians, with the range of the ratios of the repetitions measured side by
side (the i-th of each, run one after the other; the widest range
min / max .. max / min where the counts differ); "same" means the two
ranges of values overlap, "faster" or "slower" that they do not.
Percentiles are statistics.quantiles(); growth exponents are the slope of
statistics.linear_regression() on log-log points of every repetition.
"""

import argparse
import datetime
import glob
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys

FS = ("tcgroup", "cgroup")
FS_NAME = {"tcgroup": "tcgroup", "cgroup": "cgroup v1", "umh": "limit module", "events": "tcgroup cgroup.events"}
COLOR = {"tcgroup": "C0", "cgroup": "C1", "umh": "C2", "events": "C3"}
CONFIG_KEYS = ("CONFIG_HZ", "CONFIG_PREEMPT_LAZY", "CONFIG_PREEMPT", "CONFIG_SLUB", "CONFIG_SLUB_DEBUG",
               "CONFIG_CGROUPS", "CONFIG_MEMCG", "CONFIG_NR_CPUS", "CONFIG_PROVE_LOCKING", "CONFIG_KASAN")


# ---------------------------------------------------------------------------
# Reading the log and the host.

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


def kernel_config(kdir):
    cfg = {}
    try:
        with open(os.path.join(kdir, ".config")) as f:
            for line in f:
                m = re.match(r"^(CONFIG_\w+)=(.*)$", line.strip())
                if m and m.group(1) in CONFIG_KEYS:
                    cfg[m.group(1)] = m.group(2).strip('"')
    except OSError:
        pass
    return cfg


def host_facts(args):
    facts = {"accel": args.accel, "machine": platform.machine(), "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    facts["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        out = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout
        if out:
            facts["qemu"] = out.splitlines()[0]
    except OSError:
        pass
    for key, text in (("load_before", args.load_before), ("load_after", args.load_after)):
        if text:
            facts[key] = [float(x) for x in text.split()]
    if args.boot_seconds is not None:
        facts["boot_seconds"] = args.boot_seconds
    if args.commit:
        facts["module_commit"] = args.commit
    if args.settings is not None:
        facts["settings"] = args.settings
    return facts


# ---------------------------------------------------------------------------
# Statistics, all from the statistics module.

def percentile(values, p):
    """The p-th percentile (1..99) of @values, statistics.quantiles() inclusive."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def figure(values):
    """A figure measured once per repetition: its values, median and range."""
    values = list(values)
    return {"all": values, "median": statistics.median(values), "min": min(values), "max": max(values)}


def batched(results):
    """The number of batches the timed loops of @results were cut into, or None."""
    return next((r["batches"] for r in results if "batches" in r), None)


# The loops timed in batches: (kind, key, what, unit, higher is better). Each
# result has the loop's mean as KEY and its median batch as KEY_batch.
BATCHED = (("attach", "single_moves_per_s", "single moves, `tasks` held open", "moves/s", True),
           ("attach", "single_reopen_moves_per_s", "single moves, open+write+close", "moves/s", True),
           ("attach", "tasks_moves_per_s", "1000 threads, one `tasks` write each", "moves/s", True),
           ("depth", "moves_per_s", "moves root <-> depth {depth}, held open", "moves/s", True),
           ("depth", "reopen_moves_per_s", "moves root <-> depth {depth}, open+write+close", "moves/s", True),
           ("fork", "fork_ns", "fork+exit, {label}", "ns", False),
           ("fork", "thread_ns", "thread create+exit, {label}", "ns", False))


def exponent(points):
    """k of y ~ x^k: the slope of a least-squares fit of log y on log x."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in pts}) < 2:
        return None
    return statistics.linear_regression([x for x, _ in pts], [y for _, y in pts]).slope


def compare(tc, v1, higher_is_better):
    """tcgroup's figure against v1's: ratio of the medians, the range of the
    ratios of the repetitions run side by side, and the verdict by overlap."""
    overlap = tc["min"] <= v1["max"] and v1["min"] <= tc["max"]
    if overlap:
        verdict = "same"
    else:
        better = (tc["median"] > v1["median"]) == higher_is_better
        verdict = "faster" if better else "slower"
    if len(tc["all"]) != len(v1["all"]):
        # Not run side by side, one for one (a workload of one filesystem only, or one that failed).
        return {**compare_unpaired(tc, v1), "pairs": 0, "verdict": verdict}
    paired = [a / b for a, b in zip(tc["all"], v1["all"])]
    return {"ratio": tc["median"] / v1["median"], "min": min(paired), "max": max(paired), "pairs": len(paired),
            "verdict": verdict}


def compare_unpaired(a, b):
    """a / b for figures measured at different times: the ratio of the
    medians, and its widest range min(a)/max(b) .. max(a)/min(b)."""
    return {"ratio": a["median"] / b["median"], "min": a["min"] / b["max"], "max": a["max"] / b["min"]}


def by_fs(results, kind, fs, **match):
    return [r for r in results if r["kind"] == kind and r.get("fs") == fs
            and all(r.get(k) == v for k, v in match.items())]


def gaps_us(agent_us):
    """Times between consecutive agent calls (agent_us is sorted)."""
    return [b - a for a, b in zip(agent_us, agent_us[1:])]


# ---------------------------------------------------------------------------
# The summary: every figure of the report.

def summarise(results):
    s = {"errors": [r.get("what", "") for r in results if r["kind"] == "error"]}
    cond = next((r for r in results if r["kind"] == "conditions"), None)
    s["guest"] = {k: v for k, v in cond.items() if k != "kind"}
    fin = next((r for r in results if r["kind"] == "finished"), None)
    if fin:
        s["guest"]["bench_seconds"] = fin["uptime_s"] - cond["uptime_s"]
    s["batches"] = batched(results)

    # Release, limit and events: per N, per repetition.
    s["release"] = {}
    for key, kind, fs in (("tcgroup", "release", "tcgroup"), ("cgroup", "release", "cgroup"),
                          ("umh", "umh", None), ("events", "events", "tcgroup")):
        rs = [r for r in results if r["kind"] == kind and (fs is None or r.get("fs") == fs)]
        for n in sorted({r["n"] for r in rs}):
            rn = [r for r in rs if r["n"] == n]
            e = {"runs": len(rn),
                 "total_ms": figure(r["total_ms"] for r in rn),
                 "rate_per_s": figure(r["rate_per_s"] for r in rn)}
            if kind != "umh":
                pooled = sorted(v for r in rn for v in r["lat_us"])
                e["lat_p50_ms"] = figure(percentile(r["lat_us"], 50) / 1e3 for r in rn)
                e["pooled_ms"] = {f"p{p}": percentile(pooled, p) / 1e3 for p in (50, 90, 99)}
                e["pooled_ms"]["max"] = pooled[-1] / 1e3
            for k in ("exits_ms", "first_call_ms", "mkdir_per_s", "place_per_s", "rmdir_per_s"):
                if all(k in r for r in rn):
                    e[k] = figure(r[k] for r in rn)
            if all(len(r.get("agent_us", [])) > 1 for r in rn):
                e["gap_p50_ms"] = figure(statistics.median(gaps_us(r["agent_us"])) / 1e3 for r in rn)
            if kind == "events":
                e["epoll_wakeups"] = figure(r["epoll_wakeups"] for r in rn)
            if kind == "umh":
                e["failed"] = sum(r["failed"] for r in rn)
            if kind == "release" and all("launched" in r for r in rn):
                e["launched"] = [r["launched"] for r in rn]
            s["release"].setdefault(key, {})[str(n)] = e
    s["release_cmp"] = {}
    for n, tc in s["release"].get("tcgroup", {}).items():
        v1 = s["release"].get("cgroup", {}).get(n)
        if not v1:
            continue
        c = {"total_ms": compare(tc["total_ms"], v1["total_ms"], False),
             "rate_per_s": compare(tc["rate_per_s"], v1["rate_per_s"], True),
             "lat_p50_ms": compare(tc["lat_p50_ms"], v1["lat_p50_ms"], False)}
        for k in ("first_call_ms", "exits_ms"):
            if k in tc and k in v1:
                c[k] = compare(tc[k], v1[k], False)
        s["release_cmp"][n] = c
    s["limit_cmp"] = {}
    for n, u in s["release"].get("umh", {}).items():
        tc = s["release"].get("tcgroup", {}).get(n)
        if tc:
            c = {"rate_per_s": compare(tc["rate_per_s"], u["rate_per_s"], True)}
            if "gap_p50_ms" in tc and "gap_p50_ms" in u:
                c["gap_p50_ms"] = compare(tc["gap_p50_ms"], u["gap_p50_ms"], False)
            s["limit_cmp"][n] = c
    s["events_cmp"] = {n: compare(e["rate_per_s"], s["release"]["cgroup"][n]["rate_per_s"], True)
                       for n, e in s["release"].get("events", {}).items()
                       if n in s["release"].get("cgroup", {})}

    # Exits without an agent: the exit path alone.
    s["exits"] = {}
    for fs in FS:
        rs = by_fs(results, "exits", fs)
        for n in sorted({r["n"] for r in rs}):
            rn = [r for r in rs if r["n"] == n]
            s["exits"].setdefault(fs, {})[str(n)] = {"runs": len(rn),
                                                     "exits_ms": figure(r["exits_ms"] for r in rn),
                                                     "joined_ms": figure(r["joined_ms"] for r in rn)}
    s["exits_cmp"] = {n: {k: compare(tc[k], s["exits"]["cgroup"][n][k], False) for k in ("exits_ms", "joined_ms")}
                      for n, tc in s["exits"].get("tcgroup", {}).items() if n in s["exits"].get("cgroup", {})}

    # Complexity of the release runs and their set-up, over every repetition.
    s["complexity"] = {}
    for key in ("tcgroup", "cgroup", "umh", "events"):
        rs = [r for r in results if r["kind"] == ("umh" if key == "umh" else "events" if key == "events"
                                                  else "release")
              and (key == "umh" or r.get("fs") == ("tcgroup" if key == "events" else key))]
        if len({r["n"] for r in rs}) < 2:
            continue
        cx = {"total_ms": exponent([(r["n"], r["total_ms"]) for r in rs])}
        if key != "umh":
            cx["lat_p50"] = exponent([(r["n"], percentile(r["lat_us"], 50)) for r in rs])
        if key in FS:
            for k in ("mkdir_per_s", "place_per_s", "rmdir_per_s"):
                cx[k] = exponent([(r["n"], 1 / r[k]) for r in rs])
            cx["exit"] = exponent([(r["n"], r["exits_ms"] / r["n"]) for r in rs])
        s["complexity"][key] = cx

    # One group released beside N idle ones (issue 15).
    s["idle"] = {}
    for fs in FS:
        for r in by_fs(results, "idle", fs):
            e = {"reps": len(r["lat_us"]), "lat_ms": figure(v / 1e3 for v in r["lat_us"])}
            if "mkdir_per_s" in r:
                e["mkdir_per_s"] = r["mkdir_per_s"]
            s["idle"].setdefault(fs, {})[str(r["n"])] = e
    s["idle_cmp"] = {n: compare(e["lat_ms"], s["idle"]["cgroup"][n]["lat_ms"], False)
                     for n, e in s["idle"].get("tcgroup", {}).items() if n in s["idle"].get("cgroup", {})}
    s["idle_growth"] = {}
    for fs, by_n in s["idle"].items():
        ns = sorted(by_n, key=int)
        if len(ns) > 1:
            s["idle_growth"][fs] = {"from": ns[0], "to": ns[-1],
                                    **compare_unpaired(by_n[ns[-1]]["lat_ms"], by_n[ns[0]]["lat_ms"])}

    # Attach, both ways.
    s["attach"] = {}
    for fs in FS:
        rs = by_fs(results, "attach", fs)
        if not rs:
            continue
        a = {"runs": len(rs), "k": rs[0]["k"]}
        for k in ("single_moves_per_s", "single_reopen_moves_per_s", "tasks_moves_per_s", "procs_total_ms"):
            if all(k in r for r in rs):
                a[k] = figure(r[k] for r in rs)
        if all("procs_reopen_us" in r for r in rs):
            # Several open+write+close moves per run: the median is the run's figure.
            a["procs_total_ms"] = figure(statistics.median(r["procs_reopen_us"]) / 1e3 for r in rs)
            a["procs_reopen_moves"] = len(rs[0]["procs_reopen_us"])
        if all("procs_held_us" in r for r in rs):
            a["procs_held_ms"] = figure(statistics.median(r["procs_held_us"]) / 1e3 for r in rs)
            a["procs_held_moves"] = len(rs[0]["procs_held_us"])
            a["procs_threads"] = rs[0].get("procs_threads")
        s["attach"][fs] = a
    s["attach_cmp"] = {}
    if len(s["attach"]) == 2:
        a, b = s["attach"]["tcgroup"], s["attach"]["cgroup"]
        for k, hib in (("single_moves_per_s", True), ("single_reopen_moves_per_s", True),
                       ("tasks_moves_per_s", True), ("procs_held_ms", False), ("procs_total_ms", False)):
            if k in a and k in b:
                s["attach_cmp"][k] = compare(a[k], b[k], hib)

    # Depth.
    s["depth"] = {}
    for fs in FS:
        rs = by_fs(results, "depth", fs)
        for d in sorted({r["depth"] for r in rs}):
            rd = [r for r in rs if r["depth"] == d]
            e = {"runs": len(rd), "moves_per_s": figure(r["moves_per_s"] for r in rd),
                 "lat_ms": figure(v / 1e3 for r in rd for v in r["lat_us"])}
            if all("reopen_moves_per_s" in r for r in rd):
                e["reopen_moves_per_s"] = figure(r["reopen_moves_per_s"] for r in rd)
            s["depth"].setdefault(fs, {})[str(d)] = e
        if len({r["depth"] for r in rs}) > 1:
            s["depth"][fs]["exponents"] = {
                "move": exponent([(r["depth"], 1 / r["moves_per_s"]) for r in rs]),
                "lat": exponent([(r["depth"], v) for r in rs for v in r["lat_us"]])}
            if all("reopen_moves_per_s" in r for r in rs):
                s["depth"][fs]["exponents"]["reopen_move"] = exponent(
                    [(r["depth"], 1 / r["reopen_moves_per_s"]) for r in rs])
            if all("moves_per_s_batch" in r for r in rs):
                s["depth"][fs]["exponents"]["move_batch"] = exponent(
                    [(r["depth"], 1 / r["moves_per_s_batch"]) for r in rs])
    # Whether the moves ran with notify_on_release cleared in the deepest group (no agent).
    drs = [r for r in results if r.get("kind") == "depth"]
    s["depth_quiet"] = bool(drs) and all(r.get("moves_notify_on_release") == 0 for r in drs)
    s["depth_cmp"] = {}
    for d, tc in s["depth"].get("tcgroup", {}).items():
        v1 = s["depth"].get("cgroup", {}).get(d)
        if d == "exponents" or not v1:
            continue
        c = {"moves_per_s": compare(tc["moves_per_s"], v1["moves_per_s"], True),
             "lat_ms": compare(tc["lat_ms"], v1["lat_ms"], False)}
        if "reopen_moves_per_s" in tc and "reopen_moves_per_s" in v1:
            c["reopen_moves_per_s"] = compare(tc["reopen_moves_per_s"], v1["reopen_moves_per_s"], True)
        s["depth_cmp"][d] = c

    # The timed loops' median batches beside their means.
    s["steady"] = []
    for kind, key, what, unit, hib in BATCHED:
        rs = [r for r in results if r["kind"] == kind and key + "_batch" in r and r.get("label") != "warmup"]
        groups = {}
        for r in rs:
            if kind == "fork":
                fs, _, cond = r["label"].partition("-")
                if fs not in FS:
                    continue
                where = what.format(label=cond)
            else:
                fs, where = r["fs"], what.format(depth=r.get("depth"))
            groups.setdefault(where, {}).setdefault(fs, []).append(r)
        for where, by in groups.items():
            if set(by) != set(FS):
                continue
            e = {"what": where, "unit": unit, "higher_is_better": hib}
            for fs in FS:
                e[fs] = {"mean": figure(r[key] for r in by[fs]), "batch": figure(r[key + "_batch"] for r in by[fs])}
            e["cmp"] = compare(e["tcgroup"]["batch"], e["cgroup"]["batch"], hib)
            s["steady"].append(e)

    # Fork and thread: time per operation by condition, and against the baseline.
    s["fork"] = {}
    for r in results:
        if r["kind"] == "fork" and r["label"] != "warmup":
            s["fork"].setdefault(r["label"], []).append(r)
    s["fork"] = {label: {"runs": len(rs), "fork_us": figure(r["fork_ns"] / 1e3 for r in rs),
                         "thread_us": figure(r["thread_ns"] / 1e3 for r in rs)}
                 for label, rs in s["fork"].items()}
    base = s["fork"].get("baseline")
    if base:
        for e in s["fork"].values():
            for k in ("fork_us", "thread_us"):
                e[k]["to_baseline"] = e[k]["median"] / base[k]["median"]
    s["fork_cmp"] = {}
    for label in s["fork"]:
        if label.startswith("tcgroup-") and "cgroup-" + label[len("tcgroup-"):] in s["fork"]:
            a, b = s["fork"][label], s["fork"]["cgroup-" + label[len("tcgroup-"):]]
            s["fork_cmp"][label[len("tcgroup-"):]] = {k: compare(a[k], b[k], False) for k in ("fork_us", "thread_us")}

    # Memory.
    s["memory"] = {}
    for fs in FS:
        rs = by_fs(results, "memory", fs)
        if not rs:
            continue
        m = {"runs": len(rs), "k": rs[0]["k"]}
        for part in ("per_group", "per_file_lookup", "per_css_set", "left_after_rmdir", "left_after_exit"):
            if any(part not in r for r in rs):
                continue
            m[part] = {k: figure(r[part][k] for r in rs) for k in
                       ("slabinfo_bytes", "meminfo_slab_bytes", "percpu_bytes", "memavailable_bytes")}
            m[part]["total_bytes"] = figure(r[part]["slabinfo_bytes"] + r[part]["percpu_bytes"] for r in rs)
            m[part]["caches"] = rs[-1][part]["caches"]
        s["memory"][fs] = m
    s["memory_cmp"] = {}
    if len(s["memory"]) == 2:
        for part in ("per_group", "per_css_set"):
            s["memory_cmp"][part] = compare(s["memory"]["tcgroup"][part]["total_bytes"],
                                            s["memory"]["cgroup"][part]["total_bytes"], False)

    # Profile (counts, not figures).
    s["profile"] = {}
    for r in results:
        if r["kind"] != "profile":
            continue
        p = s["profile"].setdefault(r["fs"], {"n": r["n"], "runs": 0, "calls": [], "callers": [],
                                              "max_inflight": [], "mean_call_us": []})
        p["runs"] += 1
        for k in ("calls", "callers", "max_inflight", "mean_call_us"):
            p[k].append(r[k])
        for k in ("tcgroup_release_runs", "tcgroup_checks", "cgroup1_release_agent_runs"):
            if k in r:
                p.setdefault(k, []).append(r[k])
    s["kill"] = summarise_kill(results)
    s["notify"] = notify_summary(results)
    s["burst"] = burst_summary(results)
    s["index"] = index_summary(results)
    return s


def summarise_kill(results):
    """cgroup.kill of a forking tree (kind "kill"): tcgroup against cgroup v2,
    per number of processes, the repetitions paired in the order they ran."""
    out = {}
    for procs in sorted({r["procs"] for r in results if r["kind"] == "kill"}):
        e = {}
        for fs in ("tcgroup", "cgroup2"):
            rs = by_fs(results, "kill", fs, procs=procs)
            if rs:
                e[fs] = {"runs": len(rs), "groups": rs[0]["groups"],
                         **{k: figure(r[k] for r in rs) for k in ("write_ms", "empty_ms", "reaped_ms")}}
        if len(e) == 2:
            e["cmp"] = {k: compare(e["tcgroup"][k], e["cgroup2"][k], False)
                        for k in ("write_ms", "empty_ms", "reaped_ms")}
        out[str(procs)] = e
    return out


def markdown_kill(s):
    """The lines of the report's cgroup.kill section."""
    kill = s.get("kill") or {}
    out = ["## Ending a tree: cgroup.kill against cgroup v2\n"]
    if not kill:
        return out + ["Not collected in this run (`BENCH_KILL=0`, or the workload failed).\n"]
    out.append("P processes in 10 child groups of one group (a forker in each, which made the others and "
               "then forks and reaps short-lived children in a loop); with every loop running, `1` is written to "
               "the parent's `cgroup.kill`. *Empty*: from just before the write until every group's "
               "`cgroup.events` read `populated 0` (epoll, `EPOLLPRI`), i.e. every task of the tree has exited "
               "(both filesystems take a task out of its groups at its exit, before it is reaped). Beside it the "
               "write alone, and until the bench process (a subreaper) had reaped every process. cgroup v2 is "
               "mounted in the same boot; the runs alternate.\n")
    out.append("| P | fs | runs | write (ms) | empty (ms) | all reaped (ms) |")
    out.append("| ---: | --- | ---: | ---: | ---: | ---: |")
    for p in by_int(kill):
        for fs, name in (("tcgroup", "tcgroup"), ("cgroup2", "cgroup v2")):
            e = kill[p].get(fs)
            if e:
                out.append(f"| {p} | {name} | {e['runs']} | {fig_cell(e['write_ms'])} | {fig_cell(e['empty_ms'])} | "
                           f"{fig_cell(e['reaped_ms'])} |")
    out.append("")
    for p in by_int(kill):
        c = kill[p].get("cmp")
        if c:
            out.append(f"- P={p}: tcgroup / v2 until empty {ratio_cell(c['empty_ms'])}, "
                       f"{verdict_cell(c['empty_ms'], False)}; the write {ratio_cell(c['write_ms'])}, "
                       f"{verdict_cell(c['write_ms'], False)}; until reaped {ratio_cell(c['reaped_ms'])}, "
                       f"{verdict_cell(c['reaped_ms'], False)}.")
    out.append("")
    return out


def listing_growth(results, key, lo, hi):
    """tcgroup's listing time with `hi` other threads against its own with
    `lo`, paired: each run measured both counts in one process (its records
    share a "run"); the median and range of the runs' ratios of their
    medians. None if no run has both (a log from before the pairing)."""
    runs = {}
    for r in by_fs(results, "listing", "tcgroup"):
        if "run" in r:
            runs.setdefault(r["run"], {})[r["others"]] = statistics.median(r[key])
    ratios = sorted(v[hi] / v[lo] for v in runs.values() if lo in v and hi in v)
    if not ratios:
        return None
    return {"ratio": statistics.median(ratios), "min": ratios[0], "max": ratios[-1], "pairs": len(ratios)}


def index_summary(results):
    """The index workloads (listing a group, looking a task's groups up, a
    process moved out of the root): rows of (what, tcgroup, v1, ratio), each
    figure the median over runs of each run's median time (µs), and
    tcgroup's own growth of the listing between the fewest and the most
    other threads."""
    rows = []

    def row(what, kind, key, **match):
        figs = {}
        for fs in FS:
            rs = by_fs(results, kind, fs, **match)
            if rs:
                figs[fs] = figure(statistics.median(r[key]) for r in rs)
        if len(figs) == 2:
            rows.append({"what": what, "tcgroup": figs["tcgroup"], "cgroup": figs["cgroup"],
                         "cmp": compare(figs["tcgroup"], figs["cgroup"], False)})
        return figs.get("tcgroup")

    growth = {}
    others = sorted({r["others"] for r in results if r["kind"] == "listing"})
    for key, what in (("tasks_us", "`tasks`"), ("procs_us", "`cgroup.procs`")):
        tc = {}
        for t in others:
            tc[t] = row(f"read {what} of a 1-member group, {t:,} other threads (µs)", "listing", key, others=t)
        if len(others) > 1 and tc[others[0]] and tc[others[-1]]:
            growth[key] = {"from": others[0], "to": others[-1],
                           "ratio": listing_growth(results, key, others[0], others[-1])
                           or compare_unpaired(tc[others[-1]], tc[others[0]])}
    for d in sorted({r["depth"] for r in results if r["kind"] == "lookup"}):
        g = next(r["groups"] for r in results if r["kind"] == "lookup")
        row(f"a task's groups at depth {d}, {g:,} other groups: `membership.lookup` against "
            f"`/proc/self/cgroup` (µs)", "lookup", "read_us", depth=d)
    row("1001 threads from the root into a group, `cgroup.procs` open+write+close (µs)", "rootmove", "into_us")
    row("1001 threads from a group back to the root, `cgroup.procs` open+write+close (µs)", "rootmove", "back_us")
    if all("fresh_us" in r for r in results if r["kind"] == "rootmove"):
        row("a just-started process of 1001 threads from the root into a group, written by its parent (µs)",
            "rootmove", "fresh_us")
    return {"rows": rows, "growth": growth}


def index_markdown(s, w):
    """The section of the index workloads."""
    ix = s.get("index", {})
    w("## Listing, lookup and moves out of the root\n")
    if not ix.get("rows"):
        w("Not run (`BENCH_LISTING=none`, or a report older than these workloads).\n")
        return
    w("Each run reads (open, read to the end, close) or moves N times (`BENCH_READS`); a run's figure is its "
      "median, and the table gives the median and range of the runs. Listing: a group with one thread while the "
      "other threads wait in the root groups; each run measures every count of other threads in turn, in one "
      "process, going up (the threads of a count started on top of the count before) and down again (each "
      "count's own threads ended), so that every count but the largest is read before and after it. Lookup: the calling process in a chain of groups, beside other "
      "groups; tcgroup reads its `membership.lookup`, v1 `/proc/self/cgroup`. Root moves: a process of 1001 "
      "threads, all in the root groups, into a group and back, again and again (from the second round on, "
      "tcgroup's threads have task-map entries, kept parked while they are in the root groups); and a process "
      "of 1001 threads just started by the bench, never in a group, moved in by its parent (the first "
      "placement, where every thread needs a new entry: `BENCH_READS` / 5 times, rounded up).\n")
    w("| figure | tcgroup | cgroup v1 | ratio tcgroup / v1 | tcgroup is |")
    w("| --- | ---: | ---: | ---: | --- |")
    for r in ix["rows"]:
        w(f"| {r['what']} | {fig_cell(r['tcgroup'])} | {fig_cell(r['cgroup'])} | {ratio_cell(r['cmp'])} | "
          f"{verdict_cell(r['cmp'], False)} |")
    w("")
    for key, g in ix.get("growth", {}).items():
        paired = g["ratio"].get("pairs")
        how = (f"the median and range of {paired} runs, each measuring both counts in one process" if paired
               else "runs not paired: widest range")
        w(f"- tcgroup's `{'tasks' if key == 'tasks_us' else 'cgroup.procs'}` read with {g['to']:,} other threads "
          f"against its own with {g['from']:,}: {ratio_cell(g['ratio'])} ({how}).")
    if ix.get("growth"):
        w("")


# ---------------------------------------------------------------------------
# Release notification (issue 28): tcgroup's release stream, cgroup v2's
# cgroup.events under inotify, and cgroup v1's agent (the release runs of the
# same boot), on the release workload's set-up at each N.

NOTIFY_PATHS = (("stream", "tcgroup `release.stream`"), ("v2", "cgroup v2, inotify on `cgroup.events`"),
                ("v1", "cgroup v1 agent"))
# The targets: (key, what, reference, target ratio, higher is better).
NOTIFY_TARGETS = (("rate_v1", "notifications/s", "v1", 30, True),
                  ("rate_v2", "notifications/s", "v2", 2, True),
                  ("p50_v2", "latency p50 (ms)", "v2", 1, False))
NOTIFY_COUNTS = {"stream": ("missed", "lost_records", "lost", "seq_gaps", "seq_backwards", "duplicates", "unknown"),
                 "v2": ("missed", "overflows", "duplicates", "unknown"),
                 "v1": ("missed",)}


def notify_paths(src, counts):
    """Per path and N of @src (path -> results): the rows' figures (rate,
    first, latency p50 and p99 per run, and the times each workload adds) and
    the events missed in each run (@counts: path -> the counts kept)."""
    out = {}
    for path, rs in src.items():
        for n in sorted({r["n"] for r in rs}):
            rn = [r for r in rs if r["n"] == n]
            timed = [r for r in rn if r["lat_us"]]
            e = {"runs": len(rn), "counts": {k: [r.get(k, 0) for r in rn] for k in counts[path]}}
            # A release run waits for every call (a missing one fails it): the groups without one.
            e["counts"]["missed"] = [r.get("missed", n - len(r["lat_us"])) for r in rn]
            if timed:
                pooled = sorted(v for r in timed for v in r["lat_us"])
                e.update({"rate_per_s": figure(r["rate_per_s"] for r in timed),
                          "total_ms": figure(r["total_ms"] for r in timed),
                          "first_call_ms": figure(r["first_call_ms"] for r in timed),
                          "lat_p50_ms": figure(percentile(r["lat_us"], 50) / 1e3 for r in timed),
                          "lat_p99_ms": figure(percentile(r["lat_us"], 99) / 1e3 for r in timed),
                          "pooled_ms": {"p50": percentile(pooled, 50) / 1e3, "p99": percentile(pooled, 99) / 1e3,
                                        "max": pooled[-1] / 1e3}})
                for k in ("exits_ms", "write_ms"):
                    if all(k in r for r in timed):
                        e[k] = figure(r[k] for r in timed)
                if "write_ms" in e:
                    # What the delivery adds once the write has returned (negative: all before it).
                    e["after_write_ms"] = figure(r["total_ms"] - r["write_ms"] for r in timed)
            if all("wakeups" in r for r in rn):
                e["wakeups"] = figure(r["wakeups"] for r in rn)
            if path == "v2":
                e["max_queued_events"] = rn[0].get("max_queued_events")
            out.setdefault(path, {})[str(n)] = e
    return out


def notify_cmp(paths):
    """Per N: the stream's ratios against v1's agent and v2 with the issue's
    targets, and whether the stream lost nothing."""
    out = {}
    for n, st in paths.get("stream", {}).items():
        c = {}
        for key, _, ref, target, hib in NOTIFY_TARGETS:
            other = paths.get(ref, {}).get(n)
            fig = "rate_per_s" if hib else "lat_p50_ms"
            if not other or fig not in st or fig not in other:
                continue
            cm = compare(st[fig], other[fig], hib)
            ok = (lambda v: v >= target) if hib else (lambda v: v <= target)
            c[key] = {**cm, "target": target, "met": ok(cm["ratio"]),
                      "met_every_pair": ok(cm["min"] if hib else cm["max"])}
        c["stream_lost_nothing"] = all(sum(v) == 0 for k, v in st["counts"].items()
                                       if k in ("missed", "lost", "seq_gaps", "seq_backwards"))
        out[n] = c
    return out


def notify_summary(results):
    """The exit-driven rows: per path and N, notify_paths(); per N, notify_cmp()."""
    src = {"stream": [r for r in results if r["kind"] == "stream"],
           "v2": [r for r in results if r["kind"] == "inotify"],
           "v1": [r for r in results if r["kind"] == "release" and r.get("fs") == "cgroup"]}
    if not src["stream"] and not src["v2"]:
        return {}
    paths = notify_paths(src, NOTIFY_COUNTS)
    return {"paths": paths, "cmp": notify_cmp(paths), "ceiling": exit_ceiling(src)}


def exit_ceiling(src):
    """Per N, what the exits allow: no path can observe N releases faster than N over the time
    to the last exit of its run. Per path, that ceiling (notifications/s) and the share of it the
    path's rate reached, per run; and whether the stream's target against v2 (NOTIFY_TARGETS'
    "rate_v2") is within the stream's ceiling at all."""
    out = {}
    target = next(t for key, _, _, t, _ in NOTIFY_TARGETS if key == "rate_v2")
    for n in sorted({r["n"] for rs in src.values() for r in rs}):
        c = {}
        for path in ("stream", "v2"):
            timed = [r for r in src.get(path, []) if r["n"] == n and r["lat_us"] and r.get("exits_ms")]
            if timed:
                c[path] = {"ceiling_per_s": figure(n * 1e3 / r["exits_ms"] for r in timed),
                           "share": figure(r["rate_per_s"] * r["exits_ms"] / (n * 1e3) for r in timed),
                           "rate_per_s": figure(r["rate_per_s"] for r in timed)}
        if "stream" in c and "v2" in c:
            need = target * c["v2"]["rate_per_s"]["median"]
            c["needed_per_s"] = need
            c["within_ceiling"] = need <= c["stream"]["ceiling_per_s"]["median"]
        out[str(n)] = c
    return out


def ceiling_lines(nt):
    """The exits section's lines on the ceiling the exits set (exit_ceiling()), then a blank line."""
    out = []
    for n in by_int(nt.get("ceiling", {})):
        c = nt["ceiling"][n]
        if "needed_per_s" not in c:
            continue
        st, v2 = c["stream"], c["v2"]
        out.append(f"- N={n}, what the exits allow: the stream's runs at most {fmt(st['ceiling_per_s']['median'])}/s "
                   f"(N over their last exit), of which it reached {pct(st['share'])}; v2's runs at most "
                   f"{fmt(v2['ceiling_per_s']['median'])}/s, of which v2 reached {pct(v2['share'])}. Twice v2's "
                   f"rate is {fmt(c['needed_per_s'])}/s: "
                   + ("within the stream's ceiling." if c["within_ceiling"] else
                      "above the stream's ceiling, out of reach for any observer of these exits."))
    if out:
        out.append("")
    return out


def pct(f):
    """A share (a figure of fractions) as median (min..max) in per cent."""
    return f"{f['median']:.1%} ({f['min']:.1%}..{f['max']:.1%})"


# The burst workload's observers (its "via") by path.
BURST_VIA = (("stream", "stream"), ("v2", "inotify"), ("v1", "agent"))


def burst_summary(results):
    """The burst rows (kind "burst": N groups emptied by one `cgroup.procs`
    write), with the exit-driven rows' figures and targets."""
    rs = [r for r in results if r["kind"] == "burst"]
    if not rs:
        return {}
    paths = notify_paths({p: [r for r in rs if r["via"] == via] for p, via in BURST_VIA}, NOTIFY_COUNTS)
    return {"paths": paths, "cmp": notify_cmp(paths)}


# What releases the groups, in the rows of each section of the summary.
NOTIFY_CAUSE = {"notify": "released by N exits", "burst": "released by one `cgroup.procs` write"}


def notify_rows(s, part="notify"):
    """The summary table's rows of the release notification paths (@part:
    "notify", the exit-driven rows, or "burst")."""
    nt = s.get(part) or {}
    rows = []
    for n in by_int(nt.get("cmp", {})):
        st = nt["paths"]["stream"][n]
        for key, what, ref, target, hib in NOTIFY_TARGETS:
            c = nt["cmp"][n].get(key)
            if not c:
                continue
            fig = "rate_per_s" if hib else "lat_p50_ms"
            name = "v1's agent" if ref == "v1" else "v2 inotify on `cgroup.events`"
            goal = f"target at least {target}x" if hib else "target at most v2's"
            rows.append((f"N={n} ({NOTIFY_CAUSE[part]}): {what}, tcgroup `release.stream` against {name} ({goal}; "
                         f"{'met' if c['met'] else 'NOT met'})", st[fig], nt["paths"][ref][n][fig], c, hib))
    return rows


def notify_missed_lines(s, part="notify"):
    """The summary's lines on the events each path missed (@part as notify_rows())."""
    nt = s.get(part) or {}
    if not nt:
        return []
    out = []
    for n in sorted({n for p in nt["paths"].values() for n in p}, key=int):
        cells = []
        for path, name in NOTIFY_PATHS:
            e = nt["paths"].get(path, {}).get(n)
            if e:
                cells.append(f"{name} {', '.join(str(v) for v in e['counts']['missed'])}")
        st = nt["paths"].get("stream", {}).get(n)
        extra = ""
        if st:
            cn = st["counts"]
            extra = (f"; the stream's `lost` records {sum(cn['lost_records'])} ({sum(cn['lost'])} records), "
                     f"sequence gaps {sum(cn['seq_gaps'])}")
            if n in nt["cmp"]:
                extra += (" (target: nothing lost, "
                          + ("met" if nt["cmp"][n]["stream_lost_nothing"] else "NOT met") + ")")
        v2 = nt["paths"].get("v2", {}).get(n)
        if v2:
            extra += f"; v2's `IN_Q_OVERFLOW` {sum(v2['counts']['overflows'])}"
        out.append(f"- N={n} ({NOTIFY_CAUSE[part]}): groups whose release was never observed, per run: " + "; ".join(cells) + extra + ".")
    return out + [""]


def notify_markdown(s):
    """The lines of the release notification section."""
    nt = s.get("notify") or {}
    out = ["### Release notification, N groups released by N exits: the stream, v2's inotify and v1's agent\n"]
    if not nt:
        return out + ["Not collected in this run (`BENCH_STREAM=0`, or the workloads failed).\n"]
    v2q = next((e.get("max_queued_events") for e in nt["paths"].get("v2", {}).values()), None)
    out.append("The release workload's set-up (N groups, one thread each, all woken at once), observed three ways "
               "in the same boot: one reader of tcgroup's `release.stream` (its default queue; the agent emptied "
               "for the run), reading with `O_NONBLOCK` and `poll()` when nothing is there, every line of a read "
               "observed when the read returns; cgroup v2 with N threaded groups, one inotify watch (`IN_MODIFY`) "
               "on each group's `cgroup.events` and, after each wake-up, a read of the file of each group an event "
               "names (a descriptor held open), the group observed at `populated 0`, as systemd watches its units"
               + (f" (the inotify queue: {v2q:,} events)" if v2q else "")
               + "; and cgroup v1's agent, the release runs above. The same definitions as those: notifications/s "
               "is the groups observed over the time from the wake-up to the last observation, a latency is from "
               "a thread's last timestamp to its group's observation, *first* is the first observation after the "
               "wake-up. A stream or v2 run stops once every group was observed or nothing came for 10 s; the "
               "groups not observed by then are *missed* (a v1 release run waits for every call, and fails "
               "without one).\n")
    out.append("*Last exit* is the time from the wake-up to the last thread's last timestamp: the rate can be no "
               "higher than N over it, whatever the path.\n")
    out.append("| N | path | runs | notifications/s | latency p50 (ms) | latency p99 (ms) | first (ms) | "
               "exits -> last (ms) | last exit (ms) | wake-ups | missed per run |")
    out.append("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    out += notify_table_rows(nt, ("rate_per_s", "lat_p50_ms", "lat_p99_ms", "first_call_ms", "total_ms",
                                  "exits_ms"))
    out.append("")
    for n in by_int(nt["cmp"]):
        parts = notify_target_parts(nt["cmp"][n])
        out.append(f"- N={n}, released by N exits: the stream's " + "; ".join(parts) + ".")
    out.append("")
    out += ceiling_lines(nt)
    out += notify_count_lines(nt)
    return out


def notify_target_parts(cmp_n):
    """The stream's targets at one N (NOTIFY_TARGETS), each as a clause: ratio, target, verdict."""
    parts = []
    for key, what, ref, target, hib in NOTIFY_TARGETS:
        c = cmp_n.get(key)
        if c:
            goal = f"at least {target}x" if hib else "at most 1"
            parts.append(f"{what} / {'v1' if ref == 'v1' else 'v2'} {ratio_cell(c)}, target {goal}: "
                         + ("met" if c["met"] else "NOT met")
                         + (", at every pair" if c["met_every_pair"] else ", not at every pair"))
    return parts


def notify_table_rows(nt, keys):
    """The table rows of a notification section (exits or burst): per N and path, its runs, the figures
    `keys` ("-" where a run set has none), its wake-ups (v1's agent: one exec per call) and the groups
    each run missed."""
    out = []
    for n in sorted({n for p in nt["paths"].values() for n in p}, key=int):
        for path, name in NOTIFY_PATHS:
            e = nt["paths"].get(path, {}).get(n)
            if not e:
                continue
            if "rate_per_s" in e:
                cells = " | ".join(fig_cell(e[k]) if k in e else "-" for k in keys)
            else:
                cells = " | ".join(["nothing observed"] * len(keys))
            wk = "one exec per call" if path == "v1" else fig_cell(e["wakeups"]) if "wakeups" in e else "-"
            out.append(f"| {n} | {name} | {e['runs']} | {cells} | {wk} | "
                       f"{', '.join(str(v) for v in e['counts']['missed'])} |")
    return out


def notify_count_lines(nt):
    """Per N, the stream's and v2's counts of every run (lost, gaps, overflows, ...), then a blank line."""
    out = []
    for n in sorted({n for p in nt["paths"].values() for n in p}, key=int):
        for path, name in NOTIFY_PATHS[:2]:
            e = nt["paths"].get(path, {}).get(n)
            if e:
                out.append(f"- N={n}, {name}, per run: " + "; ".join(
                    f"{k.replace('_', ' ')} {', '.join(str(v) for v in vals)}" for k, vals in e["counts"].items()
                    if k != "missed") + ".")
    out.append("")
    return out


def burst_markdown(s):
    """The lines of the burst section."""
    nt = s.get("burst") or {}
    out = ["### Release notification, N groups released by one write: the stream, v2's inotify and v1's agent\n"]
    if not nt:
        return out + ["Not collected in this run (`BENCH_BURST=0`, or the workloads failed).\n"]
    out.append("Here no exit releases the groups: one process of N threads, each thread in a group of its own (placed "
               "by the thread-granular files: `tasks` on tcgroup and v1, `cgroup.threads` on v2) and its main thread "
               "in the root, then one write of its tgid to the root's `cgroup.procs`, which moves every thread of it "
               "and so empties the N groups in that one write. On v2 the N groups are threaded groups under a domain "
               "group that holds the process; the write to the root's `cgroup.procs` migrates the whole thread group "
               "out of that threaded subtree. A thread of the bench makes the write while its main thread already "
               "waits for the notifications, as above: one `release.stream` reader (agent emptied), v2's inotify "
               "watches with a read of `cgroup.events` per event, v1's agent (its call logged). t0 is just before "
               "the write; a latency is from t0 to a group's notification, notifications/s the groups observed over "
               "t0 to the last one; a run stops once every group was observed or nothing came for 10 s (the agent's "
               "log: 60 s, the release runs' bound), counted from the end of the write at the earliest, and the "
               "groups not observed are *missed*. *write* is the time the "
               "`cgroup.procs` write itself took: the releases all happen within it, so the rate can be no higher "
               "than N over it unless notifications come before it returns; *after* is t0 -> last minus the write, "
               "what the delivery adds once the write has returned.\n")
    out.append("| N | path | runs | notifications/s | latency p50 (ms) | latency p99 (ms) | first (ms) | "
               "t0 -> last (ms) | write (ms) | after (ms) | wake-ups | missed per run |")
    out.append("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    out += notify_table_rows(nt, ("rate_per_s", "lat_p50_ms", "lat_p99_ms", "first_call_ms", "total_ms",
                                  "write_ms", "after_write_ms"))
    out.append("")
    for n in by_int(nt["cmp"]):
        parts = notify_target_parts(nt["cmp"][n])
        parts.append("nothing lost: " + ("met" if nt["cmp"][n]["stream_lost_nothing"] else "NOT met"))
        out.append(f"- N={n}, released by one write: the stream's " + "; ".join(parts) + ".")
    out.append("")
    out += notify_count_lines(nt)
    return out


# ---------------------------------------------------------------------------
# Plots.

def plots(s, results, outdir, stem):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = {}
    rel = s["release"]
    ns = sorted({int(n) for key in FS for n in rel.get(key, {})})
    if ns:
        # Every group's latency of every repetition, as a distribution.
        fig, axes = plt.subplots(1, len(ns), figsize=(5 * len(ns), 4), squeeze=False)
        for ax, n in zip(axes[0], ns):
            for key, kind, style in (("tcgroup", "release", "-"), ("cgroup", "release", "-"),
                                     ("events", "events", ":")):
                fs = "tcgroup" if key == "events" else key
                lat = sorted(v / 1e3 for r in results if r["kind"] == kind and r.get("fs") == fs and r["n"] == n
                             for v in r["lat_us"])
                if lat:
                    ax.plot(lat, [(i + 1) / len(lat) for i in range(len(lat))], style, color=COLOR[key],
                            label=FS_NAME[key] + (" (poll)" if key == "events" else " (agent)"))
            # The release notification paths (issue 28).
            for kind, label, color in (("stream", "tcgroup release.stream", "C4"),
                                       ("inotify", "cgroup v2 inotify", "C5")):
                lat = sorted(v / 1e3 for r in results if r["kind"] == kind and r["n"] == n for v in r["lat_us"])
                if lat:
                    ax.plot(lat, [(i + 1) / len(lat) for i in range(len(lat))], "--", color=color, label=label)
            ax.set_title(f"N = {n} groups released at once", fontsize=10)
            ax.set_xlabel("exit -> notification (ms, TCG guest)")
            ax.set_ylabel("fraction of groups, all repetitions")
            ax.set_xscale("symlog", linthresh=1)
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        files["latency"] = f"{stem}-latency.png"
        fig.savefig(os.path.join(outdir, files["latency"]), dpi=100)
        plt.close(fig)

        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
        for key, marker in (("tcgroup", "o"), ("cgroup", "s"), ("umh", "^"), ("events", "x")):
            by_n = rel.get(key)
            if not by_n:
                continue
            xs = sorted(int(n) for n in by_n)
            for ax, k in ((a1, "total_ms"), (a2, "lat_p50_ms")):
                if k not in by_n[str(xs[0])]:
                    continue
                med = [by_n[str(x)][k]["median"] for x in xs]
                err = [[m - by_n[str(x)][k]["min"] for x, m in zip(xs, med)],
                       [by_n[str(x)][k]["max"] - m for x, m in zip(xs, med)]]
                ax.errorbar(xs, med, yerr=err, marker=marker, capsize=3, label=FS_NAME[key], color=COLOR[key])
        for ax, title in ((a1, "exits to the last notification"), (a2, "per-group latency, p50")):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("N groups released at once")
            ax.set_ylabel("ms (TCG guest; median, min..max)")
            ax.set_title(title, fontsize=10)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        files["scaling"] = f"{stem}-scaling.png"
        fig.savefig(os.path.join(outdir, files["scaling"]), dpi=100)
        plt.close(fig)

    if s["idle"]:
        fig, ax = plt.subplots(figsize=(6, 4))
        for fs, marker in (("tcgroup", "o"), ("cgroup", "s")):
            by_n = s["idle"].get(fs)
            if not by_n:
                continue
            xs = sorted(int(n) for n in by_n)
            med = [by_n[str(x)]["lat_ms"]["median"] for x in xs]
            err = [[m - by_n[str(x)]["lat_ms"]["min"] for x, m in zip(xs, med)],
                   [by_n[str(x)]["lat_ms"]["max"] - m for x, m in zip(xs, med)]]
            ax.errorbar(xs, med, yerr=err, marker=marker, capsize=3, label=FS_NAME[fs], color=COLOR[fs])
        ax.set_xscale("symlog", linthresh=1000)
        ax.set_xlabel("idle groups beside the one released")
        ax.set_ylabel("exit -> agent (ms, TCG guest; median, min..max)")
        ax.set_title("one group released among N idle ones", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        files["idle"] = f"{stem}-idle.png"
        fig.savefig(os.path.join(outdir, files["idle"]), dpi=100)
        plt.close(fig)

    if s["fork"].get("baseline"):
        order = [c for c in s["fork"] if c != "baseline"]
        fig, ax = plt.subplots(figsize=(10, 4))
        width = 0.4
        for i, (key, label) in enumerate((("fork_us", "fork+exit+wait"), ("thread_us", "thread create+exit+join"))):
            base = s["fork"]["baseline"][key]["median"]
            vals = [s["fork"][c][key]["median"] / base for c in order]
            err = [[(s["fork"][c][key]["median"] - s["fork"][c][key]["min"]) / base for c in order],
                   [(s["fork"][c][key]["max"] - s["fork"][c][key]["median"]) / base for c in order]]
            ax.bar([x + (i - 0.5) * width for x in range(len(order))], vals, width, yerr=err, capsize=2,
                   label=label)
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order, fontsize=7, rotation=15)
        ax.axhline(1, color="grey", lw=0.8)
        ax.set_ylabel("time per operation / baseline")
        ax.set_title("fork/exit and thread overhead by condition (median, min..max)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        files["fork"] = f"{stem}-fork.png"
        fig.savefig(os.path.join(outdir, files["fork"]), dpi=100)
        plt.close(fig)
    return files


# ---------------------------------------------------------------------------
# The Markdown, from the JSON document alone.

def fmt(v, digits=3):
    if v is None:
        raise ValueError("a figure without a value")
    if isinstance(v, int) or abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def fig_cell(f, scale=1.0):
    """median (min..max) of a figure."""
    if len(f["all"]) == 1:
        return f"{fmt(f['median'] * scale)} (1 run)"
    return f"{fmt(f['median'] * scale)} ({fmt(f['min'] * scale)}..{fmt(f['max'] * scale)})"


def ratio_cell(c):
    return f"{c['ratio']:.3g} ({c['min']:.3g}..{c['max']:.3g})"


def pairs_note(c):
    if c["pairs"] == 1:
        return " (1 pair: no spread)"
    if c["pairs"] == 0:
        return " (repetitions not paired: widest range)"
    return ""


def verdict_cell(c, higher_is_better=None):
    if c["verdict"] == "same":
        return "same (ranges overlap)" + pairs_note(c)
    r = c["ratio"]
    if higher_is_better is False:  # a time: faster is a smaller time
        f = 1 / r if c["verdict"] == "faster" else r
    else:
        f = r if c["verdict"] == "faster" else 1 / r
    return f"{f:.2f}x {c['verdict']}" + pairs_note(c)


def size_cell(c):
    if c["verdict"] == "same":
        return "same (ranges overlap)" + pairs_note(c)
    return (f"{1 / c['ratio']:.2f}x smaller" if c["verdict"] == "faster" else f"{c['ratio']:.2f}x larger") + \
        pairs_note(c)


def by_int(d):
    return sorted((k for k in d if k.isdigit()), key=int)


def markdown(doc):
    s, host, cfg, stem = doc["summary"], doc["host"], doc["config"], doc["stem"]
    g = s["guest"]
    out = []
    w = out.append
    w(f"# tcgroup and cgroup v1 side by side: {stem}\n")
    w(f"Generated by `make bench` (bench/report.py) from one boot of the test guest. Every figure below is "
      f"computed from `{stem}.json` of the same run (its `raw` results), and this file can be written again "
      f"from it: `bench/report.py --from-json {stem}.json`.\n")
    w("How to read it: each figure is the median of its repetitions, followed by their range (min..max) or "
      "`(1 run)`. A ratio is tcgroup / cgroup v1 of the medians, followed by the range of the ratios of the "
      "repetitions run side by side (the i-th of each), or, where the two do not have as many repetitions, "
      "the widest range min / max .. max / min. *same* means that the two ranges of values overlap; *faster*, "
      "*slower*, *smaller* and *larger* that they do not. Under TCG absolute times are not hardware figures: every "
      "instruction is emulated, an exec costs milliseconds; the side-by-side ratios are what to read.\n")

    w("## Conditions\n")
    guest_line = f"- Guest: QEMU {host['accel'].upper()}"
    if "qemu" in host:
        guest_line += f" (`{host['qemu']}`)"
    guest_line += f", {g['cpus']} vCPUs, {g['memtotal_kb'] // 1024} MiB."
    w(guest_line)
    host_line = f"- Host: {host['machine']}"
    if "cpu" in host:
        host_line += f", {host['cpu']}"
    host_line += f", {host['cores']} cores."
    if "load_before" in host and "load_after" in host:
        host_line += (" Load average (1, 5, 15 min) before the boot "
                      f"{', '.join(f'{x:.2f}' for x in host['load_before'])}, after it "
                      f"{', '.join(f'{x:.2f}' for x in host['load_after'])}.")
    w(host_line)
    kline = f"- Kernel {g['kernel']}, the harness's `test` kernel (the one `make check` boots)"
    if cfg:
        parts = [f"{k[len('CONFIG_'):]}={v}" for k, v in sorted(cfg.items())]
        kline += ": " + ", ".join(parts)
    w(kline + ".")
    if "module_commit" in host:
        w(f"- tcgroup module built from commit `{host['module_commit']}`.")
    if "boot_seconds" in host or "bench_seconds" in g:
        d = "- Duration:"
        if "bench_seconds" in g:
            d += f" the workloads took {g['bench_seconds'] / 60:.1f} min of guest time"
        if "boot_seconds" in host:
            d += ("," if "bench_seconds" in g else "") + f" the whole boot {host['boot_seconds'] / 60:.1f} min"
        w(d + ".")
    w(f"- Settings: release N = {g['ns']}, repetitions {g['reps']}; attach, memory, depth and populated-fork runs "
      f"{g['repeat']} times per filesystem; fork loops of {g['fork_m']} in {g['rounds']} rounds; "
      f"{g['attach_k']} single moves per attach run; {g['memory_k']} groups per memory run; depths {g['depths']}; "
      + (f"idle groups {g['idle']}, {g['idle_reps']} repetitions each" if g["idle"] != "none" else "no idle run")
      + (f"; profiled release runs of {g['profile_n']} groups" if g["profile_n"] else "; no profiled run")
      + {1: "; the fork loops, attach and the moves of depth pinned to one vCPU",
         0: "; no workload pinned to a vCPU"}.get(g.get("pin"), "")
      + (f"; from the make command: `{host['settings']}`" if host.get("settings") else "") + ".")
    w("- Both filesystems are measured in the same boot, in an order reversed every repetition. cgroup v1 is "
      "a named hierarchy without controllers (`mount -t cgroup -o none,name=ref,release_agent=...`).")
    w("- The agent is a static C program that appends `PATH CLOCK_MONOTONIC-ns` to a log and exits; an "
      "exit-to-agent latency is from the worker thread's last timestamp before it exits to the agent's "
      "first instruction.\n")
    if s["errors"]:
        w("**Workloads that failed in this run:** " + "; ".join(f"`{e}`" for e in s["errors"]) + "\n")

    # Summary table.
    rows = []
    rel, rc = s["release"], s["release_cmp"]
    for n in by_int(rc):
        tc, v1, c = rel["tcgroup"][n], rel["cgroup"][n], rc[n]
        rows.append((f"release N={n}: agent calls/s", tc["rate_per_s"], v1["rate_per_s"], c["rate_per_s"], True))
        rows.append((f"release N={n}: latency p50 (ms)", tc["lat_p50_ms"], v1["lat_p50_ms"], c["lat_p50_ms"], False))
        if "first_call_ms" in c:
            rows.append((f"release N={n}: first agent call after the exits (ms)", tc["first_call_ms"],
                         v1["first_call_ms"], c["first_call_ms"], False))
    if rc:
        n = by_int(rc)[-1]
        if "exits_ms" in rc[n]:
            rows.append((f"{n} threads exiting at once while the agents run: to the last exit (ms)",
                         rel["tcgroup"][n]["exits_ms"], rel["cgroup"][n]["exits_ms"], rc[n]["exits_ms"], False))
    ec = s.get("exits_cmp", {})
    if ec:
        n = by_int(ec)[-1]
        for k, what in (("exits_ms", "to the last exit"), ("joined_ms", "to the last join")):
            rows.append((f"{n} threads exiting at once, no agent: {what} (ms)", s["exits"]["tcgroup"][n][k],
                         s["exits"]["cgroup"][n][k], ec[n][k], False))
    for n in by_int(s["idle_cmp"]):
        rows.append((f"one group released beside {int(n):,} idle ones: exit to agent (ms)",
                     s["idle"]["tcgroup"][n]["lat_ms"], s["idle"]["cgroup"][n]["lat_ms"], s["idle_cmp"][n], False))
    at, ac = s["attach"], s["attach_cmp"]
    for k, what, hib in (("single_moves_per_s", "single moves between two groups, `tasks` held open (moves/s)", True),
                         ("single_reopen_moves_per_s", "single moves, open+write+close each (moves/s)", True),
                         ("tasks_moves_per_s", "1000 threads, one `tasks` write each, held open (moves/s)", True),
                         ("procs_held_ms", "1001 threads by one `cgroup.procs` write, held open (ms)", False),
                         ("procs_total_ms", "1001 threads by `cgroup.procs`, open+write+close (ms)", False)):
        if k in ac:
            rows.append((what, at["tcgroup"][k], at["cgroup"][k], ac[k], hib))
    for d in by_int(s["depth_cmp"]):
        tc, v1, c = s["depth"]["tcgroup"][d], s["depth"]["cgroup"][d], s["depth_cmp"][d]
        rows.append((f"moves root <-> depth {d}, `tasks` held open (moves/s)", tc["moves_per_s"], v1["moves_per_s"],
                     c["moves_per_s"], True))
        if "reopen_moves_per_s" in c:
            rows.append((f"moves root <-> depth {d}, open+write+close (moves/s)", tc["reopen_moves_per_s"],
                         v1["reopen_moves_per_s"], c["reopen_moves_per_s"], True))
    fk = s["fork"]
    for cond in s["fork_cmp"]:
        where = "the root group" if cond == "root" else "a child group"
        m = re.match(r"group-(\d+)csets$", cond)
        if m:
            where = f"a child group, {int(m.group(1)):,} other populated groups"
        for k, what in (("fork_us", "fork+exit"), ("thread_us", "thread create+exit")):
            rows.append((f"{what}, task in {where} (µs)", fk["tcgroup-" + cond][k], fk["cgroup-" + cond][k],
                         s["fork_cmp"][cond][k], False))
    for n in by_int(s["events_cmp"]):
        rows.append((f"N={n}: notifications/s, tcgroup `cgroup.events` poll against v1's agent",
                     rel["events"][n]["rate_per_s"], rel["cgroup"][n]["rate_per_s"], s["events_cmp"][n], True))
    rows.extend(notify_rows(s))
    rows.extend(notify_rows(s, "burst"))
    if rows or s["memory_cmp"]:
        w("## Summary\n")
        w("| figure | tcgroup | cgroup v1, or the reference named | ratio tcgroup / reference | tcgroup is |")
        w("| --- | ---: | ---: | ---: | --- |")
        for what, a, b, c, hib in rows:
            w(f"| {what} | {fig_cell(a)} | {fig_cell(b)} | {ratio_cell(c)} | {verdict_cell(c, hib)} |")
        for part, what in (("per_group", "memory per empty group (bytes, slab + percpu)"),
                           ("per_css_set", "memory per task in a group of its own (bytes, slab + percpu)")):
            if part in s["memory_cmp"]:
                c = s["memory_cmp"][part]
                w(f"| {what} | {fig_cell(s['memory']['tcgroup'][part]['total_bytes'])} | "
                  f"{fig_cell(s['memory']['cgroup'][part]['total_bytes'])} | {ratio_cell(c)} | {size_cell(c)} |")
        w("")
        for fs in FS:
            gr = s["idle_growth"].get(fs)
            if gr:
                w(f"- {FS_NAME[fs]}'s exit-to-agent latency for one group with {int(gr['to']):,} idle groups beside "
                  f"it / its own with {int(gr['from']):,}: {ratio_cell(gr)} (widest range).")
        if s["idle_growth"]:
            w("")
        out.extend(notify_missed_lines(s))
        out.extend(notify_missed_lines(s, "burst"))
    else:
        w("No workload measured both filesystems in this run: no summary.\n")

    # Idle groups.
    w("## One group released among many idle ones\n")
    if s["idle"]:
        w("One group (`probe`, a sibling of the others) gets a thread that exits, while N other groups exist "
          "in the same hierarchy, idle: made as a new user makes them, under the root after "
          "`notify_on_release` was set there, so they inherit it. Each repetition releases the probe once on "
          "each filesystem; the idle groups of both stay in place meanwhile. The figure is the exit-to-agent "
          "latency.\n")
        w("| N idle groups | fs | repetitions | exit -> agent (ms) | / own at the smallest N (widest range) | "
          "mkdir of the added groups (/s) |")
        w("| ---: | --- | ---: | ---: | ---: | ---: |")
        for n in sorted({n for fs in s["idle"] for n in s["idle"][fs]}, key=int):
            for fs in FS:
                e = s["idle"].get(fs, {}).get(n)
                if not e:
                    continue
                first = by_int(s["idle"][fs])[0]
                own = ("the reference" if n == first else
                       ratio_cell(compare_unpaired(e["lat_ms"], s["idle"][fs][first]["lat_ms"])))
                w(f"| {int(n):,} | {FS_NAME[fs]} | {e['reps']} | {fig_cell(e['lat_ms'])} | {own} | "
                  f"{fmt(e['mkdir_per_s']) if 'mkdir_per_s' in e else 'none added'} |")
        w("")
        for fs in FS:
            gr = s["idle_growth"].get(fs)
            if gr:
                w(f"{FS_NAME[fs]}: latency with {int(gr['to']):,} idle groups / with {int(gr['from']):,}: "
                  f"{ratio_cell(gr)} (the ratio of the medians; the range is the widest, min / max .. max / min, "
                  "as the two were not measured side by side).\n")
    else:
        w("Not collected in this run: " + ("`BENCH_IDLE=none`.\n" if g["idle"] == "none" else
                                             "the workload failed (see above).\n"))

    # Release.
    w("## Release: N groups emptied at once\n")
    if rel.get("tcgroup") or rel.get("cgroup"):
        w("N groups with `notify_on_release`, one thread each; the threads exit at once. Per repetition: the "
          "time from the exits to the last agent call, N / that time, the median of the N per-group latencies, "
          "and the time to the first agent call. Pooled percentiles are over every group of every repetition.\n")
        w("| N | fs | runs | exits -> last call (ms) | calls/s | latency p50 (ms) | first call (ms) | "
          "pooled p50 / p90 / p99 / max (ms) |")
        w("| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for n in sorted({n for k in FS for n in rel.get(k, {})}, key=int):
            for fs in FS:
                e = rel.get(fs, {}).get(n)
                if e:
                    p = e["pooled_ms"]
                    w(f"| {n} | {FS_NAME[fs]} | {e['runs']} | {fig_cell(e['total_ms'])} | "
                      f"{fig_cell(e['rate_per_s'])} | "
                      f"{fig_cell(e['lat_p50_ms'])} | {fig_cell(e['first_call_ms'])} | {fmt(p['p50'])} / "
                      f"{fmt(p['p90'])} / {fmt(p['p99'])} / {fmt(p['max'])} |")
        w("")
        w("Every repetition (ms from the exits to the last agent call), in the order run:\n")
        w("| N | " + " | ".join(FS_NAME[k] for k in ("tcgroup", "cgroup", "umh", "events") if rel.get(k)) + " |")
        w("| ---: |" + " --- |" * sum(1 for k in ("tcgroup", "cgroup", "umh", "events") if rel.get(k)))
        for n in sorted({n for k in rel for n in rel[k]}, key=int):
            cells = []
            for k in ("tcgroup", "cgroup", "umh", "events"):
                if rel.get(k):
                    e = rel[k].get(n)
                    cells.append(", ".join(fmt(v) for v in e["total_ms"]["all"]) if e else "not run")
            w(f"| {n} | " + " | ".join(cells) + " |")
        w("")
    else:
        w("Not collected in this run: the workload failed (see above).\n")

    if s["limit_cmp"]:
        w("### Against the limit\n")
        w("The limit module (`bench/umh/tcgroup_umh_bench.c`) runs the same agent N times with "
          "`call_usermodehelper(UMH_WAIT_EXEC)`, one call after the other, with no group logic, from the moment "
          "the threads of the same set-up (N groups on the tcgroup mount, without `notify_on_release`) are woken "
          "to exit. Two measures: the rate over the whole run, and the median time between consecutive agent "
          "calls, which a few calls slowed down by the shared host do not move.\n")
        w("| N | limit calls/s | tcgroup calls/s | tcgroup / limit | limit median gap (ms) | tcgroup median gap (ms) "
          "| tcgroup gap / limit gap |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for n in by_int(s["limit_cmp"]):
            u, t, c = rel["umh"][n], rel["tcgroup"][n], s["limit_cmp"][n]
            gap = (f"{fig_cell(u['gap_p50_ms'])} | {fig_cell(t['gap_p50_ms'])} | {ratio_cell(c['gap_p50_ms'])}"
                   if "gap_p50_ms" in c else "one call per run | one call per run | no gaps")
            w(f"| {n} | {fig_cell(u['rate_per_s'])} | {fig_cell(t['rate_per_s'])} | {ratio_cell(c['rate_per_s'])} | "
              f"{gap} |")
        failed = sum(rel["umh"][n]["failed"] for n in rel["umh"])
        w(f"\nCalls the limit module could not make: {failed}.\n")
    else:
        w("The limit module's runs were not collected in this run.\n")

    if rel.get("events"):
        w("### The pollable event path\n")
        w("The same workload observed by one process that has every group's `cgroup.events` open in an epoll "
          "set (`EPOLLPRI`) until each read `populated 0`; `notify_on_release` off. v1 hierarchies have no such "
          "file.\n")
        w("| N | poll notifications/s | poll latency p50 (ms) | epoll wake-ups | pooled p99 (ms) |")
        w("| ---: | ---: | ---: | ---: | ---: |")
        for n in by_int(rel["events"]):
            e = rel["events"][n]
            w(f"| {n} | {fig_cell(e['rate_per_s'])} | {fig_cell(e['lat_p50_ms'])} | {fig_cell(e['epoll_wakeups'])} | "
              f"{fmt(e['pooled_ms']['p99'])} |")
        w("")

    out.extend(notify_markdown(s))
    out.extend(burst_markdown(s))

    cx = s["complexity"]
    if cx:
        w("### Growth with N\n")
        w("Exponent k of time ~ N^k, the slope of a least-squares fit on log-log points of every repetition "
          "(k = 1: linear). For the set-up operations, the time of one operation while N groups (or "
          "css_sets) exist: k = 0 is constant per operation.\n")
        keys = [k for k in FS if k in cx]
        if keys:
            w("| figure | " + " | ".join(FS_NAME[k] for k in keys) + " |")
            w("| --- |" + " ---: |" * len(keys))
            for k, what in (("total_ms", "exits to the last notification"), ("lat_p50", "per-group latency p50"),
                            ("mkdir_per_s", "one mkdir in the same parent"),
                            ("place_per_s", "one `tasks` write into a group of its own (a new css_set)"),
                            ("rmdir_per_s", "one rmdir"), ("exit", "one thread exit (all at once)")):
                w(f"| {what} | " + " | ".join(fmt(cx[key][k]) for key in keys) + " |")
            w("")
        if "umh" in cx:
            w(f"The limit module: exits to the last call ~ N^{fmt(cx['umh']['total_ms'])}.\n")
        if "events" in cx:
            w(f"The `cgroup.events` poll: exits to the last notification ~ N^{fmt(cx['events']['total_ms'])}, "
              f"per-group latency p50 ~ N^{fmt(cx['events']['lat_p50'])}.\n")
    else:
        w("Growth with N: a single N in this run, nothing to fit.\n")

    # Attach.
    w("## Attach\n")
    if at:
        w("Moves measured both ways: through a control file held open and written again and again (the move "
          "path alone, as a supervisor that keeps the file open), and with an open, write and close per move "
          "(path lookup and file set-up included).\n")
        w("| fs | runs | single moves/s, held open | single moves/s, open+write+close | 1000 `tasks` writes, "
          "moves/s | whole process by `cgroup.procs`, held open (ms) | the same, open+write+close (ms) |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for fs in FS:
            a = at.get(fs)
            if a:
                w(f"| {FS_NAME[fs]} | {a['runs']} | {fig_cell(a['single_moves_per_s'])} | "
                  f"{fig_cell(a['single_reopen_moves_per_s'])} | {fig_cell(a['tasks_moves_per_s'])} | "
                  f"{fig_cell(a['procs_held_ms'])} | {fig_cell(a['procs_total_ms'])} |")
        a = next(iter(at.values()))
        w(f"\n{a['k']} single moves per run; the whole process is {a['procs_threads']} threads, moved "
          f"{a['procs_held_moves']} times back and forth through the held files per run (the median move is the "
          "run's figure), and "
          + (f"{a['procs_reopen_moves']} times with open+write+close by its main thread, from the root while its "
             "other threads are in a group (the median move is the run's figure)"
             if "procs_reopen_moves" in a else "once with open+write+close") + ".\n")
    else:
        w("Not collected in this run: the workload failed (see above).\n")

    index_markdown(s, w)

    # Depth.
    dp = s["depth"]
    w("## Depth\n")
    if dp:
        w("A chain of D nested groups `d/d/...`; a thread in the deepest exits (exit -> agent latency, 5 per "
          "run, all pooled), and one thread is moved between the root and the deepest group, held open and "
          "with open+write+close per move"
          + (", with `notify_on_release` cleared in the deepest group first, so that no agent runs during the "
             "moves" if s.get("depth_quiet") else "") + ".\n")
        w("| depth | fs | runs | moves/s, held open | moves/s, open+write+close | exit -> agent (ms) |")
        w("| ---: | --- | ---: | ---: | ---: | ---: |")
        for d in sorted({d for fs in dp for d in by_int(dp[fs])}, key=int):
            for fs in FS:
                e = dp.get(fs, {}).get(d)
                if e:
                    w(f"| {d} | {FS_NAME[fs]} | {e['runs']} | {fig_cell(e['moves_per_s'])} | "
                      f"{fig_cell(e['reopen_moves_per_s'])} | {fig_cell(e['lat_ms'])} |")
        w("")
        for fs in FS:
            ex = dp.get(fs, {}).get("exponents")
            if ex:
                w(f"{FS_NAME[fs]}: time per move ~ depth^{fmt(ex['move'])} held open, "
                  f"depth^{fmt(ex['reopen_move'])} with open+write+close; exit -> agent ~ depth^{fmt(ex['lat'])} "
                  "(fits over every repetition)"
                  + (f"; the median batch of the moves held open ~ depth^{fmt(ex['move_batch'])}"
                     if "move_batch" in ex else "") + ".\n")
    else:
        w("Not collected in this run: the workload failed (see above).\n")

    # Exits.
    w("## Exits without an agent\n")
    if ec:
        w("N threads, each in a group of its own, are woken at once and exit; `notify_on_release` is off, so no "
          "agent runs meanwhile (in the release workload the agents' execs share the two vCPUs with the exiting "
          "threads, and its exit figure measures that sharing). From the wake-up to the last thread's last "
          "instruction before it exits, and to the last `pthread_join()`.\n")
        w("| N | fs | runs | to the last exit (ms) | to the last join (ms) |")
        w("| ---: | --- | ---: | ---: | ---: |")
        for n in by_int(ec):
            for fs in FS:
                e = s["exits"][fs][n]
                w(f"| {n} | {FS_NAME[fs]} | {e['runs']} | {fig_cell(e['exits_ms'])} | {fig_cell(e['joined_ms'])} |")
        w("")
        for n in by_int(ec):
            w(f"- N={n}: tcgroup / v1 to the last exit {ratio_cell(ec[n]['exits_ms'])}, "
              f"{verdict_cell(ec[n]['exits_ms'], False)}; to the last join {ratio_cell(ec[n]['joined_ms'])}, "
              f"{verdict_cell(ec[n]['joined_ms'], False)}.")
        w("")
    else:
        w("Not collected in this run.\n")

    # The timed loops' steady state.
    w("## Steady state of the timed loops\n")
    if s.get("steady"):
        w(f"The loops above are figures of the whole loop (every cost included, such as a grace period a move "
          f"waits for). Each was also timed in {s['batches']} equal batches; the median batch leaves out what "
          f"stops the guest for milliseconds once or twice in a loop, whether the host preempting a vCPU or the "
          f"filesystem's own grace-period wait. Where the mean and the median batch of one filesystem differ "
          f"much, its loop had such stops.\n")
        w("| loop | unit | tcgroup mean | tcgroup median batch | v1 mean | v1 median batch | "
          "median batches tcgroup / v1 | tcgroup is |")
        w("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for e in s["steady"]:
            tc, v1 = e["tcgroup"], e["cgroup"]
            w(f"| {e['what']} | {e['unit']} | {fig_cell(tc['mean'])} | {fig_cell(tc['batch'])} | "
              f"{fig_cell(v1['mean'])} | {fig_cell(v1['batch'])} | {ratio_cell(e['cmp'])} | "
              f"{verdict_cell(e['cmp'], e['higher_is_better'])} |")
        w("")
    else:
        w("Not collected in this run: its loops were not timed in batches.\n")

    # Fork.
    w("## Fork/exit and thread overhead\n")
    if fk.get("baseline"):
        w("Time per operation (µs, TCG) by condition and its median against the baseline's (module not loaded, "
          "no named v1 hierarchy). `loaded`: tcgroup.ko loaded, nothing mounted; `*-root`: both hierarchies "
          "mounted, the task in that hierarchy's root (the two are the same state, the task in both roots, "
          "measured apart: their difference is the run's noise); `*-group`: in a child group of that hierarchy; "
          "`*-group-Kcsets`: in a child group while K other groups each hold a thread.\n")
        w("| condition | runs | fork+exit+wait (µs) | / baseline | thread create+exit+join (µs) | / baseline |")
        w("| --- | ---: | ---: | ---: | ---: | ---: |")
        for cond, e in fk.items():
            w(f"| {cond} | {e['runs']} | {fig_cell(e['fork_us'])} | {e['fork_us']['to_baseline']:.3f}x | "
              f"{fig_cell(e['thread_us'])} | {e['thread_us']['to_baseline']:.3f}x |")
        w("")
    else:
        w("Not collected in this run: the workload failed (see above).\n")

    # Memory.
    mem = s["memory"]
    w("## Memory\n")
    if mem:
        k = next(iter(mem.values()))["k"]
        w("From the kernel's own accounting: active objects x object size summed over `/proc/slabinfo` (every "
          "cache shrunk through `/sys/kernel/slab/*/shrink` before each reading), and `Percpu` of "
          f"`/proc/meminfo`; `Slab` of `/proc/meminfo` (whole pages) as a cross-check. Each is the delta over {k} "
          "objects divided by their number. A css_set figure is the cost of moving one existing task into an "
          "existing group of its own. *Left after rmdir*: with the tasks moved back to the root groups, still "
          "alive (tcgroup keeps each one's task-map entry, parked, for its next move out, until it exits); *left "
          "once the tasks exited*: after that, against a reading taken before the tasks were started. The caches are those of the last run.\n")
        w("| figure | fs | slabinfo (B) | percpu (B) | meminfo Slab (B) | largest caches (B per object) |")
        w("| --- | --- | ---: | ---: | ---: | --- |")
        for part, what in (("per_group", "empty group"), ("per_file_lookup", "first lookup of its `tasks` file"),
                           ("per_css_set", "task in a group of its own"), ("left_after_rmdir", "left after rmdir"),
                           ("left_after_exit", "left once the tasks exited")):
            for fs in FS:
                m = mem.get(fs, {}).get(part)
                if m:
                    caches = ", ".join(f"{c} {v:.0f}" for c, v in m["caches"].items()) or "none grew"
                    w(f"| {what} | {FS_NAME[fs]} | {fig_cell(m['slabinfo_bytes'])} | {fig_cell(m['percpu_bytes'])} | "
                      f"{fig_cell(m['meminfo_slab_bytes'])} | {caches} |")
        w("")
    else:
        w("Not collected in this run: the workload failed (see above).\n")

    # Profile.
    pr = s["profile"]
    w("## Profile of the release path (counting)\n")
    if pr:
        w("kprobe events on `call_usermodehelper_exec` (entry and return, `mono` clock), on tcgroup's release "
          "functions where their symbols exist and on v1's `cgroup1_release_agent`, in extra release runs that "
          "are not part of the figures above. Per profiled run:\n")
        w("| path | N | runs | agent calls | calling threads | most calls in flight | mean wait in "
          "`call_usermodehelper_exec` (µs) | release work runs |")
        w("| --- | ---: | ---: | --- | --- | --- | --- | --- |")
        for key in ("tcgroup", "cgroup", "umh"):
            p = pr.get(key)
            if p:
                runs = p.get("tcgroup_release_runs" if key == "tcgroup" else "cgroup1_release_agent_runs")
                cells = [", ".join(fmt(v) for v in p[k]) for k in ("calls", "callers", "max_inflight",
                                                                     "mean_call_us")]
                w(f"| {FS_NAME[key]} | {p['n']} | {p['runs']} | " + " | ".join(cells) + " | "
                  + (", ".join(fmt(v) for v in runs) if runs else "no probe") + " |")
        w("")
    else:
        w("Not collected in this run: " + ("`BENCH_PROFILE=0`.\n" if not g["profile_n"] else
                                             "the profiled runs failed (see above).\n"))

    out.extend(markdown_kill(s))

    if doc.get("earlier_reports"):
        w("## Earlier reports\n")
        w("For the figures of earlier trees, see the reports beside this one (each from its own run; "
          "figures of different runs are not compared here): "
          + ", ".join(f"[{r}]({r})" for r in doc["earlier_reports"]) + ".\n")

    files = doc.get("plots", {})
    if files:
        w("## Plots\n")
        for key, title in (("latency", "Release: per-group latency distribution (CDF)"),
                           ("scaling", "Release: time and latency with N"),
                           ("idle", "One group released among N idle ones"), ("fork", "Fork and thread overhead")):
            if key in files:
                w(f"### {title}\n\n![{title}]({files[key]})\n")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", help="bench.log of the guest's second serial port")
    ap.add_argument("--from-json", help="write the Markdown of this JSON report again, next to it")
    ap.add_argument("--kdir", default="", help="the guest kernel's build directory (for its .config)")
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--outdir")
    ap.add_argument("--date", default=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"))
    ap.add_argument("--commit", help="the module's commit")
    ap.add_argument("--tag", default="",
                    help="a name between the date and the kernel in the file names, so that a "
                         "second run of the day does not replace the first's report")
    ap.add_argument("--load-before", help="the host's /proc/loadavg (three figures) before the boot")
    ap.add_argument("--load-after", help="the same after it")
    ap.add_argument("--boot-seconds", type=int, help="how long the boot took")
    ap.add_argument("--settings", help="the TCGROUP_BENCH_* settings passed to the guest")
    ap.add_argument("--no-plots", action="store_true")
    args = ap.parse_args()

    if args.from_json:
        with open(args.from_json) as f:
            doc = json.load(f)
        md = os.path.splitext(args.from_json)[0] + ".md"
        with open(md, "w") as f:
            f.write(markdown(doc))
        print(f"    report: {md}")
        return 0
    if not args.log or not args.outdir:
        ap.error("--log and --outdir are needed (or --from-json)")

    results = parse(args.log)
    if not any(r["kind"] == "conditions" for r in results):
        print(f"error: no benchmark results in {args.log}", file=sys.stderr)
        return 1
    s = summarise(results)
    kernel = s["guest"]["kernel"]
    stem = "-".join(p for p in (args.date, args.tag, kernel) if p)
    os.makedirs(args.outdir, exist_ok=True)
    earlier = sorted(os.path.basename(p) for p in glob.glob(os.path.join(args.outdir, "*.md"))
                     if os.path.basename(p) != f"{stem}.md")
    doc = {"stem": stem, "date": args.date, "kernel": kernel, "host": host_facts(args),
           "config": kernel_config(args.kdir), "summary": s,
           "plots": {} if args.no_plots else plots(s, results, args.outdir, stem),
           "earlier_reports": earlier, "raw": results}
    path = os.path.join(args.outdir, f"{stem}.json")
    with open(path, "w") as f:
        # Compact: the raw results hold every latency of every run.
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    # The Markdown from what the JSON file holds, nothing else.
    with open(path) as f:
        doc = json.load(f)
    with open(os.path.join(args.outdir, f"{stem}.md"), "w") as f:
        f.write(markdown(doc))
    print(f"    report: {os.path.join(args.outdir, stem)}.md (.json"
          + (f", plots: {', '.join(doc['plots'].values())})" if doc["plots"] else ")"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
