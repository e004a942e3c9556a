#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check reStructuredText files with docutils, warnings as errors.

    rstcheck.py FILE...

Each file is parsed as the kernel's Sphinx build would read it, with
docutils (Debian's python3-docutils). Every message of level WARNING or
above fails the check, and so do the INFO messages that mean text silently
changed meaning (a section title whose underline is too short becomes a
paragraph). Sphinx's ``toctree`` directive, which plain docutils lacks, is
accepted, and each entry must name an existing ``.rst`` file beside the one
that lists it. Prints ``FILE:LINE: (LEVEL) message`` for each problem and
exits 1 if there is any.
"""

import io
import os
import sys

import docutils.core
import docutils.nodes
import docutils.utils
from docutils.parsers.rst import Directive, directives

# INFO messages that hide a real mistake.
BAD_INFO = ("Possible title underline", "Possible incomplete section title")


class TocTree(Directive):
    """Sphinx's ``toctree``: options are accepted, entries must exist."""

    has_content = True
    option_spec = {"maxdepth": directives.nonnegative_int, "caption": directives.unchanged,
                   "numbered": directives.flag, "hidden": directives.flag, "glob": directives.flag}

    def run(self):
        src = self.state.document.current_source
        out = []
        for entry in self.content:
            entry = entry.strip()
            if not entry:
                continue
            path = os.path.join(os.path.dirname(src), entry + ".rst")
            if not os.path.exists(path):
                out.append(self.state.document.reporter.error(
                    f"toctree entry {entry!r}: no {path}", line=self.lineno))
        return out


def check(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    stream = io.StringIO()
    doc = docutils.core.publish_doctree(text, source_path=path, settings_overrides={
        "report_level": docutils.utils.Reporter.INFO_LEVEL,
        "halt_level": docutils.utils.Reporter.SEVERE_LEVEL + 1,
        "warning_stream": stream,
        "file_insertion_enabled": False,
        "raw_enabled": False,
    })
    problems = []
    for msg in doc.findall(docutils.nodes.system_message):
        level = msg["level"]
        text = msg.astext()
        if level >= docutils.utils.Reporter.WARNING_LEVEL or (
                level == docutils.utils.Reporter.INFO_LEVEL and any(b in text for b in BAD_INFO)):
            line = msg.get("line", "?")
            kind = docutils.utils.Reporter.levels[level]
            first = msg.children[0].astext() if msg.children else text
            problems.append(f"{path}:{line}: ({kind}) {first}")
    return problems


def main():
    directives.register_directive("toctree", TocTree)
    problems = []
    for path in sys.argv[1:]:
        problems += check(path)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
