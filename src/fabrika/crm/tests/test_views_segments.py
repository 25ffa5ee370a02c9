"""Segments: saved from the counterparty list's filters, opened as the list, counted, edited, deleted;
classifier and tag admin pages."""

import csv
import io

import pytest
from django.urls import reverse

from fabrika.access.tests.factories import make_user
from fabrika.crm import services
from fabrika.crm.models import ClassifierValue, Segment, Tag

from .conftest import row_counts

pytestmark = pytest.mark.django_db

LIST = reverse("crm:counterparty-list")
SEGMENTS = reverse("crm:segment-list")
SAVE = reverse("crm:segment-create")


@pytest.fixture
def dora(db):
    return make_user("dora", "director", first_name="Dora", last_name="Durand")


@pytest.fixture
def anna(db):
    return make_user("anna", "sales_manager", first_name="Anna", last_name="Petit")


@pytest.fixture
def world(dora, anna):
    boris = make_user("boris", "sales_manager", first_name="Boris", last_name="Moreau")
    region = services.classifier_kind_save(actor=dora, data={"code": "region", "name": "Region"})
    north = services.classifier_value_save(actor=dora, data={"kind": region, "name": "North"})
    south = services.classifier_value_save(actor=dora, data={"kind": region, "name": "South"})
    for name, responsible, value, supplier in [
        ("Alpha", anna, north, False),
        ("Bravo", anna, south, False),
        ("Charlie", boris, north, False),
        ("Delta", boris, north, True),
    ]:
        services.counterparty_create(
            actor=dora,
            data={
                "name": name,
                "responsible": responsible,
                "classifiers": [value],
                "is_supplier": supplier,
                "is_customer": not supplier,
            },
        )
    return {"north": north, "south": south, "region": region, "boris": boris}


def names(response) -> list[str]:
    return [obj.name for obj in response.context["object_list"]]


def test_save_the_list_filters_as_a_segment_and_open_it(client, dora, world):
    client.force_login(dora)
    north = world["north"].pk
    page = client.get(LIST, {"classifier": north, "role": "customer", "q": "a", "sort": "-name", "page": "1"})
    assert names(page) == ["Charlie", "Alpha"]
    assert page.context["segment_query"] == f"classifier={north}&role=customer&q=a"

    response = client.post(SAVE, {"name": "Northern customers", "query": page.context["segment_query"]})
    segment = Segment.objects.get()
    assert (segment.name, segment.owner) == ("Northern customers", dora)
    assert segment.filters == {"classifier": [str(north)], "role": "customer", "q": "a"}
    assert response.status_code == 302 and response.url == f"{LIST}?segment={segment.pk}"

    opened = client.get(LIST, {"segment": segment.pk})
    assert names(opened) == ["Alpha", "Charlie"]
    assert opened.context["segment"] == segment
    assert 'id="active-segment"' in opened.content.decode()
    # The filter form shows the segment's filters; extra parameters (sorting) come on top.
    assert opened.context["filter"].form["role"].value() == "customer"
    assert names(client.get(LIST, {"segment": segment.pk, "sort": "-name"})) == ["Charlie", "Alpha"]
    assert names(client.get(LIST, {"segment": segment.pk, "role": "supplier"})) == ["Delta"]  # overrides
    # ... and the export of an open segment has its rows.
    export = client.get(LIST, {"segment": segment.pk, "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["Alpha", "Charlie"]
    assert client.get(reverse("crm:segment-open", args=[segment.pk])).url == f"{LIST}?segment={segment.pk}"


def test_replace_the_filters_of_the_open_segment(client, dora, world):
    client.force_login(dora)
    segment = services.segment_create(actor=dora, name="North", filters={"classifier": [world["north"].pk]})
    response = client.post(SAVE, {"name": "", "replace": segment.pk, "query": f"classifier={world['south'].pk}"})
    assert response.status_code == 302
    segment.refresh_from_db()
    assert (segment.name, segment.filters) == ("North", {"classifier": [str(world["south"].pk)]})
    assert Segment.objects.count() == 1


def test_segment_list_counts_what_each_user_may_see(client, dora, anna, world):
    services.segment_create(actor=dora, name="North", filters={"classifier": [world["north"].pk]})
    services.segment_create(actor=anna, name="Anna's north", filters={"classifier": [world["north"].pk]})
    services.segment_create(actor=anna, name="Suppliers", filters={"role": "supplier"})

    client.force_login(dora)
    page = client.get(SEGMENTS)
    counts = {s.name: s.counterparty_count for s in page.context["object_list"]}
    assert counts == {"Anna's north": 3, "North": 3, "Suppliers": 1}

    client.force_login(anna)  # own scope: her own segments, counting her own counterparties
    page = client.get(SEGMENTS)
    counts = {s.name: s.counterparty_count for s in page.context["object_list"]}
    assert counts == {"Anna's north": 1, "Suppliers": 0}
    html = page.content.decode()
    assert f'href="{LIST}?segment=' in html
    export = client.get(SEGMENTS, {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [(r[0], r[2]) for r in rows[1:]] == [("Anna's north", "1"), ("Suppliers", "0")]


def test_another_users_segment_is_404_for_own_scope(client, dora, anna, world):
    segment = services.segment_create(actor=dora, name="Dora's", filters={"role": "supplier"})
    client.force_login(anna)
    assert client.get(LIST, {"segment": segment.pk}).status_code == 404
    assert client.get(LIST, {"segment": "abc"}).status_code == 404
    assert client.get(reverse("crm:segment-update", args=[segment.pk])).status_code == 404
    assert client.post(reverse("crm:segment-delete", args=[segment.pk])).status_code == 404
    assert Segment.objects.filter(pk=segment.pk).exists()


def test_save_without_a_name_or_with_a_bad_filter_creates_nothing(client, dora, world):
    client.force_login(dora)
    before = row_counts()
    response = client.post(SAVE, {"name": "", "query": "role=customer"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Give the segment a name."]
    assert response.redirect_chain[0][0] == f"{LIST}?role=customer"
    response = client.post(SAVE, {"name": "Bad", "query": "role=alien"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "role: Select a valid choice. alien is not one of the available choices."
    ]
    assert row_counts() == before


def test_edit_and_delete_a_segment(client, anna, world):
    segment = services.segment_create(actor=anna, name="Mine", filters={"role": "customer"})
    client.force_login(anna)
    url = reverse("crm:segment-update", args=[segment.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Customers", "description": "Everybody who buys"})
    assert response.status_code == 302
    segment.refresh_from_db()
    assert (segment.name, segment.description, segment.filters) == (
        "Customers",
        "Everybody who buys",
        {"role": "customer"},
    )
    response = client.post(url, {"name": ""})
    assert response.context["form"].errors == {"name": ["This field is required."]}
    response = client.post(reverse("crm:segment-delete", args=[segment.pk]))
    assert response.status_code == 302 and not Segment.objects.exists()


# --- classifiers and tags -----------------------------------------------------------------------


def test_classifier_pages_need_crm_change(client, world):
    client.force_login(make_user("eve", "engineer"))  # crm: view only
    assert client.get(reverse("crm:classifier-list")).status_code == 403
    assert client.get(reverse("crm:tag-list")).status_code == 403


def test_classifier_kinds_and_values(client, dora, world):
    client.force_login(dora)
    page = client.get(reverse("crm:classifier-list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "North" in html and "South" in html

    response = client.post(reverse("crm:classifier-create"), {"name": "Source", "code": "source", "order": "2"})
    assert response.status_code == 302
    response = client.post(reverse("crm:classifier-create"), {"name": "Again", "code": "source", "order": "0"})
    assert response.context["form"].errors == {"code": ["Classifier with this Code already exists."]}

    region = world["region"]
    client.post(reverse("crm:classifier-update", args=[region.pk]), {"name": "Area", "code": "region", "order": "1"})
    region.refresh_from_db()
    assert region.name == "Area"

    client.post(reverse("crm:classifier-value-create"), {"kind": region.pk, "name": "West"})
    assert sorted(region.values.values_list("name", flat=True)) == ["North", "South", "West"]

    west = ClassifierValue.objects.get(name="West")
    client.post(reverse("crm:classifier-value-delete", args=[west.pk]))
    assert not ClassifierValue.objects.filter(pk=west.pk).exists()

    response = client.post(reverse("crm:classifier-value-delete", args=[world["north"].pk]), follow=True)
    assert [str(m) for m in response.context["messages"]][-1] == "North is used by 3 counterparties."
    assert ClassifierValue.objects.filter(pk=world["north"].pk).exists()


def test_tags_page(client, dora, world):
    client.force_login(dora)
    response = client.post(reverse("crm:tag-list"), {"name": "  Key   account "})
    assert response.status_code == 302
    assert list(Tag.objects.values_list("name", flat=True)) == ["Key account"]
    client.post(reverse("crm:tag-list"), {"name": "Key account"})
    assert Tag.objects.count() == 1
    page = client.get(reverse("crm:tag-list"))
    assert "Key account" in page.content.decode()


def test_a_segment_whose_filter_no_longer_holds_selects_nothing(client, dora, world):
    spare = services.classifier_value_save(actor=dora, data={"kind": world["region"], "name": "Spare"})
    segment = services.segment_create(actor=dora, name="Spare", filters={"classifier": [spare.pk]})
    services.classifier_value_delete(actor=dora, value=spare)
    client.force_login(dora)
    page = client.get(LIST, {"segment": segment.pk})
    assert names(page) == []  # not everybody
    assert "classifier" in page.context["filter"].errors
    counts = {s.name: s.counterparty_count for s in client.get(SEGMENTS).context["object_list"]}
    assert counts == {"Spare": 0}
