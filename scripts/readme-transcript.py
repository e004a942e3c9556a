#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Paste the transcripts of a real `make run` into README.md.

    scripts/readme-transcript.py [--check] DEMO_LOG [README]

DEMO_LOG is the guest's second serial port of a `make run`
(build/<kver>-<flavour>/run/demo.log), where scripts/guest/init.sh sends each
part of the demo's transcript (scripts/guest/demo.sh) between the lines
"tcgroup-transcript: begin NAME" and "tcgroup-transcript: end NAME". Each part
NAME replaces, indented as a Markdown code block, what README (README.md by
default) holds between the lines

    <!-- transcript NAME: begin (...) -->
    <!-- transcript NAME: end -->

Every marked part must be in the log, and a demo that failed is refused: the
README shows only what a passing run printed. With --check, nothing is
written; the exit status says whether README already shows the log (0) or not
(1). `make readme` runs `make run` and then this.
"""

import argparse
import re
import sys

BEGIN = re.compile(r"^<!-- transcript (\S+): begin\b.*-->$")
END = "<!-- transcript {}: end -->"


def parts(log):
    """The parts of the log: {name: [lines]}, and the demo's exit status."""
    out, cur, status = {}, None, None
    with open(log, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = re.match(r"^tcgroup-transcript: (begin|end) (\S+)$", line)
            if m and m.group(1) == "begin":
                cur = out.setdefault(m.group(2), [])
            elif m:
                cur = None
            elif cur is not None:
                cur.append(line)
            else:
                m = re.match(r"^tcgroup-demo: exit (\d+)$", line)
                if m:
                    status = int(m.group(1))
    return out, status


def paste(readme_lines, got):
    """README's lines with each marked block replaced by its part."""
    out, i, seen = [], 0, []
    while i < len(readme_lines):
        line = readme_lines[i]
        out.append(line)
        m = BEGIN.match(line)
        i += 1
        if not m:
            continue
        name = m.group(1)
        end = END.format(name)
        try:
            j = readme_lines.index(end, i)
        except ValueError:
            sys.exit(f"readme-transcript: no '{end}' after line {i}")
        if name not in got:
            sys.exit(f"readme-transcript: the log has no part '{name}' (an older demo, or no tool in the guest?)")
        out += [""] + [("    " + t).rstrip() for t in got[name]] + ["", end]
        seen.append(name)
        i = j + 1
    if not seen:
        sys.exit("readme-transcript: README has no transcript block")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only say whether README shows the log")
    ap.add_argument("log")
    ap.add_argument("readme", nargs="?", default="README.md")
    args = ap.parse_args()
    got, status = parts(args.log)
    if status is None:
        sys.exit(f"readme-transcript: {args.log}: the demo did not finish")
    if status != 0:
        sys.exit(f"readme-transcript: {args.log}: the demo failed (exit {status}); README left alone")
    with open(args.readme) as f:
        old = f.read().split("\n")
    new = paste(old, got)
    if args.check:
        return 0 if new == old else 1
    if new != old:
        with open(args.readme, "w") as f:
            f.write("\n".join(new))
    print(f"    {args.readme}: transcript parts {', '.join(sorted(got))} from {args.log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
