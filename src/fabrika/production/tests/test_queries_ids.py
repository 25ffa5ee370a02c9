"""Many ids as one parameter (`id_list`) and products made straight from their rows (`products_for`),
on SQLite and PostgreSQL alike."""

import pytest

from fabrika.catalog.models import Product, Unit
from fabrika.production import queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    pcs = Unit.objects.create(code="pcs", name="pieces")
    box = Unit.objects.create(code="box", name="boxes")
    Product.objects.bulk_create(
        [Product(code=f"ID{i:04d}", name=f"Part {i}", unit=pcs if i % 2 else box) for i in range(250)]
    )
    return list(Product.objects.filter(code__startswith="ID").order_by("code"))


@pytest.mark.parametrize("count", [3, 101, 250])
def test_id_list_filters_by_many_ids(products, count):
    wanted = [p.pk for p in products[:count]]
    assert sorted(Product.objects.filter(pk__in=queries.id_list(wanted)).values_list("pk", flat=True)) == wanted
    assert Product.objects.filter(pk__in=queries.id_list([])).count() == 0


def test_products_for_loads_what_is_printed_and_defers_the_rest(products, django_assert_num_queries):
    chosen = products[10:210]
    expected = [(p.code, p.name, p.unit.code) for p in chosen]
    with django_assert_num_queries(2):  # the products, their units
        loaded = queries.products_for(p.pk for p in chosen)
        assert [(loaded[p.pk].code, loaded[p.pk].name, loaded[p.pk].unit.code) for p in chosen] == expected
    one = loaded[chosen[0].pk]
    assert one == chosen[0] and one.is_stocked and not one._state.adding
    assert one.get_deferred_fields() >= {"description", "barcode"}
    with django_assert_num_queries(1):  # a deferred field is loaded on access, as with only()
        assert one.description == ""
