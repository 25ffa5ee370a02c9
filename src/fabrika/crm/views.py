from django.views.generic import TemplateView

from fabrika.access.policy import SIGNED_IN
from fabrika.core.views import PolicyMixin


class MyDayView(PolicyMixin, TemplateView):
    """Placeholder for the "my day" page."""

    access_policy = SIGNED_IN
    template_name = "web/home.html"
