"""Run the benchmarks on SQLite and PostgreSQL, print one table per section, and write docs/benchmarks.md.

    python -m fabrika.bench                                   # every section, both databases, full sizes
    python -m fabrika.bench --db sqlite                       # one database
    python -m fabrika.bench --only production                 # one section (repeat --only for more)
    python -m fabrika.bench --only production.release         # one part of a section
    python -m fabrika.bench --only production --size 10,50    # the production workload at these sizes
    python -m fabrika.bench --quick                           # small sizes (a smoke run; writes nothing)

Each part runs in its own process (settings read FABRIKA_DATABASE_URL at start-up) on a fresh
database: var/bench.sqlite3, or fabrika_bench on the local PostgreSQL. Sections are listed in
`fabrika.bench.SECTIONS`. The results replace the rows of the same name in the section's table
after the `<!-- bench -->` marker of docs/benchmarks.md; rows measured earlier and not re-run stay.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from . import SECTIONS

ROOT = Path(__file__).resolve().parents[3]
PG_URL = os.environ.get("FABRIKA_BENCH_PG", "postgres://postgres@127.0.0.1:5432/fabrika_bench")
DBS = ["sqlite", "postgres"]
MARKER = "<!-- bench -->"


def fresh_database(db: str) -> dict:
    env = dict(os.environ)
    if db == "sqlite":
        path = ROOT / "var" / "bench.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        env["FABRIKA_DATABASE_URL"] = f"sqlite:///{path}"
    else:
        env["FABRIKA_DATABASE_URL"] = PG_URL
        name = PG_URL.rsplit("/", 1)[1]
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    env["DJANGO_SETTINGS_MODULE"] = "fabrika.settings.bench"
    return env


def run_job(db: str, section: str, part: str, size: int | None, quick: bool) -> list[dict]:
    env = fresh_database(db)
    os.sync()  # the disk flushed: a part does not pay for the writes of the one before it
    args = [sys.executable, "-m", "fabrika.bench.runner", db, "--section", section, "--part", part]
    args += (["--size", str(size)] if size else []) + (["--quick"] if quick else [])
    out = subprocess.run(args, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def jobs(only: list[str], sizes: list[int] | None, quick: bool) -> list[tuple[str, str, int | None]]:
    """(section, part, size) to run, in order."""
    wanted = only or SECTIONS
    found = []
    for item in wanted:
        name, _dot, part = item.partition(".")
        section = SECTIONS.get(name)
        if section is None:
            raise SystemExit(f"unknown section {name!r} (sections: {', '.join(SECTIONS)})")
        for p in [part] if part else section.parts:
            if p not in section.parts:
                raise SystemExit(f"unknown part {name}.{p} (parts: {', '.join(section.parts)})")
            if p in section.sized:
                found += [(name, p, s) for s in sizes or (section.quick_sizes if quick else section.sizes)]
            else:
                found.append((name, p, None))
    return found


# --- the tables ----------------------------------------------------------------------------------------


def _sort_key(item):
    index, (name, _row) = item
    sized = re.match(r"S=(\d+) ", name)
    return (0, int(sized.group(1)), index) if sized else (1, 0, index)


def merge(rows: dict[str, dict], results: dict[str, list[dict]]) -> dict[str, dict]:
    """rows: name -> {"target": str, db: result}; the new results replace the cells they measured."""
    rows = {name: dict(row) for name, row in rows.items()}
    for db, measured in results.items():
        for r in measured:
            row = rows.setdefault(r["name"], {"target": r["target"]})
            row["target"] = r["target"] or row.get("target", "")
            row[db] = r["result"]
    return dict(row for _i, row in sorted(enumerate(rows.items()), key=_sort_key))


def table(rows: dict[str, dict]) -> str:
    dbs = [db for db in DBS if any(db in row for row in rows.values())]
    lines = ["| measurement | target | " + " | ".join(dbs) + " |", "|---|---|" + "---|" * len(dbs)]
    for name, row in rows.items():
        lines.append(f"| {name} | {row.get('target', '')} | " + " | ".join(row.get(db, "") for db in dbs) + " |")
    return "\n".join(lines)


def parse_table(text: str) -> dict[str, dict]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    if len(lines) < 2:
        return {}
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        row = {"target": cells[1]}
        row.update({db: cell for db, cell in zip(header[2:], cells[2:], strict=False) if cell})
        rows[cells[0]] = row
    return rows


def read_sections(doc: Path) -> tuple[str, dict[str, str]]:
    text = doc.read_text() if doc.exists() else "# Benchmarks\n\n"
    head, _marker, tail = text.partition(MARKER)
    sections = {}
    for match in re.finditer(r"<!-- bench:(\w+) -->\n(.*?)(?=<!-- bench:|\Z)", tail, re.S):
        sections[match.group(1)] = match.group(2)
    return head, sections


def write_doc(doc: Path, updated: dict[str, dict[str, dict]]) -> None:
    head, sections = read_sections(doc)
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    for section, rows in updated.items():
        sections[section] = (
            f"### {section.title()}\n\nLast measured {stamp} with `make bench` on {machine}.\n\n{table(rows)}\n\n"
        )
    order = [s for s in SECTIONS if s in sections] + sorted(set(sections) - set(SECTIONS))
    body = "".join(f"<!-- bench:{s} -->\n{sections[s]}" for s in order)
    doc.write_text(f"{head.rstrip()}\n\n{MARKER}\n{body}".rstrip() + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", action="append", default=[], help="a section, or section.part; repeatable")
    parser.add_argument("--size", help="workload sizes, comma-separated (production: 10,50,200)")
    opts = parser.parse_args()
    dbs = DBS if opts.db == "both" else [opts.db]
    sizes = [int(s) for s in opts.size.split(",")] if opts.size else None
    doc = ROOT / "docs" / "benchmarks.md"
    _head, previous = read_sections(doc)
    results: dict[str, dict[str, list[dict]]] = {}
    for section, part, size in jobs(opts.only, sizes, opts.quick):
        for db in dbs:
            got = run_job(db, section, part, size, opts.quick)
            results.setdefault(section, {}).setdefault(db, []).extend(got)
    updated = {}
    for section, by_db in results.items():
        base = {} if opts.quick else parse_table(previous.get(section, ""))
        updated[section] = merge(base, by_db)
        print(f"\n{section}\n{table(merge({}, by_db))}")
    if not opts.quick:
        write_doc(doc, updated)


if __name__ == "__main__":
    main()
