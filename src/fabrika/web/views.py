from django.views.generic import TemplateView

from fabrika.access.policy import SIGNED_IN
from fabrika.core.views import PolicyMixin


class HomeView(PolicyMixin, TemplateView):
    access_policy = SIGNED_IN
    template_name = "web/home.html"
