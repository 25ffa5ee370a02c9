from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "fabrika.demo"
    label = "demo"
