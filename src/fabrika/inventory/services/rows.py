"""Many rows in one statement, for the ledger's hot path.

Django's bulk_create and bulk_update spend more time building statements than the database
spends running them (per object and per field); posting writes a few hundred rows per document.
These two helpers write plain tuples: ints, strings, decimals and None go to the driver as they
are (the same values Django would send), anything else (datetimes) through the field's own
preparation. No signals are sent: they are for derived ledger rows, which keep their own audit.
"""

from decimal import Decimal

from django.db import connection
from django.db.models.base import ModelState

PLAIN = (int, str, Decimal, type(None))


def _prepare(model_fields, row, prepared: dict) -> list:
    """The row's values for the driver; `prepared` memoizes the others (a batch repeats its datetimes)."""
    out = []
    for f, v in zip(model_fields, row, strict=True):
        if not isinstance(v, PLAIN):
            key = (f.attname, v)
            if key not in prepared:
                prepared[key] = f.get_db_prep_save(v, connection)
            v = prepared[key]
        out.append(v)
    return out


def insert_rows(model, fields: list[str], rows: list[tuple], *, returning: bool = False) -> list[int]:
    """INSERT `rows` (values in the order of `fields`) in multi-row statements.

    Returns the new primary keys in row order when `returning` (as bulk_create does, through
    RETURNING on PostgreSQL and SQLite ≥ 3.35). On PostgreSQL the rows go as one array per column
    through UNNEST, as Django's own bulk_create sends them: a short statement that the driver
    parses once and the server plans fast, whatever the number of rows.
    """
    if not rows:
        return []
    qn = connection.ops.quote_name
    model_fields = [model._meta.get_field(f) for f in fields]
    head = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in model_fields)}) "
    suffix = f" RETURNING {qn(model._meta.pk.column)}" if returning else ""
    prepared = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [f.db_type(connection).split("(")[0] for f in model_fields]
            arrays = [
                list(column) for column in zip(*(_prepare(model_fields, row, prepared) for row in rows), strict=True)
            ]
            unnest = ", ".join(f"(%s)::{t}[]" for t in types)
            cursor.execute(f"{head}SELECT * FROM UNNEST({unnest}){suffix}", arrays)
            return [r[0] for r in cursor.fetchall()] if returning else []
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
        batch = max(1, connection.ops.bulk_batch_size(model_fields, rows))
        ids = []
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params = []
            for row in chunk:
                params += _prepare(model_fields, row, prepared)
            cursor.execute(f"{head}VALUES {', '.join([placeholder] * len(chunk))}{suffix}", params)
            if returning:
                ids += [r[0] for r in cursor.fetchall()]
        return ids


def update_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """UPDATE many rows by primary key (rows: field values..., pk): on PostgreSQL one statement
    joined to the new values as arrays (UNNEST), elsewhere one prepared statement run for each row."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    pk = qn(model._meta.pk.column)
    model_fields = [model._meta.get_field(f) for f in fields]
    prepared = {}
    params = [_prepare(model_fields, row[:-1], prepared) + [row[-1]] for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [f.db_type(connection).split("(")[0] for f in model_fields]
            types.append(model._meta.pk.rel_db_type(connection))
            names = [f"v{i}" for i in range(len(types))]
            unnest = ", ".join(f"(%s)::{t}[]" for t in types)
            assignments = ", ".join(f"{qn(f.column)} = v.{n}" for f, n in zip(model_fields, names, strict=False))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM UNNEST({unnest}) AS v({', '.join(names)}) "
                f"WHERE {table}.{pk} = v.{names[-1]}",
                [list(column) for column in zip(*params, strict=True)],
            )
            return
        assignments = ", ".join(f"{qn(f.column)} = %s" for f in model_fields)
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", params)


def instances(model, names: list[str], rows) -> list:
    """Model instances of rows read or written here (`names`: the attnames of the row's values, the
    other concrete fields None), made as unpickling makes them: no __init__, no init signals (the
    ledger's models have no receivers for them). Posting makes hundreds per document."""
    fields = [f.attname for f in model._meta.concrete_fields]
    out = []
    for row in rows:
        obj = model.__new__(model)
        values = dict.fromkeys(fields)
        values.update(zip(names, row, strict=True))
        obj.__dict__.update(values)
        state = obj._state = ModelState()
        state.adding = False
        state.db = connection.alias
        out.append(obj)
    return out


_CONVERTERS: dict = {}


def _converters(model, names: tuple[str, ...]) -> list[tuple[int, list, object]]:
    """What Django would apply to each selected column of `model` (backend's and field's
    converters, as SQLCompiler.get_converters finds them); columns with none are left out."""
    key = (connection.vendor, model, names)
    found = _CONVERTERS.get(key)
    if found is None:
        found = []
        for i, name in enumerate(names):
            col = model._meta.get_field(name).get_col(model._meta.db_table)
            convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if convs:
                found.append((i, convs, col))
        _CONVERTERS[key] = found
    return found


def select_rows(model, names: tuple[str, ...], sql: str, params) -> list[tuple]:
    """Run a SELECT whose columns are the fields `names` of `model`, in that order, and return
    its rows as tuples of the values the ORM would give (values_list), without building a
    QuerySet: on PostgreSQL the driver's values are already those; on SQLite decimals and
    datetimes go through the fields' converters."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = _converters(model, tuple(names))
    if not converters or not rows:
        return rows
    out = []
    for row in rows:
        row = list(row)
        for i, convs, col in converters:
            value = row[i]
            for conv in convs:
                value = conv(value, col, connection)
            row[i] = value
        out.append(tuple(row))
    return out
