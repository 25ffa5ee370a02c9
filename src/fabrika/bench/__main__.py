"""Run the benchmarks on SQLite and PostgreSQL, print one table, and write docs/benchmarks.md.

    python -m fabrika.bench                 # both databases, full sizes
    python -m fabrika.bench --db sqlite     # one database
    python -m fabrika.bench --quick         # small sizes (a smoke run)

Each database runs in its own process (settings read FABRIKA_DATABASE_URL at start-up) on a fresh
database: var/bench.sqlite3, or fabrika_bench on the local PostgreSQL.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PG_URL = os.environ.get("FABRIKA_BENCH_PG", "postgres://postgres@127.0.0.1:5432/fabrika_bench")


def run_one(db: str, quick: bool) -> list[dict]:
    env = dict(os.environ)
    if db == "sqlite":
        path = ROOT / "var" / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        env["FABRIKA_DATABASE_URL"] = f"sqlite:///{path}"
    else:
        env["FABRIKA_DATABASE_URL"] = PG_URL
        name = PG_URL.rsplit("/", 1)[1]
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    env["DJANGO_SETTINGS_MODULE"] = "fabrika.settings.bench"
    args = [sys.executable, "-m", "fabrika.bench.runner", db] + (["--quick"] if quick else [])
    out = subprocess.run(args, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(results: dict[str, list[dict]]) -> str:
    dbs = list(results)
    names = []
    for rows in results.values():
        for row in rows:
            if row["name"] not in names:
                names.append(row["name"])
    lines = ["| measurement | target | " + " | ".join(dbs) + " |", "|---|---|" + "---|" * len(dbs)]
    for name in names:
        cells = []
        target = ""
        for db in dbs:
            row = next((r for r in results[db] if r["name"] == name), None)
            cells.append(row["result"] if row else "")
            target = target or (row["target"] if row else "")
        lines.append(f"| {name} | {target} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args()
    dbs = ["sqlite", "postgres"] if opts.db == "both" else [opts.db]
    results = {db: run_one(db, opts.quick) for db in dbs}
    text = table(results)
    print(text)
    if not opts.quick:
        doc = ROOT / "docs" / "benchmarks.md"
        head = doc.read_text().split("<!-- bench -->")[0] if doc.exists() else "# Benchmarks\n\n"
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
        doc.write_text(
            f"{head}<!-- bench -->\nMeasured {stamp} with `make bench` on {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}.\n\n{text}\n"
        )


if __name__ == "__main__":
    main()
