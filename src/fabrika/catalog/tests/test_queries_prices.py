"""price_for(): which price a product has on a day, at the edges of the lists' validity."""

import datetime
from decimal import Decimal as D

import pytest

from fabrika.catalog import services
from fabrika.catalog.queries import price_for
from fabrika.core.errors import ValidationFailed
from fabrika.core.services import company_settings_update

from .conftest import row_counts

pytestmark = pytest.mark.django_db

day = datetime.date


@pytest.fixture
def retail(db):
    return services.price_type_save(actor=None, data={"code": "retail", "name": "Retail"})


@pytest.fixture
def dealer(db):
    return services.price_type_save(actor=None, data={"code": "dealer", "name": "Dealer"})


@pytest.fixture
def lists(retail, dealer, robot):
    """Retail 2026 H1 (1 Jan–30 Jun): 1450; retail from 1 Jul, open-ended: 1500;
    retail spring promotion (1–31 Mar): 1390; dealer 2026 (whole year): 1100."""
    made = {}
    for key, (price_type, name, start, end, price) in {
        "h1": (retail, "Retail 2026 H1", day(2026, 1, 1), day(2026, 6, 30), "1450.00"),
        "h2": (retail, "Retail from July", day(2026, 7, 1), None, "1500.00"),
        "promo": (retail, "Spring promotion", day(2026, 3, 1), day(2026, 3, 31), "1390.00"),
        "dealer": (dealer, "Dealer 2026", day(2026, 1, 1), day(2026, 12, 31), "1100.00"),
    }.items():
        pl = services.price_list_create(
            actor=None,
            data={"name": name, "price_type": price_type, "valid_from": start, "valid_to": end, "currency": "eur"},
        )
        services.price_item_save(actor=None, price_list=pl, product=robot, price=D(price))
        made[key] = pl
    return made


@pytest.mark.parametrize(
    "on, expected",
    [
        (day(2025, 12, 31), None),  # before every list
        (day(2026, 1, 1), "1450.00"),  # first day of H1
        (day(2026, 2, 28), "1450.00"),  # the day before the promotion
        (day(2026, 3, 1), "1390.00"),  # the promotion started later than H1: it wins
        (day(2026, 3, 31), "1390.00"),  # its last day is included
        (day(2026, 4, 1), "1450.00"),  # back to H1
        (day(2026, 6, 30), "1450.00"),  # H1's last day
        (day(2026, 7, 1), "1500.00"),  # the open-ended list's first day
        (day(2031, 1, 1), "1500.00"),  # open-ended
    ],
)
def test_retail_price_on_a_day(robot, lists, retail, on, expected):
    found = price_for(robot, retail, on)
    assert (found.price if found else None) == (D(expected) if expected else None)


def test_price_by_type_code_with_its_list_and_currency(robot, lists):
    found = price_for(robot, "dealer", day(2026, 12, 31))
    assert (found.price, found.currency, found.includes_vat, found.price_list.name) == (
        D("1100.00"),
        "EUR",
        False,
        "Dealer 2026",
    )
    assert price_for(robot, "dealer", day(2027, 1, 1)) is None
    assert price_for(robot, "wholesale", day(2026, 5, 1)) is None


def test_same_start_day_the_newer_list_wins(robot, retail, lists):
    newer = services.price_list_create(
        actor=None, data={"name": "Retail 2026 H1 fixed", "price_type": retail, "valid_from": day(2026, 1, 1)}
    )
    services.price_item_save(actor=None, price_list=newer, product=robot, price=D("1440.00"))
    assert price_for(robot, retail, day(2026, 1, 15)).price == D("1440.00")
    # A product missing from the newest list takes its price from the older one.
    services.price_item_delete(actor=None, item=newer.items.get())
    assert price_for(robot, retail, day(2026, 1, 15)).price == D("1450.00")


def test_a_price_list_takes_the_company_currency_and_checks_its_dates(retail):
    company_settings_update(currency="CHF")
    pl = services.price_list_create(
        actor=None, data={"name": "Swiss", "price_type": retail, "valid_from": day(2026, 1, 1)}
    )
    assert pl.currency == "CHF"
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        services.price_list_create(
            actor=None,
            data={
                "name": "Backwards",
                "price_type": retail,
                "valid_from": day(2026, 2, 1),
                "valid_to": day(2026, 1, 31),
                "currency": "euro",
            },
        )
    assert refused.value.errors == {
        "currency": ["Enter a three-letter currency code."],
        "valid_to": ["The list cannot end before it starts."],
    }
    assert row_counts() == before


def test_one_price_per_product_and_list_and_never_negative(robot, lists):
    with pytest.raises(ValidationFailed) as refused:
        services.price_item_save(actor=None, price_list=lists["h1"], product=robot, price=D("-1"))
    assert refused.value.errors == {
        "price": ["The price cannot be negative."],
        "product": ["R1 already has a price in Retail 2026 H1: 1450.00."],
    }
    item = lists["h1"].items.get()
    services.price_item_save(actor=None, price_list=lists["h1"], product=robot, price=D("1460"), item=item)
    assert lists["h1"].items.get().price == D("1460.00")


def test_a_price_type_with_lists_is_not_deleted(retail, lists):
    from fabrika.catalog.errors import InUse

    with pytest.raises(InUse, match="Retail has 3 price lists"):
        services.price_type_delete(actor=None, price_type=retail)
