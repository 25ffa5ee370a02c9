from django.core.management.base import BaseCommand

from fabrika.inventory.checks import check_ledger


class Command(BaseCommand):
    help = "Check the stock ledger's invariants; print each violation and exit non-zero when there is one."

    def handle(self, *args, **options):
        violations = check_ledger()
        for violation in violations:
            self.stdout.write(str(violation))
        if violations:
            self.stderr.write(f"{len(violations)} violation(s)")
            raise SystemExit(1)
        self.stdout.write("ledger clean")
