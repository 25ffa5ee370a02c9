"""The customer box of the order list loads its choices as one types: the page carries only the chosen
customer, the search answers with the customers the user may see."""

import pytest
from django.test import Client
from django.urls import reverse

from fabrika.access.tests.factories import make_user, sign_in
from fabrika.crm import services as crm

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    sign_in(client, user)
    return client


def test_the_search_finds_the_customers_the_user_may_see(shop):
    mine = crm.counterparty_create(actor=None, data={"name": "Robotics Academy Graz", "responsible": shop.manager})
    stranger = make_user("otto", "sales_manager")
    crm.counterparty_create(actor=None, data={"name": "Robotics Camp Salzburg", "responsible": stranger})
    url = reverse("sales:customer-search")
    found = client_for(shop.manager).get(url, {"q": "robotics"}).json()["results"]
    assert found == [
        {"value": shop.other_customer.pk, "text": "Linz Youth Robotics Club"},
        {"value": shop.customer.pk, "text": "Robokids School of Robotics"},
        {"value": mine.pk, "text": "Robotics Academy Graz"},
    ]
    everyone = client_for(shop.director).get(url, {"q": "robotics camp"}).json()["results"]
    assert [r["text"] for r in everyone] == ["Robotics Camp Salzburg"]
    assert len(client_for(shop.manager).get(url).json()["results"]) == 3  # no text: the first 30 by name


def test_the_order_list_carries_only_the_chosen_customer(shop, make_order):
    make_order()
    client = client_for(shop.manager)
    page = client.get(reverse("sales:order-list")).content.decode()
    assert "Linz Youth Robotics Club" not in page and "data-product-search" in page
    page = client.get(reverse("sales:order-list"), {"counterparty": shop.customer.pk}).content.decode()
    assert f'<option value="{shop.customer.pk}" selected>Robokids School of Robotics</option>' in page
    assert "Linz Youth Robotics Club" not in page


def test_the_list_search_finds_orders_by_customer_name_or_number(shop, make_order):
    robokids = make_order()
    linz = make_order(counterparty=shop.other_customer)
    client = client_for(shop.manager)

    def found(text):
        page = client.get(reverse("sales:order-list"), {"q": text}).content.decode()
        return {o.number for o in (robokids, linz) if o.number in page}

    assert found("robokids") == {robokids.number}
    assert found("youth LINZ") == {linz.number}  # every word, any order, any case
    assert found(linz.number[-5:]) == {linz.number}  # words with digits: the numbers too
    assert found("robokids linz") == set()


def test_the_order_and_payment_forms_carry_only_the_chosen_customer(shop, make_order):
    order = make_order()
    client = client_for(shop.manager)
    chosen = f'<option value="{shop.customer.pk}" selected>Robokids School of Robotics</option>'
    search = f'data-product-search="{reverse("sales:customer-search")}"'
    new = client.get(reverse("sales:order-create")).content.decode()
    assert search in new
    assert "Robokids School of Robotics" not in new and "Linz Youth Robotics Club" not in new
    edit = client.get(reverse("sales:order-update", args=[order.pk])).content.decode()
    assert chosen in edit and "Linz Youth Robotics Club" not in edit
    payment = client.get(reverse("sales:payment-create"), {"counterparty": shop.customer.pk}).content.decode()
    assert search in payment and chosen in payment and "Linz Youth Robotics Club" not in payment
    assert "inventory/products.js" in payment
    # What the box accepts is still the customers the user may see: another manager's is refused.
    stranger = make_user("olga", "sales_manager")
    theirs = crm.counterparty_create(actor=None, data={"name": "Graz Makers", "responsible": stranger})
    from fabrika.sales.forms import OrderForm

    form = OrderForm({"counterparty": theirs.pk}, user=shop.manager)
    assert not form.is_valid()
    assert form.errors["counterparty"] == ["Select a valid choice. That choice is not one of the available choices."]


def test_the_contact_box_follows_the_customer_chosen(shop):
    def contact(customer, first, last, **extra):
        return crm.contact_create(
            actor=None, counterparty=customer, data={"first_name": first, "last_name": last, **extra}
        )

    zoe = contact(shop.customer, "Zoe", "Adler")
    max_ = contact(shop.customer, "Max", "Berg", is_primary=True)
    contact(shop.other_customer, "Ida", "Linz")
    stranger = make_user("olga", "sales_manager")
    theirs = crm.counterparty_create(actor=None, data={"name": "Graz Makers", "responsible": stranger})
    contact(theirs, "Hidden", "Person")
    client = client_for(shop.manager)
    url = reverse("sales:customer-contacts")
    empty = '<option value="" selected>---------</option>'
    # The main contact first, then by last name.
    assert client.get(url, {"counterparty": shop.customer.pk}).content.decode() == (
        f'{empty}<option value="{max_.pk}">Max Berg</option><option value="{zoe.pk}">Zoe Adler</option>'
    )
    assert client.get(url, {"counterparty": theirs.pk}).content.decode() == empty  # not this manager's customer
    assert client.get(url, {"counterparty": "x"}).content.decode() == empty
    form = client.get(reverse("sales:order-create")).content.decode()
    assert f'hx-get="{url}"' in form and 'hx-target="#id_contact"' in form
