from django.urls import path
from django.views.generic import TemplateView

from fabrika.access.policy import SIGNED_IN
from fabrika.core.views import PolicyMixin


class MyDayView(PolicyMixin, TemplateView):
    """Placeholder for the "my day" page (replaced by the activities team)."""

    access_policy = SIGNED_IN
    template_name = "web/home.html"


urlpatterns = [path("my-day/", MyDayView.as_view(), name="my-day")]
