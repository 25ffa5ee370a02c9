"""Sales routes: each views module keeps its own `urlpatterns`."""

import importlib

app_name = "sales"

urlpatterns = []
for _module in ("entry", "orders", "availability", "shipments", "billing", "email", "settings"):
    urlpatterns += importlib.import_module(f"fabrika.sales.views.{_module}").urlpatterns
