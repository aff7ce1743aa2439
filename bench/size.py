"""Figures (not a test): how big the application is, the way issue 24 measures it.

Prints the lines of application Python (everything but tests/, bench/, migrations and the venv), split
by Python's tokenizer into code, docstrings, comments and blank lines, per app and in all; and, where the
`duplicates` command is on PATH, how many of its pairs lie outside migrations and how many of those match
to the letter rather than by shape alone.

    .venv/bin/python bench/size.py [--no-duplicates]
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import token
import tokenize
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEFT_OUT = {"tests", "bench", ".venv", "node_modules", "static", "templates", "docs"}


def application_files() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not LEFT_OUT & set(path.relative_to(ROOT).parts) and "migrations" not in path.parts
    )


def line_kinds(source: str) -> Counter[str]:
    """Each line counted once, as code if any code token touches it, else docstring, else comment, else blank."""
    lines = source.splitlines()
    kind = ["blank"] * len(lines)
    rank = {"blank": 0, "comment": 1, "docstring": 2, "code": 3}

    def mark(first: int, last: int, what: str) -> None:
        for number in range(first, last + 1):
            if rank[what] > rank[kind[number - 1]]:
                kind[number - 1] = what

    previous = token.NEWLINE
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (token.NL, token.NEWLINE, token.INDENT, token.DEDENT, token.ENDMARKER):
            if tok.type == token.NEWLINE:
                previous = token.NEWLINE
            continue
        if tok.type == token.COMMENT:
            mark(tok.start[0], tok.end[0], "comment")
            continue
        # A string that is a whole statement is a docstring (or a bare string used as one).
        statement_start = previous in (token.NEWLINE, token.INDENT, token.DEDENT)
        what = "docstring" if tok.type == token.STRING and statement_start else "code"
        mark(tok.start[0], tok.end[0], what)
        previous = tok.type
    return Counter(kind)


def duplicate_pairs() -> tuple[int, int] | None:
    command = shutil.which("duplicates")
    if command is None:
        return None
    listing = subprocess.run(
        [command, "--most", "200", "--seconds", "180"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout
    rows = [line for line in listing.splitlines() if line.startswith("D") and "migrations/" not in line]
    exact = [row for row in rows if " shape" not in row]
    return len(rows), len(exact)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-duplicates", action="store_true", help="skip the duplicates count")
    args = parser.parse_args()

    per_app: dict[str, Counter[str]] = {}
    for path in application_files():
        parts = path.relative_to(ROOT).parts
        app = parts[0] if len(parts) > 1 else "(top level)"
        per_app.setdefault(app, Counter()).update(line_kinds(path.read_text()))

    columns = ("code", "docstring", "comment", "blank")
    print(f"{'app':<16}{'lines':>8}" + "".join(f"{name:>11}" for name in columns))
    total: Counter[str] = Counter()
    for app, kinds in sorted(per_app.items()):
        total.update(kinds)
        print(f"{app:<16}{sum(kinds.values()):>8,}" + "".join(f"{kinds[name]:>11,}" for name in columns))
    print(f"{'all':<16}{sum(total.values()):>8,}" + "".join(f"{total[name]:>11,}" for name in columns))

    if not args.no_duplicates:
        pairs = duplicate_pairs()
        if pairs is None:
            print("duplicates: not on PATH, pairs not counted", file=sys.stderr)
        else:
            print(f"duplicates --most 200 pairs outside migrations: {pairs[0]} ({pairs[1]} not by shape alone)")


if __name__ == "__main__":
    main()
