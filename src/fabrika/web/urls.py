from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("settings/company/", views.CompanySettingsView.as_view(), name="company-settings"),
    path("settings/numbering/", views.NumberingView.as_view(), name="numbering"),
]
