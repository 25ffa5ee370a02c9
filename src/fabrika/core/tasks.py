"""Background jobs of the core (django-tasks: immediate backend by default, database backend
with `fabrika db_worker` in production)."""

from django_tasks import task

from fabrika.audit.context import audit_context

from .backup import create_backup


@task()
def run_backup_task(output: str | None = None) -> str:
    """Write a backup archive (see `fabrika backup`); returns its path."""
    with audit_context(kind="job", name="backup"):
        return str(create_backup(output=output).path)
