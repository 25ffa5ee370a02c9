from django.db import models
from django.utils.translation import gettext_lazy as _

from fabrika.core.models import TimeStampedModel


class ProductGroup(models.Model):
    """A node of the product group tree; it carries the characteristics template of its products."""

    access_area = "catalog"

    name = models.CharField(_("name"), max_length=150)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent group"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(_("code"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("catalog:group-detail", args=[self.pk])

    def ancestors(self) -> list["ProductGroup"]:
        chain, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    @property
    def path(self) -> str:
        return " / ".join(g.name for g in self.ancestors())


class GroupCharacteristic(models.Model):
    """A named attribute that products of a group (and its subgroups) carry."""

    access_area = "catalog"

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        CHOICE = "choice", _("Choice")
        BOOL = "bool", _("Yes/no")

    group = models.ForeignKey(
        ProductGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="characteristics"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.TextField(_("choices (one per line)"), blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("characteristic")
        verbose_name_plural = _("characteristics")
        ordering = ["order", "name"]
        constraints = [models.UniqueConstraint(fields=["group", "name"], name="uniq_group_characteristic")]

    def __str__(self) -> str:
        return self.name

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Product(TimeStampedModel):
    access_area = "catalog"

    class Type(models.TextChoices):
        COMPONENT = "component", _("Purchased component")
        NODE = "node", _("Semi-finished node")
        FINISHED = "finished", _("Finished product")
        SERVICE = "service", _("Service")
        KIT = "kit", _("Kit")

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255, db_index=True)
    type = models.CharField(_("type"), max_length=12, choices=Type.choices, default=Type.COMPONENT)
    unit = models.ForeignKey("catalog.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(
        ProductGroup, verbose_name=_("group"), null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, db_index=True)
    default_warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("default warehouse"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    photo = models.ImageField(_("photo"), upload_to="products/", blank=True)
    description = models.TextField(_("description"), blank=True)
    characteristics = models.JSONField(_("characteristics"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}"

    @property
    def is_stocked(self) -> bool:
        return self.type != self.Type.SERVICE

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("catalog:product-detail", args=[self.pk])
