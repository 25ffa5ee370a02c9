import pytest
from decimal import Decimal as D
from django.urls import reverse
from fabrika.access.tests.factories import make_user, sign_in
from .stock_story import make_story

pytestmark = pytest.mark.django_db


def test_dump(client):
    s = make_story()
    sign_in(client, make_user("dora", "director"))
    out = []
    for url in [
        reverse("inventory:document-create") + "?type=shipment",
        reverse("inventory:document-detail", args=[s.documents["main-s1"].pk]),
        reverse("inventory:stock-on-hand") + "?by_lot=on",
        reverse("inventory:stock-value"),
        reverse("inventory:product-history") + f"?product={s.bolt.pk}&date_from={s.m1}&date_to={s.m3}",
        reverse("inventory:turnover"),
        reverse("inventory:slow-movers"),
        reverse("inventory:period-list"),
        reverse("inventory:check-ledger"),
        reverse("inventory:warehouse-detail", args=[s.main.pk]),
        reverse("inventory:reservation-list"),
        reverse("inventory:reservation-create"),
        reverse("inventory:warehouse-list"),
    ]:
        r = client.get(url)
        out.append(f"===== {url} {r.status_code}\n" + r.content.decode())
    open("/tmp/inv_pages.html", "w").write("\n".join(out))
