"""Who is acting, and in which request, job or command.

Web requests get a request id from `AuditContextMiddleware`; management commands and jobs wrap
their work in `audit_context()`. Field changes (django-auditlog) and business events both carry
the actor and the request id.
"""

import contextlib
import uuid
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class _Context:
    request_id: str
    actor: object = None  # a user, or a request whose user is resolved when first needed
    remote_addr: str | None = None


_current: ContextVar[_Context | None] = ContextVar("fabrika_audit_context", default=None)


def new_request_id(kind: str = "req", name: str = "") -> str:
    label = f"{kind}-{name}-" if name else f"{kind}-"
    return label + uuid.uuid4().hex[:16]


def get_request_id() -> str | None:
    ctx = _current.get()
    return ctx.request_id if ctx else None


def get_remote_addr() -> str | None:
    ctx = _current.get()
    return ctx.remote_addr if ctx else None


def get_actor():
    """The signed-in user acting now, or None (anonymous, or a system job)."""
    ctx = _current.get()
    if ctx is None or ctx.actor is None:
        return None
    actor = getattr(ctx.actor, "user", ctx.actor)  # an HttpRequest carries its user
    return actor if getattr(actor, "is_authenticated", False) else None


@contextlib.contextmanager
def audit_context(*, actor=None, request_id: str | None = None, kind: str = "cmd", name: str = "",
                  remote_addr: str | None = None):
    """Attribute every change made inside the block to `actor` and one request id."""
    ctx = _Context(request_id=request_id or new_request_id(kind, name), actor=actor, remote_addr=remote_addr)
    token = _current.set(ctx)
    try:
        yield ctx.request_id
    finally:
        _current.reset(token)
