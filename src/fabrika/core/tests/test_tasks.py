"""Background jobs, run by the immediate backend (the embedded default)."""

import tarfile

import pytest
from django_tasks import TaskResultStatus

from fabrika.audit.models import BusinessEvent
from fabrika.core.tasks import run_backup_task


@pytest.mark.django_db(transaction=True)
def test_backup_job_writes_an_archive(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    target = tmp_path / "job.tar.gz"

    result = run_backup_task.enqueue(output=str(target))

    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert result.return_value == str(target)
    with tarfile.open(target) as tar:
        assert "manifest.json" in tar.getnames()
    event = BusinessEvent.objects.get(event="backup.created")
    assert event.request_id.startswith("job-backup-")
