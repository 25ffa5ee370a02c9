"""API side of access: the permission class every endpoint uses (the endpoints are in `endpoints.py`)."""

from rest_framework.permissions import BasePermission

from .policy import Policy, can, restrict

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class AreaPermission(BasePermission):
    """Checks the area right for the request; record scope comes from `ScopedViewSetMixin`.

    A view declares either `access_policy` (one Policy for everything) or `access_area` (the
    action follows the HTTP method, or `access_actions[view.action]` for custom actions).
    """

    def has_permission(self, request, view):
        policy = getattr(view, "access_policy", None)
        if isinstance(policy, Policy):
            return policy.allows(request.user)
        area = getattr(view, "access_area", None)
        if area is None:
            return False  # no declared policy: refuse (and the matrix test fails)
        if not request.user or not request.user.is_authenticated:
            return False
        return can(request.user, area, self.action_for(request, view))

    @staticmethod
    def action_for(request, view) -> str:
        custom = getattr(view, "access_actions", {}).get(getattr(view, "action", None))
        return custom or METHOD_ACTIONS.get(request.method, "change")


class ScopedViewSetMixin:
    """`get_queryset` filtered by the user's record scope for the action being done."""

    def get_queryset(self):
        queryset = super().get_queryset()
        action = AreaPermission.action_for(self.request, self)
        # Reading a record needs view scope; changing or deleting it needs scope for that action.
        return restrict(self.request.user, action if action != "add" else "view", queryset)
