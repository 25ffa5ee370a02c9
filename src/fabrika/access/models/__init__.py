from .roles import Role
from .users import Department, User

__all__ = ["Department", "Role", "User"]
