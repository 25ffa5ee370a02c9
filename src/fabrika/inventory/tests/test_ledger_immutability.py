"""A posted move's facts never change and a posted move is never deleted."""

from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection, transaction

from fabrika.catalog.models import Product, Unit
from fabrika.inventory.errors import ImmutableLedger
from fabrika.inventory.models import Location, StockMove
from fabrika.inventory.services.posting import MoveSpec, post_moves
from fabrika.inventory.services.warehouses import storage_of, virtual_location, warehouse_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def move():
    unit = Unit.objects.create(code="pcs", name="pieces")
    product = Product.objects.create(code="P1", name="Processor", unit=unit)
    wh = warehouse_create(actor=None, data={"code": "W", "name": "Main", "valuation": "fifo"})
    [move] = post_moves(
        specs=[
            MoveSpec(
                product,
                D("3"),
                virtual_location(Location.Kind.SUPPLIER),
                storage_of(wh),
                StockMove.Kind.RECEIPT,
                None,
                input_value=D("30.00"),
            )
        ]
    )
    return move


def test_orm_refuses_to_change_or_delete(move):
    move.qty = D("4")
    with pytest.raises(ImmutableLedger):
        move.save()
    with pytest.raises(ImmutableLedger):
        move.delete()
    with pytest.raises(ImmutableLedger):
        StockMove.objects.filter(pk=move.pk).delete()
    with pytest.raises(ImmutableLedger):
        StockMove.objects.filter(pk=move.pk).update(qty=D("5"))
    with pytest.raises(ImmutableLedger):
        StockMove.objects.bulk_update([move], ["qty"])
    assert StockMove.objects.get(pk=move.pk).qty == D("3")


@pytest.mark.parametrize(
    "column, value",
    [("qty", "7"), ("posted_at", "2001-01-01 00:00:00+00:00"), ("product_id", None), ("value_share", "2")],
)
def test_database_refuses_raw_update_of_facts(move, column, value):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE inventory_stockmove SET {column} = %s WHERE id = %s", [value, move.pk])
    assert StockMove.objects.get(pk=move.pk).qty == D("3")


def test_database_allows_the_valuation_engine_to_rewrite_costs(move):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_stockmove SET value = %s WHERE id = %s", ["31.00", move.pk])
    assert StockMove.objects.get(pk=move.pk).value == D("31.00")


@pytest.mark.postgres
def test_postgres_refuses_raw_delete(move):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM inventory_stockmove WHERE id = %s", [move.pk])
    assert StockMove.objects.filter(pk=move.pk).exists()
