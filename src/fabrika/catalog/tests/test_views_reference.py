"""Units, the group tree with its characteristics templates, price types and price lists."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from fabrika.access.tests.factories import make_user, sign_in
from fabrika.catalog.models import GroupCharacteristic, PriceList, PriceType, ProductGroup, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def eva(client, engineer):
    return sign_in(client, engineer)


@pytest.fixture
def viewer(client):
    return sign_in(client, make_user("stan", "storekeeper"))


def test_units_list_create_edit_delete(eva, bolt):
    page = eva.get(reverse("catalog:unit-list")).content.decode()
    assert re.search(r'<tr data-unit="pcs">.*?<td class="text-end">1</td>\s*<td class="text-end">0</td>', page, re.S)
    response = eva.post(reverse("catalog:unit-create"), {"code": "m", "name": "metre", "precision": "3"})
    assert response.status_code == 302
    metre = Unit.objects.get(code="m")
    assert metre.precision == 3
    refused = eva.post(reverse("catalog:unit-create"), {"code": "m", "name": "again", "precision": "0"})
    assert refused.context["form"].errors == {"code": ["Unit of measure with this Code already exists."]}
    eva.post(reverse("catalog:unit-update", args=[metre.pk]), {"code": "m", "name": "metres", "precision": "2"})
    assert Unit.objects.get(code="m").name == "metres"
    used = eva.post(reverse("catalog:unit-delete", args=[bolt.unit.pk]), follow=True)
    assert "pcs is the unit of 1 products and 0 conversions." in used.content.decode()
    eva.post(reverse("catalog:unit-delete", args=[metre.pk]))
    assert not Unit.objects.filter(code="m").exists()


def test_group_tree_page_is_indented(eva, tree):
    html = eva.get(reverse("catalog:group-list")).content.decode()
    order = re.findall(r'<tr data-group="([^"]+)" data-depth="(\d)">', html)
    assert order == [
        ("Components", "0"),
        ("Cases", "1"),
        ("Electronics", "1"),
        ("Processors", "2"),
        ("Finished robots", "0"),
    ]


def test_move_a_group_in_the_form_and_the_cycle_refusal(eva, tree):
    url = reverse("catalog:group-update", args=[tree["components"].pk])
    form = eva.get(url).context["form"]
    offered = [str(label) for _value, label in form.fields["parent"].widget.choices]
    assert offered == ["—", "Finished robots"]  # never itself or its subgroups
    response = eva.post(url, {"name": "Components", "code": "", "parent": tree["processors"].pk})
    # A hand-made request with a subgroup as the parent: the service refuses it, naming the loop.
    assert response.context["form"].errors == {
        "parent": ["A group cannot be its own ancestor: Components › Electronics › Processors › Components."]
    }
    moved = eva.post(
        reverse("catalog:group-update", args=[tree["cases"].pk]),
        {"name": "Cases", "code": "CS", "parent": tree["robots"].pk},
    )
    assert moved.status_code == 302
    assert ProductGroup.objects.get(name="Cases").path == "Finished robots / Cases"


def test_group_template_editor(eva, tree, templates, cpu):
    url = reverse("catalog:group-detail", args=[tree["processors"].pk])
    html = eva.get(url).content.decode()
    assert re.findall(r'data-characteristic="([^"]+)"( data-inherited="1")?', html) == [
        ("supplier code", ' data-inherited="1"'),
        ("voltage", ' data-inherited="1"'),
        ("cores", ""),
        ("frequency", ""),
    ]
    add = reverse("catalog:characteristic-create", args=[tree["processors"].pk])
    response = eva.post(add, {"name": "socket", "kind": "choice", "choices": "", "order": "30"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"choices": ["List the choices, one per line."]}
    response = eva.post(
        add, {"name": "socket", "kind": "choice", "choices": "AM4\nLGA1700", "order": "30", "required": "on"}
    )
    assert response.status_code == 302
    socket = GroupCharacteristic.objects.get(name="socket")
    assert (socket.group, socket.choice_list, socket.required) == (tree["processors"], ["AM4", "LGA1700"], True)
    edit = reverse("catalog:characteristic-update", args=[templates["cores"].pk])
    eva.post(edit, {"name": "core count", "kind": "number", "choices": "", "unit": "", "order": "1"})
    cpu.refresh_from_db()
    assert cpu.characteristics["core count"] == "4"
    eva.post(reverse("catalog:characteristic-delete", args=[templates["frequency"].pk]))
    cpu.refresh_from_db()
    assert cpu.characteristics == {"voltage": "5", "core count": "4"}


def test_viewers_read_but_do_not_change(viewer, tree, templates):
    html = viewer.get(reverse("catalog:group-detail", args=[tree["processors"].pk])).content.decode()
    assert "characteristic-form" not in html
    assert viewer.post(reverse("catalog:group-create"), {"name": "X"}).status_code == 403
    assert viewer.post(reverse("catalog:characteristic-delete", args=[templates["cores"].pk])).status_code == 403
    assert GroupCharacteristic.objects.filter(pk=templates["cores"].pk).exists()


def test_price_types_and_lists(eva, robot, bolt):
    eva.post(reverse("catalog:price-type-create"), {"code": "retail", "name": "Retail"})
    retail = PriceType.objects.get(code="retail")
    response = eva.post(
        reverse("catalog:price-list-create"),
        {"name": "Retail 2026", "price_type": retail.pk, "currency": "", "valid_from": "2026-01-01", "valid_to": ""},
    )
    price_list = PriceList.objects.get(name="Retail 2026")
    assert response["Location"] == price_list.get_absolute_url()
    assert (price_list.currency, price_list.valid_from, price_list.valid_to) == ("EUR", datetime.date(2026, 1, 1), None)
    add = reverse("catalog:price-item-create", args=[price_list.pk])
    assert eva.post(add, {"product": robot.pk, "price": "1450.00"}).status_code == 302
    again = eva.post(add, {"product": robot.pk, "price": "1500"})
    assert again.context["form"].errors == {"product": ["R1 already has a price in Retail 2026: 1450.00."]}
    eva.post(add, {"product": bolt.pk, "price": "0.12"})
    html = eva.get(price_list.get_absolute_url()).content.decode()
    assert re.findall(r'<tr data-product="([^"]+)">', html) == ["M3", "R1"]
    item = price_list.items.get(product=robot)
    eva.post(reverse("catalog:price-item-update", args=[item.pk]), {"product": robot.pk, "price": "1399.90"})
    assert price_list.items.get(product=robot).price == D("1399.90")
    listed = eva.get(reverse("catalog:price-list-list"), {"price_type": retail.pk})
    assert [row[1][0] for row in listed.context["rows"]] == ["Retail 2026"]
    assert listed.context["rows"][0][1][6] == 2  # prices in the list
    refused = eva.post(reverse("catalog:price-type-delete", args=[retail.pk]), follow=True)
    assert "Retail has 1 price lists; delete them first." in refused.content.decode()
    eva.post(reverse("catalog:price-list-delete", args=[price_list.pk]))
    assert not PriceList.objects.exists()
    eva.post(reverse("catalog:price-type-delete", args=[retail.pk]))
    assert not PriceType.objects.exists()


def test_menu_shows_the_catalog(eva):
    html = eva.get("/").content.decode()
    for name in ("product-list", "group-list", "price-list-list", "price-type-list", "unit-list"):
        assert f'href="{reverse(f"catalog:{name}")}"' in html
