"""Popular items while entering an order: exact lists from a known history."""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from fabrika.catalog.models import Product
from fabrika.sales.queries import best_sellers, bought_together, customer_favourites, suggestions_for
from fabrika.sales.services import order_cancel

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(shop, make_order):
    """Confirmed orders (a draft and a cancelled one do not count)."""
    cable = Product.objects.create(code="CBL", name="Cable", unit=shop.pcs)
    today = timezone.localdate()
    old = today - datetime.timedelta(days=120)
    r, k, b = shop.robot, shop.kit, shop.bolt

    def order(lines, customer=None, day=today, confirm=True):
        return make_order(
            [shop.line(p, q, price=D("1")) for p, q in lines],
            counterparty=customer or shop.customer,
            order_date=day,
            confirm=confirm,
            actor=shop.director,
        )

    order([(r, 2), (k, 5)])
    order([(r, 1), (k, 1), (cable, 3)])
    order([(k, 10)], day=old)
    order([(b, 100)], customer=shop.other_customer)
    order([(b, 50), (r, 1)], customer=shop.other_customer)
    order([(cable, 500)], confirm=False)  # a draft: not counted
    cancelled = order([(cable, 900)])
    order_cancel(actor=shop.director, order=cancelled, confirm=True)
    return {"robot": r, "kit": k, "bolt": b, "cable": cable}


def simple(suggestions):
    return [(s.product.code, s.orders, s.qty) for s in suggestions]


def test_the_customers_most_ordered_products(shop, history):
    assert simple(customer_favourites(shop.customer)) == [
        ("K1", 3, D("16")),
        ("R1", 2, D("3")),
        ("CBL", 1, D("3")),
    ]
    assert simple(customer_favourites(shop.other_customer, exclude=[history["bolt"].pk])) == [("R1", 1, D("1"))]


def test_products_ordered_together_with_those_on_the_order(shop, history):
    # Orders with the robot: #1 (kit), #2 (kit, cable), #5 (bolt).
    assert simple(bought_together([history["robot"].pk])) == [
        ("K1", 2, D("6")),
        ("M3", 1, D("50")),
        ("CBL", 1, D("3")),
    ]
    assert simple(bought_together([history["robot"].pk, history["kit"].pk])) == [
        ("M3", 1, D("50")),
        ("CBL", 1, D("3")),
    ]
    assert bought_together([]) == []


def test_best_sellers_of_the_last_90_days(shop, history):
    # The 120-day-old order of 10 kits is out of the window.
    assert simple(best_sellers()) == [
        ("M3", 2, D("150")),
        ("K1", 2, D("6")),
        ("R1", 3, D("4")),
        ("CBL", 1, D("3")),
    ]
    assert simple(best_sellers(limit=2)) == [("M3", 2, D("150")), ("K1", 2, D("6"))]


def test_one_product_shows_in_one_list_and_never_when_on_the_order(shop, history):
    groups = suggestions_for(counterparty=shop.customer, product_ids=[history["robot"].pk])
    assert {k: [s.product.code for s in v] for k, v in groups.items()} == {
        "customer": ["K1", "CBL"],
        "together": ["M3"],
        "best": [],
    }
