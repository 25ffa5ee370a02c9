"""Forms of the request journal: they check the input's shape; `purchasing.services` checks the
rules and writes. A service's ValidationFailed comes back onto the forms with the warehouse's
`apply_errors()` / `apply_line_errors()` ("lines.<n>.<field>" → the line's field)."""

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from fabrika.access.models import User
from fabrika.catalog.models import Product, Unit
from fabrika.crm.models import Counterparty
from fabrika.inventory.forms import (  # noqa: F401  (re-exported for the views)
    BaseLineFormSet,
    DateInput,
    ProductSelect,
    apply_errors,
    apply_line_errors,
    counterparty_choices,
)

from .models import SupplierRequest


class ProductField(forms.ModelChoiceField):
    """Any product (services too), searched as one types (`purchasing:product-search`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Product.objects.select_related("unit"))
        kwargs.setdefault("label", gettext_lazy("Product"))
        search = reverse_lazy("purchasing:product-search")
        super().__init__(widget=ProductSelect(attrs={"data-product-search": search}), **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.code} — {obj.name}"


class RequestForm(forms.Form):
    supplier = forms.ModelChoiceField(
        label=gettext_lazy("Supplier"),
        queryset=Counterparty.objects.none(),
        required=False,
        help_text=gettext_lazy("May wait until the request is sent."),
    )
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    needed_by = forms.DateField(label=gettext_lazy("Needed by"), widget=DateInput(), required=False)
    responsible = forms.ModelChoiceField(
        label=gettext_lazy("Responsible"), queryset=User.objects.none(), required=False
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, min_length=3)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user=None, request_obj: SupplierRequest | None = None, **kwargs):
        if request_obj is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "supplier": request_obj.supplier_id,
                "date": request_obj.date,
                "needed_by": request_obj.needed_by,
                "responsible": request_obj.responsible_id,
                "currency": request_obj.currency,
                "note": request_obj.note,
            }
        super().__init__(*args, **kwargs)
        suppliers = counterparty_choices(user, "supplier")
        current = getattr(request_obj, "supplier_id", None)
        if current:
            suppliers = (suppliers | Counterparty.objects.filter(pk=current)).distinct().order_by("name")
        self.fields["supplier"].queryset = suppliers
        self.fields["supplier"].widget.attrs["data-tom"] = ""
        keep = getattr(request_obj, "responsible_id", None)
        self.fields["responsible"].queryset = User.objects.filter(Q(is_active=True) | Q(pk=keep)).order_by(
            "first_name", "last_name", "username"
        )

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class LineForm(forms.Form):
    product = ProductField()
    qty = forms.DecimalField(label=gettext_lazy("Quantity"), max_digits=20, decimal_places=6)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"), queryset=Unit.objects.all(), required=False, empty_label=gettext_lazy("base unit")
    )
    needed_by = forms.DateField(label=gettext_lazy("Needed by"), widget=DateInput(), required=False)
    expected_price = forms.DecimalField(
        label=gettext_lazy("Expected price"), max_digits=18, decimal_places=2, required=False, min_value=0
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=255, required=False)

    def __init__(self, *args, show_prices: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_prices:
            del self.fields["expected_price"]
        product_id = self.data.get(self.add_prefix("product")) if self.is_bound else self.initial.get("product")
        product_id = getattr(product_id, "pk", product_id)
        product = (
            Product.objects.select_related("unit").filter(pk=product_id).first()
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

    def line_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in ("product", "qty", "unit", "needed_by", "note")}
        if "expected_price" in self.fields:
            data["expected_price"] = self.cleaned_data.get("expected_price")
        return data


def line_formset(*, data=None, initial=None, show_prices: bool = True, extra: int | None = None):
    initial = initial or []
    if extra is None:
        extra = 1 if initial else 3
    factory = forms.formset_factory(
        LineForm, formset=BaseLineFormSet, extra=extra, can_delete=True, max_num=1000, validate_max=True
    )
    return factory(data=data, initial=initial, prefix="lines", form_kwargs={"show_prices": show_prices})


def line_initial(request: SupplierRequest) -> list[dict]:
    return [
        {
            "product": line.product_id,
            "qty": line.qty,
            "unit": line.unit_id if line.unit_id != line.product.unit_id else None,
            "needed_by": line.needed_by,
            "expected_price": line.expected_price,
            "note": line.note,
        }
        for line in request.lines.select_related("product")
    ]


def kept_lines(request: SupplierRequest, lines: list[dict]) -> list[dict]:
    """Lines from the form keep the sources (links back) of the lines they were made from.

    The form does not show sources; a line whose product, unit and date match an existing line
    keeps that line's source and label, and the prices of users who cannot see them are kept.
    """
    existing = list(request.lines.all())
    used = set()
    result = []
    for data in lines:
        product, unit = data.get("product"), data.get("unit")
        unit_id = unit.pk if unit is not None else getattr(product, "unit_id", None)
        match = next(
            (
                e
                for e in existing
                if e.pk not in used
                and product is not None
                and e.product_id == product.pk
                and e.unit_id == unit_id
                and e.needed_by == data.get("needed_by")
            ),
            None,
        )
        if match is not None:
            used.add(match.pk)
            data = {**data, "source": match.source if match.source_id else None, "source_label": match.source_label}
            data.setdefault("expected_price", match.expected_price)
        result.append(data)
    return result


class SendForm(forms.Form):
    to = forms.CharField(
        label=pgettext_lazy("e-mail", "To"),
        max_length=1000,
        help_text=gettext_lazy("Several addresses: separate them with commas."),
    )
    cc = forms.CharField(label=pgettext_lazy("e-mail", "Copy"), max_length=1000, required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=255)
    body = forms.CharField(label=pgettext_lazy("e-mail", "Text"), widget=forms.Textarea(attrs={"rows": 10}))
    language = forms.ChoiceField(label=gettext_lazy("Language of the PDF"), choices=[])
    include_prices = forms.BooleanField(label=gettext_lazy("Print the expected prices"), required=False)

    def __init__(self, *args, languages=(), show_prices: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = list(languages)
        if not show_prices:
            del self.fields["include_prices"]

    @staticmethod
    def addresses(text: str) -> list[str]:
        return [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]
