"""Domain errors of the catalog; their data says what broke the rule."""

from django.utils.translation import gettext as _

from fabrika.core.errors import DomainError, ValidationFailed


class GroupCycle(ValidationFailed):
    """A group would become its own ancestor. `path` names the loop: the group … the new parent, the group."""

    code = "group_cycle"

    def __init__(self, group, path: list):
        self.group = group
        self.path = [g.name for g in path]
        message = _("A group cannot be its own ancestor: %(path)s.") % {"path": " › ".join(self.path)}
        super().__init__({"parent": [message]}, message)
        self.data = {"path": self.path}


class InUse(DomainError):
    """The record is still used (by products, price lists…) and cannot be deleted."""

    code = "in_use"
