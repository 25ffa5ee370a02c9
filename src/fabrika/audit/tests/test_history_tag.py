from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import RequestFactory

from fabrika.access.models import Role
from fabrika.audit.context import audit_context
from fabrika.audit.queries import history_for
from fabrika.crm.services import (
    contact_create,
    contact_delete,
    contact_update,
    counterparty_create,
    counterparty_update,
)
from fabrika.documents.services import attachment_add, attachment_delete


def render_history(user, obj) -> str:
    request = RequestFactory().get("/crm/counterparties/1/")
    request.user = user
    return Template("{% load audit_tags %}{% object_history obj %}").render(Context({"request": request, "obj": obj}))


def make_card(manager):
    with audit_context(actor=manager, request_id="req-0000000000000001"):
        acme = counterparty_create(actor=manager, data={"name": "Acme"}, addresses=[{"text": "1 Main St"}])
    with audit_context(actor=manager, request_id="req-0000000000000002"):
        ivan = contact_create(actor=manager, counterparty=acme, data={"first_name": "Ivan", "phone": "100"})
        olga = contact_create(actor=manager, counterparty=acme, data={"first_name": "Olga"})
    with audit_context(actor=manager, request_id="req-0000000000000003"):
        contact_update(actor=manager, contact=ivan, data={"phone": "200"})
        contact_delete(actor=manager, contact=olga)
        counterparty_update(actor=manager, counterparty=acme, data={"name": "Acme Robotics"})
    with audit_context(actor=manager, request_id="req-0000000000000004"):
        kept = attachment_add(actor=manager, target=acme, uploaded_file=SimpleUploadedFile("plan.pdf", b"%PDF"))
        dropped = attachment_add(actor=manager, target=acme, uploaded_file=SimpleUploadedFile("old.pdf", b"%PDF"))
        attachment_delete(actor=manager, attachment=dropped)
    # noise: another card's contact and file
    other = counterparty_create(actor=manager, data={"name": "Other"})
    contact_create(actor=manager, counterparty=other, data={"first_name": "Nobody"})
    attachment_add(actor=manager, target=other, uploaded_file=SimpleUploadedFile("x.pdf", b"%PDF"))
    return acme, kept


def summary(items) -> set[tuple[str, str, str]]:
    return {(i.kind, i.event, i.object_label) for i in items}


def test_history_has_the_object_its_children_and_deleted_children(director, manager):
    acme, _kept = make_card(manager)
    items = history_for(acme, user=director)
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)
    assert summary(items) == {
        ("create", "", ""),
        ("update", "", ""),
        ("create", "", "Address: Legal: 1 Main St"),
        ("create", "", "Contact: Ivan"),
        ("update", "", "Contact: Ivan"),
        ("create", "", "Contact: Olga"),
        ("delete", "", "Contact: Olga"),
        ("create", "", "Attachment: plan.pdf"),
        ("create", "", "Attachment: old.pdf"),
        ("delete", "", "Attachment: old.pdf"),
        ("event", "crm.counterparty_created", ""),
        ("event", "crm.counterparty_updated", ""),
        ("event", "crm.contact_created", "Contact: Ivan"),
        ("event", "crm.contact_created", "Contact: Olga"),
        ("event", "crm.contact_updated", "Contact: Ivan"),
        ("event", "crm.contact_deleted", "Contact: Olga"),
        ("event", "documents.attachment_added", ""),
        ("event", "documents.attachment_deleted", ""),
    }
    renamed = next(i for i in items if i.kind == "update" and not i.object_label)
    assert [(c.field, c.before, c.after) for c in renamed.changes] == [("Name", "Acme", "Acme Robotics")]
    assert (renamed.actor, renamed.actor_label, renamed.request_id) == (
        manager,
        "Anna Smith",
        "req-0000000000000003",
    )
    phone = next(i for i in items if i.kind == "update" and i.object_label == "Contact: Ivan")
    assert [(c.field, c.before, c.after) for c in phone.changes] == [("Phone", "100", "200")]
    olga_deleted = next(i for i in items if i.kind == "delete" and i.object_label == "Contact: Olga")
    assert ("First name", "Olga", "") in [(c.field, c.before, c.after) for c in olga_deleted.changes]


def test_limit_keeps_the_newest(director, manager):
    acme, _kept = make_card(manager)
    everything = history_for(acme, user=director)
    assert history_for(acme, user=director, limit=3) == everything[:3]


def test_children_of_an_area_the_user_cannot_view_are_left_out(make_user, manager):
    acme, _kept = make_card(manager)
    crm_only = Role.objects.create(
        code="crm-reader", name="CRM reader", permissions={"crm": ["view"]}, scopes={"crm": "all"}
    )
    reader = make_user("rita", crm_only)
    labels = {i.object_label for i in history_for(acme, user=reader)}
    assert "Contact: Ivan" in labels
    assert not any(label.startswith("Attachment") for label in labels)


def test_tag_renders_changes_for_those_who_may_view_the_area(director, manager, make_user):
    acme, _kept = make_card(manager)
    html = render_history(director, acme)
    assert '<span class="text-muted">Name:</span> <del class="text-danger">Acme</del>' in html
    assert '<ins class="text-success text-decoration-none">Acme Robotics</ins>' in html
    assert "Contact: Olga" in html
    assert "<code>crm.counterparty_created</code>" in html
    assert (
        '<a href="/audit/?request_id=req-0000000000000003">req-0000000000000003</a>' in html
    )  # director reads the log

    html = render_history(manager, acme)  # sales manager: the card's area, not the audit log
    assert "Acme Robotics" in html
    assert "req-0000000000000003" in html and 'href="/audit/?request_id=' not in html

    assert render_history(make_user("sam", "storekeeper"), acme).strip() == ""  # no CRM right: no history
