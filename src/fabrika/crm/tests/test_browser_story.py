"""Issue 2's acceptance story, in headless Chromium, through the real pages.

Anna, a sales manager, signs in, creates a counterparty with a contact, logs a call, opens a
deal and drags it along the funnel board, reads the app in French and Russian, and finds her
work in the card's history; Dora, the director, finds the same changes in the audit log under
the same request ids. No page of the story may log a console error, throw, violate the CSP or
fail to load one of its files.

Screenshots of every step are written to var/screenshots/story-*.png.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from fabrika.access.tests.factories import PASSWORD, make_user
from fabrika.audit.models import BusinessEvent
from fabrika.conftest import login, screenshot
from fabrika.crm.models import Activity, Contact, Counterparty, Deal, DealStageChange, FunnelStage

pytestmark = pytest.mark.browser

GENERATED_REQUEST_ID = re.compile(r"^req-[0-9a-f]{16}$")  # fabrika.audit.context.new_request_id()

# What reports a Content-Security-Policy violation to the test (Playwright's init scripts are
# not subject to the page's CSP; the event fires for every refused script, style, frame…).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.fabrikaReportCsp(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.documentURI);
});
"""


@dataclass
class Trouble:
    """Everything a page did wrong while the story ran."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on(
            "console", lambda m: self.console_errors.append(f"{m.text} ({page.url})") if m.type == "error" else None
        )
        page.on("pageerror", lambda exc: self.page_errors.append(f"{exc} ({page.url})"))
        page.on("response", lambda r: self.failed_responses.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.expose_function("fabrikaReportCsp", lambda report: self.csp_violations.append(report))
        page.add_init_script(CSP_LISTENER)

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "console errors": self.console_errors,
            "page errors": self.page_errors,
            "CSP violations": self.csp_violations,
            "failed responses": self.failed_responses,
        }


def link(scope, text: str):
    """The link whose text is `text`. Not by role: an icon's glyph (CSS generated content) is
    part of a link's accessible name."""
    return scope.locator("a").filter(has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))


def follow(scope, text: str) -> None:
    page = getattr(scope, "page", scope)
    with page.expect_navigation():
        link(scope, text).click()


def open_menu(page, label: str) -> None:
    follow(page.locator("nav.fab-sidebar"), label)


def open_tab(page, key: str) -> None:
    with page.expect_navigation():
        page.locator(f"#tab-{key}").click()


def submit(page, form_selector: str) -> None:
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").first.click()


def choose_language(page, code: str) -> None:
    """The language selector of the top bar submits itself on change."""
    with page.expect_navigation():
        page.select_option("#ui-language", code)
    assert page.locator("html").get_attribute("lang") == code


def menu_labels(page) -> list[str]:
    return [t.strip() for t in page.locator("nav.fab-sidebar a.nav-link").all_inner_texts()]


def success_message(page) -> str:
    return page.locator(".alert-success").first.inner_text().strip()


def history_rows(page) -> list[tuple[str, str, str, str]]:
    """The card's History tab: (action or event, the child object it concerns, user, request id)."""
    rows = []
    for row in page.locator(".fab-history tbody tr").all():
        cells = row.locator("td")
        action = cells.nth(2)
        label = action.locator(".badge, code").first.inner_text().strip()
        child = action.locator("div.small")
        rows.append(
            (
                label,
                child.inner_text().strip() if child.count() else "",
                cells.nth(1).inner_text().strip(),
                cells.nth(4).inner_text().strip(),
            )
        )
    return rows


def log_rows(page) -> list[tuple[str, ...]]:
    """The audit log's table, one tuple of cell texts per row; the time and the changes (or the
    event's data) are left out."""
    rows = []
    for row in page.locator("table tbody tr").all():
        cells = [c.inner_text().strip() for c in row.locator("td").all()]
        rows.append(tuple(c for i, c in enumerate(cells) if i not in (0, 5)))
    return rows


def test_sales_manager_story(page, browser, live_server):
    anna = make_user("anna", "sales_manager", first_name="Anna", last_name="Petit")
    make_user("dora", "director", first_name="Dora", last_name="Director")
    trouble = Trouble()
    trouble.watch(page)

    # 1. Anna signs in through the real login page and lands on her home page.
    page.goto("/")
    assert "/access/login/" in page.url
    screenshot(page, "story-01-login")
    login(page, "anna", PASSWORD)
    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("heading", name="Welcome, Anna").is_visible()
    assert page.locator("#user-menu").inner_text().strip() == "Anna Petit"
    screenshot(page, "story-01-home")

    # 2. She creates a counterparty through the form…
    open_menu(page, "Counterparties")
    assert page.locator("table tbody tr").count() <= 1  # nothing yet: an empty state at most
    screenshot(page, "story-02-counterparties-empty")
    follow(page.locator("main"), "New")
    page.fill("#id_name", "Northwind Robotics")
    page.fill("#id_tax_id", "FR40303265045")
    page.fill("#id_email", "orders@northwind.example")
    page.fill("#id_phone", "+33 4 72 00 11 22")
    assert page.locator("#id_addr-0-kind").input_value() == "legal"
    page.fill("#id_addr-0-text", "12 rue de la Forge, 69002 Lyon, France")
    screenshot(page, "story-02-counterparty-form")
    submit(page, "#counterparty-form")

    northwind = Counterparty.objects.get(name="Northwind Robotics")
    assert page.url == f"{live_server.url}{reverse('crm:counterparty-detail', args=[northwind.pk])}"
    assert success_message(page) == "Counterparty Northwind Robotics was created."
    assert page.locator("h1").inner_text().strip() == "Northwind Robotics"
    assert (northwind.tax_id, northwind.email, northwind.phone, northwind.responsible) == (
        "FR40303265045",
        "orders@northwind.example",
        "+33 4 72 00 11 22",
        anna,
    )
    assert [(a.kind, a.text) for a in northwind.addresses.all()] == [
        ("legal", "12 rue de la Forge, 69002 Lyon, France")
    ]
    assert page.get_by_text("12 rue de la Forge, 69002 Lyon, France").is_visible()
    screenshot(page, "story-02-card-details")

    # … and adds a contact to it from the card's Contacts tab.
    open_tab(page, "contacts")
    assert page.get_by_text("No contacts yet.").is_visible()
    follow(page.locator("#tab-content"), "Add contact")
    page.fill("#id_first_name", "Claire")
    page.fill("#id_last_name", "Martin")
    page.fill("#id_position", "Head of purchasing")
    page.fill("#id_email", "claire.martin@northwind.example")
    page.fill("#id_mobile", "+33 6 12 34 56 78")
    screenshot(page, "story-02-contact-form")
    submit(page, "#contact-form")

    assert page.url.endswith(f"{reverse('crm:counterparty-detail', args=[northwind.pk])}?tab=contacts")
    assert success_message(page) == "Contact Claire Martin was added."
    row = page.locator("#tab-content tbody tr", has_text="Claire Martin")
    assert row.locator("td").nth(1).inner_text().strip() == "Head of purchasing"
    assert row.get_by_role("link", name="claire.martin@northwind.example").is_visible()
    claire = Contact.objects.get(counterparty=northwind)
    assert (claire.first_name, claire.last_name, claire.mobile) == ("Claire", "Martin", "+33 6 12 34 56 78")
    screenshot(page, "story-02-card-contacts")

    # 3. She logs a call with the quick form of the Activities tab and sees it listed.
    open_tab(page, "activities")
    assert page.get_by_text("No activities yet.").is_visible()
    page.select_option("#qa-kind", "call")
    page.fill("#qa-subject", "Spring order of classroom kits")
    page.fill("#qa-body", "Claire wants 40 kits before April; send a proposal.")
    submit(page, "#quick-activity")

    assert page.url.endswith(f"{reverse('crm:counterparty-detail', args=[northwind.pk])}?tab=activities")
    call = Activity.objects.get(counterparty=northwind)
    assert (call.kind, call.subject, call.owner, call.done) == (
        Activity.Kind.CALL,
        "Spring order of classroom kits",
        anna,
        True,
    )
    listed = page.locator(f"#activity-row-{call.pk}")
    assert listed.get_by_role("link", name="Spring order of classroom kits").is_visible()
    assert "Claire wants 40 kits before April" in listed.inner_text()
    assert page.locator("#tab-activities .badge").inner_text().strip() == "1"
    screenshot(page, "story-03-card-activities")

    # 4. She opens a deal for Northwind from its Deals tab…
    open_tab(page, "deals")
    follow(page.locator("#tab-content"), "New deal")
    page.fill("#id_title", "Classroom robot kits")
    page.fill("#id_amount", "12500.00")
    screenshot(page, "story-04-deal-form")
    submit(page, "form[method=post]:has(#form-fields)")

    deal = Deal.objects.get(counterparty=northwind)
    lead, proposal = FunnelStage.objects.get(name="Lead"), FunnelStage.objects.get(name="Proposal sent")
    assert (deal.title, deal.amount, deal.stage, deal.owner) == (
        "Classroom robot kits",
        Decimal("12500.00"),
        lead,
        anna,
    )
    assert page.url == f"{live_server.url}{reverse('crm:deal-detail', args=[deal.pk])}"
    assert success_message(page) == f"Deal {deal.number} was created."
    screenshot(page, "story-04-deal-card")

    # … and drags it on the funnel board from "Lead" to "Proposal sent".
    page.set_viewport_size({"width": 1920, "height": 900})  # all the columns in view
    open_menu(page, "Funnel board")
    card = page.locator(f'.deal-card[data-deal="{deal.pk}"]')
    assert page.locator('.board-column[aria-label="Lead"]').locator(card).count() == 1
    target = page.locator('.board-column[aria-label="Proposal sent"] .cards')
    with page.expect_response(lambda r: r.url.endswith(reverse("crm:deal-move", args=[deal.pk]))) as answer:
        card.drag_to(target, target_position={"x": 60, "y": 20})
    assert answer.value.status == 200
    page.reload()
    assert page.locator('.board-column[aria-label="Proposal sent"]').locator(card).count() == 1
    assert page.locator('.board-column[aria-label="Lead"] .deal-card').count() == 0
    assert page.locator('.board-column[aria-label="Proposal sent"] [data-total]').inner_text() == "12,500.00"
    screenshot(page, "story-04-board")
    deal.refresh_from_db()
    assert deal.stage == proposal
    assert DealStageChange.objects.filter(deal=deal, from_stage=lead, to_stage=proposal, by=anna).count() == 1
    page.set_viewport_size({"width": 1366, "height": 900})

    # 5. On the counterparty's card she reads the app in French, in Russian, then English again.
    page.goto(reverse("crm:counterparty-detail", args=[northwind.pk]))
    choose_language(page, "fr")
    assert "Contreparties" in menu_labels(page)
    screenshot(page, "story-05-card-fr")
    choose_language(page, "ru")
    assert "Контрагенты" in menu_labels(page)
    screenshot(page, "story-05-card-ru")
    choose_language(page, "en")
    assert "Counterparties" in menu_labels(page)
    anna.refresh_from_db()
    assert anna.language == "en"

    # 6. The History tab shows what she did, with her name and the request of each change: the
    # counterparty with its legal address in one request, the contact in another.
    open_tab(page, "history")
    screenshot(page, "story-06-card-history")
    rows = history_rows(page)
    own = [r for r in rows if r[:2] == ("created", "")]
    contact = [r for r in rows if r[:2] == ("created", "Contact: Claire Martin")]
    assert len(own) == len(contact) == 1, rows
    created_rid, contact_rid = own[0][3], contact[0][3]
    assert GENERATED_REQUEST_ID.match(created_rid) and GENERATED_REQUEST_ID.match(contact_rid)
    assert created_rid != contact_rid
    assert sorted(rows) == sorted(
        [
            ("created", "", "Anna Petit", created_rid),
            ("created", "Address: Legal: 12 rue de la Forge, 69002 Lyon, France", "Anna Petit", created_rid),
            ("crm.counterparty_created", "", "Anna Petit", created_rid),
            ("created", "Contact: Claire Martin", "Anna Petit", contact_rid),
            ("crm.contact_created", "Contact: Claire Martin", "Anna Petit", contact_rid),
        ]
    )
    # The ids are the ones the requests recorded (the middleware's "req-<16 hex>").
    assert LogEntry.objects.get_for_object(northwind).get().cid == created_rid
    assert LogEntry.objects.get_for_object(claire).get().cid == contact_rid
    assert BusinessEvent.objects.get(event="crm.counterparty_created").request_id == created_rid

    # Dora, the director, finds the same changes in the audit log under the same request ids.
    director_context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1366, "height": 900}
    )
    try:
        dora = director_context.new_page()
        trouble.watch(dora)
        login(dora, "dora", PASSWORD)
        open_menu(dora, "Audit log")
        objects = [r[1:4] for r in log_rows(dora)]
        for expected in (("Counterparty", "Northwind Robotics", "created"), ("Contact", "Claire Martin", "created")):
            assert expected in objects
        screenshot(dora, "story-06-audit-log")

        dora.goto(f"{reverse('audit:log')}?request_id={created_rid}")
        assert sorted(log_rows(dora)) == [
            ("Anna Petit", "Address", "Legal: 12 rue de la Forge, 69002 Lyon, France", "created", created_rid),
            ("Anna Petit", "Counterparty", "Northwind Robotics", "created", created_rid),
        ]
        screenshot(dora, "story-06-audit-log-request")
        dora.goto(f"{reverse('audit:log')}?request_id={contact_rid}")
        assert log_rows(dora) == [("Anna Petit", "Contact", "Claire Martin", "created", contact_rid)]
        follow(dora.locator("main"), "Events")
        assert dora.url.endswith(f"{reverse('audit:events')}?request_id={contact_rid}")
        assert log_rows(dora) == [
            ("Anna Petit", "crm.contact_created", "Contact", "Claire Martin", contact_rid),
        ]
        screenshot(dora, "story-06-audit-events-request")
    finally:
        director_context.close()

    # No page of the story misbehaved.
    assert trouble.as_dict() == {
        "console errors": [],
        "page errors": [],
        "CSP violations": [],
        "failed responses": [],
    }
