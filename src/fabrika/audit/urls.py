from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.ChangeLogView.as_view(), name="log"),
    path("events/", views.EventLogView.as_view(), name="events"),
]
