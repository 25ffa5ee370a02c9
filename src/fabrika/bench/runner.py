"""One benchmark job in one database; prints its results as one JSON line (see __main__).

    python -m fabrika.bench.runner sqlite --section production --part workload --size 10 [--quick]

The database (FABRIKA_DATABASE_URL) is expected fresh: the runner migrates it, then runs the part.
"""

import argparse
import importlib
import json

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from fabrika.core.startup import settle  # noqa: E402

from .common import RESULTS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--section", default="inventory")
    parser.add_argument("--part", default="all")
    parser.add_argument("--size", type=int)
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args()
    call_command("migrate", verbosity=0)
    settle()  # as the WSGI application does once it has started
    module = importlib.import_module(f"fabrika.bench.{opts.section}")
    module.run(opts.part, quick=opts.quick, size=opts.size)
    print(json.dumps(RESULTS))


if __name__ == "__main__":
    main()
