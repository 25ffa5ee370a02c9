from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fabrika.audit.context import audit_context
from fabrika.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore an archive written by `fabrika backup` into an empty database and the files "
        "directory, then check every row count and checksum against its manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar.gz archive written by `fabrika backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that already has data and overwrite differing files "
            "(a safety backup of the current database is written first).",
        )

    def handle(self, *args, archive, force=False, **options):
        with audit_context(kind="cmd", name="restore"):
            try:
                report = restore_backup(archive, force=force)
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
        manifest = report.manifest
        if report.safety_backup:
            self.stdout.write(f"The database as it was before: {report.safety_backup}")
        self.stdout.write(
            f"Restored {archive} (made {manifest['created_at']} by Fabrika {manifest['fabrika_version']}, "
            f"{manifest['database']['vendor']})"
        )
        self.stdout.write(f"  tables: {len(report.tables)}, rows: {report.rows}, files: {len(report.files)}")
        if not report.ok:
            for problem in report.mismatches:
                self.stderr.write(f"  {problem}")
            raise CommandError("The restored data does not match the backup's manifest.")
        self.stdout.write(self.style.SUCCESS("  every row count and file checksum matches the manifest"))
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            self.stdout.write(
                self.style.WARNING(
                    f"  {len(pending)} migrations of this version are not applied: run `fabrika migrate`"
                )
            )
