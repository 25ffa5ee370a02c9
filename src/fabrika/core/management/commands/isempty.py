import sys

from django.core.management.base import BaseCommand

from fabrika.access.models import User


class Command(BaseCommand):
    help = "Exit 0 when the database has no users yet (a fresh install), 1 otherwise. Used by `make run`."
    requires_system_checks = []

    def handle(self, *args, **options):
        sys.exit(1 if User.objects.exists() else 0)
