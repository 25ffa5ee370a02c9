from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fabrika.api"
    label = "api"
