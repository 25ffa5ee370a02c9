from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fabrika.web"
    label = "web"
