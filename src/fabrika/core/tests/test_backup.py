"""Backup and restore on the real database (SQLite or PostgreSQL, whichever the run uses)."""

import hashlib
import io
import json
import sqlite3
import tarfile
import threading
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from fabrika.audit.models import BusinessEvent
from fabrika.core.backup import BackupError, create_backup, pg_connect, restore_backup, table_counts
from fabrika.crm.models import Tag

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def attachments(settings) -> dict[str, str]:
    """A couple of files under MEDIA_ROOT; returns their sha256 worked out here."""
    root = Path(settings.MEDIA_ROOT)
    files = {
        "attachments/3f/drawing-door-900x2100.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 64,
        "attachments/a0/photo.jpg": b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" * 500,
        "logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'>Фабрика</svg>".encode(),
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}


@pytest.fixture
def fresh_database(tmp_path):
    """Settings of a new, empty database of the run's kind (created and dropped here)."""
    current = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        yield {**current, "NAME": str(tmp_path / "restored.sqlite3")}
        return
    name = f"fabrika_restore_{uuid.uuid4().hex[:12]}"
    with pg_connect(current, "postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**current, "NAME": name}
    finally:
        with pg_connect(current, "postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def tag_names(database: dict) -> list[str]:
    """The tags in a database, read with the plain driver (not Django's connection)."""
    query = "SELECT name FROM crm_tag ORDER BY name"
    if connection.vendor == "sqlite":
        db = sqlite3.connect(database["NAME"])
        try:
            return [row[0] for row in db.execute(query)]
        finally:
            db.close()
    with pg_connect(database) as pg:
        return [row[0] for row in pg.execute(query)]


class Writer(threading.Thread):
    """Keeps inserting tags `tag-000000`, `tag-000001`… in its own connection, one commit each."""

    def __init__(self):
        super().__init__(daemon=True)
        self.written = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            while not self.stop.is_set():
                Tag.objects.create(name=f"tag-{self.written:06d}")
                self.written += 1
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connection.close()

    def wait_for(self, count: int) -> None:
        for _ in range(2000):
            if self.written >= count or self.error:
                return
            self.stop.wait(0.01)
        raise AssertionError(f"the writer wrote only {self.written} rows")


def test_backup_while_writing_then_restore_into_fresh_database(tmp_path, settings, attachments, fresh_database):
    writer = Writer()
    writer.start()
    try:
        writer.wait_for(30)
        result = create_backup(output=tmp_path / "out" / "backup.tar.gz")
        written_at_backup_end = writer.written
        writer.wait_for(written_at_backup_end + 30)  # the writer went on after the backup
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert writer.error is None

    manifest = result.manifest
    archived_tags = manifest["database"]["tables"]["crm_tag"]
    assert 30 <= archived_tags <= written_at_backup_end < writer.written
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["fabrika_version"] == "0.1.0"
    assert {rel: entry["sha256"] for rel, entry in manifest["files"].items()} == attachments
    with tarfile.open(result.path) as tar:
        names = sorted(tar.getnames())
    assert names == sorted([manifest["database"]["file"], "manifest.json", *(f"files/{rel}" for rel in attachments)])

    restored_media = tmp_path / "restored-files"
    report = restore_backup(result.path, database=fresh_database, media_root=restored_media)

    assert report.ok, report.mismatches
    assert report.tables == {name: (n, n) for name, n in manifest["database"]["tables"].items()}
    # A consistent snapshot holds exactly the first N committed tags, no holes.
    assert tag_names(fresh_database) == [f"tag-{i:06d}" for i in range(archived_tags)]
    assert table_counts(fresh_database)["crm_tag"] == archived_tags
    restored = {
        p.relative_to(restored_media).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in restored_media.rglob("*")
        if p.is_file()
    }
    assert restored == attachments


def test_commands_refuse_a_database_with_data_and_restore_with_force(tmp_path, settings, attachments, capsys):
    settings.DATA_DIR = tmp_path / "var"
    Tag.objects.create(name="kept")
    call_command("backup")
    [archive] = (tmp_path / "var" / "backups").glob("fabrika-*.tar.gz")
    assert "Backup written" in capsys.readouterr().out
    event = BusinessEvent.objects.get(event="backup.created")
    assert event.request_id.startswith("cmd-backup-")
    assert event.data["files"] == 3

    Tag.objects.create(name="added after the backup")
    Tag.objects.filter(name="kept").delete()
    (Path(settings.MEDIA_ROOT) / "logo.svg").write_text("changed")

    with pytest.raises(CommandError, match="already has data"):
        call_command("restore", str(archive))
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["added after the backup"]  # untouched

    call_command("restore", str(archive), "--force")

    out = capsys.readouterr().out
    assert "every row count and file checksum matches the manifest" in out
    assert "The database as it was before:" in out
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["kept"]
    assert hashlib.sha256((Path(settings.MEDIA_ROOT) / "logo.svg").read_bytes()).hexdigest() == attachments["logo.svg"]
    restored_event = BusinessEvent.objects.get(event="backup.restored")
    assert restored_event.request_id.startswith("cmd-restore-")
    assert restored_event.data["verified"] is True
    # The safety backup holds the database as it was just before the restore.
    [safety] = (tmp_path / "var" / "backups").glob("fabrika-before-restore-*.tar.gz")
    with tarfile.open(safety) as tar:
        safety_manifest = json.load(tar.extractfile("manifest.json"))
    assert safety_manifest["database"]["tables"]["crm_tag"] == 1


def test_restore_refuses_changed_files_without_force(tmp_path, settings, attachments, fresh_database):
    result = create_backup(output=tmp_path / "b.tar.gz")
    (Path(settings.MEDIA_ROOT) / "logo.svg").write_text("changed")

    with pytest.raises(BackupError, match="differ from the backup"):
        restore_backup(result.path, database=fresh_database)
    assert (Path(settings.MEDIA_ROOT) / "logo.svg").read_text() == "changed"


def rewrite_archive(source: Path, target: Path, change) -> None:
    with tarfile.open(source) as tar_in, tarfile.open(target, "w:gz") as tar_out:
        for member in tar_in.getmembers():
            data = change(member.name, tar_in.extractfile(member).read())
            member.size = len(data)
            tar_out.addfile(member, io.BytesIO(data))


def test_damaged_archive_is_refused_before_anything_changes(tmp_path, attachments, fresh_database):
    result = create_backup(output=tmp_path / "b.tar.gz")
    damaged = tmp_path / "damaged.tar.gz"
    rewrite_archive(result.path, damaged, lambda name, data: data[:-1] + b"!" if name.endswith("photo.jpg") else data)

    with pytest.raises(BackupError, match=r"damaged: files/attachments/a0/photo\.jpg"):
        restore_backup(damaged, database=fresh_database, media_root=tmp_path / "restored")
    assert table_counts(fresh_database).get("crm_tag") is None
    assert not (tmp_path / "restored").exists()


def test_archive_of_another_database_kind_is_refused(tmp_path, fresh_database):
    result = create_backup(output=tmp_path / "b.tar.gz")
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"

    def change(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["database"]["vendor"] = other
        return json.dumps(manifest).encode()

    rewrite_archive(result.path, tmp_path / "other.tar.gz", change)
    with pytest.raises(BackupError, match=f"holds a {other} database"):
        restore_backup(tmp_path / "other.tar.gz", database=fresh_database)


def test_not_an_archive(tmp_path):
    (tmp_path / "notes.tar.gz").write_text("not a tar")
    with pytest.raises(BackupError, match="not a readable backup archive"):
        restore_backup(tmp_path / "notes.tar.gz")
    with pytest.raises(BackupError, match="No backup archive"):
        restore_backup(tmp_path / "missing.tar.gz")


@pytest.mark.postgres
def test_pg_dump_missing_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump is not on PATH"):
        create_backup(output=tmp_path / "b.tar.gz")
