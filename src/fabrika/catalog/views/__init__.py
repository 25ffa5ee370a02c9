"""Catalog pages; each module keeps its own `urlpatterns`, collected by `fabrika.catalog.urls`."""
