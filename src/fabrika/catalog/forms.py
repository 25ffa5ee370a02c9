"""Forms of the catalog pages: they check and carry input, `fabrika.catalog.services` saves it.

Model forms here are used for their fields only (`ServiceModelForm`): the service validates the
model and writes it; its `ValidationFailed` errors go back on the form with `show_errors()`.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fabrika.core.errors import DomainError, ValidationFailed

from .models import GroupCharacteristic, PriceList, PriceListItem, PriceType, Product, ProductGroup, Unit
from .queries import characteristic_template, group_choices

Kind = GroupCharacteristic.Kind


class ServiceModelForm(forms.ModelForm):
    """A ModelForm used for its fields only: no instance validation, no `save()`."""

    def _post_clean(self):
        pass  # model validation belongs to the service

    def save(self, commit=True):  # pragma: no cover - a guard, never called
        raise NotImplementedError("Call a service; forms do not save.")

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}


def show_errors(form: forms.BaseForm, exc: DomainError, field_map: dict[str, str] | None = None) -> None:
    """A service's refusal on the form: field errors beside their fields, the others on top."""
    if not isinstance(exc, ValidationFailed):
        form.add_error(None, exc.message)
        return
    field_map = field_map or {}
    model = getattr(getattr(form, "_meta", None), "model", None)
    for key, messages in exc.errors.items():
        name = field_map.get(key, key)
        target = name if name in form.fields else None
        prefix = ""
        if target is None and model is not None and key != "__all__":
            try:
                prefix = f"{str(model._meta.get_field(key).verbose_name).capitalize()}: "
            except Exception:  # noqa: BLE001 - not a model field: the message names it
                prefix = ""
        for message in messages:
            form.add_error(target, f"{prefix}{message}")


def tree_select(field: forms.ModelChoiceField, *, exclude_subtree_of=None, blank="—") -> None:
    """Show a group select as the indented tree."""
    field.widget.choices = group_choices(exclude_subtree_of=exclude_subtree_of, blank=blank)


# --- products -----------------------------------------------------------------------------------


class ProductForm(ServiceModelForm):
    photo = forms.FileField(
        label=gettext_lazy("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )
    remove_photo = forms.BooleanField(label=gettext_lazy("Remove the photo"), required=False)

    class Meta:
        model = Product
        fields = ["code", "name", "type", "unit", "group", "barcode", "default_warehouse", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, characteristics_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        from fabrika.inventory.models import Warehouse

        self.fields["photo"].help_text = _("PNG, JPEG, GIF or WebP, at most %(n)s MB.") % {"n": settings.MAX_UPLOAD_MB}
        group = self.fields["group"]
        tree_select(group)
        group.widget.attrs.update(
            {
                "hx-get": characteristics_url,
                "hx-trigger": "change",
                "hx-target": "#characteristics",
                "hx-swap": "innerHTML",
                "hx-include": "#product-form [name^='char_'], #product-form [name='group']",
            }
        )
        self.fields["unit"].queryset = Unit.objects.order_by("code")
        keep = self.instance.default_warehouse_id
        warehouses = Warehouse.objects.filter(active=True)
        if keep:
            warehouses = warehouses | Warehouse.objects.filter(pk=keep)
        self.fields["default_warehouse"].queryset = warehouses.order_by("code")
        if not self.instance.photo:
            del self.fields["remove_photo"]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
                % {"size": round(photo.size / 1024 / 1024, 1), "limit": settings.MAX_UPLOAD_MB}
            )
        return photo

    def service_data(self) -> dict:
        data = super().service_data()
        data.pop("photo", None)
        return data

    def photo_change(self):
        """For the service: a new image, False to remove the photo, None to keep it."""
        if self.cleaned_data.get("photo"):
            return self.cleaned_data["photo"]
        if self.cleaned_data.get("remove_photo"):
            return False
        return None


YES_NO = [("", "—"), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


class CharacteristicsForm(forms.Form):
    """One field per characteristic of the group's template (`char_<id>`), inherited ones first."""

    def __init__(self, *args, group: ProductGroup | None = None, values: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        self.template = characteristic_template(group)
        values = values or {}
        for char in self.template:
            name = f"char_{char.pk}"
            label = f"{char.name} ({char.unit})" if char.unit else char.name
            if char.kind == Kind.CHOICE:
                field = forms.ChoiceField(choices=[("", "—"), *[(c, c) for c in char.choice_list]])
            elif char.kind == Kind.BOOL:
                field = forms.ChoiceField(choices=YES_NO)
            elif char.kind == Kind.NUMBER:
                field = forms.CharField(max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
            else:
                field = forms.CharField(max_length=500)
            field.label = label
            field.required = char.required
            if char.inherited_from is not None:
                field.help_text = _("From %(group)s") % {"group": char.inherited_from.name}
            field.characteristic = char
            self.fields[name] = field
            value = values.get(char.name)
            if value is not None:
                self.initial[name] = ("yes" if value else "no") if char.kind == Kind.BOOL else value

    def values(self) -> dict:
        """The entered values by characteristic name, as the service takes them."""
        result = {}
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if field.characteristic.kind == Kind.BOOL:
                value = value == "yes"
            result[field.characteristic.name] = value
        return result

    def field_map(self) -> dict[str, str]:
        return {f"characteristics.{f.characteristic.name}": name for name, f in self.fields.items()}


def values_from_query(params, group) -> dict:
    """Characteristic values typed on the page (`char_<id>` parameters) by name: kept across a group change."""
    from .models import GroupCharacteristic

    ids = {}
    for key in params:
        if key.startswith("char_") and key[5:].isdigit():
            ids[int(key[5:])] = params.get(key)
    names = dict(GroupCharacteristic.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {names[pk]: value for pk, value in ids.items() if pk in names and value != ""}


class ConversionForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=Unit.objects.order_by("code"), required=False)
    factor = forms.DecimalField(
        label=gettext_lazy("Base units in one"), max_digits=20, decimal_places=6, required=False
    )
    barcode = forms.CharField(label=gettext_lazy("Barcode"), max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].empty_label = _("— unit —")
        self.fields["factor"].widget.attrs["placeholder"] = _("Base units in one")
        self.fields["barcode"].widget.attrs["placeholder"] = _("Barcode of the package")


ConversionFormSet = forms.formset_factory(ConversionForm, extra=1, max_num=30, validate_max=True)


def conversion_formset(*, data=None, product: Product | None = None):
    initial = []
    if product is not None and product.pk:
        initial = [
            {"unit": c.unit_id, "factor": c.factor.normalize(), "barcode": c.barcode}
            for c in product.conversions.select_related("unit").order_by("unit__code")
        ]
    return ConversionFormSet(data=data, initial=initial, prefix="conv")


def formset_conversions(formset) -> list[dict]:
    """The filled rows (a row without unit and factor is blank and ignored)."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if data.get("unit") is None and data.get("factor") is None:
            continue
        rows.append({"unit": data.get("unit"), "factor": data.get("factor"), "barcode": data.get("barcode", "")})
    return rows


def conversion_field_map(formset) -> dict:
    """Service error keys (`conversions.<row>.<field>` over the filled rows) → formset rows."""
    mapping, filled = {}, 0
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        if data.get("unit") is None and data.get("factor") is None:
            continue
        mapping[filled] = index
        filled += 1
    return mapping


def show_conversion_errors(formset, exc: ValidationFailed) -> dict:
    """Put `conversions.*` errors on the formset rows; returns the other errors."""
    mapping = conversion_field_map(formset)
    rest = {}
    for key, messages in exc.errors.items():
        parts = key.split(".")
        if parts[0] == "conversions" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) in mapping:
            form = formset.forms[mapping[int(parts[1])]]
            for message in messages:
                form.add_error(parts[2] if parts[2] in form.fields else None, message)
        else:
            rest[key] = messages
    return rest


class PhotoForm(forms.Form):
    photo = forms.FileField(label=gettext_lazy("Photo"))


# --- units, groups, characteristics -------------------------------------------------------------


class UnitForm(ServiceModelForm):
    class Meta:
        model = Unit
        fields = ["code", "name", "precision"]


class GroupForm(ServiceModelForm):
    class Meta:
        model = ProductGroup
        fields = ["name", "code", "parent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A group cannot go under itself or its subgroups (the service refuses that too).
        tree_select(self.fields["parent"], exclude_subtree_of=self.instance if self.instance.pk else None)


class CharacteristicForm(ServiceModelForm):
    class Meta:
        model = GroupCharacteristic
        fields = ["name", "kind", "choices", "unit", "required", "order"]
        widgets = {"choices": forms.Textarea(attrs={"rows": 3})}


class PriceTypeForm(ServiceModelForm):
    class Meta:
        model = PriceType
        fields = ["code", "name"]


class PriceListForm(ServiceModelForm):
    class Meta:
        model = PriceList
        fields = ["name", "price_type", "currency", "valid_from", "valid_to", "includes_vat"]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].required = False
        self.fields["currency"].help_text = _("Three letters; the company's currency when left empty.")


class PriceItemForm(ServiceModelForm):
    class Meta:
        model = PriceListItem
        fields = ["product", "price"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep = self.instance.product_id if self.instance.pk else None
        products = Product.objects.filter(active=True)
        if keep:
            products = products | Product.objects.filter(pk=keep)
        self.fields["product"].queryset = products.order_by("code")
        self.fields["product"].label_from_instance = lambda p: f"{p.code} · {p.name}"
        self.fields["product"].widget.attrs["data-tom"] = ""
