"""CRM routes: each views module keeps its own `urlpatterns`."""

import importlib

app_name = "crm"

urlpatterns = []
for _module in (
    "counterparties", "contacts", "imports", "segments", "settings",
    "activities", "deals", "my_day", "stages",
):
    try:
        urlpatterns += importlib.import_module(f"fabrika.crm.views.{_module}").urlpatterns
    except ModuleNotFoundError as exc:
        if exc.name != f"fabrika.crm.views.{_module}":
            raise
