"""The sandboxed template engine of printed documents (DESIGN §3 rule 9).

Print templates are written by administrators in the browser, so they are treated as untrusted
code. They are Jinja2 templates rendered by `PrintSandbox`, an `ImmutableSandboxedEnvironment`:

* **No reach beyond the data.** The context is plain data (dicts, lists, str, Decimal, dates —
  built by each form's context function, never model instances), and the sandbox refuses
  attributes starting with an underscore and methods that change lists or dicts, so a template
  cannot climb from a value to its class, module, settings, the ORM or the file system. Names
  starting with an underscore are refused already when the template is checked, with the line.
* **No files, no network.** There is no file-system loader: templates come from strings, and
  `{% extends %}`, `{% include %}` and `{% import %}` may only name the built-in partials
  (`fabrika/layout.html`, `fabrika/macros.html`). Whatever the HTML links to is fetched by
  `fetcher.SafeFetcher`, which serves the app's own static files and nothing else.
* **Bounded work, best effort.** Jinja has no step limit of its own. The source is limited to
  200 KB and the output to 5 MB; `range()` has a budget; attribute and item lookups, calls,
  operators and output pieces count as steps (at most `MAX_STEPS`, and `MAX_SECONDS` of wall
  time, checked as they happen); `*`, `**` and `%` refuse results that would be huge, and
  calls refuse huge integer arguments (`"x".ljust(10**9)`). The filters that pad text to a
  width, `lipsum` and `format` are left out. A template written to be slow on purpose can still
  use one worker for up to `MAX_SECONDS` — the right to change templates (documents/change)
  belongs to administrators.

`check()` compiles a template and refuses the constructs above with a `PrintTemplateError`
carrying the line; `render()` renders it with a context, `strict=True` making every undefined
name an error (used when an administrator saves a template, against a sample context).
"""

import contextvars
import re
import time
from decimal import Decimal
from functools import lru_cache

from django.utils.translation import gettext as _
from jinja2 import DictLoader, StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.runtime import ChainableUndefined, Macro
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment

from fabrika.core.errors import DomainError

from . import filters
from .registry import TEMPLATE_DIR

MAX_SOURCE_BYTES = 200 * 1024
MAX_OUTPUT_CHARS = 5 * 1024 * 1024
MAX_STEPS = 2_000_000
MAX_SECONDS = 10.0
MAX_INT_ARGUMENT = 100_000
MAX_SEQUENCE = 1_000_000

PARTIAL_FILES = {"fabrika/layout.html": "partials/layout.html", "fabrika/macros.html": "partials/macros.html"}
REMOVED_FILTERS = {"center", "indent", "wordwrap", "format", "pprint", "random", "slice", "xmlattr"}
REMOVED_GLOBALS = {"lipsum"}
_WIDTH = re.compile(r"\d{7,}")


class PrintTemplateError(DomainError):
    """A print template does not compile, breaks a sandbox rule, or fails on the data."""

    code = "print_template"

    def __init__(self, message: str, lineno: int | None = None):
        self.lineno = lineno
        if lineno:
            message = _("Line %(line)d: %(message)s") % {"line": lineno, "message": message}
        super().__init__(message, lineno=lineno)


class _Budget:
    __slots__ = ("steps", "deadline")

    def __init__(self):
        self.steps = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > MAX_STEPS:
            raise SecurityError(_("the template does too much work (more than %(n)d steps).") % {"n": MAX_STEPS})
        if self.steps & 0x3FF == 0 and time.monotonic() > self.deadline:
            raise SecurityError(_("the template took longer than %(n)d seconds.") % {"n": int(MAX_SECONDS)})


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("print_budget", default=None)


def _tick(n: int = 1) -> None:
    budget = _budget.get()
    if budget is not None:
        budget.tick(n)


class _BudgetRange:
    """`range()` for templates: at most MAX_RANGE items, every item a step."""

    def __init__(self, *args):
        for arg in args:
            if not isinstance(arg, int) or isinstance(arg, bool):
                raise TypeError(_("range() takes whole numbers"))
        self._range = range(*args)
        if len(self._range) > MAX_RANGE:
            raise SecurityError(_("range() is limited to %(n)d items.") % {"n": MAX_RANGE})

    def __iter__(self):
        for value in self._range:
            _tick()
            yield value

    def __len__(self):
        return len(self._range)

    def __getitem__(self, index):
        return self._range[index]


def _too_big(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT_ARGUMENT


class PrintSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context, operator, left, right):
        _tick()
        if operator == "**" and (_too_big(right) or (isinstance(right, (int, float, Decimal)) and abs(right) > 64)):
            raise SecurityError(_("the exponent is too large."))
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                    if len(seq) * max(times, 0) > MAX_SEQUENCE:
                        raise SecurityError(_("the repeated text or list would be too long."))
        if operator == "%" and isinstance(left, str) and _WIDTH.search(left):
            raise SecurityError(_("the format asks for a width that is too large."))
        return super().call_binop(context, operator, left, right)

    def unsafe_undefined(self, obj, attribute):
        # Refuse at once (the default returns an undefined value that fails only when used).
        raise SecurityError(
            _("“%(name)s” of a %(type)s is not accessible.") % {"name": attribute, "type": type(obj).__name__}
        )

    def getattr(self, obj, attribute):
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        _tick()
        return super().getitem(obj, argument)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's signature)
        _tick()
        if not isinstance(__obj, Macro) and (any(map(_too_big, args)) or any(map(_too_big, kwargs.values()))):
            raise SecurityError(
                _("a number given to a function is too large (more than %(n)d).") % {"n": MAX_INT_ARGUMENT}
            )
        target = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        if getattr(target, "__name__", "") in ("format", "format_map") and isinstance(
            getattr(target, "__self__", None), str
        ):
            if _WIDTH.search(target.__self__):
                raise SecurityError(_("the format asks for a width that is too large."))
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, (str, list, tuple)) and len(result) > MAX_SEQUENCE:
            raise SecurityError(_("a function made a text or list that is too long."))
        return result


def _partials() -> dict[str, str]:
    return {name: (TEMPLATE_DIR / path).read_text(encoding="utf-8") for name, path in PARTIAL_FILES.items()}


def _make_environment(undefined) -> PrintSandbox:
    env = PrintSandbox(
        loader=DictLoader(_partials()),
        autoescape=True,
        undefined=undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=50,
    )
    for name in REMOVED_FILTERS:
        env.filters.pop(name, None)
    for name in REMOVED_GLOBALS:
        env.globals.pop(name, None)
    env.globals["range"] = _BudgetRange
    env.filters.update(filters.FILTERS)
    return env


@lru_cache(maxsize=2)
def environment(strict: bool = False) -> PrintSandbox:
    """The shared sandbox: lenient (undefined prints as nothing) or strict (undefined is an error)."""
    return _make_environment(StrictUndefined if strict else ChainableUndefined)


def partial_names() -> list[str]:
    return sorted(PARTIAL_FILES)


def _refuse_node(node) -> str | None:
    if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
        return _("“%(name)s”: names starting with an underscore are not allowed.") % {"name": node.attr}
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        if isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
            return _("“%(name)s”: names starting with an underscore are not allowed.") % {"name": node.arg.value}
    if isinstance(node, nodes.Name) and node.name.startswith("__"):
        return _("“%(name)s”: names starting with an underscore are not allowed.") % {"name": node.name}
    if isinstance(node, (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        target = node.template
        names = [target.value] if isinstance(target, nodes.Const) else None
        if isinstance(target, (nodes.List, nodes.Tuple)) and all(isinstance(i, nodes.Const) for i in target.items):
            names = [i.value for i in target.items]
        if names is None or any(name not in PARTIAL_FILES for name in names):
            return _("only the built-in parts can be included or extended: %(names)s.") % {
                "names": ", ".join(partial_names())
            }
    return None


def check(source: str) -> None:
    """Compile `source` in the sandbox; refuse what the sandbox would refuse anyway, with the line."""
    _compile(source)


@lru_cache(maxsize=64)
def _compiled(source: str, strict: bool):
    env = environment(strict)
    return env.from_string(source)


@lru_cache(maxsize=64)
def _compile(source: str) -> None:
    """Parse and vet `source` (cached: a refused source raises again, a vetted one is remembered)."""
    if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise PrintTemplateError(_("The template is larger than %(n)d KB.") % {"n": MAX_SOURCE_BYTES // 1024})
    env = environment(False)
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise PrintTemplateError(exc.message or str(exc), exc.lineno) from None
    for node in tree.find_all(nodes.Node):
        problem = _refuse_node(node)
        if problem:
            raise PrintTemplateError(problem, getattr(node, "lineno", None))


def _template_line(exc: BaseException) -> int | None:
    """The line of the template where a render error happened (Jinja rewrites the traceback)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render(source: str, context: dict, *, strict: bool = False) -> str:
    """Render a template source with a plain-data context, within the sandbox's limits."""
    _compile(source)
    try:
        template = _compiled(source, strict)
    except TemplateSyntaxError as exc:
        raise PrintTemplateError(exc.message or str(exc), exc.lineno) from None
    token = _budget.set(_Budget())
    size = 0
    parts = []
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise PrintTemplateError(
                    _("The document would be larger than %(n)d MB.") % {"n": MAX_OUTPUT_CHARS // (1024 * 1024)}
                )
            _tick()
            parts.append(chunk)
    except SecurityError as exc:
        raise PrintTemplateError(_("Not allowed: %(reason)s") % {"reason": exc}, _template_line(exc)) from None
    except UndefinedError as exc:
        raise PrintTemplateError(str(exc.message or exc), _template_line(exc)) from None
    except TemplateError as exc:
        raise PrintTemplateError(str(exc.message or exc), _template_line(exc)) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError, RecursionError) as exc:
        raise PrintTemplateError(f"{type(exc).__name__}: {exc}", _template_line(exc)) from None
    finally:
        _budget.reset(token)
    return "".join(parts)
