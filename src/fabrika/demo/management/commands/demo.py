"""`fabrika demo`: load the demo company "Robo Fabrika" and print its logins."""

from django.core.management.base import BaseCommand, CommandError

from fabrika.core.errors import DomainError
from fabrika.demo import loaders
from fabrika.demo.loaders import users


class Command(BaseCommand):
    help = (
        "Load the demo company Robo Fabrika (company settings, departments, a user per role, customers, "
        "suppliers, deals and activities) and print the demo logins. Safe to run again: what exists is "
        "skipped. For trying Fabrika out only: every demo user's password is public."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet",
            action="store_true",
            help="Do not report the steps; only print the logins table (-v 0 prints nothing at all).",
        )

    def handle(self, *args, quiet: bool = False, verbosity: int = 1, **options):
        progress = verbosity >= 1 and not quiet
        if progress:
            self.stdout.write("Loading the demo company Robo Fabrika…")
        try:
            loaders.run(log=(lambda line: self.stdout.write(f"  {line}")) if progress else None)
        except DomainError as exc:
            raise CommandError(f"The demo could not be loaded: {exc}") from exc
        if verbosity >= 1:
            self._print_logins(users.logins())

    def _print_logins(self, rows: list[dict]) -> None:
        columns = [
            ("username", "Username"),
            ("role", "Role"),
            ("password", "Password"),
            ("name", "Name"),
            ("language", "Language"),
        ]
        widths = {key: max(len(title), *(len(str(row[key])) for row in rows)) for key, title in columns}
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo logins"))
        self.stdout.write("  ".join(title.ljust(widths[key]) for key, title in columns).rstrip())
        self.stdout.write("  ".join("-" * widths[key] for key, _title in columns))
        for row in rows:
            self.stdout.write("  ".join(str(row[key]).ljust(widths[key]) for key, _title in columns).rstrip())
        for row in rows:
            if row["totp_secret"]:
                self.stdout.write("")
                self.stdout.write(
                    f"{row['username']} needs a one-time code after the password. Add this DEMO "
                    "authenticator to an authenticator app (the secret, or the URI as a QR code):"
                )
                self.stdout.write(f"  secret: {row['totp_secret']}")
                self.stdout.write(f"  URI:    {row['totp_uri']}")
                self.stdout.write(
                    self.style.WARNING(
                        "  This key and the passwords above are public (they are in Fabrika's source code): "
                        "never keep demo users on a system with real data."
                    )
                )
