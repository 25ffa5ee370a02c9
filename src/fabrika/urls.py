from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from fabrika.access.policy import PUBLIC
from fabrika.core.views import PolicyMixin


class JavaScriptCatalogView(PolicyMixin, JavaScriptCatalog):
    """Translations for scripts; public like the login page that uses them."""

    access_policy = PUBLIC


urlpatterns = [
    path("", include("fabrika.web.urls")),
    path("access/", include("fabrika.access.urls")),
    path("audit/", include("fabrika.audit.urls")),
    path("crm/", include("fabrika.crm.urls")),
    path("inventory/", include("fabrika.inventory.urls")),
    path("catalog/", include("fabrika.catalog.urls")),
    path("production/", include("fabrika.production.urls")),
    path("sales/", include("fabrika.sales.urls")),
    path("purchasing/", include("fabrika.purchasing.urls")),
    path("files/", include("fabrika.documents.urls")),
    path("api/", include("fabrika.api.urls")),
    # The language is switched by access:language (saved on the user); no set_language route.
    path("jsi18n/", JavaScriptCatalogView.as_view(), name="javascript-catalog"),
]

