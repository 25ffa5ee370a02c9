"""Drop the ledger's foreign-key indexes that repeat the first column of another index.

Every posted move, layer and consumption wrote an entry into each of them (and every layer update
too: a layer's remainder is in the open-layer index's condition, so its updates are never HOT).
The state changes to db_index=False; the database only drops the indexes (on SQLite an AlterField
would rebuild the table and lose the append-only triggers).
"""

import django.db.models.deletion
from django.db import migrations, models

# (model, field, its index as Django named it, table, column)
INDEXES = [
    ("stockmove", "product", "inventory_stockmove_product_id_f5fac990", "inventory_stockmove", "product_id"),
    (
        "stockmove",
        "from_location",
        "inventory_stockmove_from_location_id_721b67af",
        "inventory_stockmove",
        "from_location_id",
    ),
    (
        "stockmove",
        "to_location",
        "inventory_stockmove_to_location_id_1979a6fe",
        "inventory_stockmove",
        "to_location_id",
    ),
    ("costlayer", "product", "inventory_costlayer_product_id_b25c9d93", "inventory_costlayer", "product_id"),
    ("costlayer", "move", "inventory_costlayer_move_id_9c5c7e5b", "inventory_costlayer", "move_id"),
    (
        "layerconsumption",
        "layer",
        "inventory_layerconsumption_layer_id_915bed71",
        "inventory_layerconsumption",
        "layer_id",
    ),
]

FIELDS = {
    ("stockmove", "product"): models.ForeignKey(
        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="moves", to="catalog.product"
    ),
    ("stockmove", "from_location"): models.ForeignKey(
        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="inventory.location"
    ),
    ("stockmove", "to_location"): models.ForeignKey(
        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="inventory.location"
    ),
    ("costlayer", "product"): models.ForeignKey(
        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.product"
    ),
    ("costlayer", "move"): models.ForeignKey(
        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="layers", to="inventory.stockmove"
    ),
    ("layerconsumption", "layer"): models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="consumptions",
        to="inventory.costlayer",
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("inventory", "0006_reservation_source_id_reservation_source_type_and_more"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name=model, name=field, field=FIELDS[(model, field)])
                for model, field, *_rest in INDEXES
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"', reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("{column}")'
                )
                for _model, _field, index, table, column in INDEXES
            ],
        )
    ]
