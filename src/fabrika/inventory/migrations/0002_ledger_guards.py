"""The database itself refuses to change a posted move's facts (and, on PostgreSQL, to delete it).

SQLite gets the UPDATE guard only: Django's test flush deletes rows there with DELETE, while on
PostgreSQL it truncates (TRUNCATE fires no row trigger).
"""

from django.db import migrations

FACTS = [
    "product_id",
    "qty",
    "from_location_id",
    "to_location_id",
    "lot_id",
    "posted_at",
    "kind",
    "document_id",
    "line_id",
    "reverses_id",
    "input_value",
]

PG_UP_TEMPLATE = """
CREATE OR REPLACE FUNCTION inventory_stockmove_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'stock ledger is append-only: move % cannot be deleted', OLD.id;
    END IF;
    IF {changed} THEN
        RAISE EXCEPTION 'stock ledger is append-only: the facts of move % cannot change', OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS inventory_stockmove_guard ON inventory_stockmove;
CREATE TRIGGER inventory_stockmove_guard BEFORE UPDATE OR DELETE ON inventory_stockmove
    FOR EACH ROW EXECUTE FUNCTION inventory_stockmove_guard();
"""

PG_DOWN = """
DROP TRIGGER IF EXISTS inventory_stockmove_guard ON inventory_stockmove;
DROP FUNCTION IF EXISTS inventory_stockmove_guard();
"""

SQLITE_UP_TEMPLATE = """
CREATE TRIGGER IF NOT EXISTS inventory_stockmove_guard BEFORE UPDATE OF {cols} ON inventory_stockmove
WHEN {changed}
BEGIN
    SELECT RAISE(ABORT, 'stock ledger is append-only: the facts of a move cannot change');
END;
"""


def pg_up(facts) -> str:
    return PG_UP_TEMPLATE.format(changed=" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in facts))


def sqlite_up(facts) -> str:
    return SQLITE_UP_TEMPLATE.format(
        cols=", ".join(facts), changed=" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in facts)
    )


SQLITE_DOWN = "DROP TRIGGER IF EXISTS inventory_stockmove_guard;"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg_up(FACTS), params=None)
    elif vendor == "sqlite":
        schema_editor.execute(sqlite_up(FACTS))


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
