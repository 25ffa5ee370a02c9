from django.urls import path

from . import views

app_name = "crm"

urlpatterns = [
    path("my-day/", views.MyDayView.as_view(), name="my-day"),
]
