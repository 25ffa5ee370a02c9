"""Production pages, one module per area; each keeps its own `urlpatterns`."""
