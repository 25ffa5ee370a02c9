"""Forms of the production pages: they check the shape of the input; `fabrika.production.services`
checks the rules and writes. A service's `ValidationFailed` comes back onto the forms with
`apply_errors()` (header fields) and `apply_row_errors()` (keys like "lines.0.qty" or
"operations.2.name" → the field of that row's form).
"""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fabrika.catalog.models import Product, Unit
from fabrika.inventory.forms import DateInput, ProductSelect, stocked_products
from fabrika.inventory.models import Lot, Warehouse
from fabrika.inventory.templatetags.inventory_tags import plain_qty

from .models import Bom, ProductionOrder, ProductionProfile, TechCard, WorkCentre
from .queries import COST_METHODS

Kind = ProductionOrder.Kind
MAX_QTY = {"max_digits": 20, "decimal_places": 6}
MONEY = {"max_digits": 18, "decimal_places": 2}
MINUTES = {"max_digits": 12, "decimal_places": 3}


def cost_method_choices():
    labels = {
        "average": _("Average cost"),
        "fifo": _("FIFO (the next lot to be issued)"),
        "last_purchase": _("Last purchase price"),
    }
    return [(m, labels.get(m, m)) for m in COST_METHODS]


class ProductField(forms.ModelChoiceField):
    """A product box that searches as one types (Tom Select, `inventory/products.js`) through the
    production search, so it works for production roles without warehouse rights."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", stocked_products())
        kwargs.setdefault("label", gettext_lazy("Product"))
        search = reverse_lazy("production:product-search")
        super().__init__(widget=ProductSelect(attrs={"data-product-search": search}), **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.code} — {obj.name}"


def _tom(field: forms.Field) -> None:
    field.widget.attrs["data-tom"] = ""


def apply_errors(form: forms.BaseForm, errors: dict, field_map: dict | None = None) -> None:
    """A service's field errors on the form; others on top (a nested key like "lines.0.qty" named)."""
    field_map = field_map or {}
    for key, messages in errors.items():
        name = field_map.get(key, key)
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
            else:
                form.add_error(None, f"{key}: {message}" if "." in str(key) else message)


def apply_row_errors(formset, row_forms: list, errors: dict, prefix: str) -> dict:
    """Put "<prefix>.<n>.<field>" errors on the row forms; return the errors about anything else.

    "<prefix>" alone (e.g. no line at all) is shown above the rows (`formset.service_errors`)."""
    rest = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if parts[0] != prefix:
            rest[key] = messages
            continue
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(row_forms):
            form = row_forms[int(parts[1])]
            field = parts[2] if len(parts) > 2 else None
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        else:
            formset.service_errors = [*getattr(formset, "service_errors", []), *messages]
    return rest


class RowFormSet(forms.BaseFormSet):
    def submitted_forms(self) -> list:
        """The rows the user filled in (blank extra rows and deleted rows are left out)."""
        deleted = set(map(id, self.deleted_forms)) if self.can_delete else set()
        return [f for f in self.forms if id(f) not in deleted and not (f.empty_permitted and not f.has_changed())]


def row_formset(form_class, *, prefix: str, data=None, initial=None, extra: int | None = None, form_kwargs=None):
    initial = initial or []
    if extra is None:
        extra = 1 if initial else 3
    factory = forms.formset_factory(
        form_class, formset=RowFormSet, extra=extra, can_delete=True, max_num=500, validate_max=True
    )
    return factory(data=data, initial=initial, prefix=prefix, form_kwargs=form_kwargs or {})


def warehouses(*keep):
    return Warehouse.objects.filter(Q(active=True) | Q(pk__in=[k for k in keep if k])).order_by("name")


def product_units(product) -> list[tuple]:
    if product is None:
        return []
    return [(product.unit_id, product.unit.code)] + [
        (c.unit_id, f"{c.unit.code} (= {c.factor.normalize():f} {product.unit.code})")
        for c in product.conversions.select_related("unit")
    ]


# --- product's production profile -----------------------------------------------------------------


class ProfileForm(forms.ModelForm):
    class Meta:
        model = ProductionProfile
        fields = ["output_warehouse", "input_warehouse", "lead_time_days", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep = (self.instance.output_warehouse_id, self.instance.input_warehouse_id)
        for name in ("output_warehouse", "input_warehouse"):
            self.fields[name].queryset = warehouses(*keep)
        self.fields["input_warehouse"].help_text = _("Where its orders take the components from.")
        self.fields["output_warehouse"].help_text = _("Where its orders put what they make.")

    def _post_clean(self):
        pass  # model validation is the service's

    def save(self, commit=True):  # pragma: no cover - a guard
        raise NotImplementedError("Call a service; forms do not save.")

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}


# --- BOMs -----------------------------------------------------------------------------------------


class BomForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    valid_from = forms.DateField(label=gettext_lazy("Valid from"), required=False, widget=DateInput())
    valid_to = forms.DateField(label=gettext_lazy("Valid to"), required=False, widget=DateInput())
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("valid_from") and data.get("valid_to") and data["valid_to"] < data["valid_from"]:
            self.add_error("valid_to", _("The end of validity is before its start."))
        return data


class BomLineForm(forms.Form):
    component = ProductField(label=gettext_lazy("Component"))
    qty = forms.DecimalField(label=gettext_lazy("Quantity"), **MAX_QTY)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"), queryset=Unit.objects.all(), required=False, empty_label=gettext_lazy("base unit")
    )
    scrap_pct = forms.DecimalField(
        label=gettext_lazy("Scrap, %"), max_digits=7, decimal_places=3, required=False, min_value=0
    )
    phantom = forms.BooleanField(label=gettext_lazy("Phantom"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        value = self.data.get(self.add_prefix("component")) if self.is_bound else self.initial.get("component")
        value = getattr(value, "pk", value)
        product = (
            Product.objects.select_related("unit").filter(pk=value).first() if str(value or "").isdigit() else None
        )
        self.fields["unit"].widget.choices = [("", _("base unit")), *product_units(product)]

    def row_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("DELETE", None)
        data["scrap_pct"] = data.get("scrap_pct") or Decimal(0)
        return data


def bom_initial(bom: Bom) -> list[dict]:
    return [
        {
            "component": line.component_id,
            "qty": plain_qty(line.qty),
            "unit": line.unit_id if line.unit_id != line.component.unit_id else None,
            "scrap_pct": plain_qty(line.scrap_pct) or None,
            "phantom": line.phantom,
            "note": line.note,
        }
        for line in bom.lines.select_related("component")
    ]


class ExplosionForm(forms.Form):
    qty = forms.DecimalField(label=gettext_lazy("Quantity"), min_value=Decimal("0.000001"), initial=1, **MAX_QTY)
    method = forms.ChoiceField(label=gettext_lazy("Cost method"), choices=cost_method_choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qty"].widget.attrs["step"] = "any"

    @classmethod
    def read(cls, params):
        """The form bound to the query (defaults when absent), and its values (defaults when invalid)."""
        data = {"qty": params.get("qty") or "1", "method": params.get("method") or COST_METHODS[0]}
        form = cls(data)
        if form.is_valid():
            return form, form.cleaned_data["qty"], form.cleaned_data["method"]
        return form, Decimal(1), COST_METHODS[0]


# --- tech cards and work centres --------------------------------------------------------------------


class TechCardForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class OperationForm(forms.Form):
    seq = forms.IntegerField(label=gettext_lazy("Step"), min_value=0, required=False)
    name = forms.CharField(label=gettext_lazy("Operation"), max_length=200)
    work_centre = forms.ModelChoiceField(
        label=gettext_lazy("Work centre"), queryset=WorkCentre.objects.none(), required=False
    )
    setup_minutes = forms.DecimalField(label=gettext_lazy("Setup, min"), min_value=0, required=False, **MINUTES)
    run_minutes = forms.DecimalField(label=gettext_lazy("Run per unit, min"), min_value=0, required=False, **MINUTES)
    labour_rate = forms.DecimalField(label=gettext_lazy("Labour rate per hour"), min_value=0, required=False, **MONEY)
    overhead_rate = forms.DecimalField(
        label=gettext_lazy("Overhead rate per hour"), min_value=0, required=False, **MONEY
    )
    instructions = forms.CharField(
        label=gettext_lazy("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 1})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.initial.get("work_centre")
        self.fields["work_centre"].queryset = WorkCentre.objects.filter(
            Q(active=True) | Q(pk=getattr(current, "pk", current) or 0)
        )

    def row_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("DELETE", None)
        for name in ("setup_minutes", "run_minutes", "labour_rate", "overhead_rate"):
            data[name] = data.get(name) or Decimal(0)
        data["instructions"] = data.get("instructions") or ""
        return data


def operations_initial(operations) -> list[dict]:
    return [
        {
            "seq": op.seq,
            "name": op.name,
            "work_centre": op.work_centre_id,
            "setup_minutes": plain_qty(op.setup_minutes),
            "run_minutes": plain_qty(op.run_minutes),
            "labour_rate": op.labour_rate,
            "overhead_rate": op.overhead_rate,
            "instructions": op.instructions,
        }
        for op in operations
    ]


def order_operations(rows: list[dict]) -> list[dict]:
    """Operation rows as an order's operations (`order_update`): a step number for each."""
    out = []
    for i, row in enumerate(rows):
        row = dict(row)
        if row.get("seq") is None:
            row["seq"] = (i + 1) * 10
        out.append(row)
    return out


class WorkCentreForm(forms.ModelForm):
    class Meta:
        model = WorkCentre
        fields = ["code", "name", "hourly_rate", "hours_per_day", "active"]

    def _post_clean(self):
        pass  # model validation (unique code) is the service's

    def save(self, commit=True):  # pragma: no cover - a guard
        raise NotImplementedError("Call a service; forms do not save.")

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}


# --- production orders ------------------------------------------------------------------------------


def responsible_choices():
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username")


class OrderForm(forms.Form):
    """The order's header. Creating: everything; a draft's edit: not the kind and the product."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices, initial=Kind.PRODUCTION)
    product = ProductField()
    qty = forms.DecimalField(label=gettext_lazy("Quantity"), min_value=Decimal("0.000001"), **MAX_QTY)
    target = ProductField(
        label=gettext_lazy("Convert into"),
        required=False,
        help_text=gettext_lazy("Conversion: the product it becomes."),
    )
    bom = forms.ModelChoiceField(
        label=gettext_lazy("BOM version"),
        queryset=Bom.objects.all(),
        required=False,
        empty_label=gettext_lazy("the active one"),
    )
    tech_card = forms.ModelChoiceField(
        label=gettext_lazy("Tech card"),
        queryset=TechCard.objects.all(),
        required=False,
        empty_label=gettext_lazy("the active one"),
    )
    input_warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Components warehouse"),
        queryset=Warehouse.objects.none(),
        required=False,
        empty_label=gettext_lazy("from the product's profile"),
    )
    output_warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Output warehouse"),
        queryset=Warehouse.objects.none(),
        required=False,
        empty_label=gettext_lazy("from the product's profile"),
    )
    planned_start = forms.DateField(label=gettext_lazy("Planned start"), required=False, widget=DateInput())
    planned_finish = forms.DateField(label=gettext_lazy("Planned finish"), required=False, widget=DateInput())
    responsible = forms.ModelChoiceField(
        label=gettext_lazy("Responsible"), queryset=get_user_model().objects.none(), required=False
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, order: ProductionOrder | None = None, **kwargs):
        if order is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "kind": order.kind,
                "product": order.product_id,
                "qty": plain_qty(order.qty),
                "bom": order.bom_id,
                "tech_card": order.tech_card_id,
                "input_warehouse": order.input_warehouse_id,
                "output_warehouse": order.output_warehouse_id,
                "planned_start": order.planned_start,
                "planned_finish": order.planned_finish,
                "responsible": order.responsible_id,
                "note": order.note,
            }
        super().__init__(*args, **kwargs)
        self.order = order
        keep = (getattr(order, "input_warehouse_id", None), getattr(order, "output_warehouse_id", None))
        for name in ("input_warehouse", "output_warehouse"):
            self.fields[name].queryset = warehouses(*keep)
        self.fields["responsible"].queryset = responsible_choices()
        _tom(self.fields["responsible"])
        if order is not None:
            for name in ("kind", "product", "target"):
                del self.fields[name]
            product_id = order.product_id
        else:
            product_id = self.data.get("product") if self.is_bound else self.initial.get("product")
            product_id = getattr(product_id, "pk", product_id)
        # The versions of the chosen product (the page's script refreshes them when it changes).
        product_id = int(product_id) if str(product_id or "").isdigit() else 0
        self.fields["bom"].queryset = Bom.objects.filter(product_id=product_id).select_related("product")
        self.fields["tech_card"].queryset = TechCard.objects.filter(product_id=product_id).select_related("product")
        self.fields["bom"].label_from_instance = _version_label
        self.fields["tech_card"].label_from_instance = _version_label

    def clean(self):
        data = super().clean()
        if data.get("kind") == Kind.CONVERSION and not data.get("target"):
            self.add_error("target", _("Choose the product to convert into."))
        if data.get("planned_start") and data.get("planned_finish") and data["planned_finish"] < data["planned_start"]:
            self.add_error("planned_finish", _("The finish is before the start."))
        return data

    def service_data(self) -> dict:
        """The header for `order_create` / `order_update`: the BOM and tech card only when chosen (else
        the service takes the product's active ones)."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("bom", "tech_card", "target")}
        for name in ("bom", "tech_card"):
            if self.cleaned_data.get(name) is not None:
                data[name] = self.cleaned_data[name]
        if self.cleaned_data.get("target") is not None:
            data["target"] = self.cleaned_data["target"]
        for name in ("input_warehouse", "output_warehouse"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


def _version_label(obj) -> str:
    label = f"v{obj.version}" + (f" {obj.name}" if obj.name else "")
    flags = []
    if getattr(obj, "is_active", False):
        flags.append(str(_("active")))
    if getattr(obj, "is_custom", False):
        flags.append(str(_("custom")))
    return label + (f" ({', '.join(flags)})" if flags else "")


class OrderLineForm(forms.Form):
    """One row of a draft order's own material list (inputs; the parts of a disassembly)."""

    product = ProductField()
    qty_per_unit = forms.DecimalField(label=gettext_lazy("Per unit"), min_value=Decimal("0.000001"), **MAX_QTY)
    scrap_pct = forms.DecimalField(
        label=gettext_lazy("Scrap, %"), max_digits=7, decimal_places=3, required=False, min_value=0
    )
    share = forms.DecimalField(
        label=gettext_lazy("Cost share"),
        max_digits=24,
        decimal_places=6,
        required=False,
        min_value=0,
        help_text=gettext_lazy("Empty: by standard cost."),
    )

    def __init__(self, *args, with_share: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_share:
            del self.fields["share"]

    def row_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("DELETE", None)
        data["scrap_pct"] = data.get("scrap_pct") or Decimal(0)
        if "share" in data and data["share"] is None:
            data.pop("share")
        return data


def order_lines_initial(order: ProductionOrder, role: str) -> list[dict]:
    return [
        {
            "product": line.product_id,
            "qty_per_unit": plain_qty(line.qty_per_unit),
            "scrap_pct": plain_qty(line.scrap_pct) or None,
            "share": plain_qty(line.share),
        }
        for line in order.lines.filter(role=role)
    ]


class ReleaseForm(forms.Form):
    children = forms.BooleanField(
        label=gettext_lazy("Create child orders for short nodes"), required=False, initial=True
    )


class ReportForm(forms.Form):
    """A report of an order: good and scrapped quantities, the minutes of each operation."""

    qty = forms.DecimalField(label=gettext_lazy("Good quantity"), min_value=0, **MAX_QTY)
    scrap = forms.DecimalField(label=gettext_lazy("Scrap"), min_value=0, required=False, **MAX_QTY)
    posted_at = forms.DateTimeField(
        label=gettext_lazy("Date"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Empty: now."),
    )
    finish = forms.BooleanField(
        label=gettext_lazy("Finish the order"),
        required=False,
        help_text=gettext_lazy("Close it after this report even if less was made."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, order: ProductionOrder, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.operation_fields = []
        for op in order.operations.select_related("work_centre"):
            name = f"minutes_{op.pk}"
            self.fields[name] = forms.DecimalField(
                label=f"{op.seq} {op.name}",
                min_value=0,
                required=False,
                help_text=_("Empty: the planned time."),
                **MINUTES,
            )
            self.operation_fields.append((op, name))
        if not self.is_bound:
            self.initial.setdefault("qty", plain_qty(order.qty_remaining))

    def minutes(self) -> dict | None:
        spent = {
            op.pk: self.cleaned_data[name]
            for op, name in self.operation_fields
            if self.cleaned_data.get(name) is not None
        }
        return spent or None

    def main_fields(self):
        return [self[name] for name in ("qty", "scrap", "posted_at", "note")]

    def operation_rows(self):
        return [(op, self[name]) for op, name in self.operation_fields]


# --- analysis ---------------------------------------------------------------------------------------


def open_orders():
    return (
        ProductionOrder.objects.filter(
            state__in=[ProductionOrder.State.DRAFT, ProductionOrder.State.RELEASED, ProductionOrder.State.IN_PROGRESS]
        )
        .select_related("product")
        .order_by("planned_start", "id")
    )


class OrderChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.number} · {obj.product.code} × {obj.qty.normalize():f}"


class ShortageForm(forms.Form):
    orders = OrderChoiceField(
        label=gettext_lazy("Production orders"),
        queryset=ProductionOrder.objects.none(),
        required=False,
        help_text=gettext_lazy("Empty: every open order."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from fabrika.access.policy import restrict

        qs = open_orders()
        self.fields["orders"].queryset = restrict(user, "view", qs) if user is not None else qs
        _tom(self.fields["orders"])

    def chosen(self):
        orders = list(self.cleaned_data.get("orders") or [])
        return orders or list(self.fields["orders"].queryset)


class GenealogyForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Lot number"), max_length=64, required=False)
    lot = forms.ModelChoiceField(
        queryset=Lot.objects.select_related("product"), required=False, widget=forms.HiddenInput
    )
