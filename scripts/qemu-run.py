#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the tcgroup guest in QEMU and, in check mode, judge the run.

In ``check`` mode the kernel console goes to ``console.log`` (first serial
port) and the kselftest KTAP output to ``ktap.log`` (second serial port), so
kernel messages never interleave with test output. Test results are printed as
they arrive. The run fails on:

* any ``not ok`` result, at any nesting level;
* a missing or short KTAP plan, or results numbered out of order;
* a guest that did not finish (no ``tcgroup-guest: done``), or a timeout;
* a guest whose init could not index or load the installed module;
* any kernel splat in the console (warnings, BUGs, oopses, KASAN, UBSAN,
  lockdep, RCU reports, kmemleak leaks, hung tasks, panics).

It ends with the line ``tcgroup: N passed, N failed, N skipped (KUnit: N passed,
N failed, N skipped)``: the module's KUnit cases, which the kselftest
``tcgroup_kunit.sh`` reports one result each from debugfs, are counted in
the totals and, in parentheses, on their own.
With ``--runner vng`` (check mode only) virtme-ng boots the kernel instead,
with the host's root file system and ``--vng-exec`` as the command
(scripts/guest/vng-check.sh); its output, the kernel console with
``--verbose``, is ``console.log``, and the command writes ``ktap.log`` into
the shared output directory. Parsing and judging are the same.
In ``run`` and ``shell`` modes the console is the terminal; in ``run`` mode
the demo's exit status comes on the second serial port (``demo.log``), and a
demo that failed, or did not finish, fails the run. In ``bench`` mode
(``make bench``) the second serial port carries the benchmark results to
``bench.log`` and its progress lines (``# ...``) are printed; the run fails
only on the harness problems above (timeout, unfinished guest, CPUs, splats),
never on a figure.
"""

import argparse
import os
import re
import subprocess
import sys
import time

SPLAT = re.compile(
    r"(\bWARNING:|\bBUG:|\bOops\b|general protection fault|\bKASAN:|\bUBSAN:"
    r"|possible circular locking|possible recursive locking|inconsistent lock state"
    r"|suspicious RCU usage|RCU stall|rcu_.*stall|hung_task|blocked for more than"
    r"|ODEBUG:|kmemleak: .*suspected memory leak|unreferenced object|Kernel panic"
    r"|Call Trace:|DEBUG_LOCKS_WARN_ON|\bBUG kmalloc|list_add corruption|list_del corruption"
    r"|segfault at|invalid opcode)"
)
# Lines that mention a checker without being a report of one.
NOT_SPLAT = re.compile(r"(lockdep: .*is disabled|Lock dependency validator|kmemleak: Kernel memory leak detector"
                       r"|kmemleak: Automatic memory scanning thread|\.\.\. MAX_LOCK)")

RESULT = re.compile(r"^(not ok|ok) (\d+)(?: -)? ?([^#]*?)\s*(?:#\s*(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)")
VERSION = re.compile(r"^(K?TAP) version \d+")
PROGRAM = re.compile(r"^selftests: (\S+): (\S+)")
# The kselftest that reports the module's KUnit cases, one result each.
KUNIT_PROGRAM = "tcgroup_kunit.sh"


class Block:
    """One KTAP document (a version line, a plan, results) at one depth."""

    def __init__(self, depth):
        self.depth = depth
        self.plan = None
        self.results = []


class Ktap:
    """An incremental parser of run_kselftest.sh output."""

    def __init__(self, emit):
        self.emit = emit
        self.stack = []  # open blocks, outermost first
        self.blocks = []
        self.errors = []
        self.program = None
        self.cases = []  # results nested in the current program
        self.passed = self.failed = self.skipped = 0
        self.failures = []
        self.kunit = {"passed": 0, "failed": 0, "skipped": 0}

    @staticmethod
    def split(line):
        """Returns (depth, body) for a structural line, or (None, line)."""
        body, depth = line, 0
        while True:
            if VERSION.match(body) or PLAN.match(body) or RESULT.match(body):
                return depth, body
            if body.startswith("# "):
                body, depth = body[2:], depth + 1
                continue
            return None, line

    def count(self, name, status, directive, kunit=False):
        directive = directive or ""
        if directive.upper().startswith("SKIP"):
            outcome = "skipped"
            self.emit(f"  SKIP {name} # {directive[4:].strip()}")
        elif status == "ok":
            outcome = "passed"
            self.emit(f"  ok   {name}")
        else:
            outcome = "failed"
            self.failures.append(name)
            self.emit(f"  FAIL {name}" + (f" # {directive}" if directive else ""))
        setattr(self, outcome, getattr(self, outcome) + 1)
        if kunit:
            self.kunit[outcome] += 1

    def feed(self, line):
        line = line.rstrip("\r\n")
        depth, body = self.split(line)
        if depth is None:
            diag = line[2:] if line.startswith("# ") else None
            m = PROGRAM.match(diag) if diag is not None else None
            if m:
                self.program = m.group(2)
                self.cases = []
            return
        # Close blocks deeper than this line, or at its depth if it restarts.
        while self.stack and (self.stack[-1].depth > depth
                              or (self.stack[-1].depth == depth and VERSION.match(body))):
            self.close(self.stack.pop())
        if VERSION.match(body):
            block = Block(depth)
            self.stack.append(block)
            self.blocks.append(block)
            return
        if not self.stack or self.stack[-1].depth != depth:
            self.errors.append(f"KTAP line outside a document: {line!r}")
            return
        block = self.stack[-1]
        m = PLAN.match(body)
        if m:
            if block.plan is not None:
                self.errors.append(f"second plan at depth {depth}: {line!r}")
            block.plan = int(m.group(1))
            return
        m = RESULT.match(body)
        status, num, name, directive = m.group(1), int(m.group(2)), m.group(3).strip(), m.group(4)
        if num != len(block.results) + 1:
            self.errors.append(f"result {num} out of order (expected {len(block.results) + 1}): {line!r}")
        block.results.append((status, name, directive))
        if depth == 1:
            self.cases.append((status, name, directive))
            self.count(f"{self.program or '?'}: {name}", status, directive,
                       kunit=self.program == KUNIT_PROGRAM)
        elif depth == 0:
            prog = PROGRAM.match(name)
            pname = prog.group(2) if prog else name
            if not self.cases:
                self.count(pname, status, directive)
            elif status == "not ok" and all(c[0] == "ok" for c in self.cases):
                self.count(f"{pname} (exit status)", status, directive)
            self.program = None
            self.cases = []

    def close(self, block):
        if block.plan is None:
            self.errors.append(f"KTAP document at depth {block.depth} has no plan")
        elif len(block.results) != block.plan:
            self.errors.append(f"KTAP plan of {block.plan} at depth {block.depth} "
                               f"but {len(block.results)} results")

    def finish(self):
        while self.stack:
            self.close(self.stack.pop())
        if not any(b.depth == 0 for b in self.blocks):
            self.errors.append("no top-level KTAP output")


class Progress:
    """The bench mode's reader of the second serial port: prints progress lines."""

    def __init__(self):
        self.errors = []
        self.failures = []
        self.passed = self.failed = self.skipped = 0

    def feed(self, line):
        line = line.rstrip("\r\n")
        if line.startswith("# "):
            print(f"  {line[2:]}", flush=True)
        elif line.startswith("BENCH ") and '"kind": "error"' in line:
            print(f"  {line}", flush=True)

    def finish(self):
        pass


def splats(console):
    found = []
    lines = console.splitlines()
    for i, line in enumerate(lines):
        if SPLAT.search(line) and not NOT_SPLAT.search(line):
            found.append((i, line))
    return found, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--mode", choices=["check", "run", "shell", "bench"], default="check")
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--memory", default="1G")
    ap.add_argument("--cpus", type=int, default=2, help="vCPUs of the guest")
    ap.add_argument("--accel", default=os.environ.get("QEMU_ACCEL") or "tcg")
    ap.add_argument("--append", default="", help="extra kernel command line")
    ap.add_argument("--runner", choices=["qemu", "vng"], default="qemu")
    ap.add_argument("--vng", default="vng", help="the vng program (--runner vng)")
    ap.add_argument("--vng-exec", help="the guest command (--runner vng)")
    args = ap.parse_args()
    if args.runner == "vng" and (args.mode != "check" or not args.vng_exec):
        ap.error("--runner vng needs --mode check and --vng-exec")

    os.makedirs(args.outdir, exist_ok=True)
    console_log = os.path.join(args.outdir, "console.log")
    ktap_log = os.path.join(args.outdir, "bench.log" if args.mode == "bench" else "ktap.log")
    for f in (console_log, ktap_log):
        open(f, "w").close()

    cmdline = f"console=ttyS0 panic=-1 oops=panic TCGROUP_MODE={args.mode} {args.append}".strip()
    if args.mode not in ("check", "bench"):
        cmdline += " loglevel=4"
    qemu = ["qemu-system-x86_64", "-accel", args.accel, "-smp", str(args.cpus), "-m", args.memory,
            "-kernel", args.kernel, "-initrd", args.initrd, "-append", cmdline,
            "-no-reboot", "-nodefaults", "-display", "none"]
    if args.accel == "kvm":
        qemu += ["-cpu", "host"]
    if args.mode in ("check", "bench"):
        qemu += ["-serial", f"file:{console_log}", "-serial", f"file:{ktap_log}", "-monitor", "none"]
    else:
        qemu += ["-serial", "mon:stdio"]
    demo_log = os.path.join(args.outdir, "demo.log")
    if args.mode == "run":
        open(demo_log, "w").close()
        qemu += ["-serial", f"file:{demo_log}"]

    if args.runner == "vng":
        # The standard PC machine (ACPI, PCI), not vng's default microvm.
        # The guest installs the module in /lib/modules: an overlay, writable
        # in the guest only, over the host's /lib (/usr/lib when /lib links there).
        # The root is the host's over 9p (--force-9p): vng shares it over virtio-fs only
        # with the Rust virtiofsd, which Debian 12 does not package (QEMU's C one, which
        # it has, vng rejects). vng passes no root= for a 9p root and lets the kernel
        # name the source "/dev/root", its mount tag; 7.3 mounts an empty source and
        # 9p refuses it ("9p: Bad value for 'source'"), so root= names the tag.
        qemu = [args.vng, "--run", args.kernel, "--disable-microvm", "--force-9p", "--cpus", str(args.cpus),
                "--memory", args.memory, "--rwdir", os.path.abspath(args.outdir),
                "--overlay-rwdir", os.path.realpath("/lib"), "--verbose",
                "--append", f"root=/dev/root panic=-1 oops=panic {args.append}".strip(),
                "--exec", args.vng_exec]
        if args.accel != "kvm":
            qemu.insert(3, "--disable-kvm")
    print(f"==> booting {os.path.basename(args.kernel)} in {'virtme-ng' if args.runner == 'vng' else 'QEMU'} "
          f"({args.accel}, {args.cpus} CPUs, {args.memory}), mode {args.mode}, timeout {args.timeout}s", flush=True)
    start = time.monotonic()
    if args.mode not in ("check", "bench"):
        try:
            rc = subprocess.run(qemu, timeout=None if args.mode == "shell" else args.timeout).returncode
        except subprocess.TimeoutExpired:
            print(f"error: the guest did not power off within {args.timeout}s", file=sys.stderr)
            return 1
        if rc != 0 or args.mode != "run":
            return rc
        with open(demo_log, errors="replace") as f:
            m = re.search(r"^tcgroup-demo: exit (\d+)", f.read(), re.M)
        if not m:
            print("error: the demo did not finish (no exit status from the guest)", file=sys.stderr)
            return 1
        if m.group(1) != "0":
            print(f"error: the demo failed (exit status {m.group(1)}); see the FAILED steps above",
                  file=sys.stderr)
            return 1
        return 0

    print(f"    console: {console_log}\n    {'bench:  ' if args.mode == 'bench' else 'ktap:   '} {ktap_log}",
          flush=True)
    if args.runner == "vng":
        # The guest writes ktap.log through the shared directory, later.
        open(ktap_log, "w").close()
        # vng runs its helpers (virtme-run) from its own bin directory, a venv's.
        env = dict(os.environ)
        env["PATH"] = os.path.dirname(os.path.abspath(args.vng)) + os.pathsep + env.get("PATH", "")
        with open(console_log, "w") as console_file:
            proc = subprocess.Popen(qemu, stdin=subprocess.DEVNULL, stdout=console_file,
                                    stderr=subprocess.STDOUT, env=env)
    else:
        proc = subprocess.Popen(qemu, stdin=subprocess.DEVNULL)
    ktap = Ktap(lambda s: print(s, flush=True)) if args.mode == "check" else Progress()
    pending = ""
    timed_out = False
    with open(ktap_log, "r", errors="replace") as f:
        while True:
            chunk = f.read()
            if chunk:
                pending += chunk
                *lines, pending = pending.split("\n")
                for line in lines:
                    ktap.feed(line)
            if proc.poll() is not None:
                chunk = f.read()
                pending += chunk
                for line in pending.split("\n"):
                    if line:
                        ktap.feed(line)
                break
            if time.monotonic() - start > args.timeout:
                timed_out = True
                proc.kill()
                proc.wait()
                break
            time.sleep(0.2)
    ktap.finish()
    elapsed = time.monotonic() - start

    with open(console_log, errors="replace") as f:
        console = f.read()
    problems = list(ktap.errors)
    if timed_out:
        problems.append(f"the guest did not finish within {args.timeout}s")
    elif args.runner == "vng" and proc.returncode != 0:
        problems.append(f"vng exited with status {proc.returncode} (its output is console.log)")
    elif "tcgroup-guest: done" not in console:
        problems.append("the guest did not reach the end of its init (no 'tcgroup-guest: done')")
    m = re.search(r"tcgroup-guest: (tcgroup stays loaded after the tests.*)", console)
    if m:
        problems.append(m.group(1))
    # In check mode the guest installs and loads the module before the tests: without it the
    # tcgroup side of every test would only skip.
    if args.mode == "check":
        for m in re.finditer(r"tcgroup-guest: ((?:depmod|modprobe tcgroup) failed)", console):
            problems.append(f"the guest could not load the module: {m.group(1)}")
    m = re.search(r"tcgroup-guest: .*, (\d+) CPUs", console)
    if not m or m.group(1) != str(args.cpus):
        problems.append(f"the guest saw {m.group(1) if m else 'an unknown number of'} CPUs, not {args.cpus}")
    found, lines = splats(console)
    if found:
        problems.append(f"{len(found)} kernel splat line(s) in the console")
        print("==> kernel splats (console excerpt):")
        shown = set()
        for i, _ in found[:10]:
            for j in range(max(0, i - 2), min(len(lines), i + 12)):
                if j not in shown:
                    shown.add(j)
                    print(f"    | {lines[j]}")
    for p in problems:
        ktap.failed += 1
        ktap.failures.append(p)
        print(f"  FAIL harness: {p}")

    print(f"==> guest ran {elapsed:.0f}s; logs in {args.outdir}")
    if ktap.failures:
        print("==> failed: " + "; ".join(ktap.failures))
    if args.mode == "bench":
        print(f"tcgroup: bench {'failed' if ktap.failed else 'finished'}", flush=True)
    else:
        k = ktap.kunit
        print(f"tcgroup: {ktap.passed} passed, {ktap.failed} failed, {ktap.skipped} skipped "
              f"(KUnit: {k['passed']} passed, {k['failed']} failed, {k['skipped']} skipped)", flush=True)
    return 1 if ktap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
