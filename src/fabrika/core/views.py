"""Building blocks for pages: access policy, lists with filter/sort/search/export.

Every page view declares `access_policy` (a `fabrika.access.policy.Policy`); `PolicyMixin`
checks it before anything else. Record-level scope comes from `restrict()` in `get_queryset`.
"""

from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Q
from django.views.generic import ListView

from fabrika.access.policy import Policy, restrict

from .exports import export_response


class PolicyMixin:
    access_policy: Policy | None = None

    def dispatch(self, request, *args, **kwargs):
        policy = self.access_policy
        if policy is None:
            raise ImproperlyConfigured(f"{type(self).__name__} declares no access_policy")
        if not policy.public and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not policy.allows(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def scoped(self, queryset, action: str = "view"):
        return restrict(self.request.user, action, queryset)


def policy_required(policy: Policy):
    """The same check for function views; the policy is kept on the view for the matrix test."""

    def decorate(view):
        def wrapped(request, *args, **kwargs):
            if not policy.public and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not policy.allows(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.access_policy = policy
        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorate


class Column:
    """One column of a list page and of its export."""

    def __init__(self, key: str, label, *, sort: str | None = None, value=None, link: bool = False,
                 template: str | None = None):
        self.key = key
        self.label = label
        self.sort = sort
        self._value = value
        self.link = link
        self.template = template

    def value(self, obj):
        if self._value is not None:
            return self._value(obj)
        value = obj
        for part in self.key.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return ""
        if callable(value):
            value = value()
        return value


class ListPage(PolicyMixin, ListView):
    """A list with filters (django-filter), search, sorting, pagination and CSV/XLSX export.

    Subclasses set `model`, `access_policy`, `columns`, and optionally `filterset_class`,
    `search_fields`, `default_ordering`, `title`, `create_url`.
    """

    paginate_by = 50
    columns: list[Column] = []
    filterset_class = None
    search_fields: tuple[str, ...] = ()
    default_ordering = ("-id",)
    title = ""
    create_url: str | None = None
    export_name = "export"
    template_name = "web/list.html"

    def base_queryset(self):
        return self.scoped(self.model._default_manager.all())

    def get_queryset(self):
        qs = self.base_queryset()
        self.filterset = None
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(self.request.GET or None, queryset=qs, request=self.request)
            qs = self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() else qs
        self.search = self.request.GET.get("q", "").strip()
        if self.search and self.search_fields:
            condition = Q()
            for term in self.search.split():
                term_q = Q()
                for field in self.search_fields:
                    term_q |= Q(**{f"{field}__icontains": term})
                condition &= term_q
            qs = qs.filter(condition)
        return qs.order_by(*self.ordering_for(self.request.GET.get("sort", "")))

    def ordering_for(self, sort: str) -> tuple[str, ...]:
        allowed = {c.sort for c in self.columns if c.sort}
        key = sort.lstrip("-")
        if key in allowed:
            return (sort, "-pk") if sort.startswith("-") else (sort, "pk")
        return self.default_ordering

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export")
        if export in ("csv", "xlsx"):
            return export_response(
                export, self.export_name, [str(c.label) for c in self.columns],
                ([_plain(c.value(obj)) for c in self.columns] for obj in self.get_queryset().iterator(2000)),
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        sort = self.request.GET.get("sort", "")
        ctx.update(
            title=self.title or self.model._meta.verbose_name_plural.capitalize(),
            columns=self.columns,
            rows=[(obj, [c.value(obj) for c in self.columns]) for obj in ctx["object_list"]],
            filter=self.filterset,
            search=self.search,
            has_search=bool(self.search_fields),
            sort=sort,
            querystring=params.urlencode(),
            querystring_nosort=urlencode([(k, v) for k, v in params.lists() for v in v if k != "sort"]),
            create_url=self.create_url,
        )
        return ctx


def _plain(value):
    if hasattr(value, "_meta"):
        return str(value)
    return value
