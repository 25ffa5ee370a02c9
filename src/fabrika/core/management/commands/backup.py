from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from fabrika.audit.context import audit_context
from fabrika.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Write one archive (tar.gz) with the database, the attachment files and a manifest "
        "(row counts, checksums). Safe while the system is in use."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            metavar="PATH",
            help="Where to write the archive (default: var/backups/fabrika-YYYYmmdd-HHMMSS.tar.gz).",
        )

    def handle(self, *args, output=None, **options):
        with audit_context(kind="cmd", name="backup"):
            try:
                result = create_backup(output=output)
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
        manifest = result.manifest
        self.stdout.write(
            self.style.SUCCESS(f"Backup written: {result.path} ({filesizeformat(result.path.stat().st_size)})")
        )
        self.stdout.write(
            f"  database: {manifest['database']['vendor']}, {len(manifest['database']['tables'])} tables, "
            f"{result.rows} rows; files: {len(manifest['files'])}"
        )
