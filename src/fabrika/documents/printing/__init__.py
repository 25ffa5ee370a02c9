"""Printed documents (PDF): a registry of printed forms, a sandboxed template engine, a URL
fetcher that refuses everything but the app's own files, and WeasyPrint.

Apps register their forms in `AppConfig.ready()` (see `registry.register`); the stock documents
are registered in `printing.stock`. Pages link to `print_url(code, pk)`.
"""

from .registry import PrintEntry, PrintOptions, entries, entries_for, get, print_url, register

__all__ = ["PrintEntry", "PrintOptions", "entries", "entries_for", "get", "print_url", "register"]
