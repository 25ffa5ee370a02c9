"""Forms of the sales pages: they check the input's shape; the services check the rules and write.

A service's `ValidationFailed` comes back onto the forms with `apply_errors()` and
`apply_line_errors()` (keys like "lines.0.qty"), as on the warehouse pages.
"""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fabrika.access.models import Role
from fabrika.access.policy import can, restrict
from fabrika.catalog.models import PriceType, Product, Unit
from fabrika.crm.models import Contact, Counterparty
from fabrika.inventory.forms import ProductSelect, apply_errors, apply_line_errors  # noqa: F401 (re-exported)
from fabrika.inventory.models import Warehouse

from .models import Invoice, PaymentTerms, SalesOrder, SalesSettings, Trigger


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def customer_choices(user, current=None):
    qs = Counterparty.objects.filter(is_customer=True)
    if user is not None and can(user, "crm", "view"):
        qs = restrict(user, "view", qs)
    if current:
        qs = (qs | Counterparty.objects.filter(pk=current)).distinct()
    return qs.order_by("name")


def contacts_of(customer_id):
    """The contacts an order of this customer may name (none while no customer is chosen)."""
    if not str(customer_id or "").isdigit():
        return Contact.objects.none()
    return Contact.objects.filter(counterparty_id=customer_id)


def managers():
    return get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")


class SalesProductField(forms.ModelChoiceField):
    """Any active product, services included; Tom Select searches as one types."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Product.objects.select_related("unit"))
        kwargs.setdefault("label", gettext_lazy("Product"))
        search = reverse_lazy("sales:product-search")
        super().__init__(widget=ProductSelect(attrs={"data-product-search": search}), **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.code} — {obj.name}"


# --- orders -----------------------------------------------------------------------------------


def customer_field() -> forms.ModelChoiceField:
    """The customer box of the order and payment forms: it renders only the chosen customer and
    loads matches as one types (inventory/products.js), so a base of thousands of customers is not
    sent with the page; the form's queryset (customer_choices) still decides what is accepted."""
    search = ProductSelect(attrs={"data-product-search": reverse_lazy("sales:customer-search")})
    return forms.ModelChoiceField(label=gettext_lazy("Customer"), queryset=Counterparty.objects.none(), widget=search)


class OrderForm(forms.Form):
    counterparty = customer_field()
    contact = forms.ModelChoiceField(label=gettext_lazy("Contact"), queryset=Contact.objects.none(), required=False)
    manager = forms.ModelChoiceField(label=gettext_lazy("Manager"), queryset=managers())
    order_date = forms.DateField(label=gettext_lazy("Order date"), widget=DateInput())
    promised_date = forms.DateField(label=gettext_lazy("Promised delivery"), widget=DateInput(), required=False)
    warehouse = forms.ModelChoiceField(label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.none())
    price_type = forms.ModelChoiceField(
        label=gettext_lazy("Prices"), queryset=PriceType.objects.order_by("name"), required=False
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3)
    payment_terms = forms.ModelChoiceField(
        label=gettext_lazy("Payment terms"), queryset=PaymentTerms.objects.none(), required=False
    )
    advance_policy = forms.ChoiceField(label=gettext_lazy("Advance"), choices=SalesOrder.AdvancePolicy.choices)
    delivery_address = forms.CharField(
        label=gettext_lazy("Delivery address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    LATE = ("contact", "manager", "promised_date", "advance_policy", "delivery_address", "note")

    def __init__(self, *args, user=None, order: SalesOrder | None = None, **kwargs):
        if order is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                name: getattr(order, f"{name}_id", None) if name in _FK else getattr(order, name)
                for name in self.base_fields
            }
        super().__init__(*args, **kwargs)
        self.order = order
        current = getattr(order, "counterparty_id", None)
        self.fields["counterparty"].queryset = customer_choices(user, current)
        self.fields["manager"].widget.attrs["data-tom"] = ""
        # The contact box follows the customer chosen (htmx swaps in the customer's contacts).
        self.fields["counterparty"].widget.attrs.update(
            {"hx-get": reverse("sales:customer-contacts"), "hx-target": "#id_contact", "hx-trigger": "change"}
        )
        customer_id = self.data.get("counterparty") if self.is_bound else self.initial.get("counterparty")
        self.fields["contact"].queryset = contacts_of(getattr(customer_id, "pk", customer_id))
        keep = getattr(order, "warehouse_id", None)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(Q(active=True) | Q(pk=keep)).order_by("name")
        terms = getattr(order, "payment_terms_id", None)
        self.fields["payment_terms"].queryset = PaymentTerms.objects.filter(Q(active=True) | Q(pk=terms))
        if order is not None and not order.is_draft:
            for name in self.fields:
                if name not in self.LATE:
                    self.fields[name].disabled = True

    def service_data(self) -> dict:
        data = {name: value for name, value in self.cleaned_data.items() if not self.fields[name].disabled}
        if "currency" in data:
            data["currency"] = (data["currency"] or "").upper()
        return data


_FK = {"counterparty", "contact", "manager", "warehouse", "price_type", "payment_terms"}


class OrderLineForm(forms.Form):
    product = SalesProductField()
    qty = forms.DecimalField(label=gettext_lazy("Quantity"), max_digits=20, decimal_places=6)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"), queryset=Unit.objects.all(), required=False, empty_label=gettext_lazy("base unit")
    )
    price = forms.DecimalField(
        label=gettext_lazy("Price"),
        max_digits=18,
        decimal_places=2,
        required=False,
        help_text=gettext_lazy("Empty: the price list's."),
    )
    discount_pct = forms.DecimalField(label=gettext_lazy("Discount, %"), max_digits=5, decimal_places=2, required=False)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=255, required=False)

    FIELDS = ("product", "qty", "unit", "price", "discount_pct", "description")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        product_id = self.data.get(self.add_prefix("product")) if self.is_bound else self.initial.get("product")
        product_id = getattr(product_id, "pk", product_id)
        product = (
            Product.objects.filter(pk=product_id).select_related("unit").first()
            if str(product_id or "").isdigit()
            else None
        )
        units = []
        if product is not None:
            units = [(product.unit_id, product.unit.code)] + [
                (c.unit_id, f"{c.unit.code} (= {c.factor.normalize():f} {product.unit.code})")
                for c in product.conversions.select_related("unit")
            ]
        self.fields["unit"].widget.choices = [("", _("base unit")), *units]
        self.fields["qty"].widget.attrs.update(min="0", step="any")
        self.fields["price"].widget.attrs.update(step="0.01", placeholder=_("from the price list"))
        self.fields["discount_pct"].widget.attrs.update(step="0.01", min="0", max="100")

    def line_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.FIELDS}
        data["discount_pct"] = data["discount_pct"] or Decimal("0")
        data["description"] = data["description"] or ""
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def submitted_forms(self):
        deleted = set(map(id, self.deleted_forms)) if self.can_delete else set()
        return [f for f in self.forms if id(f) not in deleted and not (f.empty_permitted and not f.has_changed())]


def line_formset(*, data=None, initial=None, extra: int | None = None):
    initial = initial or []
    if extra is None:
        extra = 1 if initial else 3
    factory = forms.formset_factory(
        OrderLineForm, formset=BaseLineFormSet, extra=extra, can_delete=True, max_num=500, validate_max=True
    )
    return factory(data=data, initial=initial, prefix="lines")


def order_line_initial(order: SalesOrder) -> list[dict]:
    return [
        {
            "product": line.product_id,
            "qty": line.qty,
            "unit": line.unit_id if line.unit_id != line.product.unit_id else None,
            "price": line.price,
            "discount_pct": line.discount_pct,
            "description": line.description,
        }
        for line in order.lines.select_related("product")
    ]


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)


class ShipmentForm(forms.Form):
    """The header of a shipment; the quantities per line come as `qty_<line id>` fields."""

    carrier = forms.CharField(label=gettext_lazy("Carrier"), max_length=150, required=False)
    vehicle = forms.CharField(label=gettext_lazy("Vehicle"), max_length=100, required=False)
    delivery_address = forms.CharField(
        label=gettext_lazy("Delivery address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    shipping_cost = forms.DecimalField(
        label=gettext_lazy("Shipping cost"), max_digits=18, decimal_places=2, required=False, min_value=0
    )
    planned_delivery = forms.DateField(label=gettext_lazy("Planned delivery"), widget=DateInput(), required=False)
    post = forms.BooleanField(
        label=gettext_lazy("The goods leave now"),
        required=False,
        initial=True,
        help_text=gettext_lazy("Unticked: the shipment is planned (it shows on the calendar) and posted later."),
    )

    def __init__(self, *args, lines=(), field_prefix="qty", **kwargs):
        super().__init__(*args, **kwargs)
        self.line_fields = []
        for line, left in lines:
            name = f"{field_prefix}_{line.pk}"
            self.fields[name] = forms.DecimalField(
                label=f"{line.position}. {line.product}", max_digits=20, decimal_places=6, required=False, min_value=0
            )
            self.fields[name].widget.attrs.update(step="any", min="0")
            self.line_fields.append((line, left, name))

    def quantities(self) -> list[tuple]:
        return [
            (line, self.cleaned_data[name]) for line, _left, name in self.line_fields if self.cleaned_data.get(name)
        ]


class ReturnForm(ShipmentForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255, required=False)
    credit = forms.BooleanField(label=gettext_lazy("Issue a credit note"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("carrier", "vehicle", "delivery_address", "shipping_cost", "planned_delivery", "post"):
            del self.fields[name]


class InvoiceForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[(k, v) for k, v in Invoice.Kind.choices if k != Invoice.Kind.CREDIT],
    )
    schedule_line = forms.TypedChoiceField(
        label=gettext_lazy("Schedule part"), required=False, coerce=int, empty_value=None
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount with VAT"),
        max_digits=18,
        decimal_places=2,
        required=False,
        help_text=gettext_lazy("Empty: the schedule part's amount, else everything left to invoice."),
    )
    issue_date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    due_date = forms.DateField(label=gettext_lazy("Due date"), widget=DateInput(), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, schedule=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schedule_line"].choices = [("", "—")] + [
            (s.pk, f"{s.percent.normalize():f} % · {s.get_trigger_display()} · {s.amount}") for s in schedule
        ]
        self.schedule = {s.pk: s for s in schedule}
        if not self.is_bound and "issue_date" not in self.initial:
            self.initial["issue_date"] = timezone.localdate()


class PaymentForm(forms.Form):
    counterparty = customer_field()
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    amount = forms.DecimalField(label=gettext_lazy("Amount"), max_digits=18, decimal_places=2)
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, required=False)
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=150, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    auto_allocate = forms.BooleanField(
        label=gettext_lazy("Pay the customer's open invoices, the ones due first first"), required=False, initial=True
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counterparty"].queryset = customer_choices(user)
        if not self.is_bound and "date" not in self.initial:
            self.initial["date"] = timezone.localdate()


class AllocationForm(forms.Form):
    invoice = forms.ModelChoiceField(label=gettext_lazy("Invoice"), queryset=Invoice.objects.none())
    amount = forms.DecimalField(label=gettext_lazy("Amount"), max_digits=18, decimal_places=2)

    def __init__(self, *args, invoices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = invoices if invoices is not None else Invoice.objects.none()


class EmailForm(forms.Form):
    code = forms.ChoiceField(label=gettext_lazy("Document"))
    contact = forms.ModelChoiceField(label=gettext_lazy("To"), queryset=Contact.objects.none())
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)

    def __init__(self, *args, codes=(), contacts=None, languages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = list(codes)
        self.fields["contact"].queryset = contacts if contacts is not None else Contact.objects.none()
        self.fields["language"].choices = [("", _("the contact's language"))] + list(languages)


# --- settings ---------------------------------------------------------------------------------


class SalesSettingsForm(forms.ModelForm):
    class Meta:
        model = SalesSettings
        fields = [
            "max_discount_pct",
            "notify_roles",
            "task_due_days",
            "default_payment_terms",
            "default_warehouse",
            "default_price_type",
            "invoice_due_days",
        ]
        widgets = {"notify_roles": forms.SelectMultiple(attrs={"data-tom": ""})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notify_roles"].queryset = Role.objects.order_by("name")

    def _post_clean(self):
        pass  # the service validates

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class DiscountLimitForm(forms.Form):
    user = forms.ModelChoiceField(label=gettext_lazy("User"), queryset=managers())
    max_discount_pct = forms.DecimalField(
        label=gettext_lazy("Largest discount, %"),
        max_digits=5,
        decimal_places=2,
        required=False,
        min_value=0,
        max_value=100,
        help_text=gettext_lazy("Empty: the company's limit."),
    )


class PaymentTermsForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TermsLineForm(forms.Form):
    percent = forms.DecimalField(label=gettext_lazy("Share, %"), max_digits=5, decimal_places=2)
    trigger = forms.ChoiceField(label=gettext_lazy("Due"), choices=Trigger.choices)
    days = forms.IntegerField(label=gettext_lazy("Days"), required=False, min_value=0, max_value=3650)


def terms_formset(*, data=None, initial=None):
    factory = forms.formset_factory(
        TermsLineForm, formset=BaseLineFormSet, extra=2 if not initial else 1, can_delete=True
    )
    return factory(data=data, initial=initial or [], prefix="lines")
