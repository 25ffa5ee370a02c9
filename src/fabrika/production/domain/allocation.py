"""Splitting a money value over several outputs (disassembly, co-products).

The ledger splits a production step's value over its outputs with the same rule, so the one
implementation lives in the inventory core: `split_value` is `inventory.domain.money.split`.
"""

from fabrika.inventory.domain.money import split as split_value

__all__ = ["split_value"]
