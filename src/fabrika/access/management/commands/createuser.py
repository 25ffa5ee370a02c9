"""`fabrika createuser USERNAME --password P --role director [--role …]`: create a user from the shell."""

import getpass
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fabrika.access import services
from fabrika.access.models import Department, Role
from fabrika.audit.context import audit_context
from fabrika.core.errors import DomainError, ValidationFailed


class Command(BaseCommand):
    help = "Create a user with roles (through the same service as the Users page)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", help="Asked for when omitted and the terminal is interactive.")
        parser.add_argument(
            "--no-password",
            action="store_true",
            help="Create the user without a password (they cannot sign in until one is set).",
        )
        parser.add_argument(
            "--role",
            action="append",
            default=[],
            dest="roles",
            metavar="CODE",
            help="Role code; repeat for several roles.",
        )
        parser.add_argument("--department", help="Department name (created when missing).")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="", dest="first_name")
        parser.add_argument("--last-name", default="", dest="last_name")
        parser.add_argument(
            "--language", default="", choices=[""] + [code for code, _name in settings.LANGUAGES]
        )

    def handle(self, *args, **options):
        roles = []
        for code in options["roles"]:
            role = Role.objects.filter(code=code).first()
            if role is None:
                known = ", ".join(Role.objects.order_by("code").values_list("code", flat=True))
                raise CommandError(f"Unknown role {code!r}. Known roles: {known}.")
            roles.append(role)
        password = options["password"]
        if password is None and not options["no_password"]:
            if not sys.stdin.isatty():
                raise CommandError("Give --password (or --no-password) when not running in a terminal.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        # One transaction: a refused user does not leave a new department behind.
        with audit_context(kind="cmd", name="createuser"), transaction.atomic():
            try:
                department = None
                if options["department"]:
                    department = Department.objects.filter(name=options["department"]).first()
                    if department is None:
                        department = services.department_create(name=options["department"])
                        self.stdout.write(f"Department {department.name!r} created.")
                user = services.user_create(
                    username=options["username"],
                    password=password or None,
                    email=options["email"],
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                    department=department,
                    roles=roles,
                    language=options["language"],
                )
            except ValidationFailed as exc:
                lines = [f"{field}: {' '.join(messages)}" for field, messages in exc.errors.items()]
                raise CommandError("The user was not created:\n  " + "\n  ".join(lines))
            except DomainError as exc:
                raise CommandError(f"The user was not created: {exc.message}")
        role_text = ", ".join(r.code for r in roles) or "no role"
        self.stdout.write(self.style.SUCCESS(f"User {user.username!r} created ({role_text})."))
