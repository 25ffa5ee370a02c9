"""Splitting a value over outputs (disassembly cost split), no database."""

from decimal import Decimal as D

import pytest

from fabrika.production.domain.allocation import split_value


def test_the_left_over_cent_goes_to_the_earliest_of_equal_parts():
    assert split_value(D("100.00"), [D(1), D(1), D(1)]) == [D("33.34"), D("33.33"), D("33.33")]


def test_the_left_over_cents_go_to_the_largest_remainders():
    # exact shares 14.2857…, 28.5714…, 57.1428…: the floors 14.28 + 28.57 + 57.14 leave one cent,
    # which goes to the largest remainder (0.57 of a cent, the first part)
    parts = split_value(D("100.00"), [D(1), D(2), D(4)])

    assert parts == [D("14.29"), D("28.57"), D("57.14")]
    assert sum(parts) == D("100.00")


def test_proportional_split_that_rounds_cleanly():
    assert split_value(D("10.00"), [D("0.3"), D("0.7"), D(0)]) == [D("3.00"), D("7.00"), D("0.00")]
    assert split_value(D("1439.22"), [D(1)]) == [D("1439.22")]


def test_zero_weights_split_equally():
    assert split_value(D("0.05"), [D(0), D(0)]) == [D("0.03"), D("0.02")]
    assert split_value(D("0.00"), [D(0), D(3)]) == [D("0.00"), D("0.00")]


def test_negative_total_mirrors_the_positive_split():
    assert split_value(D("-100.00"), [D(1), D(1), D(1)]) == [D("-33.34"), D("-33.33"), D("-33.33")]


def test_bad_weights_are_refused():
    with pytest.raises(ValueError):
        split_value(D("1.00"), [])
    with pytest.raises(ValueError):
        split_value(D("1.00"), [D(1), D(-1)])
