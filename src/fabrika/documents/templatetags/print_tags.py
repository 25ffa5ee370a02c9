"""`{% load print_tags %}{% print_buttons object %}`: a "Print" menu for a card.

Lists the registered forms that print `object` (a receipt: the goods receipt note) and that
the user may use, each in every language; nothing at all when there is none.
"""

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse

from ..printing import registry

register = template.Library()


@register.inclusion_tag("documents/print_buttons.html", takes_context=True)
def print_buttons(context, obj):
    request = context.get("request")
    user = getattr(request, "user", None)
    forms = []
    if obj is not None and getattr(obj, "pk", None) is not None and user is not None and user.is_authenticated:
        for entry in registry.entries_for(obj):
            if not entry.allows(user):
                continue
            try:
                url = reverse(entry.url_name, args=[obj.pk])
            except NoReverseMatch:
                continue
            forms.append({"label": entry.label, "url": url})
    return {"forms": forms, "languages": settings.LANGUAGES}


@register.simple_tag
def print_url(code, obj_or_pk):
    """`{% print_url "inventory.receipt" document %}` → /files/print/inventory.receipt/5/."""
    return registry.print_url(code, getattr(obj_or_pk, "pk", obj_or_pk))
