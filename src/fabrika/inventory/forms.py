"""Forms of the warehouse pages: they check the input's shape; services check the rules and write.

A service's `ValidationFailed` comes back onto the forms with `apply_errors()` (header fields)
and `apply_line_errors()` (keys like "lines.0.qty" → the field of the line's form).
"""

from datetime import timedelta

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fabrika.access.policy import can, restrict
from fabrika.catalog.models import Product, ProductGroup, Unit
from fabrika.crm.models import Counterparty

from .models import Lot, Reservation, StockDocument, Warehouse
from .queries import open_lots

Type = StockDocument.Type

# The line fields each document type asks for.
LINE_FIELDS = {
    Type.RECEIPT: ["product", "qty", "unit", "price", "lot_number"],
    Type.SHIPMENT: ["product", "qty", "unit", "lot", "reservation"],
    Type.TRANSFER: ["product", "qty", "unit", "lot"],
    Type.WRITEOFF: ["product", "qty", "unit", "lot"],
    Type.STOCKTAKE: ["product", "counted_qty", "unit", "lot"],
    Type.CUSTOMER_RETURN: ["product", "qty", "unit", "price", "lot_number"],
    Type.SUPPLIER_RETURN: ["product", "qty", "unit", "price", "lot"],
}
# Which counterparties a document names: suppliers, customers, or none.
COUNTERPARTY_ROLE = {
    Type.RECEIPT: "supplier",
    Type.SUPPLIER_RETURN: "supplier",
    Type.SHIPMENT: "customer",
    Type.CUSTOMER_RETURN: "customer",
}
ISSUE_TYPES = {Type.SHIPMENT, Type.TRANSFER, Type.WRITEOFF, Type.STOCKTAKE, Type.SUPPLIER_RETURN}


def apply_errors(form: forms.BaseForm, errors: dict) -> None:
    """Put a service's field errors on the form (unknown fields as non-field errors)."""
    for field, messages in errors.items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
            else:
                form.add_error(None, message if field in ("__all__", "", None) else f"{field}: {message}")


def counterparty_choices(user, role: str | None):
    """Counterparties a document may name: the user's CRM scope; users without CRM rights (a
    storekeeper) get the names of all suppliers or customers, which the warehouse has to write down."""
    qs = Counterparty.objects.all()
    if role == "supplier":
        qs = qs.filter(is_supplier=True)
    elif role == "customer":
        qs = qs.filter(is_customer=True)
    if user is not None and can(user, "crm", "view"):
        qs = restrict(user, "view", qs)
    return qs.order_by("name")


def stocked_products():
    return Product.objects.exclude(type=Product.Type.SERVICE).select_related("unit")


class ProductSelect(forms.Select):
    """Renders only the chosen product; Tom Select loads matches from `data-search-url` as one types
    (a catalog of thousands of products is not sent with every line)."""

    def optgroups(self, name, value, attrs=None):
        chosen = [str(v) for v in value if str(v or "").isdigit()]
        groups = [(None, [self.create_option(name, "", "", not chosen, 0)], 0)]
        iterator = self.choices
        if chosen and hasattr(iterator, "queryset"):
            for index, obj in enumerate(iterator.queryset.filter(pk__in=chosen), start=1):
                option_value, label = iterator.choice(obj)
                groups.append((None, [self.create_option(name, option_value, label, True, index)], index))
        return groups


class ProductField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", stocked_products())
        kwargs.setdefault("label", gettext_lazy("Product"))
        search = reverse_lazy("inventory:product-search")
        super().__init__(widget=ProductSelect(attrs={"data-product-search": search}), **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.code} — {obj.name}"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# --- warehouses -----------------------------------------------------------------------------------


class WarehouseForm(forms.ModelForm):
    """The valuation mode is chosen when the warehouse is created and shown read-only afterwards."""

    class Meta:
        model = Warehouse
        fields = ["code", "name", "valuation", "address", "active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["valuation"].disabled = True
            self.fields["valuation"].help_text = _("Chosen when the warehouse was created; it cannot change.")

    def _post_clean(self):
        pass  # model validation (unique code) is the service's

    def save(self, commit=True):  # pragma: no cover - a guard
        raise NotImplementedError("Call a service; forms do not save.")

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}
        if self.instance.pk:
            data.pop("valuation", None)
        return data


# --- documents ------------------------------------------------------------------------------------


class DocumentForm(forms.Form):
    """The header of a warehouse document; its fields depend on the type."""

    warehouse = forms.ModelChoiceField(label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.none())
    to_warehouse = forms.ModelChoiceField(label=gettext_lazy("To warehouse"), queryset=Warehouse.objects.none())
    counterparty = forms.ModelChoiceField(
        label=gettext_lazy("Counterparty"), queryset=Counterparty.objects.none(), required=False
    )
    date = forms.DateTimeField(
        label=gettext_lazy("Date"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255, required=False)
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, doc_type: str, user=None, document: StockDocument | None = None, **kwargs):
        if document is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "warehouse": document.warehouse_id,
                "to_warehouse": document.to_warehouse_id,
                "counterparty": document.counterparty_id,
                "date": timezone.localtime(document.date),
                "reason": document.reason,
                "comment": document.comment,
            }
        super().__init__(*args, **kwargs)
        self.doc_type = doc_type
        keep = [getattr(document, "warehouse_id", None), getattr(document, "to_warehouse_id", None)]
        warehouses = Warehouse.objects.filter(Q(active=True) | Q(pk__in=[k for k in keep if k])).order_by("name")
        self.fields["warehouse"].queryset = warehouses
        self.fields["to_warehouse"].queryset = warehouses
        role = COUNTERPARTY_ROLE.get(doc_type)
        if doc_type != Type.TRANSFER:
            del self.fields["to_warehouse"]
        else:
            self.fields["warehouse"].label = _("From warehouse")
        if role is None:
            del self.fields["counterparty"]
        else:
            qs = counterparty_choices(user, role)
            current = getattr(document, "counterparty_id", None)
            if current:
                qs = (qs | Counterparty.objects.filter(pk=current)).distinct()
            self.fields["counterparty"].queryset = qs
            self.fields["counterparty"].label = _("Supplier") if role == "supplier" else _("Customer")
            self.fields["counterparty"].widget.attrs["data-tom"] = ""
        if doc_type == Type.WRITEOFF:
            self.fields["reason"].required = True
        elif doc_type not in (Type.STOCKTAKE,):
            del self.fields["reason"]
        if not self.is_bound and "date" not in self.initial:
            self.initial["date"] = timezone.localtime().replace(second=0, microsecond=0)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.setdefault("reason", "")
        return data


class LineForm(forms.Form):
    product = ProductField()
    qty = forms.DecimalField(label=gettext_lazy("Quantity"), max_digits=20, decimal_places=6, required=False)
    counted_qty = forms.DecimalField(label=gettext_lazy("Counted"), max_digits=20, decimal_places=6, required=False)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"), queryset=Unit.objects.all(), required=False, empty_label=gettext_lazy("base unit")
    )
    price = forms.DecimalField(
        label=gettext_lazy("Unit price"), max_digits=18, decimal_places=2, required=False, min_value=0
    )
    lot = forms.ModelChoiceField(
        label=gettext_lazy("Lot"), queryset=Lot.objects.all(), required=False, empty_label=gettext_lazy("any (FIFO)")
    )
    lot_number = forms.CharField(label=gettext_lazy("Lot number"), max_length=64, required=False)
    reservation = forms.ModelChoiceField(
        label=gettext_lazy("Reservation"),
        queryset=Reservation.objects.filter(state=Reservation.State.ACTIVE),
        required=False,
        empty_label=gettext_lazy("none"),
    )

    def __init__(self, *args, doc_type: str, warehouse=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.doc_type = doc_type
        self.warehouse = warehouse
        for name in list(self.fields):
            if name not in LINE_FIELDS[doc_type]:
                del self.fields[name]
        if doc_type == Type.STOCKTAKE:
            self.fields["lot"].empty_label = _("oldest first")
            self.fields["lot"].help_text = _("Shortage: take it from this lot.")
        self.book_qty = None
        self._narrow_choices()

    def _current(self, name):
        if self.is_bound:
            return self.data.get(self.add_prefix(name)) or None
        value = self.initial.get(name)
        return getattr(value, "pk", value)

    def _narrow_choices(self):
        """Show the units, lots and reservations of the line's product (the page's script refreshes
        them when the product changes); validation still accepts any and the service decides."""
        product_id = self._current("product")
        product = Product.objects.filter(pk=product_id).first() if str(product_id or "").isdigit() else None
        self.product = product
        if "unit" in self.fields:
            units = []
            if product is not None:
                units = [(product.unit.pk, product.unit.code)] + [
                    (c.unit_id, f"{c.unit.code} (= {c.factor.normalize():f} {product.unit.code})")
                    for c in product.conversions.select_related("unit")
                ]
            self.fields["unit"].widget.choices = [("", _("base unit")), *units]
        if "lot" in self.fields:
            lots = []
            if product is not None and self.warehouse is not None:
                lots = [
                    (lot.pk, _("%(lot)s (%(qty)s left)") % {"lot": lot.number, "qty": f"{left.normalize():f}"})
                    for lot, left in open_lots(product, self.warehouse)
                ]
            current = self._current("lot")
            if current and str(current) not in {str(pk) for pk, _label in lots}:
                lot = Lot.objects.filter(pk=current).first() if str(current).isdigit() else None
                if lot is not None:
                    lots.append((lot.pk, lot.number))
            self.fields["lot"].widget.choices = [("", self.fields["lot"].empty_label), *lots]
        if "reservation" in self.fields:
            options = []
            if product is not None and self.warehouse is not None:
                options = [
                    (r.pk, f"{r.reference} · {r.open_qty.normalize():f}")
                    for r in Reservation.objects.filter(
                        product=product, warehouse=self.warehouse, state=Reservation.State.ACTIVE
                    ).order_by("created_at", "id")
                ]
            self.fields["reservation"].widget.choices = [("", _("none")), *options]

    def clean(self):
        data = super().clean()
        product = data.get("product")
        lot = data.get("lot")
        if product is not None and lot is not None and lot.product_id != product.pk:
            self.add_error("lot", _("Lot %(lot)s is of another product.") % {"lot": lot.number})
        reservation = data.get("reservation")
        if product is not None and reservation is not None:
            if reservation.product_id != product.pk or (
                self.warehouse is not None and reservation.warehouse_id != self.warehouse.pk
            ):
                self.add_error("reservation", _("This reservation is for another product or warehouse."))
        return data

    def line_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in LINE_FIELDS[self.doc_type]}


class BaseLineFormSet(forms.BaseFormSet):
    def submitted_forms(self) -> list[LineForm]:
        """The line forms the user filled in (blank extra rows and deleted rows are left out)."""
        deleted = set(map(id, self.deleted_forms)) if self.can_delete else set()
        return [f for f in self.forms if id(f) not in deleted and not (f.empty_permitted and not f.has_changed())]


def line_formset(*, doc_type: str, warehouse=None, data=None, initial=None, extra: int | None = None):
    initial = initial or []
    if extra is None:
        extra = 1 if initial else 3
    factory = forms.formset_factory(
        LineForm, formset=BaseLineFormSet, extra=extra, can_delete=True, max_num=1000, validate_max=True
    )
    return factory(
        data=data, initial=initial, prefix="lines", form_kwargs={"doc_type": doc_type, "warehouse": warehouse}
    )


def document_line_initial(document: StockDocument) -> list[dict]:
    return [
        {
            "product": line.product_id,
            "qty": line.qty,
            "counted_qty": line.counted_qty,
            "unit": line.unit_id if line.unit_id != line.product.unit_id else None,
            "price": line.price,
            "lot": line.lot_id,
            "lot_number": line.lot_number,
            "reservation": line.reservation_id,
        }
        for line in document.lines.select_related("product")
    ]


def apply_line_errors(formset, line_forms: list[LineForm], errors: dict) -> dict:
    """Put "lines.<n>.<field>" errors on the line forms; returns the errors that are not about lines.

    "lines" (no line at all) becomes an error of the formset shown above the lines."""
    rest = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if parts[0] != "lines":
            rest[key] = messages
            continue
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(line_forms):
            form = line_forms[int(parts[1])]
            field = parts[2] if len(parts) > 2 else None
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        else:
            formset.service_errors = [*getattr(formset, "service_errors", []), *messages]
    return rest


class FillForm(forms.Form):
    """Stocktake: start the count sheet from the book quantities of a warehouse (and a group)."""

    fill_warehouse = forms.ModelChoiceField(label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.all())
    fill_group = forms.ModelChoiceField(
        label=gettext_lazy("Group"),
        queryset=ProductGroup.objects.all(),
        required=False,
        empty_label=gettext_lazy("all groups"),
    )


# --- reservations ---------------------------------------------------------------------------------


class ReservationForm(forms.Form):
    product = ProductField()
    warehouse = forms.ModelChoiceField(label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.filter(active=True))
    lot = forms.ModelChoiceField(
        label=gettext_lazy("Lot"), queryset=Lot.objects.all(), required=False, empty_label=gettext_lazy("any lot")
    )
    qty = forms.DecimalField(label=gettext_lazy("Quantity"), max_digits=20, decimal_places=6)
    reference = forms.CharField(
        label=gettext_lazy("For"), max_length=100, help_text=gettext_lazy("The order line, e.g. ORD-2026-00017/3.")
    )
    counterparty = forms.ModelChoiceField(
        label=gettext_lazy("Customer"), queryset=Counterparty.objects.none(), required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counterparty"].queryset = counterparty_choices(user, "customer")
        self.fields["counterparty"].widget.attrs["data-tom"] = ""
        lots = [("", _("any lot"))]
        product_id = self.data.get("product") if self.is_bound else self.initial.get("product")
        warehouse_id = self.data.get("warehouse") if self.is_bound else self.initial.get("warehouse")
        if str(product_id or "").isdigit() and str(warehouse_id or "").isdigit():
            product = Product.objects.filter(pk=product_id).first()
            warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
            if product is not None and warehouse is not None:
                lots += [
                    (lot.pk, f"{lot.number} ({left.normalize():f})") for lot, left in open_lots(product, warehouse)
                ]
        self.fields["lot"].widget.choices = lots

    def clean(self):
        data = super().clean()
        lot, product = data.get("lot"), data.get("product")
        if lot is not None and product is not None and lot.product_id != product.pk:
            self.add_error("lot", _("Lot %(lot)s is of another product.") % {"lot": lot.number})
        return data


# --- periods --------------------------------------------------------------------------------------


class PeriodCloseForm(forms.Form):
    month = forms.CharField(max_length=7)

    def clean_month(self):
        from fabrika.core.errors import ValidationFailed

        from .services.periods import month_of

        try:
            return month_of(self.cleaned_data["month"])
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.errors["month"]) from None


# --- reports --------------------------------------------------------------------------------------


class ReportForm(forms.Form):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and not isinstance(field, ProductField):
                field.widget.attrs.setdefault("data-tom", "")


def _warehouse_field(**kwargs):
    return forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"),
        queryset=Warehouse.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("all warehouses"),
        **kwargs,
    )


def _group_field():
    return forms.ModelChoiceField(
        label=gettext_lazy("Group"),
        queryset=ProductGroup.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("all groups"),
        help_text=gettext_lazy("With its subgroups."),
    )


class StockReportForm(ReportForm):
    warehouse = _warehouse_field()
    group = _group_field()
    product = ProductField(required=False)
    as_of = forms.DateField(
        label=gettext_lazy("As of"), required=False, widget=DateInput(), help_text=gettext_lazy("Empty: now.")
    )
    by_lot = forms.BooleanField(label=gettext_lazy("By lot"), required=False)


class ValueReportForm(ReportForm):
    warehouse = _warehouse_field()
    group = _group_field()
    as_of = forms.DateField(
        label=gettext_lazy("As of"), required=False, widget=DateInput(), help_text=gettext_lazy("Empty: now.")
    )


class HistoryForm(ReportForm):
    product = ProductField()
    warehouse = _warehouse_field()
    date_from = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end is before the start."))
        return data


class TurnoverForm(ReportForm):
    date_from = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), widget=DateInput())
    warehouse = _warehouse_field()
    group = _group_field()

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end is before the start."))
        return data


class SlowMoversForm(ReportForm):
    days = forms.IntegerField(label=gettext_lazy("No issue for days"), min_value=1, max_value=3650)
    warehouse = _warehouse_field()
    group = _group_field()


def this_month_range():
    today = timezone.localdate()
    return today.replace(day=1), today


def last_days(n: int):
    today = timezone.localdate()
    return today - timedelta(days=n), today
