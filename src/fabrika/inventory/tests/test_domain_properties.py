"""Property-based tests of the ledger core against a simple reference model."""

from decimal import ROUND_HALF_UP
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from fabrika.inventory.domain.average import AverageStock
from fabrika.inventory.domain.fifo import FifoStock, InsufficientStock
from fabrika.inventory.domain.money import money
from fabrika.inventory.domain.timeline import IN, OUT, Entry, replay_average, replay_fifo

qty = st.integers(min_value=1, max_value=50).map(D)
cost = st.decimals(min_value=D("0.0001"), max_value=D("500"), places=4)
op = st.one_of(
    st.tuples(st.just(IN), qty, cost),
    st.tuples(st.just(OUT), qty, st.none()),
)


def entries_from(ops):
    entries = []
    for i, (direction, q, c) in enumerate(ops):
        if direction == IN:
            entries.append(Entry((i, 0), i, IN, q, value=money(q * c), lot=i))
        else:
            entries.append(Entry((i, 0), i, OUT, q))
    return entries


def apply_fifo_skipping_refusals(entries):
    """Post entries one by one like the service does: a refused issue is dropped, state unchanged."""
    stock, accepted, derived = FifoStock(), [], []
    for entry in entries:
        before = [(layer.key, layer.remaining_qty, layer.remaining_value) for layer in stock.layers]
        try:
            derived += replay_fifo(stock, [entry])
            accepted.append(entry)
        except InsufficientStock:
            assert [(lr.key, lr.remaining_qty, lr.remaining_value) for lr in stock.layers] == before
    return stock, accepted, derived


class ReferenceFifo:
    """Unit-by-unit FIFO: obviously right, slow, used only here."""

    def __init__(self):
        self.layers = []  # [lot, qty_left, value_left, unit_cost]

    def receive(self, lot, q, value):
        # The ledger's documented rule: unit costs to 6 places, halves up.
        self.layers.append([lot, q, value, (value / q).quantize(D("0.000001"), rounding=ROUND_HALF_UP)])

    def issue(self, q):
        total, out = D("0.00"), []
        for layer in self.layers:
            if q == 0:
                break
            take = min(q, layer[1])
            if take == 0:
                continue
            value = layer[2] if take == layer[1] else min(money(take * layer[3]), layer[2])
            layer[1] -= take
            layer[2] -= value
            total += value
            out.append((layer[0], take))
            q -= take
        return total, out


@settings(max_examples=2000, deadline=None)
@given(st.lists(op, min_size=1, max_size=40))
def test_fifo_matches_reference_and_keeps_value(ops):
    entries = entries_from(ops)
    stock, accepted, derived = apply_fifo_skipping_refusals(entries)
    ref = ReferenceFifo()
    for entry, result in zip(accepted, derived, strict=True):
        if entry.direction == IN:
            ref.receive(entry.lot, entry.qty, entry.value)
        else:
            value, taken = ref.issue(entry.qty)
            assert result.value == value
            assert [(c.lot, c.qty) for c in result.consumptions] == taken
    value_in = sum((d.value for e, d in zip(accepted, derived, strict=True) if e.direction == IN), D("0"))
    value_out = sum((d.value for e, d in zip(accepted, derived, strict=True) if e.direction == OUT), D("0"))
    assert value_in - value_out == stock.value
    assert stock.qty >= 0
    if stock.qty == 0:
        assert stock.value == 0
    assert all(layer.remaining_qty > 0 and layer.remaining_value >= 0 for layer in stock.layers)


@settings(max_examples=300, deadline=None)
@given(st.lists(op, min_size=1, max_size=40), st.data())
def test_fifo_replay_from_any_point_equals_full_replay(ops, data):
    _stock, accepted, derived = apply_fifo_skipping_refusals(entries_from(ops))
    cut = data.draw(st.integers(min_value=0, max_value=len(accepted)))
    partial = FifoStock()
    replay_fifo(partial, accepted[:cut])
    resumed = replay_fifo(FifoStock(partial.snapshot()), accepted[cut:])
    assert [(d.value, d.consumptions, [lr.key for lr in d.layers]) for d in resumed] == [
        (d.value, d.consumptions, [lr.key for lr in d.layers]) for d in derived[cut:]
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(op, min_size=1, max_size=40), st.data())
def test_average_replay_from_any_point_equals_full_replay(ops, data):
    entries = entries_from(ops)
    full = replay_average(AverageStock(), entries)
    cut = data.draw(st.integers(min_value=0, max_value=len(entries)))
    state = AverageStock()
    replay_average(state, entries[:cut])
    resumed = replay_average(state.copy(), entries[cut:])
    assert [(d.value, d.qty_after, d.value_after) for d in resumed] == [
        (d.value, d.qty_after, d.value_after) for d in full[cut:]
    ]
    final = full[-1]
    if final.qty_after == 0:
        assert final.value_after == 0
