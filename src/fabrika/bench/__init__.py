"""`make bench`: Fabrika's speed figures on generated data (see docs/benchmarks.md)."""
