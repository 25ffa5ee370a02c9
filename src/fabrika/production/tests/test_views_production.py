"""Production pages on the robot factory (factory.py has the numbers): every page renders for the
engineer and the production manager; the forms create through the services; refusals are shown
with their reasons and change nothing."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse

from fabrika.access.tests.factories import make_user, sign_in
from fabrika.inventory.models import Balance, StockMove
from fabrika.production.models import ProductionOrder, ProductionProfile, TechCard, WorkCentre
from fabrika.production.services import order_create, order_release, order_report

pytestmark = pytest.mark.django_db
S = ProductionOrder.State


def rows(lines: list[dict], prefix: str = "lines", initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(lines)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "500",
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"{prefix}-{i}-{key}"] = value.pk if hasattr(value, "pk") else value
    return data


def ledger():
    return (
        StockMove.objects.count(),
        sorted(Balance.objects.values_list("product_id", "warehouse_id", "qty", "value", "reserved")),
        list(ProductionOrder.objects.order_by("pk").values_list("state", "qty_done")),
    )


def robot_order(f, qty=5, **data):
    return order_create(actor=None, data={"product": f.p["ROBOT"], "qty": D(qty), "input_warehouse": f.main, **data})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- every page -----------------------------------------------------------------------------------


def test_every_page_renders_for_both_roles(client, f, engineer, manager):
    robot, brain = f.p["ROBOT"], f.p["BRAIN"]
    bom, card = robot.boms.get(), robot.tech_cards.get()
    order = robot_order(f)
    order_release(actor=None, order=order)
    child = order.children.get()
    order_report(actor=None, order=child, qty=D(5))
    draft = robot_order(f, qty=1)
    lot = child.lines.get(role="out").product.lots.first()
    common = [
        reverse("catalog:product-detail", args=[robot.pk]) + "?tab=production",
        reverse("catalog:product-detail", args=[brain.pk]) + "?tab=production",
        reverse("production:profile-update", args=[robot.pk]),
        reverse("production:bom-create", args=[robot.pk]) + f"?from={bom.pk}",
        reverse("production:bom-detail", args=[bom.pk]) + "?qty=5&method=fifo",
        reverse("production:bom-update", args=[bom.pk]),
        reverse("production:product-costing", args=[robot.pk]) + "?qty=5",
        reverse("production:techcard-create", args=[robot.pk]) + f"?from={card.pk}",
        reverse("production:techcard-detail", args=[card.pk]),
        reverse("production:techcard-update", args=[card.pk]),
        reverse("production:workcentre-list"),
        reverse("production:workcentre-create"),
        reverse("production:workcentre-update", args=[f.smt.pk]),
        reverse("production:order-list"),
        reverse("production:order-list") + f"?state=in_progress&product={robot.pk}&q=PO",
        reverse("production:order-create") + f"?product={robot.pk}",
        reverse("production:order-detail", args=[order.pk]),
        reverse("production:order-detail", args=[child.pk]),
        reverse("production:order-update", args=[draft.pk]),
        reverse("production:shortages"),
        reverse("production:genealogy") + f"?lot={lot.pk}",
        reverse("production:genealogy") + "?q=L-CPU",
    ]
    manager_only = [
        reverse("production:order-report", args=[order.pk]),
        reverse("production:order-cancel", args=[order.pk]),
    ]
    for user, urls in ((engineer, common), (manager, common + manager_only)):
        sign_in(client, user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (user.username, url, response.status_code)
    sign_in(client, engineer)
    for url in manager_only:
        assert client.get(url).status_code == 403


def test_production_tab_on_the_product_card(eva, f):
    robot = f.p["ROBOT"]
    page = eva.get(reverse("catalog:product-detail", args=[robot.pk]) + "?tab=production")
    assert [t[0] for t in page.context["tabs"]] == ["details", "stock", "moves", "prices", "production", "history"]
    html = page.content.decode()
    assert 'id="bom-lines"' in html and 'data-component="BRAIN"' in html and "Solder" not in html
    assert "Assemble" in html  # the robot's tech card
    # The brain is used in the robot's BOM.
    brain = eva.get(reverse("catalog:product-detail", args=[f.p["BRAIN"].pk]) + "?tab=production")
    assert [line.bom.product.code for line in brain.context["where_used"]] == ["ROBOT"]
    # A role without production rights does not get the tab.
    sign_in(eva, make_user("kate", "storekeeper"))
    page = eva.get(reverse("catalog:product-detail", args=[robot.pk]) + "?tab=production")
    assert "production" not in [t[0] for t in page.context["tabs"]] and page.context["tab"] == "details"


def test_profile_saved_through_the_form(eva, f):
    robot = f.p["ROBOT"]
    response = eva.post(
        reverse("production:profile-update", args=[robot.pk]),
        {"input_warehouse": f.main.pk, "output_warehouse": f.main.pk, "lead_time_days": "3", "description": "Bench"},
    )
    assert response.status_code == 302
    profile = ProductionProfile.objects.get(product=robot)
    assert (profile.input_warehouse, profile.lead_time_days, profile.description) == (f.main, 3, "Bench")


# --- BOMs -----------------------------------------------------------------------------------------


def test_engineer_builds_a_bom_version_through_the_form(eva, f):
    robot = f.p["ROBOT"]
    data = {"name": "Light", "note": "", "valid_from": "2026-01-01", "valid_to": ""}
    data |= rows(
        [
            {"component": f.p["CASE"], "qty": "1", "scrap_pct": "", "note": ""},
            {"component": f.p["BRAIN"], "qty": "1", "phantom": "on", "scrap_pct": "5", "note": "node"},
            {"component": "", "qty": "", "scrap_pct": "", "note": ""},  # a blank row is left out
        ]
    )
    response = eva.post(reverse("production:bom-create", args=[robot.pk]), data)
    assert response.status_code == 302
    bom = robot.boms.get(version=2)
    assert response["Location"] == bom.get_absolute_url()
    assert (bom.name, bom.is_active, str(bom.valid_from)) == ("Light", False, "2026-01-01")
    assert [(x.component.code, x.qty, x.scrap_pct, x.phantom) for x in bom.lines.all()] == [
        ("CASE", D(1), D(0), False),
        ("BRAIN", D(1), D(5), True),
    ]
    # Activate it, then copy it into version 3 (opened in the editor).
    eva.post(reverse("production:bom-activate", args=[bom.pk]))
    assert list(robot.boms.filter(is_active=True).values_list("version", flat=True)) == [2]
    response = eva.post(reverse("production:bom-copy", args=[bom.pk]))
    copy = robot.boms.get(version=3)
    assert response["Location"] == reverse("production:bom-update", args=[copy.pk])
    assert copy.lines.count() == 2 and not copy.is_active


def test_a_cycle_is_refused_on_the_form_with_its_path(eva, f):
    brain = f.p["BRAIN"]
    bom = brain.boms.get()
    before = list(bom.lines.values_list("component__code", "qty"))
    data = {"name": "Brain"} | rows([{"component": f.p["ROBOT"], "qty": "1"}])
    response = eva.post(reverse("production:bom-update", args=[bom.pk]), data)
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors == ["A product cannot contain itself: BRAIN → ROBOT → BRAIN"]
    assert "BRAIN → ROBOT → BRAIN" in response.content.decode()
    assert list(bom.lines.values_list("component__code", "qty")) == before


def test_line_errors_come_back_on_their_rows(eva, f):
    robot = f.p["ROBOT"]
    data = {"name": ""} | rows([{"component": f.p["CASE"], "qty": "0"}, {"component": robot, "qty": "1"}])
    response = eva.post(reverse("production:bom-create", args=[robot.pk]), data)
    assert response.status_code == 200
    forms = response.context["formset"].forms
    assert forms[0].errors["qty"] == ["The quantity must be greater than zero."]
    assert forms[1].errors["component"] == ["A product cannot be its own component."]
    assert robot.boms.count() == 1


def test_explosion_for_any_quantity_with_costs_and_exports(eva, f):
    bom = f.p["ROBOT"].boms.get()
    url = reverse("production:bom-detail", args=[bom.pk])
    page = eva.get(url + "?qty=5&method=fifo")
    indented = [(r["line"].level, r["product"].code, r["line"].qty, r["cost"]) for r in page.context["indented"]]
    # FIFO: the next lot of processors is the 20.00 one.
    assert indented == [
        (1, "CASE", D(5), D("602.50")),
        (1, "KIT", D(5), D("175.50")),
        (1, "PERIPH", D(5), D("91.25")),
        (1, "BOLT", D(100), D("13.00")),
        (1, "BRAIN", D(5), D("174.95")),
        (2, "BOARD", D(5), D("74.95")),
        (2, "CPU", D(5), D("100.00")),
    ]
    assert page.context["summary_total"] == D("1057.20")
    # Average: CPUs at 185.00 / 8 = 23.125 → 115.63 for five.
    page = eva.get(url + "?qty=5&method=average")
    assert {r["product"].code: r["cost"] for r in page.context["summary"]}["CPU"] == D("115.63")
    export = eva.get(url + "?qty=5&method=average&table=summary&export=csv")
    table = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert table[0] == ["Code", "Component", "Quantity", "Unit", "Unit cost", "Cost"]
    assert ["BOLT", "Bolt", "100", "pcs", "0.130000", "13.00"] in table
    xlsx = eva.get(url + "?qty=2&table=indented&export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    # A bad quantity falls back to one unit and says so.
    page = eva.get(url + "?qty=-3")
    assert page.context["qty"] == D(1) and page.context["form"].errors


def test_costing_page_by_level(eva, f):
    page = eva.get(reverse("production:product-costing", args=[f.p["ROBOT"].pk]) + "?qty=5&method=average")
    root = page.context["root"]
    # cases 602.50 + kits 175.50 + peripherals 91.25 + bolts 13.00 + boards 74.95 + CPUs 115.63;
    # soldering 1 h: 30.00 + 30.00; assembling 3.75 h: 90.00 + 60.00
    assert root.total == D("1282.83")
    levels = page.context["levels"]
    assert levels[0] == {"material": D("0.00"), "labour": D("90.00"), "overhead": D("60.00"), "total": D("150.00")}
    assert levels[1] == {"material": D("882.25"), "labour": D("30.00"), "overhead": D("30.00"), "total": D("942.25")}
    assert levels[2]["total"] == D("190.58")
    assert page.context["sums"] == {"material": D("1072.83"), "labour": D("120.00"), "overhead": D("90.00")}
    export = eva.get(reverse("production:product-costing", args=[f.p["ROBOT"].pk]) + "?qty=5&export=csv")
    table = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert table[1][:2] == ["0", "ROBOT"] and table[1][9] == "1282.83"
    # Costs need production/cost.
    sign_in(eva, make_user("sam", "sales_manager"))
    assert eva.get(reverse("production:product-costing", args=[f.p["ROBOT"].pk])).status_code == 403


# --- tech cards and work centres ------------------------------------------------------------------


def test_tech_card_and_work_centre_through_the_forms(eva, f):
    response = eva.post(
        reverse("production:workcentre-create"),
        {"code": "PAINT", "name": "Paint shop", "hourly_rate": "20.00", "hours_per_day": "8", "active": "on"},
    )
    assert response.status_code == 302
    paint = WorkCentre.objects.get(code="PAINT")
    # A code used twice is refused on the field.
    again = {"code": "PAINT", "name": "Again", "hourly_rate": "0", "hours_per_day": "8"}
    response = eva.post(reverse("production:workcentre-create"), again)
    assert response.status_code == 200 and response.context["form"].errors["code"]
    robot = f.p["ROBOT"]
    data = {"name": "Painted", "note": ""} | rows(
        [
            {"seq": "10", "name": "Assemble", "work_centre": f.bench, "run_minutes": "45", "labour_rate": "24"},
            {"seq": "20", "name": "Paint", "work_centre": paint, "setup_minutes": "15", "run_minutes": "10"},
        ],
        prefix="operations",
    )
    response = eva.post(reverse("production:techcard-create", args=[robot.pk]), data)
    assert response.status_code == 302
    card = robot.tech_cards.get(version=2)
    assert [(o.seq, o.name, o.work_centre.code, o.setup_minutes, o.run_minutes) for o in card.operations.all()] == [
        (10, "Assemble", "BENCH", D(0), D(45)),
        (20, "Paint", "PAINT", D(15), D(10)),
    ]
    assert not card.is_active
    eva.post(reverse("production:techcard-activate", args=[card.pk]))
    assert TechCard.objects.get(product=robot, is_active=True) == card
    # An operation without a name is refused on its row.
    data = {"name": ""} | rows([{"seq": "10", "name": "", "run_minutes": "-1"}], prefix="operations")
    response = eva.post(reverse("production:techcard-update", args=[card.pk]), data)
    assert response.status_code == 200
    assert set(response.context["formset"].forms[0].errors) == {"name", "run_minutes"}
    assert card.operations.count() == 2


# --- orders ---------------------------------------------------------------------------------------


def test_order_created_released_reported_and_done_through_the_pages(max_client, f):
    response = max_client.post(
        reverse("production:order-create"),
        {"kind": "production", "product": f.p["ROBOT"].pk, "qty": "5", "input_warehouse": f.main.pk},
    )
    order = ProductionOrder.objects.get(product=f.p["ROBOT"])
    assert response["Location"] == order.get_absolute_url()
    assert (order.state, order.bom, order.tech_card.version) == (S.DRAFT, f.p["ROBOT"].boms.get(), 1)
    response = max_client.post(reverse("production:order-release", args=[order.pk]), {"children": "on"}, follow=True)
    child = order.children.get()
    assert any(f"Child orders: {child.number}." in m for m in messages_of(response))
    assert [(d, o.number, o.state) for d, o in response.context["tree"]] == [
        (0, order.number, S.RELEASED),
        (1, child.number, S.RELEASED),
    ]
    # The parent cannot finish before its child: said, nothing changed.
    before = ledger()
    response = max_client.post(reverse("production:order-finish", args=[order.pk]), follow=True)
    assert any(f"cannot finish before its child orders: {child.number} (Released)" in m for m in messages_of(response))
    assert ledger() == before
    # The child: 5 brains at planned times.
    op = child.operations.get()
    report = reverse("production:order-report", args=[child.pk])
    response = max_client.post(report, {"qty": "5", f"minutes_{op.pk}": ""})
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.state == S.DONE
    # The parent, with the actual minutes of assembly: 225 as planned.
    op = order.operations.get()
    response = max_client.post(
        reverse("production:order-report", args=[order.pk]), {"qty": "5", f"minutes_{op.pk}": "225"}, follow=True
    )
    order.refresh_from_db()
    assert order.state == S.DONE and any("is done" in m for m in messages_of(response))
    costing = response.context["costing"]
    assert costing["actual"]["output"] == D("1277.20")
    assert (costing["actual"]["labour"], costing["actual"]["overhead"]) == (D("90.00"), D("60.00"))
    assert 'data-col="output">1,277.20<' in response.content.decode()


def test_report_refused_for_short_components_changes_nothing(max_client, f):
    order = robot_order(f, qty=12)
    order_release(actor=None, order=order, children=False)
    before = ledger()
    response = max_client.post(reverse("production:order-report", args=[order.pk]), {"qty": "12"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Not enough components: nothing was posted."]
    short = [(r["product"].code, r["wanted"], r["available"], r["missing"]) for r in response.context["short"]]
    assert short == [("CASE", 12, 10, 2), ("KIT", 12, 10, 2), ("PERIPH", 12, 10, 2), ("BRAIN", 12, 0, 12)]
    assert 'id="short-components"' in response.content.decode()
    assert ledger() == before


def test_report_input_errors_on_the_fields(max_client, f):
    order = robot_order(f, qty=2)
    order_release(actor=None, order=order)
    child = order.children.get()
    before = ledger()
    response = max_client.post(reverse("production:order-report", args=[child.pk]), {"qty": "3"})
    assert response.context["form"].errors["qty"] == ["Only 2 of 2 remain to be made."]
    response = max_client.post(reverse("production:order-report", args=[child.pk]), {"qty": "0", "scrap": "0"})
    assert response.context["form"].errors["qty"] == ["Report a quantity made or scrapped."]
    assert ledger() == before


def test_draft_edit_the_orders_own_materials_and_operations(max_client, f):
    order = robot_order(f, qty=2)
    url = reverse("production:order-update", args=[order.pk])
    page = max_client.get(url)
    assert [form.initial["product"] for form in page.context["lines"].initial_forms] == [
        f.p[c].pk for c in ("CASE", "KIT", "PERIPH", "BOLT", "BRAIN")
    ]
    data = {"qty": "2", "input_warehouse": f.main.pk, "output_warehouse": f.main.pk, "planned_start": "2026-03-02"}
    data |= rows(
        [
            {"product": f.p["CASE"], "qty_per_unit": "1"},
            {"product": f.p["KIT"], "qty_per_unit": "2", "scrap_pct": "10"},
        ]
    )
    data |= rows([{"seq": "10", "name": "Assemble quickly", "work_centre": f.bench, "run_minutes": "30"}], "operations")
    response = max_client.post(url, data)
    assert response.status_code == 302
    order.refresh_from_db()
    assert str(order.planned_start) == "2026-03-02"
    assert [(x.role, x.product.code, x.qty_per_unit, x.scrap_pct) for x in order.lines.all()] == [
        ("in", "CASE", D(1), D(0)),
        ("in", "KIT", D(2), D(10)),
        ("out", "ROBOT", D(1), D(0)),
    ]
    assert [(o.name, o.run_minutes) for o in order.operations.all()] == [("Assemble quickly", D(30))]
    # Released, it is no longer editable.
    order_release(actor=None, order=order, children=False)
    response = max_client.get(url, follow=True)
    assert messages_of(response)[-1] == "Only a draft order can be changed."


def test_conversion_order_needs_its_target(max_client, f):
    url = reverse("production:order-create")
    data = {"kind": "conversion", "product": f.p["CASE"].pk, "qty": "2", "input_warehouse": f.main.pk}
    response = max_client.post(url, data)
    assert response.context["form"].errors["target"] == ["Choose the product to convert into."]
    response = max_client.post(url, data | {"target": f.p["KIT"].pk})
    order = ProductionOrder.objects.get(kind="conversion")
    assert [(x.role, x.product.code) for x in order.lines.all()] == [("in", "CASE"), ("out", "KIT")]
    assert response.status_code == 302


def test_cancel_lists_what_is_undone_then_reverses_it(max_client, f):
    order = robot_order(f, qty=2)
    order_release(actor=None, order=order)
    child = order.children.get()
    order_report(actor=None, order=child, qty=D(1))
    # Cancelling the parent cancels the open child, whose report is reversed.
    page = max_client.get(reverse("production:order-cancel", args=[order.pk]))
    assert page.context["children"] == [child]
    assert page.context["reports"] == []
    page = max_client.get(reverse("production:order-cancel", args=[child.pk]))
    [(report, moves)] = page.context["reports"]
    assert sorted(m.product.code for m in moves) == ["BOARD", "BRAIN", "CPU"]
    response = max_client.post(reverse("production:order-cancel", args=[order.pk]), follow=True)
    assert messages_of(response)[-1] == f"{order.number} was cancelled."
    child.refresh_from_db()
    assert (child.state, child.qty_done) == (S.CANCELLED, D(0))
    assert Balance.objects.get(product=f.p["BRAIN"], warehouse=f.main).qty == D(0)


def test_engineer_may_not_post(eva, f):
    order = robot_order(f)
    before = ledger()
    assert eva.post(reverse("production:order-release", args=[order.pk])).status_code == 403
    assert ledger() == before
    page = eva.get(order.get_absolute_url()).content.decode()
    assert 'id="release-order"' not in page and 'id="edit-order"' in page


def test_orders_are_not_scoped_to_their_responsible(max_client, f):
    """The production area has no record scope: a manager sees the orders others are responsible for."""
    someone = make_user("otto", "production_manager")
    order = robot_order(f, responsible=someone)
    assert max_client.get(order.get_absolute_url()).status_code == 200
    page = max_client.get(reverse("production:order-list"))
    assert order in page.context["object_list"]


def test_order_list_filters_and_exports(max_client, f):
    first = robot_order(f, qty=1)
    robot_order(f, qty=2)
    order_release(actor=None, order=first, children=False)
    page = max_client.get(reverse("production:order-list") + "?state=released")
    assert list(page.context["object_list"]) == [first]
    export = max_client.get(reverse("production:order-list") + "?export=csv")
    table = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert table[0][:3] == ["Number", "Kind", "State"] and len(table) == 3
    assert [row[5] for row in table[1:]] == ["2", "1"]


# --- analysis -------------------------------------------------------------------------------------


def test_shortages_page_and_export(max_client, f):
    order = robot_order(f, qty=12)
    page = max_client.get(reverse("production:shortages"))
    got = [(r.level, r.product.code, r.short, r.make) for r in page.context["rows"]]
    assert got == [
        (1, "CASE", D(2), False),
        (1, "KIT", D(2), False),
        (1, "PERIPH", D(2), False),
        (1, "BRAIN", D(12), True),
        (2, "BOARD", D(2), False),
        (2, "CPU", D(4), False),
    ]
    assert page.context["buy_count"] == 5
    export = max_client.get(reverse("production:shortages") + f"?orders={order.pk}&export=csv")
    table = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert table[-1][:3] == [order.number, "2", "CPU"] and table[-1][8] == "4" and table[-1][10] == "buy"


def test_shortage_supplier_requests(max_client, f):
    pytest.importorskip("fabrika.purchasing.services")
    from fabrika.purchasing.models import SupplierRequest

    order = robot_order(f, qty=12)
    page = max_client.get(reverse("production:shortages") + f"?orders={order.pk}")
    assert 'id="create-requests"' in page.content.decode()
    response = max_client.post(reverse("production:shortage-request"), {"orders": [order.pk]})
    assert response["Location"] == reverse("purchasing:request-list")
    [request] = SupplierRequest.objects.all()
    lines = {x.product.code: x.qty for x in request.lines.select_related("product")}
    assert lines == {"CASE": D(2), "KIT": D(2), "PERIPH": D(2), "BOARD": D(2), "CPU": D(4)}
    assert order.number in request.lines.first().source_label


def test_lot_genealogy_page(max_client, f):
    order = robot_order(f)
    order_release(actor=None, order=order)
    order_report(actor=None, order=order.children.get(), qty=D(5))
    order_report(actor=None, order=order, qty=D(5))
    cpu_lot = f.p["CPU"].lots.order_by("received_at").first()
    page = max_client.get(reverse("production:genealogy") + f"?lot={cpu_lot.pk}")
    assert [p.code for _lot, p in page.context["containing"]] == ["BRAIN", "ROBOT"]
    robot_lot = f.p["ROBOT"].lots.get()
    page = max_client.get(reverse("production:genealogy") + f"?q={robot_lot.number}")
    assert page.context["lot"] == robot_lot
    below = {(level, p.code) for level, _lot, _qty, p in page.context["consumed"]}
    assert {(1, "BRAIN"), (1, "CASE"), (2, "CPU"), (2, "BOARD")} <= below
    # The product card's lots link to it.
    card = max_client.get(reverse("catalog:product-detail", args=[f.p["CPU"].pk]) + "?tab=stock").content.decode()
    assert f"{reverse('production:genealogy')}?lot=" in card


def test_menu_has_the_production_section(max_client, f):
    page = max_client.get(reverse("production:order-list")).content.decode()
    for name in ("production:order-list", "production:shortages", "production:workcentre-list", "production:genealogy"):
        assert f'href="{reverse(name)}"' in page
