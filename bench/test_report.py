#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of bench/report.py on a saved guest log, without a guest:

  python3 bench/test_report.py [LOG]

LOG defaults to bench/tests/bench-small.log, the log of a `make bench` with
small settings. The checks: the report is written; its Markdown has no
placeholder; written again from the JSON alone it is the same; the summary's
figures are those of the raw results (recomputed here); the verdicts follow
the overlap of the ranges; and, where gcc can build it, what
tcgroup_bench.c prints is JSON even for a label that needs escaping.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def test_compare():
    fig = report.figure
    same = report.compare(fig([1, 3, 2]), fig([2.5, 4, 5]), False)
    check(same["verdict"] == "same", "overlapping ranges are 'same'")
    slower = report.compare(fig([10, 11, 12]), fig([5, 6, 7]), False)
    check(slower["verdict"] == "slower" and abs(slower["ratio"] - 11 / 6) < 1e-12,
          "a larger time, ranges apart, is 'slower' at the ratio of the medians")
    check((slower["min"], slower["max"]) == (12 / 7, 10 / 5), "the ratio's range is over the paired repetitions")
    odd = report.compare(fig([10]), fig([5, 6, 7]), False)
    check((odd["pairs"], odd["min"], odd["max"]) == (0, 10 / 7, 10 / 5),
          "repetitions of different counts: the widest range, not a pairing")
    faster = report.compare(fig([10, 11, 12]), fig([5, 6, 7]), True)
    check(faster["verdict"] == "faster", "a larger rate, ranges apart, is 'faster'")
    check(report.verdict_cell(slower, False) == "1.83x slower", "verdict text of a time")
    check(report.percentile([1, 2, 3, 4, 5], 50) == 3 and report.percentile([7], 99) == 7,
          "percentiles from statistics.quantiles, one value allowed")
    check(abs(report.exponent([(1, 2), (10, 20), (100, 200)]) - 1) < 1e-9, "log-log fit of a linear growth")


def test_log(log):
    out = tempfile.mkdtemp(prefix="tcgroup-report-")
    try:
        args = [sys.executable, os.path.join(HERE, "report.py"), "--log", log, "--outdir", out,
                "--date", "test", "--commit", "0123456789ab", "--load-before", "1.50 1.20 0.90",
                "--load-after", "1.80 1.40 1.00", "--boot-seconds", "600", "--settings", "TCGROUP_BENCH_NS=100"]
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            args.append("--no-plots")
        r = subprocess.run(args, capture_output=True, text=True)
        check(r.returncode == 0,
              f"report.py runs on {os.path.relpath(log)}" + (f": {r.stderr}" if r.returncode else ""))
        if r.returncode:
            return
        stem = [f[:-3] for f in os.listdir(out) if f.endswith(".md")][0]
        md = open(os.path.join(out, stem + ".md")).read()
        with open(os.path.join(out, stem + ".json")) as f:
            doc = json.load(f)
        for bad in ("n/a", "?", "None", "nan", " inf"):
            check(bad not in md, f"no {bad!r} in the Markdown")
        check(not re.search(r"\bwas [0-9.]+ ?x\b", md), "no 'was N x' from an earlier run")
        for p in doc["plots"].values():
            check(os.path.getsize(os.path.join(out, p)) > 0, f"plot {p} written")
        shutil.copy(os.path.join(out, stem + ".md"), os.path.join(out, "first.md"))
        r = subprocess.run([sys.executable, os.path.join(HERE, "report.py"), "--from-json",
                            os.path.join(out, stem + ".json")], capture_output=True, text=True)
        check(r.returncode == 0 and open(os.path.join(out, stem + ".md")).read() == md,
              "the Markdown written again from the JSON alone is the same")
        for word in ("1.50, 1.20, 0.90", "1.80, 1.40, 1.00", "`0123456789ab`", "vCPUs"):
            check(word in md, f"the conditions state {word!r}")

        # The summary against the raw results, recomputed here.
        raw, s = doc["raw"], doc["summary"]
        for key, e in s["release"].get("tcgroup", {}).items():
            rs = [r for r in raw if r["kind"] == "release" and r["fs"] == "tcgroup" and str(r["n"]) == key]
            check(e["total_ms"]["all"] == [r["total_ms"] for r in rs], f"release N={key}: every repetition kept")
            p50 = [statistics.quantiles(r["lat_us"], n=100, method="inclusive")[49] / 1e3
                   if len(r["lat_us"]) > 1 else r["lat_us"][0] / 1e3 for r in rs]
            check(e["lat_p50_ms"]["median"] == statistics.median(p50), f"release N={key}: p50 from the raw latencies")
        for n, c in s["release_cmp"].items():
            tc, v1 = s["release"]["tcgroup"][n]["rate_per_s"], s["release"]["cgroup"][n]["rate_per_s"]
            check(abs(c["rate_per_s"]["ratio"] - tc["median"] / v1["median"]) < 1e-12,
                  f"release N={n}: the ratio is that of the medians")
            check(f"{c['rate_per_s']['ratio']:.3g} ({c['rate_per_s']['min']:.3g}..{c['rate_per_s']['max']:.3g})" in md,
                  f"release N={n}: the Markdown shows that ratio and its range")
        for fs, by_n in s["idle"].items():
            rs = [r for r in raw if r["kind"] == "idle" and r["fs"] == fs]
            check(sorted(by_n, key=int) == [str(r["n"]) for r in rs], f"idle {fs}: one figure per N")
        test_notify(raw, s, md)
        test_burst(raw, s, md)
        wanted = {"idle": "One group released among many idle ones", "attach": "## Attach",
                  "depth": "## Depth", "memory": "## Memory", "fork": "## Fork",
                  "profile": "## Profile"}
        for kind, title in wanted.items():
            ran = any(r["kind"] == kind for r in raw)
            check(title in md, f"section {title!r} present")
            if not ran:
                check("Not collected in this run" in md.split(title, 1)[1].split("\n## ", 1)[0],
                      f"section {title!r} says it was not collected")
    finally:
        shutil.rmtree(out)


def test_notify(raw, s, md):
    """The release notification rows (issue 28) against the raw results."""
    title = "### Release notification, N groups released by N exits: the stream, v2's inotify and v1's agent"
    check(title in md, f"section {title!r} present")
    nt = s.get("notify") or {}
    if not any(r["kind"] in ("stream", "inotify") for r in raw):
        check(not nt and "Not collected" in md.split(title, 1)[1].split("\n#", 1)[0],
              "no stream or inotify run: the section says it was not collected")
        return
    for path, kind in (("stream", "stream"), ("v2", "inotify")):
        for n, e in nt["paths"].get(path, {}).items():
            rs = [r for r in raw if r["kind"] == kind and str(r["n"]) == n]
            check(e["counts"]["missed"] == [r["missed"] for r in rs], f"{path} N={n}: the missed groups of each run")
            check(e["rate_per_s"]["all"] == [r["rate_per_s"] for r in rs], f"{path} N={n}: every rate kept")
            p99 = [report.percentile(r["lat_us"], 99) / 1e3 for r in rs]
            check(e["lat_p99_ms"]["all"] == p99, f"{path} N={n}: p99 from the raw latencies")
    for n, c in nt["cmp"].items():
        st, v1 = nt["paths"]["stream"][n], nt["paths"]["v1"].get(n)
        if v1:
            ratio = st["rate_per_s"]["median"] / v1["rate_per_s"]["median"]
            check(abs(c["rate_v1"]["ratio"] - ratio) < 1e-12 and c["rate_v1"]["met"] == (ratio >= 30),
                  f"N={n}: the stream's rate against v1's agent, and its target")
            check(f"N={n} (released by N exits): notifications/s, tcgroup `release.stream` against v1's agent" in md,
                  f"N={n}: the summary has the stream / v1 row")
        if "p50_v2" in c:
            ratio = st["lat_p50_ms"]["median"] / nt["paths"]["v2"][n]["lat_p50_ms"]["median"]
            check(abs(c["p50_v2"]["ratio"] - ratio) < 1e-12 and c["p50_v2"]["met"] == (ratio <= 1),
                  f"N={n}: the stream's p50 against v2's, and its target")
        lost = sum(sum(st["counts"][k]) for k in ("missed", "lost", "seq_gaps", "seq_backwards"))
        check(c["stream_lost_nothing"] == (lost == 0), f"N={n}: 'lost nothing' from the counts")


def test_burst(raw, s, md):
    """The burst rows (N groups released by one `cgroup.procs` write) against
    the raw results, and their place beside the exit-driven ones."""
    title = "### Release notification, N groups released by one write"
    check(title in md, f"section {title!r} present")
    sec = md.split(title, 1)[1].split("\n#", 1)[0]
    bt = s.get("burst") or {}
    if not any(r["kind"] == "burst" for r in raw):
        check(not bt and "Not collected" in sec, "no burst run: the section says it was not collected")
        return
    check(md.index("### Release notification, N groups released by N exits") < md.index(title),
          "the burst section follows the exit-driven one, which stays")
    for path, via in report.BURST_VIA:
        for n, e in bt["paths"].get(path, {}).items():
            rs = [r for r in raw if r["kind"] == "burst" and r["via"] == via and str(r["n"]) == n]
            check(e["runs"] == len(rs) and e["counts"]["missed"] == [r["missed"] for r in rs],
                  f"burst {via} N={n}: every run and its missed groups")
            timed = [r for r in rs if r["lat_us"]]
            check(e["rate_per_s"]["all"] == [r["rate_per_s"] for r in timed], f"burst {via} N={n}: every rate kept")
            check(e["write_ms"]["all"] == [r["write_ms"] for r in timed], f"burst {via} N={n}: the write's time kept")
            check(e["after_write_ms"]["all"] == [r["total_ms"] - r["write_ms"] for r in timed],
                  f"burst {via} N={n}: the time after the write, per run")
            p50 = [report.percentile(r["lat_us"], 50) / 1e3 for r in timed]
            check(e["lat_p50_ms"]["all"] == p50, f"burst {via} N={n}: p50 from the raw latencies")
    for n, c in bt["cmp"].items():
        st, v1, v2 = bt["paths"]["stream"][n], bt["paths"].get("v1", {}).get(n), bt["paths"].get("v2", {}).get(n)
        if v1:
            ratio = st["rate_per_s"]["median"] / v1["rate_per_s"]["median"]
            met = ratio >= 30
            check(abs(c["rate_v1"]["ratio"] - ratio) < 1e-12 and c["rate_v1"]["met"] == met,
                  f"burst N={n}: the stream's rate against v1's agent, and its target")
            check(f"N={n} (released by one `cgroup.procs` write): notifications/s, tcgroup `release.stream` against "
                  f"v1's agent (target at least 30x; {'met' if met else 'NOT met'})" in md,
                  f"burst N={n}: the summary has the stream / v1 row, its verdict said plainly")
        if v2:
            ratio = st["rate_per_s"]["median"] / v2["rate_per_s"]["median"]
            check(abs(c["rate_v2"]["ratio"] - ratio) < 1e-12 and c["rate_v2"]["met"] == (ratio >= 2),
                  f"burst N={n}: the stream's rate against v2's, and its target")
            ratio = st["lat_p50_ms"]["median"] / v2["lat_p50_ms"]["median"]
            check(c["p50_v2"]["met"] == (ratio <= 1), f"burst N={n}: the stream's p50 against v2's, and its target")
        lost = sum(sum(st["counts"][k]) for k in ("missed", "lost", "seq_gaps", "seq_backwards"))
        check(c["stream_lost_nothing"] == (lost == 0), f"burst N={n}: 'lost nothing' from the counts")
        line = next((ln for ln in sec.splitlines() if ln.startswith(f"- N={n}, released by one write:")), "")
        check(line.count("met") >= 4, f"burst N={n}: every target's verdict is in the section")


def test_burst_missed():
    """A burst whose stream lost records and missed groups: 'NOT met', from the counts."""
    lat = list(range(1000, 1100))
    rs = [{"kind": "burst", "via": via, "fs": fs, "n": 100, "observed": 100 - miss, "missed": miss,
           "duplicates": 0, "unknown": 0, "wakeups": 3, "write_ms": 5.0, "total_ms": 10.0,
           "rate_per_s": rate, "first_call_ms": 1.0, "lat_us": lat[:100 - miss], "lost": miss, "seq_gaps": 0,
           "seq_backwards": 0, "lost_records": 1 if miss else 0}
          for via, fs, rate, miss in (("stream", "tcgroup", 9000.0, 2), ("agent", "cgroup", 100.0, 0),
                                      ("inotify", "cgroup2", 3000.0, 0))]
    b = report.burst_summary(rs)
    c = b["cmp"]["100"]
    check(c["rate_v1"]["met"] and c["rate_v2"]["met"], "burst: 90x v1's and 3x v2's rate meet the targets")
    check(not c["stream_lost_nothing"], "burst: a stream run that missed groups has lost something")
    check(b["paths"]["stream"]["100"]["counts"]["missed"] == [2], "burst: the missed groups of the run")
    check(report.burst_summary([r for r in rs if r["via"] != "stream"])["cmp"] == {},
          "burst: no stream run, no comparison")


def test_exit_ceiling():
    """What the exits allow: N over each run's last exit, the share of it each path reached, and
    whether twice v2's rate is within the stream's ceiling."""
    def run(kind, n, rate, exits_ms):
        return {"kind": kind, "fs": "x", "n": n, "observed": n, "missed": 0, "duplicates": 0, "unknown": 0,
                "wakeups": 1, "exits_ms": exits_ms, "total_ms": n * 1e3 / rate, "rate_per_s": rate,
                "first_call_ms": 1.0, "lat_us": [10] * n}

    # N=100: exits in 2 ms (ceiling 50 000/s), v2 at 10 000/s: twice that is within reach.
    # N=1000: exits in 20 ms (50 000/s), v2 at 40 000/s: twice that is above it.
    rs = [run("stream", 100, 49000.0, 2.0), run("inotify", 100, 10000.0, 2.0),
          run("stream", 1000, 49500.0, 20.0), run("inotify", 1000, 40000.0, 20.0)]
    nt = report.notify_summary(rs)
    lo, hi = nt["ceiling"]["100"], nt["ceiling"]["1000"]
    check(abs(lo["stream"]["ceiling_per_s"]["median"] - 50000) < 1e-6
          and abs(lo["stream"]["share"]["median"] - 0.98) < 1e-9, "ceiling: N over the last exit, and the share")
    check(lo["within_ceiling"] and not hi["within_ceiling"], "ceiling: 2x v2 within it at N=100, above at N=1000")
    lines = report.ceiling_lines(nt)
    check(any("N=1000" in ln and "out of reach" in ln for ln in lines)
          and any("N=100," in ln and "within the stream's ceiling" in ln for ln in lines),
          "ceiling: the section says which N the exits put out of reach")


def test_rootmove_fresh():
    """The fresh-process row of the root moves: from `fresh_us` where every run has it, else none."""
    def run(fs, into, fresh):
        r = {"kind": "rootmove", "fs": fs, "threads": 1001, "into_us": [into] * 3, "back_us": [100.0] * 3}
        if fresh is not None:
            r["fresh_us"] = [fresh] * 3
        return r

    rs = [run("tcgroup", 200.0, 400.0), run("cgroup", 210.0, 200.0), run("tcgroup", 190.0, 420.0),
          run("cgroup", 205.0, 190.0)]
    rows = {r["what"]: r for r in report.index_summary(rs)["rows"]}
    fresh = [r for w, r in rows.items() if w.startswith("a just-started process")]
    check(len(fresh) == 1 and fresh[0]["cmp"]["verdict"] == "slower",
          "rootmove: the fresh-process row, 2x v1's, is slower")
    check(rows and all(r["cmp"]["verdict"] != "slower" for w, r in rows.items() if w.startswith("1001 threads")),
          "rootmove: the round-trip rows are not slower")
    rs.append(run("cgroup", 200.0, None))
    check(not any(r["what"].startswith("a just-started") for r in report.index_summary(rs)["rows"]),
          "rootmove: no fresh-process row when a run has no figure for it")


def test_listing_growth():
    """The listing's growth is paired by run where the records say which run they came from."""
    def run(fs, run_id, lo, hi):
        out = []
        for t, us in ((100, lo), (10000, hi)):
            r = {"kind": "listing", "fs": fs, "others": t, "reads": 3, "tasks_us": [us] * 3, "procs_us": [us] * 3}
            if run_id is not None:
                r["run"] = run_id
            out.append(r)
        return out

    rs = (run("tcgroup", 1, 10.0, 11.0) + run("tcgroup", 2, 12.0, 12.6) + run("tcgroup", 3, 8.0, 8.4)
          + run("cgroup", 4, 20.0, 20.0) + run("cgroup", 5, 21.0, 21.0) + run("cgroup", 6, 22.0, 22.0))
    g = report.index_summary(rs)["growth"]["tasks_us"]["ratio"]
    check(g["pairs"] == 3 and abs(g["ratio"] - 1.05) < 1e-9 and abs(g["max"] - 1.1) < 1e-9,
          "listing: growth paired by run: median 1.05 of 1.1, 1.05, 1.05")
    for r in rs:
        r.pop("run")
    g = report.index_summary(rs)["growth"]["tasks_us"]["ratio"]
    check("pairs" not in g and abs(g["ratio"] - 1.1) < 1e-9 and abs(g["max"] - 12.6 / 8.0) < 1e-9,
          "listing: without runs, the ratio of the medians (11 / 10) and the widest range")


def test_c_escaping():
    gcc = shutil.which("gcc")
    if not gcc:
        print("skip C escaping: no gcc")
        return
    tmp = tempfile.mkdtemp(prefix="tcgroup-bench-")
    try:
        exe = os.path.join(tmp, "tcgroup_bench")
        r = subprocess.run([gcc, "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror", "-pthread", "-o", exe,
                            os.path.join(HERE, "tcgroup_bench.c"), "-lm"], capture_output=True, text=True)
        check(r.returncode == 0, "tcgroup_bench.c builds" + (f": {r.stderr}" if r.returncode else ""))
        if r.returncode:
            return
        label = 'a "quoted" \\ label\twith\x01control'
        # The loops are timed in 20 batches: 20 forks and 20 threads, one per batch.
        r = subprocess.run([exe, "fork", label, "20"], capture_output=True, text=True)
        line = r.stdout.strip()
        try:
            res = json.loads(line[len("BENCH "):])
            check(res["label"] == label, "tcgroup_bench.c escapes the strings it prints")
            check(res["batches"] == 20 and res["fork_ns_batch"] > 0 and res["thread_ns_batch"] > 0,
                  "tcgroup_bench.c prints the median batch beside the loop's mean")
        except json.JSONDecodeError:
            check(False, f"tcgroup_bench.c prints JSON: {line!r}")
    finally:
        shutil.rmtree(tmp)


def test_partial(log):
    """The same log without some workloads, as if they had failed."""
    fd, part = tempfile.mkstemp(prefix="tcgroup-partial-", suffix=".log")
    gone = ('"kind": "idle"', '"kind": "attach"', '"kind": "memory"', '"kind": "profile"', '"kind": "stream"',
            '"kind": "inotify"', '"kind": "burst"')
    with os.fdopen(fd, "w") as out, open(log) as f:
        for line in f:
            if not any(g in line for g in gone):
                out.write(line)
        out.write('BENCH {"kind": "error", "what": "idle \\"0,100\\" 3"}\n')
    try:
        test_log(part)
    finally:
        os.unlink(part)


def main():
    log = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "tests", "bench-small.log")
    test_compare()
    test_burst_missed()
    test_exit_ceiling()
    test_rootmove_fresh()
    test_listing_growth()
    test_log(log)
    test_partial(log)
    test_c_escaping()
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
