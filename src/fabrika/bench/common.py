"""What every benchmark section shares: the results list, logging, timers, memory, generated products.

Imported by the sections after `django.setup()` (runner.py does that first).
"""

import resource
import sys
import time
from contextlib import contextmanager

from django.db import connection

RESULTS: list[dict] = []


def log(message: str) -> None:
    sys.stderr.write(f"[bench {connection.vendor}] {message}\n")
    sys.stderr.flush()


def record(name: str, target: str, result: str) -> None:
    RESULTS.append({"name": name, "target": target, "result": result})
    log(f"{name}: {result}")


@contextmanager
def timer():
    box = {}
    start = time.perf_counter()
    yield box
    box["s"] = time.perf_counter() - start


def peak_rss_mb() -> float:
    """The process's peak resident set size so far (getrusage ru_maxrss, kilobytes on Linux), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_products(prefix: str, n: int, unit, **fields) -> list:
    from fabrika.catalog.models import Product

    Product.objects.bulk_create(
        [Product(code=f"{prefix}{i:06d}", name=f"{prefix} part {i}", unit=unit, **fields) for i in range(n)],
        batch_size=2000,
    )
    return list(Product.objects.filter(code__startswith=prefix).order_by("code"))


def analyze() -> None:
    """Fresh statistics for the planner after bulk-loading (PostgreSQL; a live database has them)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
