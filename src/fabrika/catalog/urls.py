"""Catalog routes: each views module keeps its own `urlpatterns`."""

from .views import groups, prices, products, units

app_name = "catalog"

urlpatterns = [*products.urlpatterns, *units.urlpatterns, *groups.urlpatterns, *prices.urlpatterns]
