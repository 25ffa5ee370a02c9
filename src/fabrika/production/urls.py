"""Production routes: each views module keeps its own `urlpatterns`."""

import importlib

app_name = "production"

urlpatterns = []
for _module in ("products", "boms", "techcards", "orders", "analysis"):
    urlpatterns += importlib.import_module(f"fabrika.production.views.{_module}").urlpatterns
