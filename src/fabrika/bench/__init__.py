"""`make bench`: Fabrika's speed figures on generated data (see docs/benchmarks.md).

Each area adds its own section: a module `fabrika.bench.<section>` with `run(part, *, quick, size)`
that calls `common.record()` for every figure, and an entry in `SECTIONS` below naming its parts
(each part runs in its own process on a fresh database) and, for parts that take a workload size,
the sizes of a full run and of `--quick`. This module is read before Django is set up: keep it plain.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    parts: tuple[str, ...] = ("all",)
    sized: tuple[str, ...] = ()  # parts that run once per workload size
    sizes: tuple[int, ...] = ()
    quick_sizes: tuple[int, ...] = ()


SECTIONS = {
    "inventory": Section(parts=("posting", "backdated", "ledger")),
    "production": Section(
        parts=("workload", "bom", "release"), sized=("workload",), sizes=(10, 50, 200), quick_sizes=(3,)
    ),
    "orders": Section(parts=("analysis", "pages"), sized=("pages",), sizes=(100_000,), quick_sizes=(5_000,)),
}
