"""Printed production documents of the robot factory (numbers in factory.py): the job card, the costing
sheet and the tech card, each a real PDF from the print page whose text is read back with pdftotext."""

import re
from decimal import Decimal as D

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from fabrika.access.tests.factories import make_role, make_user, sign_in
from fabrika.catalog.models import Product
from fabrika.documents.printing import registry
from fabrika.documents.printing.render import clear_cache, render_document
from fabrika.documents.tests.printing_helpers import pdf_text, screenshot, set_up_company
from fabrika.production.models import ProductionOrder
from fabrika.production.services import order_create, order_release, order_report, order_update

from .factory import build

pytestmark = pytest.mark.django_db
S = ProductionOrder.State


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()


@pytest.fixture
def f():
    set_up_company()
    return build()


@pytest.fixture
def director(client):
    user = make_user("dora", "director", first_name="Dora", last_name="Director")
    sign_in(client, user)
    return user


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def row(text: str, name: str) -> list[str]:
    """The cells of the first table row with a cell `name` (pdftotext -layout keeps a row on one line)."""
    rows = (re.split(r"\s{2,}", line.strip()) for line in text.splitlines())
    return next(cells for cells in rows if name in cells)


def get_pdf(client, code: str, obj, **params) -> bytes:
    response = client.get(reverse(f"documents:print-{code}", args=[obj.pk]), params)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    return response.content


def five_robots(f, actor, *, finish=True):
    """5 robots (and their 5 brains), `actor` responsible."""
    order = order_create(actor=actor, data={"product": f.p["ROBOT"], "qty": D(5), "input_warehouse": f.main})
    order_release(actor=actor, order=order)
    child = order.children.get()
    order_report(actor=None, order=child, qty=D(5))
    if finish:
        order_report(actor=None, order=order, qty=D(5))
    order.refresh_from_db()
    child.refresh_from_db()
    return order, child


def test_job_card_of_an_order_in_progress(client, director, f):
    order, child = five_robots(f, director, finish=False)
    order_report(actor=None, order=order, qty=D(2), minutes={order.operations.get().pk: 100}, note="first two")
    order.refresh_from_db()
    assert order.state == S.IN_PROGRESS
    pdf = get_pdf(client, "production.order", order)
    screenshot(pdf, "print-production-order-en")
    text = pdf_text(pdf)
    flat = squash(text)
    assert f"Production order No. {order.number}" in flat
    assert "Robot (ROBOT)" in flat and "Quantity to make: 5 pcs" in flat and "Made: 2" in flat
    assert "State: In progress" in flat
    assert "Components warehouse Main" in flat and "Output warehouse Main" in flat
    # Materials: per unit, planned for 5, posted for 2, remaining.
    assert row(text, "CASE") == ["1", "CASE", "Case", "pcs", "1", "5", "2", "3"]
    assert row(text, "BOLT")[-4:] == ["20", "100", "40", "60"]
    assert row(text, "BRAIN")[-4:] == ["1", "5", "2", "3"]
    # The operation: bench, 45 min per unit, 225 planned, 100 recorded; room to sign.
    assembly = row(text, "Assemble")
    assert assembly == ["10", "Assemble", "BENCH Assembly bench", "0", "45", "225", "100"]
    assert "Done by" in flat and "Actual, min" in flat
    # The child order made the brains; the report is listed; the signatures are there.
    assert child.number in flat and "Brain (BRAIN)" in flat and "Done" in flat
    assert "first two" in flat
    assert "Issued by" in flat and "Accepted by (quality control)" in flat
    assert "Page 1 of 1" in flat


def test_job_card_of_the_brain_shows_instructions_and_draft_stamp(client, director, f):
    f.p["BRAIN"].tech_cards.get().operations.update(instructions="Reflow profile B.\nInspect every joint.")
    order = order_create(actor=director, data={"product": f.p["BRAIN"], "qty": D(4), "input_warehouse": f.main})
    pdf = get_pdf(client, "production.order", order)
    screenshot(pdf, "print-production-order-draft-en")
    text = pdf_text(pdf)
    flat = squash(text)
    assert "DRAFT — NOT RELEASED" in flat  # the stamp, in capitals
    solder = row(text, "Solder")
    assert solder[-4:] == ["30", "6", "54", ""] or solder[-3:] == ["30", "6", "54"]
    assert "Instructions: Reflow profile B." in flat and "Inspect every joint." in flat
    assert row(text, "BOARD")[-4:] == ["1", "4", "0", "4"]


def test_costing_sheet_of_five_robots(client, director, f):
    order, child = five_robots(f, director)
    pdf = get_pdf(client, "production.costing", order)
    screenshot(pdf, "print-production-costing-en")
    text = pdf_text(pdf)
    flat = squash(text)
    assert f"Production costing sheet No. {order.number}" in flat
    # Actual: materials 244.95 + 602.50 + 175.50 + 91.25 + 13.00; 3.75 h of assembly: 90.00 + 60.00.
    # Planned at today's costs: the average of what is left of the cases, kits, peripherals and bolts; the
    # brains are all consumed, so at the cost they were last made at (48.99).
    assert row(text, "Material") == ["Material", "1,127.20", "1,127.20", "0.00"]
    assert row(text, "Labour") == ["Labour", "90.00", "90.00", "0.00"]
    assert row(text, "Overhead") == ["Overhead", "60.00", "60.00", "0.00"]
    assert row(text, "Total cost") == ["Total cost", "1,277.20", "1,277.20", "0.00"]
    assert row(text, "Output value") == ["Output value", "1,277.20"]
    assert row(text, "Unit cost, EUR / pcs") == ["Unit cost, EUR / pcs", "255.44", "255.44"]
    assert row(text, "Time, min") == ["Time, min", "225", "225"]
    assert "No cost known" not in flat
    # Per material: planned quantity, unit cost and value; actual quantity and value as posted; variance.
    assert row(text, "CASE") == ["1", "CASE", "Case", "pcs", "5", "120.50", "602.50", "5", "602.50", "0.00"]
    assert row(text, "BOLT") == ["4", "BOLT", "Bolt", "pcs", "100", "0.13", "13.00", "100", "13.00", "0.00"]
    assert row(text, "BRAIN") == ["5", "BRAIN", "Brain", "pcs", "5", "48.99", "244.95", "5", "244.95", "0.00"]
    assert row(text, "Total") == ["Total", "1,127.20", "1,127.20"]
    assert row(text, "Assemble")[-6:] == ["225", "90.00", "60.00", "225", "90.00", "60.00"]
    # The brains' own sheet: 74.95 + 110.00 + 30.00 + 30.00 = 244.95, 48.99 each.
    text = pdf_text(get_pdf(client, "production.costing", child))
    assert row(text, "Output value")[-1] == "244.95"
    assert row(text, "Unit cost, EUR / pcs")[-1] == "48.99"
    assert row(text, "CPU")[-3:-1] == ["5", "110.00"]
    assert row(text, "Solder")[-3:] == ["60", "30.00", "30.00"]


def test_costing_sheet_names_what_has_no_cost(client, director, f):
    """A material never bought nor made has no planned cost: the planned total is marked incomplete and
    no variance is printed against it."""
    chip = Product.objects.create(code="CHIP", name="Chip", unit=f.p["CASE"].unit)
    order = order_create(actor=director, data={"product": f.p["BRAIN"], "qty": D(2), "input_warehouse": f.main})
    order_update(
        actor=director,
        order=order,
        data={},
        lines=[{"product": f.p["BOARD"], "qty_per_unit": 1}, {"product": chip, "qty_per_unit": 3}],
    )
    text = pdf_text(get_pdf(client, "production.costing", order))
    flat = squash(text)
    # 2 boards at 14.99; the solder operation: 30 + 2 × 6 min = 0.7 h → labour 21.00, overhead 0.7 × 30 = 21.00.
    assert row(text, "Material") == ["Material", "* 29.98", "0.00"]
    assert row(text, "Labour") == ["Labour", "21.00", "0.00", "-21.00"]
    assert row(text, "Total cost") == ["Total cost", "* 71.98", "0.00"]
    assert "* No cost known for: Chip (CHIP)." in flat
    assert row(text, "CHIP") == ["2", "CHIP", "Chip", "pcs", "6", "—", "—", "0", "0.00"]


def test_tech_card_with_its_bom_and_standard_cost(client, director, f):
    card = f.p["ROBOT"].tech_cards.get()
    card.operations.update(instructions="Fit the brain first, then the case.")
    pdf = get_pdf(client, "production.techcard", card)
    screenshot(pdf, "print-production-techcard-en")
    text = pdf_text(pdf)
    flat = squash(text)
    assert "Tech card ROBOT Version 1" in flat
    assert row(text, "Assemble")[-5:] == ["0", "45", "24.00", "0.00", "16.00"]
    assert "Instructions: Fit the brain first, then the case." in flat
    assert row(text, "BOLT")[-2:] == ["20", "pcs"]
    assert row(text, "BRAIN")[-2:] == ["1", "pcs"]
    # One robot: case 120.50, kit 35.10, peripherals 18.25, 20 bolts 2.60, board 14.99, CPU 23.125 → 23.13;
    # brain 0.6 h: 18.00 + 18.00; robot 0.75 h: 18.00 + 12.00.
    assert row(text, "Material")[-1] == "214.57"
    assert row(text, "Labour")[-1] == "36.00"
    assert row(text, "Overhead")[-1] == "30.00"
    assert row(text, "Total cost")[-1] == "280.57"
    assert "Standard cost of one unit 280.57 EUR" in flat
    text = pdf_text(get_pdf(client, "production.techcard", f.p["BRAIN"].tech_cards.get()))
    assert row(text, "Solder")[-5:] == ["30", "6", "30.00", "12.00", "18.00"]
    assert row(text, "Total cost")[-1] == "74.12"


def test_without_the_cost_right_no_money_is_printed(client, f):
    make_role("foreman", {"production": ["view"]})
    fred = make_user("fred", "foreman")
    sign_in(client, fred)
    order, _child = five_robots(f, fred)
    text = pdf_text(get_pdf(client, "production.techcard", f.p["ROBOT"].tech_cards.get()))
    assert "Assemble" in text and "45" in text
    for money in ("24.00", "16.00", "280.57", "Standard cost"):
        assert money not in text
    assert "1,277.20" not in pdf_text(get_pdf(client, "production.order", order))
    response = client.get(reverse("documents:print-production.costing", args=[order.pk]))
    assert response.status_code == 403


def test_print_buttons_appear_on_the_order_and_the_tech_card(f):
    boss = make_user("boss", "director")
    order, _child = five_robots(f, boss)
    template = Template("{% load print_tags %}{% print_buttons obj %}")
    request = RequestFactory().get("/")

    def menu(user, obj):
        request.user = user
        return template.render(Context({"request": request, "obj": obj}))

    html = menu(boss, order)
    assert reverse("documents:print-production.order", args=[order.pk]) in html
    assert reverse("documents:print-production.costing", args=[order.pk]) in html
    assert "Job card" in html and "Costing sheet" in html
    make_role("foreman", {"production": ["view"]})
    html = menu(make_user("fred", "foreman"), order)
    assert "Job card" in html and "Costing sheet" not in html
    card = f.p["ROBOT"].tech_cards.get()
    assert reverse("documents:print-production.techcard", args=[card.pk]) in menu(boss, card)
    assert menu(make_user("kim", "storekeeper"), order).strip() == ""


@pytest.mark.parametrize("language", ["fr", "ru"])
def test_every_form_prints_in_french_and_russian(f, language):
    order, _child = five_robots(f, None)
    for code, obj in (
        ("production.order", order),
        ("production.costing", order),
        ("production.techcard", f.p["ROBOT"].tech_cards.get()),
    ):
        printed = render_document(registry.get(code), obj, language=language, show_costs=True)
        text = squash(pdf_text(printed.pdf))
        assert order.number in text or "ROBOT" in text
        if code == "production.costing":
            assert "1 277,20" in text.replace("\u202f", " ").replace("\xa0", " ")
        screenshot(printed.pdf, f"print-{code.replace('.', '-')}-{language}")


def test_samples_render_with_and_without_costs():
    for code in ("production.order", "production.costing", "production.techcard"):
        for show_costs in (True, False):
            printed = render_document(registry.get(code), None, language="en", show_costs=show_costs)
            assert printed.pdf.startswith(b"%PDF-")
