"""The ledger check (`fabrika check-ledger`) as a page for the director.

It needs the inventory cost right (values are compared): Policy("inventory", "cost") — the
director, the economist and the administrator have it; a storekeeper does not.
"""

import time

from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import Policy
from fabrika.catalog.models import Product
from fabrika.core.views import PolicyMixin

from ..checks import check_ledger
from ..models import Warehouse


class CheckLedgerView(PolicyMixin, View):
    access_policy = Policy("inventory", "cost")

    def get(self, request):
        started = time.monotonic()
        violations = check_ledger()
        seconds = time.monotonic() - started
        products = dict(
            (pk, f"{code} — {name}")
            for pk, code, name in Product.objects.filter(pk__in={v.product_id for v in violations}).values_list(
                "pk", "code", "name"
            )
        )
        warehouses = dict(Warehouse.objects.values_list("pk", "name"))
        rows = [
            {
                "rule": v.rule,
                "product": products.get(v.product_id, v.product_id),
                "warehouse": warehouses.get(v.warehouse_id, v.warehouse_id),
                "detail": v.detail,
            }
            for v in violations
        ]
        return TemplateResponse(
            request,
            "inventory/check_ledger.html",
            {"title": _("Ledger check"), "violations": rows, "seconds": round(seconds, 2)},
        )


urlpatterns = [path("check-ledger/", CheckLedgerView.as_view(), name="check-ledger")]
