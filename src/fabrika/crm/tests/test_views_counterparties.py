"""Counterparty pages: list (filters, search, scope, export), card tabs, create/edit/delete."""

import csv
import io

import pytest
from django.urls import reverse

from fabrika.access.tests.factories import make_user
from fabrika.crm import services
from fabrika.crm.models import Address, Counterparty, Tag

from .conftest import row_counts

pytestmark = pytest.mark.django_db

LIST = reverse("crm:counterparty-list")
CREATE = reverse("crm:counterparty-create")


@pytest.fixture
def dora(db):
    return make_user("dora", "director", first_name="Dora", last_name="Durand")


@pytest.fixture
def anna(db):
    return make_user("anna", "sales_manager", first_name="Anna", last_name="Petit")


@pytest.fixture
def boris(db):
    return make_user("boris", "sales_manager", first_name="Boris", last_name="Moreau")


@pytest.fixture
def world(dora, anna, boris):
    """Three counterparties: two of Anna's, one of Boris's; classifiers, tags, contacts."""
    industry = services.classifier_kind_save(actor=dora, data={"code": "industry", "name": "Industry"})
    education = services.classifier_value_save(actor=dora, data={"kind": industry, "name": "Education"})
    retail = services.classifier_value_save(actor=dora, data={"kind": industry, "name": "Retail"})
    vip = services.tag_get_or_create(actor=dora, name="VIP")
    acme = services.counterparty_create(
        actor=dora,
        data={
            "name": "Acme Robotics",
            "tax_id": "FR111",
            "email": "info@acme.test",
            "phone": "+33 1 23 45 67 89",
            "responsible": anna,
            "classifiers": [education],
            "tags": [vip],
        },
        addresses=[{"kind": "legal", "text": "1 rue de la Paix, Paris"}],
    )
    boulanger = services.counterparty_create(
        actor=dora,
        data={
            "name": "Boulanger SARL",
            "tax_id": "FR222",
            "phone": "01.98.76.54.32",
            "is_customer": False,
            "is_supplier": True,
            "responsible": boris,
            "classifiers": [retail],
        },
    )
    zeta = services.counterparty_create(
        actor=dora,
        data={"name": "Zeta Martin", "kind": "person", "responsible": anna, "email": "zeta@mail.test"},
    )
    services.contact_create(actor=dora, counterparty=acme, data={"first_name": "Claire", "last_name": "Dubois"})
    services.contact_create(actor=dora, counterparty=boulanger, data={"first_name": "Ivan", "last_name": "Sokolov"})
    return {
        "acme": acme,
        "boulanger": boulanger,
        "zeta": zeta,
        "education": education,
        "retail": retail,
        "vip": vip,
        "industry": industry,
    }


def names(response) -> list[str]:
    return [obj.name for obj in response.context["object_list"]]


def export_names(response) -> list[str]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return [row[0] for row in rows[1:]]


def address_data(*rows):
    data = {
        "addr-TOTAL_FORMS": str(len(rows)),
        "addr-INITIAL_FORMS": "0",
        "addr-MIN_NUM_FORMS": "0",
        "addr-MAX_NUM_FORMS": "1000",
    }
    for i, (kind, text) in enumerate(rows):
        data[f"addr-{i}-kind"] = kind
        data[f"addr-{i}-text"] = text
    return data


def form_data(**fields):
    data = {"kind": "company", "is_customer": "on", **address_data(("legal", ""), ("delivery", ""))}
    data.update(fields)
    return data


# --- list -------------------------------------------------------------------------------------


def test_list_shows_everything_to_a_director_sorted_by_name(client, dora, world):
    client.force_login(dora)
    response = client.get(LIST)
    assert response.status_code == 200
    assert names(response) == ["Acme Robotics", "Boulanger SARL", "Zeta Martin"]
    html = response.content.decode()
    assert "data-tom-create" not in html  # the list has no tag creation
    assert '<optgroup label="Industry">' in html  # classifier filter grouped by kind
    assert "Save as segment" in html and reverse("crm:counterparty-import") in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "1.23.45.67"}, ["Acme Robotics"]),  # phone digits, whatever the separators
        ({"q": "98-76-54"}, ["Boulanger SARL"]),
        ({"q": "Sokolov"}, ["Boulanger SARL"]),  # a contact's last name
        ({"q": "claire"}, ["Acme Robotics"]),  # a contact's first name
        ({"q": "FR22"}, ["Boulanger SARL"]),  # tax id
        ({"q": "zeta@mail"}, ["Zeta Martin"]),  # e-mail
        ({"q": "acme robotics"}, ["Acme Robotics"]),  # every word must match
        ({"role": "supplier"}, ["Boulanger SARL"]),
        ({"role": "customer"}, ["Acme Robotics", "Zeta Martin"]),
        ({"kind": "person"}, ["Zeta Martin"]),
        ({"sort": "-name"}, ["Zeta Martin", "Boulanger SARL", "Acme Robotics"]),
    ],
)
def test_list_search_filters_and_sorting(client, dora, world, query, expected):
    client.force_login(dora)
    assert names(client.get(LIST, query)) == expected


def test_list_filters_by_classifier_tag_and_responsible(client, dora, anna, world):
    client.force_login(dora)
    assert names(client.get(LIST, {"classifier": world["retail"].pk})) == ["Boulanger SARL"]
    assert names(client.get(LIST, {"classifier": [world["retail"].pk, world["education"].pk]})) == [
        "Acme Robotics",
        "Boulanger SARL",
    ]
    assert names(client.get(LIST, {"tag": world["vip"].pk})) == ["Acme Robotics"]
    assert names(client.get(LIST, {"responsible": anna.pk, "q": "zeta"})) == ["Zeta Martin"]


def test_list_shows_classifiers_roles_and_responsible(client, dora, world):
    client.force_login(dora)
    html = client.get(LIST, {"q": "acme"}).content.decode()
    assert 'title="Industry">Education</span>' in html
    assert "Anna Petit" in html
    assert f'href="{world["acme"].get_absolute_url()}"' in html


def test_export_csv_has_the_columns_and_plain_values(client, dora, world):
    client.force_login(dora)
    response = client.get(LIST, {"role": "supplier", "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Name",
        "Kind",
        "Roles",
        "Tax id",
        "Phone",
        "E-mail",
        "Responsible",
        "Classifiers",
        "Created",
    ]
    assert rows[1][:8] == [
        "Boulanger SARL",
        "Company",
        "supplier",
        "FR222",
        "01.98.76.54.32",
        "",
        "Boris Moreau",
        "Industry: Retail",
    ]
    assert len(rows) == 2


def test_export_xlsx_is_a_workbook(client, dora, world):
    from openpyxl import load_workbook

    client.force_login(dora)
    response = client.get(LIST, {"export": "xlsx", "q": "acme"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]][:2] == ["Acme Robotics", "Company"]
    assert sheet.max_row == 2


def test_own_scope_sees_only_own_counterparties_in_list_export_and_card(client, anna, world):
    client.force_login(anna)
    assert names(client.get(LIST)) == ["Acme Robotics", "Zeta Martin"]
    assert names(client.get(LIST, {"q": "Sokolov"})) == []
    assert export_names(client.get(LIST, {"export": "csv"})) == ["Acme Robotics", "Zeta Martin"]
    foreign = world["boulanger"]
    assert client.get(reverse("crm:counterparty-detail", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("crm:counterparty-update", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("crm:counterparty-delete", args=[foreign.pk])).status_code == 404
    assert Counterparty.objects.filter(pk=foreign.pk).exists()
    assert client.get(reverse("crm:counterparty-detail", args=[world["acme"].pk])).status_code == 200


def test_list_needs_a_signed_in_user_with_crm_view(client, db):
    assert client.get(LIST).status_code == 302
    client.force_login(make_user("sam", "storekeeper"))
    assert client.get(LIST).status_code == 403


# --- card -------------------------------------------------------------------------------------


def test_card_tabs_render(client, dora, anna, world):
    acme = world["acme"]
    deal = services.deal_create(
        actor=dora,
        data={"title": "Robots for 12 schools", "counterparty": acme, "amount": "15000.00", "owner": anna},
    )
    services.activity_create(
        actor=dora, data={"kind": "call", "subject": "Asked for a quote", "counterparty": acme, "owner": anna}
    )
    client.force_login(dora)
    url = reverse("crm:counterparty-detail", args=[acme.pk])

    details = client.get(url).content.decode()
    assert 'aria-current="page" href="?tab=details"' in details
    assert "1 rue de la Paix, Paris" in details and "FR111" in details and "Education" in details
    assert "VIP" in details and "Anna Petit" in details

    contacts = client.get(url, {"tab": "contacts"}).content.decode()
    assert "Claire Dubois" in contacts
    assert f"{reverse('crm:contact-create')}?counterparty={acme.pk}" in contacts

    activities = client.get(url, {"tab": "activities"}).content.decode()
    assert "Asked for a quote" in activities

    deals = client.get(url, {"tab": "deals"}).content.decode()
    assert deal.number in deals and "Robots for 12 schools" in deals
    assert f'href="{reverse("crm:deal-detail", args=[deal.pk])}"' in deals
    assert f'href="{reverse("crm:deal-create")}?counterparty={acme.pk}"' in deals

    for tab in ("files", "history"):
        response = client.get(url, {"tab": tab})
        assert response.status_code == 200
        assert f'aria-current="page" href="?tab={tab}"' in response.content.decode()

    # An unknown tab falls back to the details.
    assert 'aria-current="page" href="?tab=details"' in client.get(url, {"tab": "nope"}).content.decode()


def test_a_tab_whose_template_tags_are_missing_still_renders(client, dora, world, monkeypatch):
    from fabrika.crm.views import counterparties

    monkeypatch.setitem(counterparties.TAB_LIBRARIES, "files", "no_such_tags")
    client.force_login(dora)
    response = client.get(world["acme"].get_absolute_url(), {"tab": "files"})
    assert response.status_code == 200
    assert "This part is not available yet." in response.content.decode()


def test_quick_log_form_of_the_activities_tab_logs_a_call(client, anna, world):
    import re

    from fabrika.crm.models import Activity

    acme = world["acme"]
    client.force_login(anna)
    html = client.get(acme.get_absolute_url(), {"tab": "activities"}).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)" id="quick-activity">(.*?)</form>', html, re.S)
    assert form.group(1) == f"{reverse('crm:activity-create')}?counterparty={acme.pk}".replace("&", "&amp;")
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(2)))
    data.pop("csrfmiddlewaretoken", None)
    data.update(kind="call", subject="Called about the delivery", body="They want it in May.")
    response = client.post(form.group(1).replace("&amp;", "&"), data)
    assert response.status_code == 302
    assert response.url == f"{acme.get_absolute_url()}?tab=activities"
    call = Activity.objects.get(subject="Called about the delivery")
    assert (call.counterparty, call.owner, call.kind, call.done) == (acme, anna, "call", True)


def test_card_shows_actions_by_right(client, anna, world):
    client.force_login(make_user("eve", "engineer"))  # crm: view only, scope all
    html = client.get(world["acme"].get_absolute_url()).content.decode()
    assert reverse("crm:counterparty-update", args=[world["acme"].pk]) not in html
    client.force_login(anna)
    html = client.get(world["acme"].get_absolute_url()).content.decode()
    assert reverse("crm:counterparty-update", args=[world["acme"].pk]) in html
    assert reverse("crm:counterparty-delete", args=[world["acme"].pk]) in html


# --- create / edit ----------------------------------------------------------------------------


def test_create_form_defaults_the_responsible_to_the_user(client, anna, world):
    client.force_login(anna)
    response = client.get(CREATE)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["responsible"].value() == anna.pk
    html = response.content.decode()
    assert '<optgroup label="Industry">' in html and "data-tom-create" in html
    assert 'name="addr-0-kind"' in html and 'name="addr-1-kind"' in html


def test_create_without_name_shows_the_error_beside_the_field_and_creates_nothing(client, anna, world):
    client.force_login(anna)
    before = row_counts()
    response = client.post(CREATE, form_data(name="", email="new@x.test", tags=["Fresh"]))
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["This field is required."]
    html = response.content.decode()
    assert '<ul class="errorlist" id="id_name_errors"><li>This field is required.</li></ul>' in html
    assert 'value="new@x.test"' in html  # the input is kept
    assert '<option value="Fresh" selected>Fresh</option>' in html  # and the typed tag too
    assert row_counts() == before


def test_create_with_a_taken_tax_id_is_refused_beside_the_tax_id(client, anna, world):
    client.force_login(anna)
    before = row_counts()
    response = client.post(CREATE, form_data(name="Acme Copy", tax_id="FR111", tags=["Brand new tag"]))
    assert response.status_code == 200
    assert response.context["form"].errors == {"tax_id": ["Tax id FR111 is already used by Acme Robotics."]}
    assert 'id="id_tax_id_errors"' in response.content.decode()
    assert row_counts() == before
    assert not Tag.objects.filter(name="Brand new tag").exists()  # the new tag was undone too


def test_duplicate_email_warns_then_creates_when_confirmed(client, anna, world):
    client.force_login(anna)
    before = row_counts()
    data = form_data(name="Acme Two", email="INFO@acme.test")
    response = client.post(CREATE, data)
    assert response.status_code == 200
    assert [(c.name, visible) for c, visible in response.context["duplicates"]] == [("Acme Robotics", True)]
    html = response.content.decode()
    assert 'id="duplicate-warning"' in html and 'name="confirm_duplicates"' in html
    assert f'href="{world["acme"].get_absolute_url()}"' in html
    assert row_counts() == before

    response = client.post(CREATE, {**data, "confirm_duplicates": "on"})
    created = Counterparty.objects.get(name="Acme Two")
    assert response.status_code == 302 and response.url == created.get_absolute_url()
    assert created.email == "INFO@acme.test"
    assert created.responsible == anna


def test_duplicate_outside_the_scope_is_named_but_not_linked(client, anna, world):
    client.force_login(anna)
    response = client.post(CREATE, form_data(name="Bakery", phone="0198765432"))
    assert [(c.name, visible) for c, visible in response.context["duplicates"]] == [("Boulanger SARL", False)]
    assert f'href="{world["boulanger"].get_absolute_url()}"' not in response.content.decode()


def test_create_saves_addresses_classifiers_and_tags(client, anna, world):
    client.force_login(anna)
    data = {
        **form_data(
            name="Lycée Voltaire",
            tax_id="FR999",
            is_supplier="on",
            responsible=anna.pk,
            classifiers=[world["education"].pk],
            tags=["VIP", "School"],
        ),
        **address_data(
            ("legal", "2 place Voltaire, Lyon"),
            ("delivery", "Gate B, 2 place Voltaire"),
            ("postal", ""),
            ("other", "  "),
        ),
    }
    response = client.post(CREATE, data)
    created = Counterparty.objects.get(name="Lycée Voltaire")
    assert response.status_code == 302
    assert [(a.kind, a.text) for a in created.addresses.order_by("id")] == [
        ("legal", "2 place Voltaire, Lyon"),
        ("delivery", "Gate B, 2 place Voltaire"),
    ]
    assert list(created.classifiers.all()) == [world["education"]]
    assert sorted(t.name for t in created.tags.all()) == ["School", "VIP"]
    assert Tag.objects.count() == 2  # VIP reused, School created
    assert (created.is_customer, created.is_supplier, created.tax_id) == (True, True, "FR999")


def test_update_changes_fields_and_replaces_addresses(client, anna, world):
    acme = world["acme"]
    client.force_login(anna)
    url = reverse("crm:counterparty-update", args=[acme.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["formset"].initial == [
        {"kind": "legal", "text": "1 rue de la Paix, Paris"},
        {"kind": "delivery", "text": ""},
    ]
    assert page.context["form"]["tags"].value() == ["VIP"]
    data = {
        **form_data(name="Acme Robotics SA", tax_id="FR111", email="info@acme.test", responsible=anna.pk, tags=["VIP"]),
        **address_data(("legal", "3 rue Neuve, Paris"), ("delivery", "")),
    }
    response = client.post(url, data)
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.name == "Acme Robotics SA"
    assert list(acme.addresses.values_list("kind", "text")) == [("legal", "3 rue Neuve, Paris")]
    assert list(acme.classifiers.all()) == []  # unselected in the form
    assert Address.objects.filter(counterparty=acme).count() == 1


def test_update_to_a_taken_tax_id_is_a_field_error(client, dora, world):
    client.force_login(dora)
    url = reverse("crm:counterparty-update", args=[world["zeta"].pk])
    response = client.post(url, form_data(name="Zeta Martin", kind="person", tax_id="FR222"))
    assert response.context["form"].errors == {"tax_id": ["Tax id FR222 is already used by Boulanger SARL."]}
    world["zeta"].refresh_from_db()
    assert world["zeta"].tax_id == ""


# --- delete -----------------------------------------------------------------------------------


def test_delete_with_deals_is_refused_with_a_message(client, dora, world):
    acme = world["acme"]
    services.deal_create(actor=dora, data={"title": "Robots", "counterparty": acme})
    client.force_login(dora)
    url = reverse("crm:counterparty-delete", args=[acme.pk])
    assert "has 1 deal and cannot be deleted" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == acme.get_absolute_url()
    assert [str(m) for m in response.context["messages"]] == ["Acme Robotics has deals and cannot be deleted."]
    assert Counterparty.objects.filter(pk=acme.pk).exists()


def test_delete_after_confirmation(client, dora, world):
    client.force_login(dora)
    response = client.post(reverse("crm:counterparty-delete", args=[world["zeta"].pk]))
    assert response.status_code == 302 and response.url == LIST
    assert not Counterparty.objects.filter(pk=world["zeta"].pk).exists()


# --- in the browser ---------------------------------------------------------------------------


@pytest.mark.browser
def test_create_in_the_browser_with_a_new_tag_and_an_added_address(page, dora, world):
    from fabrika.access.tests.factories import PASSWORD
    from fabrika.conftest import login

    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, "dora", PASSWORD)
    page.goto(CREATE)
    page.fill("#id_name", "Lycée Voltaire")
    tags = page.locator("#id_tags-ts-control")  # Tom Select with free-text creation
    tags.click()
    tags.press_sequentially("School")
    page.locator(".ts-dropdown .create").click()  # "Add School…"
    page.keyboard.press("Escape")
    page.fill("#id_addr-0-text", "2 place Voltaire, Lyon")
    page.click("#add-address")
    page.select_option("#id_addr-2-kind", "postal")
    page.fill("#id_addr-2-text", "BP 12, Lyon")
    with page.expect_navigation():
        page.click("#counterparty-form button[type=submit]")
    created = Counterparty.objects.get(name="Lycée Voltaire")
    assert page.url.endswith(created.get_absolute_url())
    assert [t.name for t in created.tags.all()] == ["School"]
    assert list(created.addresses.order_by("id").values_list("kind", "text")) == [
        ("legal", "2 place Voltaire, Lyon"),
        ("postal", "BP 12, Lyon"),
    ]
    assert errors == []  # no CSP refusals or script errors
