"""Warehouse routes: each views module keeps its own `urlpatterns`."""

import importlib

app_name = "inventory"

urlpatterns = []
for _module in ("warehouses", "documents", "reservations", "periods", "reports", "ledger"):
    urlpatterns += importlib.import_module(f"fabrika.inventory.views.{_module}").urlpatterns
