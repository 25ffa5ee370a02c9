"""Periods page: months with their state, closing with confirmation, the posting refused afterwards."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from fabrika.access.tests.factories import make_user, sign_in
from fabrika.inventory.models import BalanceSnapshot, Period, StockMove
from fabrika.inventory.services import document_create

from .stock_story import T, at, make_story

pytestmark = pytest.mark.django_db

LIST = reverse("inventory:period-list")
CLOSE = reverse("inventory:period-close")


@pytest.fixture
def story():
    return make_story()


def test_close_a_month_from_the_page(client, story):
    sign_in(client, make_user("kate", "storekeeper"))
    months = client.get(LIST).context["months"]
    assert [(m["label"], m["closed"]) for m in months[-3:]] == [
        (f"{story.m3:%Y-%m}", False),
        (f"{story.m2:%Y-%m}", False),
        (f"{story.m1:%Y-%m}", False),
    ]
    confirm = client.get(CLOSE + f"?month={story.m2:%Y-%m}")
    assert confirm.context["months"] == [story.m1, story.m2]
    response = client.post(CLOSE, {"month": f"{story.m2:%Y-%m}"}, follow=True)
    assert f"{story.m2:%Y-%m} is closed." in response.content.decode()
    assert set(Period.objects.filter(closed=True).values_list("start", flat=True)) == {story.m1, story.m2}
    assert BalanceSnapshot.objects.filter(product=story.bolt, warehouse=story.workshop).count() == 2
    # A shipment dated in the closed month is refused on the document page; nothing is written.
    moves = StockMove.objects.count()
    from .test_views_documents import form_data

    data = form_data({"warehouse": story.main}, [{"product": story.nut, "qty": "1"}], action="post")
    data["date"] = at(story.m2, 20).strftime("%Y-%m-%dT%H:%M")
    page = client.post(reverse("inventory:document-create") + "?type=shipment", data)
    assert page.context["form"].non_field_errors() == [
        f"The period {story.m2:%Y-%m} is closed: nothing can be posted on {at(story.m2, 20).date()}."
    ]
    assert StockMove.objects.count() == moves


def test_a_month_with_drafts_is_not_closed(client, story):
    sign_in(client, make_user("kate", "storekeeper"))
    draft = document_create(
        actor=None,
        type=T.SHIPMENT,
        data={"warehouse": story.main, "date": at(story.m1, 28)},
        lines=[{"product": story.nut, "qty": D("1")}],
    )
    confirm = client.get(CLOSE + f"?month={story.m1:%Y-%m}")
    assert [d.number for d in confirm.context["drafts"]] == [draft.number]
    response = client.post(CLOSE, {"month": f"{story.m1:%Y-%m}"}, follow=True)
    assert "cannot be closed: 1 draft document(s)" in response.content.decode()
    assert not Period.objects.exists()


def test_only_posting_roles_close(client, story):
    sign_in(client, make_user("dora", "director"))
    assert client.get(LIST).status_code == 200
    assert client.post(CLOSE, {"month": f"{story.m1:%Y-%m}"}).status_code == 403
