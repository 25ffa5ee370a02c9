import csv
import datetime
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from fabrika.audit.context import audit_context
from fabrika.audit.models import BusinessEvent
from fabrika.crm.models import Contact, Counterparty, Deal
from fabrika.crm.services import contact_create, counterparty_create, counterparty_delete, counterparty_update


@pytest.fixture
def history(manager):
    """Anna creates and renames Acme on the web; the demo command creates Demo Ltd; Gone SA is deleted."""
    with audit_context(actor=manager, request_id="req-0000aaaa0000aaaa"):
        acme = counterparty_create(actor=manager, data={"name": "Acme", "is_supplier": False})
    with audit_context(actor=manager, request_id="req-1111bbbb1111bbbb"):
        acme = counterparty_update(
            actor=manager, counterparty=acme, data={"name": "Acme Robotics", "is_supplier": True}
        )
        contact_create(actor=manager, counterparty=acme, data={"first_name": "Ivan", "last_name": "Petrov"})
    with audit_context(kind="cmd", name="demo", request_id="cmd-demo-2222cccc2222cccc"):
        demo = counterparty_create(actor=None, data={"name": "Demo Ltd"})
        gone = counterparty_create(actor=None, data={"name": "Gone SA"})
        counterparty_delete(actor=None, counterparty=gone)
    return acme, demo


def rows_of(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_log_needs_the_audit_right(client, manager, director):
    assert client.get(reverse("audit:log")).status_code == 302  # to the login page
    client.force_login(manager)
    assert client.get(reverse("audit:log")).status_code == 403
    assert client.get(reverse("audit:events")).status_code == 403
    client.force_login(director)
    assert client.get(reverse("audit:log")).status_code == 200
    assert client.get(reverse("audit:events")).status_code == 200


def test_changes_tab_shows_who_what_before_after_and_links(client, director, manager, history):
    acme, demo = history
    client.force_login(director)
    html = client.get(
        reverse("audit:log"), {"object_type": ContentType.objects.get_for_model(Counterparty).pk}
    ).content.decode()
    assert f'<a href="{acme.get_absolute_url()}">Acme Robotics</a>' in html
    assert "Anna Smith" in html
    assert "system (cmd-demo)" in html
    # before → after with the field's verbose name; booleans and choices in words
    assert '<span class="text-muted">Name:</span> <del class="text-danger">Acme</del>' in html
    assert '<ins class="text-success text-decoration-none">Acme Robotics</ins>' in html
    assert '<span class="text-muted">Supplier:</span> <del class="text-danger">no</del>' in html
    # a created value alone, a deleted value alone
    assert (
        '<div><span class="text-muted">Name:</span> <ins class="text-success text-decoration-none">Acme</ins></div>'
        in html
    )
    assert '<div><span class="text-muted">Name:</span> <del class="text-danger">Gone SA</del></div>' in html
    # the deleted counterparty has no link, its request id links to the filtered log
    assert ">Gone SA</a>" not in html and "Gone SA" in html
    assert 'href="/audit/?request_id=cmd-demo-2222cccc2222cccc"' in html
    assert "Nothing found." not in html


def test_filters(client, director, manager, history):
    client.force_login(director)
    url = reverse("audit:log")
    cp = ContentType.objects.get_for_model(Counterparty).pk

    def objects(**params):
        response = client.get(url, {**params, "export": "csv"})
        return [(row[2], row[3], row[4]) for row in rows_of(response)[1:]]

    assert objects(user=manager.pk, object_type=cp) == [
        ("Counterparty", "Acme Robotics", "changed"),
        ("Counterparty", "Acme", "created"),
    ]
    assert objects(user="null", object_type=cp) == [
        ("Counterparty", "Gone SA", "deleted"),
        ("Counterparty", "Gone SA", "created"),
        ("Counterparty", "Demo Ltd", "created"),
    ]
    assert objects(request_id="req-1111") == [
        ("Contact", "Ivan Petrov", "created"),
        ("Counterparty", "Acme Robotics", "changed"),
    ]
    assert objects(object_type=ContentType.objects.get_for_model(Contact).pk) == [("Contact", "Ivan Petrov", "created")]
    assert objects(action=LogEntry.Action.DELETE) == [("Counterparty", "Gone SA", "deleted")]
    assert objects(q="gone", object_type=cp) == [
        ("Counterparty", "Gone SA", "deleted"),
        ("Counterparty", "Gone SA", "created"),
    ]

    # dates are whole local days: move Demo Ltd's creation two days back
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    LogEntry.objects.filter(object_repr="Demo Ltd").update(timestamp=two_days_ago)
    day = timezone.localdate(two_days_ago).isoformat()
    assert objects(date_from=day, date_to=day) == [("Counterparty", "Demo Ltd", "created")]
    assert ("Counterparty", "Demo Ltd", "created") not in objects(date_from=timezone.localdate().isoformat())

    # only object types that have entries are offered
    html = client.get(url).content.decode()
    assert f'<option value="{cp}">Counterparty</option>' in html
    assert f'<option value="{ContentType.objects.get_for_model(Deal).pk}">' not in html


def test_tabs_keep_the_filters(client, director, history):
    client.force_login(director)
    html = client.get(reverse("audit:log"), {"request_id": "req-1111", "page": 1, "sort": "timestamp"}).content.decode()
    assert 'href="/audit/events/?request_id=req-1111"' in html


def test_export_csv_has_plain_text_and_xlsx_works(client, director, history):
    client.force_login(director)
    response = client.get(reverse("audit:log"), {"request_id": "req-1111", "export": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = rows_of(response)
    assert rows[0] == ["Time", "User", "Object type", "Object", "Action", "Changes", "Request id"]
    counterparty_row = rows[2]
    assert counterparty_row[1:5] == ["Anna Smith", "Counterparty", "Acme Robotics", "changed"]
    assert counterparty_row[5] == "Name: Acme → Acme Robotics; Supplier: no → yes"
    assert counterparty_row[6] == "req-1111bbbb1111bbbb"
    xlsx = client.get(reverse("audit:log"), {"export": "xlsx"})
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.content[:2] == b"PK"


def test_events_tab(client, director, manager, history):
    acme, demo = history
    client.force_login(director)
    response = client.get(reverse("audit:events"), {"event": "crm.counterparty_updated", "export": "csv"})
    rows = rows_of(response)
    assert rows[0] == ["Time", "User", "Event", "Object type", "Object", "Data", "Request id"]
    assert [r[1:] for r in rows[1:]] == [
        [
            "Anna Smith",
            "crm.counterparty_updated",
            "Counterparty",
            "Acme Robotics",
            'fields: ["is_supplier", "name"]',
            "req-1111bbbb1111bbbb",
        ],
    ]
    html = client.get(reverse("audit:events"), {"request_id": "cmd-demo"}).content.decode()
    assert "<code>crm.counterparty_deleted</code>" in html
    assert f'<a href="{demo.get_absolute_url()}">Demo Ltd</a>' in html
    assert 'href="/audit/events/?request_id=cmd-demo-2222cccc2222cccc"' in html
    assert BusinessEvent.objects.filter(request_id__startswith="cmd-demo").count() == 3


def test_page_cost_does_not_grow_with_the_rows(client, director, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(director)

    def queries_for_page():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("audit:log")).status_code == 200
        return len(ctx.captured_queries)

    with audit_context(actor=manager, request_id="req-fill"):
        for i in range(3):
            counterparty_create(actor=manager, data={"name": f"Small {i}", "responsible": director})
    few = queries_for_page()
    with audit_context(actor=manager, request_id="req-fill"):
        for i in range(40):
            counterparty_create(actor=manager, data={"name": f"Big {i}", "responsible": manager})
    assert queries_for_page() == few
