"""The permission matrix: every route of the project says who may open it, and keeps its word.

Routes are discovered from the URL configuration (pages, API router routes, `i18n/`,
`jsi18n/`…), so a page or endpoint is checked the moment it is added:

* `test_every_route_declares_a_policy` — each view declares its access: class-based views
  `access_policy = Policy(...)` (`fabrika.core.views.PolicyMixin`), function views
  `@policy_required(Policy(...))`, DRF viewsets `access_policy` or `access_area` (custom
  write actions listed in `access_actions`), and a DRF view's policy must be enforced by
  `AreaPermission`.
* `test_every_route_with_arguments_is_in_the_table` — a route whose URL takes arguments (a pk…)
  is requested with real records; `ROUTE_ARGS` below says how to get them. A new route with
  arguments fails here until its entry is added.
* `test_matrix[<role>]` — GET every route as a user with that built-in role (and as an anonymous
  visitor) and compare the answer with the declared policy:
    allowed → neither 403 nor a redirect to the login page, no server error, and the user's own
              record is found (not 404);
    denied  → 403;
    another user's record outside the role's record scope (own / team) → 404;
    anonymous → pages redirect to the login page, the API answers 401 or 403.
  Every mismatch of a role is listed at once.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from rest_framework.views import APIView

from fabrika.access import builtin_roles
from fabrika.access import services as access_services
from fabrika.access.api import METHOD_ACTIONS, AreaPermission
from fabrika.access.areas import ALL, AREAS
from fabrika.access.policy import Policy, can, scope_of
from fabrika.access.tests.factories import make_user, sign_in
from fabrika.catalog.tests.matrix import route_args as catalog_route_args
from fabrika.documents.tests.matrix_outbox import route_args as outbox_route_args
from fabrika.inventory.tests.matrix import route_args as inventory_route_args
from fabrika.production.tests.matrix import route_args as production_route_args
from fabrika.production.tests.matrix_print import route_args as production_print_route_args
from fabrika.purchasing.tests.matrix import route_args as purchasing_route_args
from fabrika.sales.tests.matrix import route_args as sales_route_args

# Routes that may stay without a declared policy. Empty on purpose: a route that cannot carry
# an `access_policy` (a view of Django itself) gets a thin wrapper that declares one, in the
# URL configuration. Adding an entry here needs the lead's approval and a comment saying why.
PUBLIC_ROUTES: set[str] = set()

VIEWSET_CRUD = {"list", "create", "retrieve", "update", "partial_update", "destroy"}
SAFE_METHODS = {"get", "head", "options"}


# --- routes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "crm:counterparty-detail" (the pattern when the route has no name)
    pattern: str  # "crm/counterparties/<int:pk>/"
    callback: Callable = field(compare=False)
    args: frozenset = frozenset()  # names of the URL's arguments
    named: bool = True

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def is_format_variant(self) -> bool:
        """DRF's `.json` suffix twin of a route: the same view, checked through the plain route."""
        return "format" in self.args


def _arg_names(pattern) -> set[str]:
    if isinstance(pattern, RoutePattern):  # "<int:pk>/"
        return set(pattern.converters)
    return set(pattern.regex.groupindex)  # "^(?P<pk>[^/.]+)/$" (DRF routers)


def _walk(patterns, prefix: str = "", namespace: str = "", args: frozenset = frozenset()):
    for entry in patterns:
        entry_args = args | _arg_names(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns, frozenset(entry_args))
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            yield Route(
                name=f"{namespace}{entry.name}" if entry.name else pattern,
                pattern=pattern,
                callback=entry.callback,
                args=frozenset(entry_args),
                named=bool(entry.name),
            )


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


# --- declared policies -----------------------------------------------------------------------


@dataclass(frozen=True)
class ApiArea:
    """A DRF viewset's `access_area`: the action follows the method, or `access_actions`."""

    area: str
    actions: dict  # HTTP method -> viewset action, for this route
    access_actions: dict

    def action_for(self, method: str) -> str:
        return self.access_actions.get(self.actions.get(method.lower())) or METHOD_ACTIONS.get(method.upper(), "change")

    def allows(self, user, method: str = "GET") -> bool:
        return user.is_authenticated and can(user, self.area, self.action_for(method))

    def __str__(self) -> str:
        return f"area {self.area}"


def declared_policy(callback):
    """The policy a route's view declares: a `Policy`, an `ApiArea`, or None."""
    cls = getattr(callback, "cls", None)  # DRF views and viewsets
    if cls is not None:
        policy = getattr(cls, "access_policy", None)
        if isinstance(policy, Policy):
            return policy
        area = getattr(cls, "access_area", None)
        if area:
            return ApiArea(
                area, dict(getattr(callback, "actions", None) or {}), dict(getattr(cls, "access_actions", {}))
            )
        return None
    view_class = getattr(callback, "view_class", None)  # Django class-based views
    if view_class is not None:
        policy = getattr(view_class, "access_policy", None)
    else:  # function views (`@policy_required`)
        policy = getattr(callback, "access_policy", None)
    return policy if isinstance(policy, Policy) else None


def policy_problems(route: Route) -> list[str]:
    if route.name in PUBLIC_ROUTES:
        return []
    policy = declared_policy(route.callback)
    view = getattr(route.callback, "cls", None) or getattr(route.callback, "view_class", None) or route.callback
    where = f"{route.name:42} /{route.pattern}  ({view.__module__}.{view.__name__})"
    if policy is None:
        return [f"{where}: no access_policy declared"]
    problems = []
    if isinstance(policy, ApiArea):
        if policy.area not in AREAS:
            problems.append(f"{where}: unknown access_area {policy.area!r}")
        for method, action in policy.actions.items():
            if action not in VIEWSET_CRUD and method not in SAFE_METHODS and action not in policy.access_actions:
                problems.append(f"{where}: custom action {action!r} ({method.upper()}) is missing from access_actions")
        for action in policy.access_actions.values():
            if action not in AREAS.get(policy.area, (None, ()))[1]:
                problems.append(f"{where}: access_actions names {action!r}, not an action of {policy.area}")
    elif policy.area is not None and (policy.area not in AREAS or policy.action not in AREAS[policy.area][1]):
        problems.append(f"{where}: {policy} names an unknown area or action")
    cls = getattr(route.callback, "cls", None)
    if cls is not None and issubclass(cls, APIView):
        permissions = getattr(cls, "permission_classes", ())
        if not any(isinstance(p, type) and issubclass(p, AreaPermission) for p in permissions):
            names = ", ".join(getattr(p, "__name__", str(p)) for p in permissions)
            problems.append(f"{where}: declares {policy} but DRF does not enforce it (permission_classes = [{names}])")
    return problems


# --- records for routes that take arguments --------------------------------------------------


class World:
    """Records to fill URL arguments: per owner (scoped records) or shared (unscoped ones)."""

    def __init__(self):
        from fabrika.crm import services as crm

        self.crm = crm
        self.spare_user = make_user("matrix-spare", "engineer")
        self.department = access_services.department_create(name="Matrix department")
        self.role = access_services.role_create(
            name="Matrix role", permissions={"crm": ["view"]}, scopes={"crm": "own"}
        )
        self.stage = crm.stage_save(actor=None, data={"name": "Matrix stage", "order": 50, "probability": 40})
        self.classifier_kind = crm.classifier_kind_save(actor=None, data={"code": "matrix", "name": "Matrix"})
        self.classifier_value = crm.classifier_value_save(actor=None, data={"kind": self.classifier_kind, "name": "M"})
        self._cache: dict = {}

    def _once(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def counterparty(self, owner):
        return self._once(
            ("counterparty", owner.pk),
            lambda: self.crm.counterparty_create(
                actor=owner, data={"name": f"Counterparty of {owner.username}", "responsible": owner}
            ),
        )

    def contact(self, owner):
        return self._once(
            ("contact", owner.pk),
            lambda: self.crm.contact_create(
                actor=owner, counterparty=self.counterparty(owner), data={"first_name": "C"}
            ),
        )

    def deal(self, owner):
        return self._once(
            ("deal", owner.pk),
            lambda: self.crm.deal_create(
                actor=owner, data={"title": "Deal", "counterparty": self.counterparty(owner), "owner": owner}
            ),
        )

    def activity(self, owner):
        return self._once(
            ("activity", owner.pk),
            lambda: self.crm.activity_create(
                actor=owner,
                data={
                    "kind": "call",
                    "subject": "Call",
                    "counterparty": self.counterparty(owner),
                    "owner": owner,
                },
            ),
        )

    def segment(self, owner):
        return self._once(
            ("segment", owner.pk),
            lambda: self.crm.segment_create(
                actor=owner, name=f"Segment of {owner.username}", filters={"role": "customer"}
            ),
        )

    def attachment(self, owner):
        from fabrika.documents import services as documents

        return self._once(
            ("attachment", owner.pk),
            lambda: documents.attachment_add(
                actor=owner,
                target=self.counterparty(owner),
                uploaded_file=SimpleUploadedFile("note.txt", b"hello", content_type="text/plain"),
            ),
        )

    def stock_document(self, doc_type):
        """One draft stock document per kind (stock documents have no owner: shared by everyone)."""

        def make():
            from decimal import Decimal

            from fabrika.catalog.models import Product, Unit
            from fabrika.inventory import services as inventory

            if "stock" not in self._cache:
                unit = Unit.objects.create(code="matrix-pcs", name="pieces")
                self._cache["stock"] = (
                    Product.objects.create(code="MATRIX-1", name="Matrix part", unit=unit),
                    inventory.warehouse_create(actor=None, data={"code": "MX1", "name": "M1", "valuation": "fifo"}),
                    inventory.warehouse_create(actor=None, data={"code": "MX2", "name": "M2", "valuation": "average"}),
                )
            product, main, other = self._cache["stock"]
            line = {"product": product, "qty": Decimal("1"), "price": Decimal("2"), "counted_qty": Decimal("1")}
            data = {"warehouse": main, "to_warehouse": other if doc_type == "transfer" else None, "reason": "Matrix"}
            return inventory.document_create(actor=None, type=doc_type, data=data, lines=[line])

        return self._once(("stock_document", doc_type), make)


@dataclass(frozen=True)
class Args:
    """How to fill a route's URL: `make(world, owner)` gives the kwargs for a record of `owner`.

    `scope_area`: the area whose record scope (own / team / all) decides whether another user's
    record is visible; None when the records have no owner (roles, stages…).
    """

    make: Callable
    scope_area: str | None = None


def pk_of(getter: Callable, scope_area: str | None = None) -> Args:
    return Args(lambda world, owner: {"pk": getter(world, owner).pk}, scope_area)


def _counterparty_target(world, owner):
    return {
        "content_type_id": ContentType.objects.get_for_model(world.counterparty(owner)).pk,
        "object_id": str(world.counterparty(owner).pk),
    }


SPARE_USER = pk_of(lambda w, o: w.spare_user)
DEPARTMENT = pk_of(lambda w, o: w.department)
ROLE = pk_of(lambda w, o: w.role)
STAGE = pk_of(lambda w, o: w.stage)
COUNTERPARTY = pk_of(lambda w, o: w.counterparty(o), "crm")
CONTACT = pk_of(lambda w, o: w.contact(o), "crm")
DEAL = pk_of(lambda w, o: w.deal(o), "crm")
ACTIVITY = pk_of(lambda w, o: w.activity(o), "crm")
SEGMENT = pk_of(lambda w, o: w.segment(o), "crm")
ATTACHMENT = pk_of(lambda w, o: w.attachment(o), "crm")  # scoped by the record it is attached to

# URL name -> how to get its arguments. Add an entry for every new route that takes arguments.
ROUTE_ARGS: dict[str, Args] = {
    # access pages
    "access:user-edit": SPARE_USER,
    "access:user-password": SPARE_USER,
    "access:user-deactivate": SPARE_USER,
    "access:user-activate": SPARE_USER,
    "access:user-otp-reset": SPARE_USER,
    "access:user-delete": SPARE_USER,
    "access:department-edit": DEPARTMENT,
    "access:department-delete": DEPARTMENT,
    "access:role-edit": ROLE,
    "access:role-delete": ROLE,
    # crm pages
    "crm:counterparty-detail": COUNTERPARTY,
    "crm:counterparty-update": COUNTERPARTY,
    "crm:counterparty-delete": COUNTERPARTY,
    "crm:contact-update": CONTACT,
    "crm:contact-delete": CONTACT,
    "crm:segment-open": SEGMENT,
    "crm:segment-update": SEGMENT,
    "crm:segment-delete": SEGMENT,
    "crm:classifier-update": pk_of(lambda w, o: w.classifier_kind),
    "crm:classifier-value-delete": pk_of(lambda w, o: w.classifier_value),
    "crm:activity-detail": ACTIVITY,
    "crm:activity-update": ACTIVITY,
    "crm:activity-complete": ACTIVITY,
    "crm:activity-delete": ACTIVITY,
    "crm:deal-detail": DEAL,
    "crm:deal-update": DEAL,
    "crm:deal-delete": DEAL,
    "crm:deal-move": DEAL,
    "crm:deal-win": DEAL,
    "crm:deal-lose": DEAL,
    "crm:stage-update": STAGE,
    "crm:stage-delete": STAGE,
    # files
    "documents:attachment-add": Args(_counterparty_target, "crm"),
    "documents:attachment-download": ATTACHMENT,
    "documents:attachment-delete": ATTACHMENT,
    # printed documents (stock documents have no owner: everyone with inventory/view sees them)
    **{
        f"documents:print-inventory.{kind}": Args(lambda w, o, kind=kind: {"pk": w.stock_document(kind).pk})
        for kind in ("receipt", "shipment", "transfer", "writeoff", "stocktake", "customer_return", "supplier_return")
    },
    # API
    "api:user-detail": SPARE_USER,
    "api:user-set-password": SPARE_USER,
    "api:role-detail": ROLE,
    "api:department-detail": DEPARTMENT,
    "api:counterparty-detail": COUNTERPARTY,
    "api:contact-detail": CONTACT,
    "api:activity-detail": ACTIVITY,
    "api:activity-complete": ACTIVITY,
    "api:funnel-stage-detail": STAGE,
    "api:deal-detail": DEAL,
    "api:deal-move": DEAL,
    "api:deal-win": DEAL,
    "api:deal-lose": DEAL,
    "api:segment-detail": SEGMENT,
    "api:segment-counterparties": SEGMENT,
    "api:attachment-detail": ATTACHMENT,
    "api:attachment-download": ATTACHMENT,
}


ROUTE_ARGS.update({name: Args(make, area) for name, (make, area) in catalog_route_args().items()})
ROUTE_ARGS.update({name: Args(make, area) for name, (make, area) in inventory_route_args().items()})
ROUTE_ARGS.update({name: Args(make, area) for name, (make, area) in production_route_args().items()})
ROUTE_ARGS.update({name: Args(make, area) for name, (make, area) in sales_route_args().items()})
ROUTE_ARGS.update({name: Args(make, area) for name, (make, area) in outbox_route_args().items()})
ROUTE_ARGS.update({name: Args(make, area) for name, (make, area) in production_print_route_args().items()})
ROUTE_ARGS.update({name: Args(make, area) for name, (make, area) in purchasing_route_args().items()})


def routes_needing_args(routes) -> list[Route]:
    return [r for r in routes if r.args and not r.is_format_variant]


# --- the tests -------------------------------------------------------------------------------


def test_every_route_declares_a_policy():
    problems = [problem for route in all_routes() for problem in policy_problems(route)]
    assert not problems, "Routes without a proper access policy:\n  " + "\n  ".join(problems)


def test_every_route_with_arguments_is_in_the_table():
    missing = [
        f"{r.name:42} /{r.pattern}  takes {', '.join(sorted(r.args))}"
        for r in routes_needing_args(all_routes())
        if r.name not in ROUTE_ARGS
    ]
    assert not missing, (
        "These routes take URL arguments but the permission matrix does not know how to fill them. "
        "Add an entry to ROUTE_ARGS in src/fabrika/access/tests/test_permission_matrix.py "
        '(e.g. `"crm:thing-detail": pk_of(lambda w, o: w.thing(o), "crm")`, with a World method '
        "that creates the record for owner o):\n  " + "\n  ".join(missing)
    )


def test_the_table_has_no_stale_entries():
    known = {r.name for r in all_routes()}
    stale = sorted(set(ROUTE_ARGS) - known)
    assert not stale, f"ROUTE_ARGS names routes that no longer exist: {', '.join(stale)}"


@dataclass
class Outcome:
    status: int
    location: str = ""

    def is_login_redirect(self) -> bool:
        return self.status in (301, 302, 303) and urlparse(self.location).path == reverse("access:login")


def _get(client, url) -> Outcome:
    response = client.get(url)
    return Outcome(response.status_code, response.get("Location", ""))


def _mismatch(route, policy, url, outcome, expected) -> str:
    shown = f"{outcome.status}" + (f" → {outcome.location}" if outcome.location else "")
    return f"GET {url:55} answered {shown:30} expected {expected:38} [{route.name}, {policy}]"


def check(route, policy, user, url, outcome, *, hidden=False, own_status=None) -> str | None:
    """The mismatch between the answer and the policy, or None.

    `hidden`: the record is outside the user's record scope, so an allowed user gets 404 (or
    405 when the route does not answer GET at all, as seen on the user's own record).
    """
    if not user.is_authenticated:
        if getattr(policy, "public", False):
            ok = outcome.status < 500 and outcome.status not in (401, 403) and not outcome.is_login_redirect()
            return None if ok else _mismatch(route, policy, url, outcome, "allowed (public)")
        if route.is_api:
            ok = outcome.status in (401, 403)
            return None if ok else _mismatch(route, policy, url, outcome, "401/403 (anonymous)")
        return None if outcome.is_login_redirect() else _mismatch(route, policy, url, outcome, "redirect to login")
    if not policy.allows(user):
        return None if outcome.status == 403 else _mismatch(route, policy, url, outcome, "403 (denied)")
    if hidden:
        ok = outcome.status == 404 or (outcome.status == 405 and own_status in (None, 405))
        return None if ok else _mismatch(route, policy, url, outcome, "404 (record outside the scope)")
    ok = outcome.status < 500 and outcome.status not in (401, 403, 404) and not outcome.is_login_redirect()
    return None if ok else _mismatch(route, policy, url, outcome, "allowed")


ROLE_CODES = sorted(builtin_roles.ROLES)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*ROLE_CODES, "anonymous"])
def test_matrix(role, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    world = World()
    foreign = make_user("matrix-foreign", "sales_manager", department="Matrix foreign team")
    if role == "anonymous":
        from django.contrib.auth.models import AnonymousUser

        user, owner = AnonymousUser(), foreign
    else:
        user = owner = make_user(f"matrix-{role}", role, department=f"Team of {role}")

    # One client for the whole run: a GET never changes the session, so a route that signs the
    # user out on GET would show up as login redirects in the rest of the matrix.
    client = Client(raise_request_exception=False)
    if user.is_authenticated:
        sign_in(client, user)  # administrators: with the second factor passed

    problems: list[str] = []
    for route in all_routes():
        policy = declared_policy(route.callback)
        if policy is None or route.is_format_variant or not route.named:
            continue  # reported by test_every_route_declares_a_policy / reversed through the plain route
        if not route.args:
            url = reverse(route.name)
            problem = check(route, policy, user, url, _get(client, url))
            problems += [problem] if problem else []
            continue
        args = ROUTE_ARGS.get(route.name)
        if args is None:
            continue  # reported by test_every_route_with_arguments_is_in_the_table
        # A record in an area the user cannot view at all is hidden even when it is their own
        # (a file attached to a counterparty, for a role without CRM rights).
        area = args.scope_area
        area_hidden = bool(area) and user.is_authenticated and not can(user, area, "view")
        own_url = reverse(route.name, kwargs=args.make(world, owner))
        own = _get(client, own_url)
        problem = check(route, policy, user, own_url, own, hidden=area_hidden)
        problems += [problem] if problem else []
        if user.is_authenticated and policy.allows(user):
            foreign_url = reverse(route.name, kwargs=args.make(world, foreign))
            hidden = area_hidden or (bool(area) and scope_of(user, area) != ALL)
            foreign_outcome = _get(client, foreign_url)
            problem = check(route, policy, user, foreign_url, foreign_outcome, hidden=hidden, own_status=own.status)
            problems += [problem] if problem else []
    assert not problems, f"Answers that do not match the declared policy for {role}:\n  " + "\n  ".join(problems)


@pytest.mark.django_db
def test_an_administrator_without_the_second_factor_is_stopped():
    """The administrator role requires a second factor: until it is passed, pages lead to the
    code form and the API (with session auth) refuses."""
    admin = make_user("matrix-admin-unverified", "administrator")
    client = Client()
    sign_in(client, admin, verified=False)

    page = client.get(reverse("crm:counterparty-list"))
    assert page.status_code == 302
    assert urlparse(page["Location"]).path == reverse("access:otp")
    assert client.get("/api/counterparties/").status_code == 403

    sign_in(client, admin, verified=True)
    assert client.get(reverse("crm:counterparty-list")).status_code == 200
    assert client.get("/api/counterparties/").status_code == 200
