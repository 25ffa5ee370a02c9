"""Fixtures shared by every app's tests.

- Databases: SQLite by default (a test file in a private temporary directory, so threads and
  the live server use real separate connections, as in production); PostgreSQL when
  FABRIKA_DATABASE_URL points to one (`make test DB=postgres`): pytest-django creates
  `test_<name>` on CI, `test_<name>_p<pid>` elsewhere (`_gw0`… added under xdist).
  Transactional tests get `serialized_rollback`, so rows made by data migrations survive flushes.
- `@pytest.mark.postgres`: concurrency tests. Skipped on SQLite with a reason; on PostgreSQL
  they must run, and a skip inside one is turned into a failure.
- `@pytest.mark.browser`: tests driving real pages in headless Chromium through Playwright.
  Fixtures `browser`, `page`, helpers `login()` and `screenshot()`.
- `smtp_server`: a real SMTP server (aiosmtpd) on 127.0.0.1 that Django's SMTP backend sends to.
"""

import email
import email.policy
import os
import re
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("FABRIKA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _on_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def database_vendor() -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else "sqlite" if "sqlite" in engine else engine


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"


# --- databases ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Give every test run its own test database.

    SQLite: a file in a private temporary directory instead of memory. In-memory SQLite shares
    one connection between threads (live server) or uses shared-cache table locks that fail
    concurrent writers at once; a file in WAL mode behaves like the production database.

    PostgreSQL: `test_<name>` (`test_<name>_gw0`… under xdist) on CI; elsewhere with the process
    id appended, because several people or agents may run the suite at once against the one
    local server. Databases left by runs that were killed are dropped at the next start.
    """
    from django.conf import settings

    db = settings.DATABASES["default"]
    test = db.setdefault("TEST", {})
    if db["ENGINE"] == "django.db.backends.sqlite3":
        directory = Path(tempfile.mkdtemp(prefix="fabrika-test-"))
        test["NAME"] = str(directory / "test.sqlite3")
        yield
        shutil.rmtree(directory, ignore_errors=True)
        return
    if "postgresql" in db["ENGINE"] and not _on_ci():
        _drop_test_databases_of_dead_runs(db)
        test["NAME"] = f"{test.get('NAME') or 'test_' + db['NAME']}_p{os.getpid()}"
    yield


def _drop_test_databases_of_dead_runs(db: dict) -> None:
    import re

    from fabrika.core.backup import pg_connect

    pattern = re.compile(rf"^test_{re.escape(db['NAME'])}(_gw\d+)?_p(\d+)$")
    try:
        with pg_connect(db, "postgres", autocommit=True) as admin:
            names = [row[0] for row in admin.execute("SELECT datname FROM pg_database")]
            for name in names:
                match = pattern.match(name)
                if match and not _process_alive(int(match.group(2))):
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # housekeeping only: the run itself reports a database that is really down
        pass


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _transactional_db_marker(item) -> pytest.MarkDecorator | None:
    """For a transactional test, its django_db marker with `serialized_rollback=True`."""
    from pytest_django.fixtures import validate_django_db

    marker = item.get_closest_marker("django_db")
    transaction, reset_sequences, databases, serialized_rollback, available_apps = (
        validate_django_db(marker) if marker else (False, False, None, False, None)
    )
    fixtures = getattr(item, "fixturenames", ())
    if not (transaction or reset_sequences or "transactional_db" in fixtures or "live_server" in fixtures):
        return None
    if serialized_rollback:
        return None
    return pytest.mark.django_db(
        transaction=True,
        reset_sequences=reset_sequences,
        databases=databases,
        serialized_rollback=True,
        available_apps=available_apps,
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        # A transactional test ends with a flush that also empties the rows data migrations
        # made (built-in roles, funnel stages…). Serialized rollback loads them back at the
        # start of every transactional test, so each one sees a freshly migrated database.
        if getattr(item, "cls", None) is None and (marker := _transactional_db_marker(item)) is not None:
            item.add_marker(marker, append=False)

    if database_vendor() == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run `make test DB=postgres` or set FABRIKA_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and "postgres" in item.keywords and database_vendor() == "postgresql":
        # On PostgreSQL a concurrency test must run: a skip there would hide a broken setup.
        report.outcome = "failed"
        report.longrepr = f"postgres-marked test skipped on PostgreSQL: {report.longrepr}"


# --- browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(django_db_setup):
    """Headless Debian Chromium driven by Playwright (sync API), one per test session."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install chromium fonts-dejavu-core"
        if _on_ci():
            pytest.fail(message)
        pytest.skip(message)
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API leaves its event loop "running" on this thread. Django then (1)
    # refuses ORM calls unless DJANGO_ALLOW_ASYNC_UNSAFE is set, and (2) hands this thread a
    # fresh set of connection objects (asgiref keeps them per context inside a loop). Those
    # must get the serialized test data the database setup left on the old ones, or
    # transactional tests would no longer reload the rows that data migrations created.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    serialized = {
        conn.alias: conn._test_serialized_contents
        for conn in connections.all()
        if hasattr(conn, "_test_serialized_contents")
    }
    connections.close_all()
    with sync_playwright() as pw:
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            connections.close_all()  # before the test database is dropped


@pytest.fixture
def page(browser, live_server, transactional_db):
    """A fresh browser context and page per test; relative URLs go to the live server.

    The live server reads the database from its own thread, so the test's data must be
    committed: `page` brings `transactional_db` with it.
    """
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def login(page, username: str, password: str) -> None:
    """Sign in through the real login form and wait until the next page has loaded."""
    page.goto("/access/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")


def choose(box, text: str, option: str) -> None:
    """Type `text` into a Tom Select box, click the option that shows `option`, and leave the
    box chosen with its list closed.

    The text goes in as one input event, so the box refreshes (and searches the server) once.
    On a loaded machine a refresh or focus timer of the box can still open the list again
    after the click; Escape closes it as a user would.
    """
    from playwright.sync_api import expect

    wrapper = box.locator("xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' ts-wrapper ')]")
    box.fill(text)
    wrapper.locator(".ts-dropdown .option", has_text=option).first.click()
    expect(wrapper.locator(".ts-control .item", has_text=option).first).to_be_attached()
    open_list = re.compile(r"\bdropdown-active\b")
    for _ in range(3):
        box.page.wait_for_timeout(400)  # longer than the box's refresh throttle (300 ms)
        if not open_list.search(wrapper.get_attribute("class") or ""):
            return
        box.press("Escape")
    expect(wrapper).not_to_have_class(open_list)


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG to var/screenshots/<name>.png (git-ignored) and return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- e-mail ---------------------------------------------------------------------------------


@dataclass
class SmtpServer:
    host: str
    port: int
    envelopes: list = field(default_factory=list)

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(e.original_content, policy=email.policy.default) for e in self.envelopes]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[email.message.EmailMessage]:
        """Messages, once at least `count` have arrived (the server runs on its own thread)."""
        arrived = self._arrived
        with arrived:
            arrived.wait_for(lambda: len(self.envelopes) >= count, timeout=timeout)
        return self.messages

    def __post_init__(self):
        self._arrived = threading.Condition()

    # aiosmtpd handler hook
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self._arrived:
            self.envelopes.append(envelope)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1; Django's SMTP backend is pointed at it."""
    from aiosmtpd.controller import Controller

    server = SmtpServer(host="127.0.0.1", port=_free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    try:
        yield server
    finally:
        controller.stop()


def attachments_of(message: email.message.EmailMessage) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, content type) of each attachment of a received message, decoded."""
    return [
        (part.get_filename(), part.get_payload(decode=True), part.get_content_type())
        for part in message.iter_attachments()
    ]


@dataclass
class FailingSmtpServer(SmtpServer):
    """An SMTP server that answers every message with "451 try later"; `refused` keeps what it was offered."""

    refused: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self._arrived:
            self.refused.append(envelope)
            self._arrived.notify_all()
        return "451 4.3.0 Try again later"


def _point_email_at(settings, host: str, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = host
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def failing_smtp_server(settings):
    """A real SMTP server on 127.0.0.1 that refuses every message with 451; Django points at it.

    Request it after `smtp_server` (or set settings.EMAIL_PORT = smtp_server.port later) to send
    to the working server afterwards.
    """
    from aiosmtpd.controller import Controller

    server = FailingSmtpServer(host="127.0.0.1", port=_free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    _point_email_at(settings, server.host, server.port)
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def closed_smtp_port(settings) -> int:
    """Django's SMTP backend pointed at a port of 127.0.0.1 where nothing listens (connection refused)."""
    port = _free_port()
    _point_email_at(settings, "127.0.0.1", port)
    return port
