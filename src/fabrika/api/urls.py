from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fabrika.access.policy import PUBLIC, SIGNED_IN

from . import registry  # noqa: F401  (imports every app's api module)
from .router import router

app_name = "api"


class SchemaView(SpectacularAPIView):
    access_policy = SIGNED_IN


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its script served separately, so the page keeps the strict CSP."""

    access_policy = SIGNED_IN


router.APIRootView.access_policy = PUBLIC

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
