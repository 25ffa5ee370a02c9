"""Printed production documents: the job card of an order ("production.order"), its costing sheet
("production.costing") and a product's tech card ("production.techcard").

As for the stock documents, `extract_*()` reads the record into plain data and `shape_*()` makes
what a template sees in the document's language, leaving money out without production/cost; the
samples an administrator's template is checked against go through the same `shape_*()`.

* The job card goes to the shop floor: the header, the materials with their planned quantity
  (for the order's quantity, scrap included) and what has been posted, the operations with their
  work centre, planned times and instructions, and empty cells for the actual times and the
  signature of whoever did each step. No money.
* The costing sheet: planned (at today's costs, `queries.order_costing`) against actual
  (what the posted reports consumed, labour and overhead recorded, the value the output took),
  per material and per operation, and the unit cost. Printed only with production/cost.
* The tech card: the operations with their times, work centres, rates and instructions, the
  product's active BOM and (with production/cost) the standard cost of one unit rolled up through
  every level.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from fabrika.access.policy import Policy
from fabrika.documents.printing import registry
from fabrika.documents.printing.registry import PrintOptions
from fabrika.inventory.domain.money import money, unit_cost
from fabrika.inventory.models import StockMove

from . import queries
from .domain import bom as dbom
from .domain import costing as dcost
from .models import OrderLine, ProductionOrder, ProductionReport, ReportOperation, TechCard

State = ProductionOrder.State
ZERO = Decimal("0")
ZERO_VALUE = Decimal("0.00")
QTY = Decimal("0.000001")


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _warehouse(warehouse) -> dict | None:
    if warehouse is None:
        return None
    return {"code": warehouse.code, "name": warehouse.name, "address": warehouse.address}


def _product(product) -> dict:
    return {"code": product.code, "name": product.name, "unit": product.unit.code}


def _centre(centre) -> dict | None:
    if centre is None:
        return None
    return {"code": centre.code, "name": centre.name, "hourly_rate": centre.hourly_rate}


def _date(value):
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value)
    return value


# --- the order: raw data ----------------------------------------------------------------------------


def _order_header(order: ProductionOrder) -> dict:
    return {
        "number": order.number,
        "date": _date(order.created_at),
        "kind": order.kind,
        "state": order.state,
        "product": _product(order.product),
        "qty": order.qty,
        "qty_done": order.qty_done,
        "qty_scrap": order.qty_scrap,
        "planned_start": order.planned_start,
        "planned_finish": order.planned_finish,
        "released_at": order.released_at,
        "finished_at": order.finished_at,
        "input_warehouse": _warehouse(order.input_warehouse),
        "output_warehouse": _warehouse(order.output_warehouse),
        "responsible": _person(order.responsible),
        "created_by": _person(order.created_by),
        "parent": order.parent.number if order.parent_id else "",
        "source_label": order.source_label,
        "note": order.note,
        "bom": str(order.bom) if order.bom_id else "",
        "tech_card": str(order.tech_card) if order.tech_card_id else "",
    }


def _load_order(order: ProductionOrder) -> ProductionOrder:
    return ProductionOrder.objects.select_related(
        "product__unit",
        "input_warehouse",
        "output_warehouse",
        "responsible",
        "created_by",
        "parent",
        "bom__product",
        "tech_card__product",
    ).get(pk=order.pk)


def _planned_qty(line: OrderLine, order_qty: Decimal) -> Decimal:
    if line.role == OrderLine.Role.INPUT:
        q = dbom.gross(dbom.BomLine(line.product_id, line.qty_per_unit, line.scrap_pct), order_qty)
    else:
        q = line.qty_per_unit * order_qty
    return q.quantize(QTY)


def extract_order(order: ProductionOrder) -> dict:
    """The job card as plain data (no translation, no access decisions yet)."""
    order = _load_order(order)
    raw = _order_header(order)
    materials = {OrderLine.Role.INPUT: [], OrderLine.Role.OUTPUT: []}
    for line in order.lines.select_related("product__unit").order_by("role", "position", "id"):
        materials[line.role].append(
            {
                **_product(line.product),
                "qty_per_unit": line.qty_per_unit,
                "scrap_pct": line.scrap_pct,
                "planned": _planned_qty(line, order.qty),
                "posted": line.qty_posted,
            }
        )
    operations = [
        {
            "seq": op.seq,
            "name": op.name,
            "work_centre": _centre(op.work_centre),
            "setup_minutes": op.setup_minutes,
            "run_minutes": op.run_minutes,
            "planned_minutes": op.setup_minutes + op.run_minutes * order.qty,
            "actual_minutes": op.actual_minutes,
            "instructions": op.instructions,
        }
        for op in order.operations.select_related("work_centre").order_by("seq", "id")
    ]
    children = [
        {"number": c.number, "product": _product(c.product), "qty": c.qty, "state": c.state}
        for c in order.children.select_related("product__unit").order_by("id")
    ]
    reports = [
        {"date": r.posted_at, "qty": r.qty, "scrap": r.qty_scrap, "state": r.state, "note": r.note}
        for r in order.reports.order_by("posted_at", "id")
    ]
    raw.update(
        inputs=materials[OrderLine.Role.INPUT],
        outputs=materials[OrderLine.Role.OUTPUT],
        operations=operations,
        children=children,
        reports=reports,
    )
    return raw


def _order_labels() -> dict:
    return {
        "title": _("Production order"),
        "job_card": _("Job card"),
        "kind": _("Kind"),
        "state": _("State"),
        "product_to_make": _("Product"),
        "order_qty": _("Quantity to make"),
        "made": _("Made"),
        "scrap": _("Scrap"),
        "planned_start": _("Planned start"),
        "planned_finish": _("Planned finish"),
        "released": _("Released"),
        "finished": _("Finished"),
        "components_warehouse": _("Components warehouse"),
        "output_warehouse": _("Output warehouse"),
        "responsible": _("Responsible"),
        "parent": _("Parent order"),
        "source": pgettext("production order", "For"),
        "bom": _("BOM"),
        "tech_card": _("Tech card"),
        "materials": _("Materials"),
        "outputs": _("Output"),
        "per_unit": _("Per unit"),
        "scrap_pct": _("Scrap, %"),
        "planned_qty": _("Planned"),
        "posted_qty": _("Posted"),
        "remaining_qty": _("Remaining"),
        "operations": _("Operations"),
        "step": _("Step"),
        "operation": _("Operation"),
        "work_centre": _("Work centre"),
        "setup_min": _("Setup, min"),
        "run_min": _("Run per unit, min"),
        "planned_min": _("Planned, min"),
        "actual_min": _("Actual, min"),
        "done_by": _("Done by"),
        "instructions": _("Instructions"),
        "children": _("Child orders"),
        "reports": _("Reports"),
        "good_qty": _("Good quantity"),
        "comment": _("Note"),
        "draft": _("Draft — not released"),
        "cancelled": _("Cancelled"),
        "no_operations": _("No operations: the order has no tech card."),
    }


def _doc(raw: dict, title: str) -> dict:
    return {
        "title": title,
        "number": raw["number"],
        "date": raw["date"],
        "kind": raw["kind"],
        "kind_label": str(ProductionOrder.Kind(raw["kind"]).label),
        "state": raw["state"],
        "state_label": str(State(raw["state"]).label),
        "is_draft": raw["state"] == State.DRAFT,
        "is_cancelled": raw["state"] == State.CANCELLED,
        "product": raw["product"],
        "qty": raw["qty"],
        "qty_done": raw["qty_done"],
        "qty_scrap": raw["qty_scrap"],
        "planned_start": raw["planned_start"],
        "planned_finish": raw["planned_finish"],
        "released_at": raw["released_at"],
        "finished_at": raw["finished_at"],
        "input_warehouse": raw["input_warehouse"],
        "output_warehouse": raw["output_warehouse"],
        "responsible": raw["responsible"],
        "parent": raw["parent"],
        "source_label": raw["source_label"],
        "comment": raw["note"],
        "bom": raw["bom"],
        "tech_card": raw["tech_card"],
    }


def shape_order(raw: dict, options: PrintOptions) -> dict:
    """The job card as a template sees it. Call inside `translation.override(options.language)`."""
    labels = _order_labels()

    def materials(rows):
        return [
            {
                "position": i,
                "code": row["code"],
                "name": row["name"],
                "unit": row["unit"],
                "qty_per_unit": row["qty_per_unit"],
                "scrap_pct": row["scrap_pct"] or None,
                "planned": row["planned"],
                "posted": row["posted"],
                "remaining": max(row["planned"] - row["posted"], ZERO),
            }
            for i, row in enumerate(rows, start=1)
        ]

    operations = [
        {
            "seq": op["seq"],
            "name": op["name"],
            "work_centre": op["work_centre"],
            "setup_minutes": op["setup_minutes"],
            "run_minutes": op["run_minutes"],
            "planned_minutes": op["planned_minutes"],
            "actual_minutes": op["actual_minutes"] or None,
            "instructions": op["instructions"] or "",
        }
        for op in raw["operations"]
    ]
    report_state = dict(ProductionReport.State.choices)
    return {
        "doc": _doc(raw, labels["title"]),
        "inputs": materials(raw["inputs"]),
        "outputs": materials(raw["outputs"]),
        "operations": operations,
        "totals": {
            "planned_minutes": sum((op["planned_minutes"] for op in operations), ZERO),
            "actual_minutes": sum((op["actual_minutes"] or ZERO for op in operations), ZERO),
        },
        "children": [{**c, "state_label": str(State(c["state"]).label)} for c in raw["children"]],
        "reports": [{**r, "state_label": str(report_state.get(r["state"], r["state"]))} for r in raw["reports"]],
        "signatures": [
            {"label": _("Issued by"), "name": raw["responsible"] or raw["created_by"]},
            {"label": _("Accepted by (quality control)"), "name": ""},
        ],
        "labels": labels,
    }


def order_context(order: ProductionOrder, options: PrintOptions) -> dict:
    return shape_order(extract_order(order), options)


# --- the costing sheet ------------------------------------------------------------------------------


def extract_costing(order: ProductionOrder) -> dict:
    """Planned against actual, per material, per operation and in total (plain data)."""
    order = _load_order(order)
    raw = _order_header(order)
    costing = queries.order_costing(order)
    lines = list(order.lines.select_related("product__unit").order_by("role", "position", "id"))
    inputs = [line for line in lines if line.role == OrderLine.Role.INPUT]
    outputs = [line for line in lines if line.role == OrderLine.Role.OUTPUT]
    costs = queries.unit_costs({line.product_id for line in inputs}, method="average")
    groups = list(order.reports.filter(state=ProductionReport.State.POSTED).values_list("value_group_id", flat=True))
    actual: dict[tuple[bool, int], list] = defaultdict(lambda: [ZERO, ZERO_VALUE])
    moves = StockMove.objects.filter(value_group_id__in=groups, reverses__isnull=True).values_list(
        "product_id", "value_share", "qty", "value"
    )
    for product_id, share, qty, value in moves:
        row = actual[(share is not None, product_id)]
        row[0] += qty
        row[1] += value or ZERO_VALUE
    materials = []
    for line in inputs:
        planned = dbom.gross(dbom.BomLine(line.product_id, line.qty_per_unit, line.scrap_pct), order.qty)
        price = costs.get(line.product_id)
        qty, value = actual.get((False, line.product_id), (ZERO, ZERO_VALUE))
        materials.append(
            {
                **_product(line.product),
                "planned_qty": planned.quantize(QTY),
                "planned_unit_cost": price,
                "planned_value": money(planned * price) if price is not None else None,
                "actual_qty": qty,
                "actual_value": value,
            }
        )
    made = []
    for line in outputs:
        qty, value = actual.get((True, line.product_id), (ZERO, ZERO_VALUE))
        made.append({**_product(line.product), "qty": qty, "value": value, "share": line.share})
    spent = defaultdict(lambda: [ZERO, ZERO_VALUE, ZERO_VALUE])
    for op_id, minutes, labour, overhead in ReportOperation.objects.filter(
        report__order=order, report__state=ProductionReport.State.POSTED
    ).values_list("operation_id", "minutes", "labour", "overhead"):
        row = spent[op_id]
        row[0] += minutes
        row[1] += labour
        row[2] += overhead
    operations = []
    for op in order.operations.select_related("work_centre").order_by("seq", "id"):
        _h, labour, overhead = dcost.operation_cost(queries.domain_operation(op), order.qty)
        minutes, act_labour, act_overhead = spent.get(op.pk, (ZERO, ZERO_VALUE, ZERO_VALUE))
        operations.append(
            {
                "seq": op.seq,
                "name": op.name,
                "work_centre": _centre(op.work_centre),
                "planned_minutes": op.setup_minutes + op.run_minutes * order.qty,
                "planned_labour": labour,
                "planned_overhead": overhead,
                "actual_minutes": minutes,
                "actual_labour": act_labour,
                "actual_overhead": act_overhead,
            }
        )
    planned, done = costing["planned"], costing["actual"]
    raw.update(
        materials=materials,
        outputs=made,
        operations=operations,
        planned={k: planned[k] for k in ("material", "labour", "overhead", "total", "minutes", "qty")},
        missing=[_product(p) for p in planned["missing"]],
        actual={
            "material": done["material"],
            "labour": done["labour"],
            "overhead": done["overhead"],
            "total": done["material"] + done["labour"] + done["overhead"],
            "output": done["output"],
            "qty": done["qty"],
            "minutes": done["minutes"],
        },
    )
    return raw


def _costing_labels() -> dict:
    return {
        **_order_labels(),
        "title": _("Production costing sheet"),
        "planned": _("Planned"),
        "actual": _("Actual"),
        "variance": _("Variance"),
        "summary": _("Summary"),
        "material": _("Material"),
        "labour": _("Labour"),
        "overhead": _("Overhead"),
        "total_cost": _("Total cost"),
        "output_value": _("Output value"),
        "unit_cost": _("Unit cost"),
        "qty_made": _("Quantity made"),
        "minutes": _("Time, min"),
        "value": _("Value"),
        "cost_share": _("Cost share"),
        "planned_note": _("Planned at today's costs; actual as posted through the stock ledger."),
        "missing": _("No cost known for"),
        "incomplete": _("incomplete"),
        "costs_hidden": _("Cost values are shown only to users with the production cost right."),
    }


def _places(value) -> int:
    """Decimal places to print a unit cost with: 2, and up to 4 below one (a bolt at 0.0402)."""
    if value is None or abs(value) >= 1:
        return 2
    exponent = Decimal(value).normalize().as_tuple().exponent
    return max(2, min(4, -exponent)) if isinstance(exponent, int) else 2


def shape_costing(raw: dict, options: PrintOptions) -> dict:
    """Planned and actual costs as a template sees them; no money at all without the cost right."""
    costs = options.show_costs
    labels = _costing_labels()

    def m(value):
        return value if costs else None

    def diff(actual, planned):
        if not costs or actual is None or planned is None:
            return None
        return actual - planned

    materials = [
        {
            "position": i,
            "code": row["code"],
            "name": row["name"],
            "unit": row["unit"],
            "planned_qty": row["planned_qty"],
            "planned_unit_cost": m(row["planned_unit_cost"]),
            "unit_cost_places": _places(row["planned_unit_cost"]),
            "planned_value": m(row["planned_value"]),
            "actual_qty": row["actual_qty"],
            "actual_value": m(row["actual_value"]),
            "variance": diff(row["actual_value"], row["planned_value"]),
        }
        for i, row in enumerate(raw["materials"], start=1)
    ]
    operations = [
        {
            "seq": op["seq"],
            "name": op["name"],
            "work_centre": op["work_centre"],
            "planned_minutes": op["planned_minutes"],
            "actual_minutes": op["actual_minutes"],
            "planned_cost": m(op["planned_labour"] + op["planned_overhead"]),
            "actual_cost": m(op["actual_labour"] + op["actual_overhead"]),
            "planned_labour": m(op["planned_labour"]),
            "planned_overhead": m(op["planned_overhead"]),
            "actual_labour": m(op["actual_labour"]),
            "actual_overhead": m(op["actual_overhead"]),
        }
        for op in raw["operations"]
    ]
    outputs = [
        {
            "position": i,
            "code": row["code"],
            "name": row["name"],
            "unit": row["unit"],
            "qty": row["qty"],
            "value": m(row["value"]),
            "unit_cost": m(unit_cost(row["value"], row["qty"])) if row["qty"] else None,
        }
        for i, row in enumerate(raw["outputs"], start=1)
    ]
    planned, actual = raw["planned"], raw["actual"]
    # One row per cost element: planned, actual, variance.
    # A planned total that lacks a component's cost is incomplete: no variance is printed against it.
    incomplete = bool(raw["missing"])
    summary = []
    for key, label in (
        ("material", labels["material"]),
        ("labour", labels["labour"]),
        ("overhead", labels["overhead"]),
        ("total", labels["total_cost"]),
    ):
        summary.append(
            {
                "key": key,
                "label": label,
                "planned": m(planned[key]),
                "incomplete": incomplete and key in ("material", "total"),
                "actual": m(actual[key]),
                "variance": None if incomplete and key in ("material", "total") else diff(actual[key], planned[key]),
            }
        )
    made_one = raw["kind"] == ProductionOrder.Kind.PRODUCTION or len(raw["outputs"]) == 1
    planned_unit = unit_cost(planned["total"], planned["qty"]) if planned["qty"] else None
    actual_unit = unit_cost(actual["output"], actual["qty"]) if actual["qty"] and made_one else None
    return {
        "doc": _doc(raw, labels["title"]),
        "materials": materials,
        "operations": operations,
        "outputs": outputs,
        "summary": summary,
        "totals": {
            "planned_material": m(sum((r["planned_value"] or ZERO_VALUE for r in raw["materials"]), ZERO_VALUE)),
            "actual_material": m(sum((r["actual_value"] for r in raw["materials"]), ZERO_VALUE)),
            "planned_minutes": planned["minutes"],
            "actual_minutes": actual["minutes"],
            "planned_operations": m(planned["labour"] + planned["overhead"]),
            "actual_operations": m(actual["labour"] + actual["overhead"]),
            "planned_qty": planned["qty"],
            "actual_qty": actual["qty"],
            "output": m(actual["output"]),
            "planned_unit_cost": m(money(planned_unit) if planned_unit is not None else None),
            "actual_unit_cost": m(money(actual_unit) if actual_unit is not None else None),
        },
        "missing": raw["missing"] if costs else [],
        "signatures": [
            {"label": _("Prepared by"), "name": options.user and _person(options.user) or ""},
            {"label": _("Checked by"), "name": ""},
        ],
        "labels": labels,
    }


def costing_context(order: ProductionOrder, options: PrintOptions) -> dict:
    return shape_costing(extract_costing(order), options)


# --- the tech card ----------------------------------------------------------------------------------


def extract_techcard(card: TechCard) -> dict:
    card = TechCard.objects.select_related("product__unit").get(pk=card.pk)
    product = card.product
    operations = [
        {
            "seq": op.seq,
            "name": op.name,
            "work_centre": _centre(op.work_centre),
            "setup_minutes": op.setup_minutes,
            "run_minutes": op.run_minutes,
            "labour_rate": op.labour_rate,
            "overhead_rate": op.overhead_rate,
            "centre_rate": op.work_centre.hourly_rate if op.work_centre_id else ZERO_VALUE,
            "instructions": op.instructions,
            "unit_labour": dcost.operation_cost(queries.domain_operation(op), Decimal(1))[1],
            "unit_overhead": dcost.operation_cost(queries.domain_operation(op), Decimal(1))[2],
        }
        for op in card.operations.select_related("work_centre").order_by("seq", "id")
    ]
    bom = queries.active_bom(product)
    bom_lines = []
    if bom is not None:
        for line in bom.lines.select_related("component__unit", "unit").order_by("position", "id"):
            bom_lines.append(
                {
                    **_product(line.component),
                    "unit": (line.unit or line.component.unit).code,
                    "qty": line.qty,
                    "scrap_pct": line.scrap_pct,
                    "phantom": line.phantom,
                    "note": line.note,
                }
            )
    # The standard cost of one unit, every level rolled up with the active BOMs and tech cards.
    node, _products = queries.cost_rollup(product, Decimal(1))
    by_level = dcost.totals_by_level(node)
    standard = {
        "material": sum((row["material"] for row in by_level.values()), ZERO_VALUE),
        "labour": sum((row["labour"] for row in by_level.values()), ZERO_VALUE),
        "overhead": sum((row["overhead"] for row in by_level.values()), ZERO_VALUE),
        "total": node.total,
        "missing": node.missing_cost,
    }
    return {
        "number": f"{product.code} v{card.version}",
        "date": _date(card.updated_at),
        "product": _product(product),
        "version": card.version,
        "name": card.name,
        "is_active": card.is_active,
        "note": card.note,
        "operations": operations,
        "bom": str(bom) if bom is not None else "",
        "bom_lines": bom_lines,
        "standard": standard,
    }


def _techcard_labels() -> dict:
    return {
        **_order_labels(),
        "title": _("Tech card"),
        "version": _("Version"),
        "inactive": _("Not the active version"),
        "labour_rate": _("Labour, per hour"),
        "overhead_rate": _("Overhead, per hour"),
        "centre_rate": _("Work centre, per hour"),
        "unit_time": _("Time per unit, min"),
        "setup_total": _("Setup per batch, min"),
        "phantom": _("phantom"),
        "bom_none": _("The product has no active BOM."),
        "standard_cost": _("Standard cost of one unit"),
        "standard_note": _("Rolled up through every level at today's costs."),
        "material": _("Material"),
        "labour": _("Labour"),
        "overhead": _("Overhead"),
        "total_cost": _("Total cost"),
        "missing_cost": _("Some components have no known cost: the total is incomplete."),
        "note": _("Note"),
    }


def shape_techcard(raw: dict, options: PrintOptions) -> dict:
    costs = options.show_costs
    labels = _techcard_labels()
    operations = [
        {
            "seq": op["seq"],
            "name": op["name"],
            "work_centre": op["work_centre"],
            "setup_minutes": op["setup_minutes"],
            "run_minutes": op["run_minutes"],
            "labour_rate": op["labour_rate"] if costs else None,
            "overhead_rate": op["overhead_rate"] if costs else None,
            "centre_rate": op["centre_rate"] if costs else None,
            "instructions": op["instructions"] or "",
        }
        for op in raw["operations"]
    ]
    bom = [
        {
            "position": i,
            "code": line["code"],
            "name": line["name"],
            "unit": line["unit"],
            "qty": line["qty"],
            "scrap_pct": line["scrap_pct"] or None,
            "phantom": line["phantom"],
            "note": line["note"] or "",
        }
        for i, line in enumerate(raw["bom_lines"], start=1)
    ]
    standard = raw["standard"]
    return {
        "doc": {
            "title": labels["title"],
            "number": raw["number"],
            "date": raw["date"],
            "product": raw["product"],
            "version": raw["version"],
            "name": raw["name"],
            "is_active": raw["is_active"],
            "comment": raw["note"],
            "bom": raw["bom"],
        },
        "operations": operations,
        "bom_lines": bom,
        "totals": {
            "setup_minutes": sum((op["setup_minutes"] for op in raw["operations"]), ZERO),
            "run_minutes": sum((op["run_minutes"] for op in raw["operations"]), ZERO),
        },
        "standard": {
            "material": standard["material"],
            "labour": standard["labour"],
            "overhead": standard["overhead"],
            "total": standard["total"],
            "missing": standard["missing"],
        }
        if costs
        else None,
        "signatures": [
            {"label": _("Prepared by (engineer)"), "name": ""},
            {"label": _("Approved by"), "name": ""},
        ],
        "labels": labels,
    }


def techcard_context(card: TechCard, options: PrintOptions) -> dict:
    return shape_techcard(extract_techcard(card), options)


# --- samples: what an administrator's template is checked against -----------------------------------

_SAMPLE_WH = {"code": "MAIN", "name": "Main warehouse", "address": "1 Factory road"}
_SAMPLE_BENCH = {"code": "BENCH", "name": "Assembly bench", "hourly_rate": Decimal("16.00")}
_SAMPLE_ROBOT = {"code": "ROBOT", "name": "Standard robot", "unit": "pcs"}


def _sample_header(state=State.IN_PROGRESS) -> dict:
    return {
        "number": "PO-2026-00042",
        "date": datetime.date(2026, 3, 14),
        "kind": ProductionOrder.Kind.PRODUCTION,
        "state": state,
        "product": dict(_SAMPLE_ROBOT),
        "qty": Decimal("5"),
        "qty_done": Decimal("2"),
        "qty_scrap": Decimal("0"),
        "planned_start": datetime.date(2026, 3, 16),
        "planned_finish": datetime.date(2026, 3, 18),
        "released_at": datetime.datetime(2026, 3, 15, 8, 0, tzinfo=datetime.UTC),
        "finished_at": None,
        "input_warehouse": dict(_SAMPLE_WH),
        "output_warehouse": dict(_SAMPLE_WH),
        "responsible": "Pavel Production",
        "created_by": "Pavel Production",
        "parent": "",
        "source_label": "SO-2026-00007 Robokids",
        "note": "Sample order",
        "bom": "ROBOT v1 Standard",
        "tech_card": "ROBOT v1",
    }


def sample_order_raw() -> dict:
    raw = _sample_header()
    raw.update(
        inputs=[
            {
                "code": "CASE",
                "name": "Robot case",
                "unit": "pcs",
                "qty_per_unit": Decimal("1"),
                "scrap_pct": Decimal("0"),
                "planned": Decimal("5"),
                "posted": Decimal("2"),
            },
            {
                "code": "BOLT",
                "name": "M3 bolt",
                "unit": "pcs",
                "qty_per_unit": Decimal("20"),
                "scrap_pct": Decimal("5"),
                "planned": Decimal("105"),
                "posted": Decimal("42"),
            },
        ],
        outputs=[
            {
                **_SAMPLE_ROBOT,
                "qty_per_unit": Decimal("1"),
                "scrap_pct": Decimal("0"),
                "planned": Decimal("5"),
                "posted": Decimal("2"),
            }
        ],
        operations=[
            {
                "seq": 10,
                "name": "Assemble",
                "work_centre": dict(_SAMPLE_BENCH),
                "setup_minutes": Decimal("15"),
                "run_minutes": Decimal("45"),
                "planned_minutes": Decimal("240"),
                "actual_minutes": Decimal("100"),
                "instructions": "Torque the bolts to 0.5 N·m.",
            }
        ],
        children=[
            {
                "number": "PO-2026-00043",
                "product": {"code": "BRAIN", "name": "Brain", "unit": "pcs"},
                "qty": Decimal("5"),
                "state": State.DONE,
            }
        ],
        reports=[
            {
                "date": datetime.datetime(2026, 3, 16, 15, 0, tzinfo=datetime.UTC),
                "qty": Decimal("2"),
                "scrap": Decimal("0"),
                "state": ProductionReport.State.POSTED,
                "note": "",
            }
        ],
    )
    return raw


def sample_order(options: PrintOptions) -> dict:
    return shape_order(sample_order_raw(), options)


def sample_costing_raw() -> dict:
    raw = _sample_header()
    raw.update(
        materials=[
            {
                "code": "CASE",
                "name": "Robot case",
                "unit": "pcs",
                "planned_qty": Decimal("5"),
                "planned_unit_cost": Decimal("120.50"),
                "planned_value": Decimal("602.50"),
                "actual_qty": Decimal("2"),
                "actual_value": Decimal("241.00"),
            }
        ],
        outputs=[{**_SAMPLE_ROBOT, "qty": Decimal("2"), "value": Decimal("301.00"), "share": Decimal("1")}],
        operations=[
            {
                "seq": 10,
                "name": "Assemble",
                "work_centre": dict(_SAMPLE_BENCH),
                "planned_minutes": Decimal("240"),
                "planned_labour": Decimal("96.00"),
                "planned_overhead": Decimal("64.00"),
                "actual_minutes": Decimal("100"),
                "actual_labour": Decimal("40.00"),
                "actual_overhead": Decimal("20.00"),
            }
        ],
        planned={
            "material": Decimal("602.50"),
            "labour": Decimal("96.00"),
            "overhead": Decimal("64.00"),
            "total": Decimal("762.50"),
            "minutes": Decimal("240"),
            "qty": Decimal("5"),
        },
        missing=[{"code": "BRAIN", "name": "Brain", "unit": "pcs"}],
        actual={
            "material": Decimal("241.00"),
            "labour": Decimal("40.00"),
            "overhead": Decimal("20.00"),
            "total": Decimal("301.00"),
            "output": Decimal("301.00"),
            "qty": Decimal("2"),
            "minutes": Decimal("100"),
        },
    )
    return raw


def sample_costing(options: PrintOptions) -> dict:
    return shape_costing(sample_costing_raw(), options)


def sample_techcard_raw() -> dict:
    return {
        "number": "ROBOT v1",
        "date": datetime.date(2026, 3, 14),
        "product": dict(_SAMPLE_ROBOT),
        "version": 1,
        "name": "Standard",
        "is_active": True,
        "note": "Sample tech card",
        "operations": [
            {
                "seq": 10,
                "name": "Assemble",
                "work_centre": dict(_SAMPLE_BENCH),
                "setup_minutes": Decimal("15"),
                "run_minutes": Decimal("45"),
                "labour_rate": Decimal("24.00"),
                "overhead_rate": Decimal("0.00"),
                "centre_rate": Decimal("16.00"),
                "instructions": "Torque the bolts to 0.5 N·m.",
            }
        ],
        "bom": "ROBOT v1 Standard",
        "bom_lines": [
            {
                "code": "CASE",
                "name": "Robot case",
                "unit": "pcs",
                "qty": Decimal("1"),
                "scrap_pct": Decimal("0"),
                "phantom": False,
                "note": "",
            },
            {
                "code": "FRAME",
                "name": "Frame kit",
                "unit": "pcs",
                "qty": Decimal("1"),
                "scrap_pct": Decimal("0"),
                "phantom": True,
                "note": "",
            },
        ],
        "standard": {
            "material": Decimal("214.57"),
            "labour": Decimal("36.00"),
            "overhead": Decimal("30.00"),
            "total": Decimal("280.57"),
            "missing": False,
        },
    }


def sample_techcard(options: PrintOptions) -> dict:
    return shape_techcard(sample_techcard_raw(), options)


# --- registration -----------------------------------------------------------------------------------


def register_production_forms() -> None:
    registry.register(
        "production.order",
        model=ProductionOrder,
        label=gettext_lazy("Job card"),
        context=order_context,
        sample=sample_order,
        policy=Policy("production", "view"),
        filename=lambda order: order.number,
    )
    registry.register(
        "production.costing",
        model=ProductionOrder,
        label=gettext_lazy("Costing sheet"),
        context=costing_context,
        sample=sample_costing,
        policy=Policy("production", "cost"),
        cost_area="production",
        filename=lambda order: f"COST-{order.number}",
    )
    registry.register(
        "production.techcard",
        model=TechCard,
        label=gettext_lazy("Tech card"),
        context=techcard_context,
        sample=sample_techcard,
        policy=Policy("production", "view"),
        cost_area="production",
        filename=lambda card: f"TC-{card.product.code}-v{card.version}",
    )


register_production_forms()
