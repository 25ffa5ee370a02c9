"""The only way a printed document gets at anything outside its own HTML.

WeasyPrint asks its URL fetcher for every image, stylesheet, font, SVG reference and PDF
attachment a document names. `SafeFetcher` answers only:

* `https://fabrika.invalid/static/<path>` — a file of the app's static files, found by
  Django's staticfiles finders (so relative links such as `/static/web/logo.svg` work: documents
  are rendered with `BASE_URL` as their base). `.invalid` is a reserved domain: nothing on the
  network is ever asked.
* `https://fabrika.invalid/media/company/<name>` — the company's own files (its logo) under
  MEDIA_ROOT/company/.
* `data:` URLs, decoded here (at most `MAX_BYTES`).

Everything else — http:, https: to any other host, file:, ftp:, paths outside those folders — is
refused: the URL is remembered in `refused` and WeasyPrint leaves the resource out.
"""

import base64
import logging
import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

HOST = "fabrika.invalid"
BASE_URL = f"https://{HOST}/"
STATIC_PREFIX = "/static/"
COMPANY_MEDIA_PREFIX = "/media/company/"
MAX_BYTES = 10 * 1024 * 1024


class FetchRefused(ValueError):
    """A printed document asked for something outside the app's own files."""


def company_media_url(name: str) -> str:
    """The URL a document uses for a file under MEDIA_ROOT/company/ (e.g. the logo)."""
    return f"{BASE_URL}media/company/{posixpath.basename(name)}"


def _clean_relative(path: str) -> str | None:
    """A relative path without '..', empty or absolute parts; None when it has any."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    if any(part in ("", ".", "..") for part in parts):
        return None
    return path


class SafeFetcher(URLFetcher):
    def __init__(self):
        super().__init__(allowed_protocols=frozenset(), allow_redirects=False, fail_on_errors=False)
        self.refused: list[str] = []
        self.served: list[str] = []

    def open(self, url, data=None, timeout=None):  # the OpenerDirector entry point goes here too
        return self.fetch(getattr(url, "full_url", url))

    def fetch(self, url, headers=None):
        url = str(url)
        if url[:5].lower() == "data:":
            return self._served(url, *self._data(url))
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.netloc == HOST and not parts.username and not parts.password:
            path = unquote(parts.path)
            found = None
            if path.startswith(STATIC_PREFIX):
                found = self._static(path[len(STATIC_PREFIX) :])
            elif path.startswith(COMPANY_MEDIA_PREFIX):
                found = self._company_media(path[len(COMPANY_MEDIA_PREFIX) :])
            if found is not None:
                return self._served(url, found.read_bytes(), mimetypes.guess_type(found.name)[0])
        return self.refuse(url)

    def refuse(self, url: str):
        self.refused.append(url)
        logger.info("printing: refused to fetch %s", url[:200])
        raise FetchRefused(f"refused: {url[:200]}")

    def _served(self, url: str, body: bytes, content_type: str | None) -> URLFetcherResponse:
        self.served.append(url if not url.startswith("data:") else url[:40])
        return URLFetcherResponse(url, body, {"Content-Type": content_type or "application/octet-stream"})

    def _data(self, url: str) -> tuple[bytes, str]:
        header, comma, payload = url[5:].partition(",")
        if not comma or len(payload) > MAX_BYTES * 4 // 3 + 4:
            self.refuse(url[:60])
        params = header.split(";")
        content_type = params[0].strip() or "text/plain"
        try:
            body = base64.b64decode(payload, validate=False) if "base64" in params[1:] else unquote_to_bytes(payload)
        except ValueError:
            self.refuse(url[:60])
        return body, content_type

    def _file(self, path: Path | None, root: Path | None = None) -> Path | None:
        if path is None:
            return None
        path = Path(path).resolve()
        if root is not None and not path.is_relative_to(root.resolve()):
            return None
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return None
        return path

    def _static(self, relative: str) -> Path | None:
        relative = _clean_relative(relative)
        if relative is None:
            return None
        try:
            found = finders.find(relative)
        except SuspiciousFileOperation:
            return None
        return self._file(found[0] if isinstance(found, list) else found)

    def _company_media(self, relative: str) -> Path | None:
        relative = _clean_relative(relative)
        if relative is None or "/" in relative:
            return None
        root = Path(settings.MEDIA_ROOT) / "company"
        return self._file(root / relative, root)
