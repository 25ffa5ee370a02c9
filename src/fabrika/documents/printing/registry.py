"""What can be printed: one entry per printed form, registered by the app that owns the data.

    from fabrika.documents.printing import registry

    registry.register(
        "sales.invoice",
        model=Invoice,
        label=_("Invoice"),
        context=invoice_context,        # (invoice, PrintOptions) -> dict of plain data
        sample=invoice_sample,          # (PrintOptions) -> the same shape, made-up data
        policy=Policy("sales", "view"),
        cost_area="sales",              # show_costs = can(user, "sales", "cost")
    )

Call it from the app's `AppConfig.ready()`. Each code gets its own page `print/<code>/<pk>/`
(URL name `documents:print-<code>`, see `print_url()`), declaring the entry's policy, and its
built-in template `documents/print_templates/<code>.html` (or `template=`), which an
administrator may override per language (`PrintTemplate`).

The context functions are the only bridge between the database and a template: they return
plain dicts, lists, strings, numbers (Decimal), dates and booleans — never model instances —
so a template, even a hostile one, cannot reach the ORM or the settings.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet

from fabrika.access.areas import AREAS
from fabrika.access.policy import Policy, can, restrict

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "print_templates"
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class PrintOptions:
    """How one document is printed: its language, whether cost values may appear, for whom."""

    language: str
    show_costs: bool = False
    user: Any = None


@dataclass(frozen=True)
class PrintEntry:
    code: str
    model: type[Model]
    label: Any
    context: Callable[[Any, PrintOptions], dict]
    sample: Callable[[PrintOptions], dict]
    policy: Policy
    filter: Mapping[str, Any] = field(default_factory=dict)
    template: str = ""
    cost_area: str | None = None
    filename: Callable[[Any], str] | None = None

    @property
    def url_name(self) -> str:
        return f"documents:print-{self.code}"

    def default_source(self) -> str:
        return (TEMPLATE_DIR / self.template).read_text(encoding="utf-8")

    def default_css(self) -> str:
        css = TEMPLATE_DIR / (self.template.removesuffix(".html") + ".css")
        return css.read_text(encoding="utf-8") if css.exists() else ""

    def queryset(self) -> QuerySet:
        """Every record this form prints (a receipt note prints receipts, not transfers)."""
        return self.model._default_manager.filter(**self.filter)

    def applies(self, obj) -> bool:
        return isinstance(obj, self.model) and all(getattr(obj, k) == v for k, v in self.filter.items())

    def allows(self, user) -> bool:
        return self.policy.allows(user)

    def visible(self, user) -> QuerySet:
        """The records `user` may print with this form (area right and record scope)."""
        if not self.allows(user):
            return self.queryset().none()
        return restrict(user, "view", self.queryset())

    def latest(self, user):
        """The newest record `user` may print with this form, for a preview; None when there is none."""
        return self.visible(user).order_by("-pk").first()

    def show_costs_for(self, user) -> bool:
        return self.cost_area is None or (user is not None and can(user, self.cost_area, "cost"))

    def file_name(self, obj) -> str:
        name = self.filename(obj) if self.filename is not None else f"{self.code}-{obj.pk}"
        name = re.sub(r"[^\w.-]+", "_", str(name)).strip("._") or self.code
        return f"{name}.pdf"


REGISTRY: dict[str, PrintEntry] = {}


def register(
    code: str,
    *,
    model: type[Model],
    label,
    context: Callable[[Any, PrintOptions], dict],
    sample: Callable[[PrintOptions], dict],
    policy: Policy | None = None,
    filter: Mapping[str, Any] | None = None,
    template: str | None = None,
    cost_area: str | None = None,
    filename: Callable[[Any], str] | None = None,
) -> PrintEntry:
    """Declare a printed form. `filter` holds exact field values (e.g. {"type": "receipt"})."""
    if not CODE_RE.match(code):
        raise ImproperlyConfigured(f"print code {code!r} must look like 'app.form' (lowercase)")
    policy = policy or Policy(getattr(model, "access_area", None), "view")
    if policy.public or policy.area not in AREAS or policy.action not in AREAS[policy.area][1]:
        raise ImproperlyConfigured(f"print code {code!r}: {policy} is not an area right")
    if cost_area is not None and cost_area not in AREAS:
        raise ImproperlyConfigured(f"print code {code!r}: unknown cost area {cost_area!r}")
    template = template or f"{code}.html"
    if not (TEMPLATE_DIR / template).is_file():
        raise ImproperlyConfigured(f"print code {code!r}: {TEMPLATE_DIR / template} is missing")
    entry = PrintEntry(
        code=code,
        model=model,
        label=label,
        context=context,
        sample=sample,
        policy=policy,
        filter=dict(filter or {}),
        template=template,
        cost_area=cost_area,
        filename=filename,
    )
    REGISTRY[code] = entry
    return entry


class UnknownPrintCode(LookupError):
    pass


def get(code: str) -> PrintEntry:
    try:
        return REGISTRY[code]
    except KeyError:
        raise UnknownPrintCode(code) from None


def entries() -> list[PrintEntry]:
    return [REGISTRY[code] for code in sorted(REGISTRY)]


def entries_for(obj) -> list[PrintEntry]:
    """The forms that print `obj` (a receipt: the receipt note)."""
    return [entry for entry in entries() if entry.applies(obj)]


def print_url(code: str, pk) -> str:
    from django.urls import reverse

    return reverse(get(code).url_name, args=[pk])
