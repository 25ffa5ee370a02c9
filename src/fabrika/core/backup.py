"""Backups: one archive holding the database, the attachment files and a manifest.

Archive layout (`fabrika-YYYYmmdd-HHMMSS.tar.gz`):

    database.sqlite3 | database.pgdump   the database, a consistent snapshot
    files/<path>                         every file under MEDIA_ROOT
    manifest.json                        version, vendor, time, rows per table, sha256 per file

Consistency while the system keeps working:
- SQLite: the online backup API copies the whole database in one step under a read
  transaction; in WAL mode writers go on meanwhile. Row counts are read from the copy.
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot; the row counts are read in
  it and `pg_dump --snapshot` dumps exactly the same state.

Restore goes the other way into an empty database (or any, with `force`), puts the files back
and checks every row count and checksum against the manifest. A damaged archive, a database
of another kind or a database that already holds data is refused before anything is changed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event

from .errors import DomainError

ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"
FILES_DIR = "files"
DB_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Tables whose rows mean "somebody has used this database" (migrations alone create none).
DATA_TABLES = ("access_user", "audit_businessevent", "auditlog_logentry")
CHUNK = 1024 * 1024


class BackupError(DomainError):
    code = "backup_error"


@dataclass
class BackupResult:
    path: Path
    manifest: dict

    @property
    def rows(self) -> int:
        return sum(self.manifest["database"]["tables"].values())


@dataclass
class RestoreReport:
    manifest: dict
    tables: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (expected, found)
    files: dict[str, bool] = field(default_factory=dict)  # path -> checksum matches
    safety_backup: Path | None = None

    @property
    def mismatches(self) -> list[str]:
        problems = [
            _("table %(table)s: %(found)s rows, the backup has %(expected)s")
            % {"table": name, "found": found, "expected": expected}
            for name, (expected, found) in sorted(self.tables.items())
            if expected != found
        ]
        problems += [
            _("file %(path)s: checksum differs") % {"path": p} for p, ok in sorted(self.files.items()) if not ok
        ]
        return problems

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def rows(self) -> int:
        return sum(found for _expected, found in self.tables.values())


# --- helpers --------------------------------------------------------------------------------


def fabrika_version() -> str:
    try:
        return importlib.metadata.version("fabrika")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def default_archive_path(now: datetime | None = None) -> Path:
    now = timezone.localtime(now or timezone.now())
    return Path(settings.DATA_DIR) / "backups" / f"fabrika-{now:%Y%m%d-%H%M%S}.tar.gz"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def vendor_of(database: dict) -> str:
    engine = database["ENGINE"]
    if "sqlite" in engine:
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(_("Backups support SQLite and PostgreSQL, not %(engine)s.") % {"engine": engine})


class _HashingReader(io.RawIOBase):
    """Reads a file for tarfile while hashing exactly the bytes that go into the archive."""

    def __init__(self, fh):
        self._fh = fh
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size=-1):
        data = self._fh.read(size)
        self.digest.update(data)
        return data


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> dict:
    with open(path, "rb") as fh:
        info = tar.gettarinfo(fileobj=fh, arcname=arcname)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(fh)
        tar.addfile(info, reader)
    return {"sha256": reader.digest.hexdigest(), "size": info.size}


def _media_files(root: Path) -> list[tuple[Path, str]]:
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                found.append((path, path.relative_to(root).as_posix()))
    return found


def _require_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            _(
                "%(tool)s is not on PATH: install the PostgreSQL client tools "
                "(Debian: apt-get install postgresql-client)."
            )
            % {"tool": name}
        )
    return tool


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_tables(db: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
    ]
    return {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in sorted(names)}


def _sqlite_connect(database: dict) -> sqlite3.Connection:
    name = str(database["NAME"])
    uri = name.startswith("file:")
    return sqlite3.connect(name, uri=uri, timeout=float(database.get("OPTIONS", {}).get("timeout", 20)))


def _dump_sqlite(alias: str, target: Path) -> dict[str, int]:
    conn = connections[alias]
    conn.ensure_connection()
    dest = sqlite3.connect(target)
    try:
        # pages=-1: one step under one read transaction, a consistent snapshot.
        conn.connection.backup(dest, pages=-1)
        dest.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        return _sqlite_tables(dest)
    finally:
        dest.close()


def _restore_sqlite(source: Path, database: dict) -> None:
    if not str(database["NAME"]).startswith("file:"):
        Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dest = _sqlite_connect(database)
    try:
        src.backup(dest, pages=-1)  # replaces the whole target database in one write transaction
        if not str(database["NAME"]).startswith("file:"):
            dest.execute("PRAGMA journal_mode=WAL")
    finally:
        dest.close()
        src.close()


def _sqlite_has_file(database: dict) -> bool:
    name = str(database["NAME"])
    return name.startswith("file:") or (Path(name).exists() and Path(name).stat().st_size > 0)


# --- PostgreSQL -----------------------------------------------------------------------------


def _pg_env(database: dict) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if database.get(key):
            env[var] = str(database[key])
    options = database.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    return env


def pg_connect(database: dict, dbname: str | None = None, *, autocommit: bool = False):
    """A plain psycopg connection from Django-style database settings."""
    import psycopg

    params = {"dbname": dbname or database["NAME"]}
    for key, param in (("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password")):
        if database.get(key):
            params[param] = str(database[key])
    if (database.get("OPTIONS") or {}).get("sslmode"):
        params["sslmode"] = database["OPTIONS"]["sslmode"]
    return psycopg.connect(autocommit=autocommit, **params)


def _pg_tables(cursor) -> dict[str, int]:
    from psycopg import sql

    cursor.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND table_schema = ANY(current_schemas(false)) "
        "ORDER BY table_schema, table_name"
    )
    counts = {}
    for schema, name in cursor.fetchall():
        cursor.execute(sql.SQL("SELECT COUNT(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(name)))
        counts[name if schema == "public" else f"{schema}.{name}"] = cursor.fetchone()[0]
    return counts


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise BackupError(
            _("%(what)s failed (exit code %(code)s): %(error)s")
            % {"what": what, "code": done.returncode, "error": done.stderr.strip()[-2000:]}
        )


def _dump_postgresql(database: dict, target: Path) -> dict[str, int]:
    import psycopg

    pg_dump = _require_tool("pg_dump")
    with pg_connect(database) as snap:
        snap.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snap.read_only = True
        with snap.transaction(), snap.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _pg_tables(cursor)
            # pg_dump reads the very snapshot the counts were taken in (kept open meanwhile).
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    f"--dbname={database['NAME']}",
                ],
                _pg_env(database),
                "pg_dump",
            )
    return counts


def _restore_postgresql(source: Path, database: dict) -> None:
    pg_restore = _require_tool("pg_restore")
    env = _pg_env(database)
    # Fail instead of waiting forever behind a running server's locks.
    env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c lock_timeout=60000").strip()
    _run(
        [
            pg_restore,
            "--no-owner",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={database['NAME']}",
            str(source),
        ],
        env,
        "pg_restore",
    )


# --- what a target database holds -----------------------------------------------------------


def table_counts(database: dict) -> dict[str, int]:
    """Rows per table of a database given by its settings (no Django connection needed)."""
    if vendor_of(database) == "sqlite":
        if not _sqlite_has_file(database):
            return {}
        db = _sqlite_connect(database)
        try:
            return _sqlite_tables(db)
        finally:
            db.close()
    with pg_connect(database) as pg, pg.cursor() as cursor:
        return _pg_tables(cursor)


def data_rows(database: dict) -> dict[str, int]:
    """Rows of the tables that show a database is in use (users, events, change records)."""
    counts = table_counts(database)
    return {name: counts[name] for name in DATA_TABLES if counts.get(name)}


# --- backup ---------------------------------------------------------------------------------


def create_backup(*, output: Path | str | None = None, using: str = "default") -> BackupResult:
    """Write one archive with the database, the files under MEDIA_ROOT and a manifest."""
    database = connections[using].settings_dict
    vendor = vendor_of(database)
    path = Path(output) if output else default_archive_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)

    with tempfile.TemporaryDirectory(prefix=".fabrika-backup-", dir=path.parent) as tmp:
        db_file = Path(tmp) / DB_FILES[vendor]
        if vendor == "sqlite":
            tables = _dump_sqlite(using, db_file)
        else:
            tables = _dump_postgresql(database, db_file)

        partial = Path(tmp) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            db_entry = _add_file(tar, db_file, DB_FILES[vendor])
            files = {rel: _add_file(tar, p, f"{FILES_DIR}/{rel}") for p, rel in _media_files(media_root)}
            manifest = {
                "format": ARCHIVE_FORMAT,
                "fabrika_version": fabrika_version(),
                "created_at": timezone.now().isoformat(timespec="seconds"),
                "database": {"vendor": vendor, "file": DB_FILES[vendor], **db_entry, "tables": tables},
                "files": files,
            }
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, path)

    result = BackupResult(path=path, manifest=manifest)
    with transaction.atomic(using=using):
        record_event(
            "backup.created",
            archive=str(path),
            vendor=vendor,
            tables=len(tables),
            rows=result.rows,
            files=len(files),
            size=path.stat().st_size,
        )
    return result


# --- restore --------------------------------------------------------------------------------


def read_archive(archive: Path | str, into: Path) -> dict:
    """Unpack `archive` into `into` and check every checksum; return the manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(_("No backup archive at %(path)s.") % {"path": archive})
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(into, filter="data")  # refuses absolute paths, "..", links out of `into`
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(
            _("%(path)s is not a readable backup archive: %(error)s") % {"path": archive, "error": exc}
        ) from exc
    try:
        manifest = json.loads((into / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(_("%(path)s has no valid manifest.json.") % {"path": archive}) from exc
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise BackupError(_("Unknown backup format %(format)s.") % {"format": manifest.get("format")})

    expected = {manifest["database"]["file"]: manifest["database"]["sha256"]}
    expected.update({f"{FILES_DIR}/{rel}": entry["sha256"] for rel, entry in manifest["files"].items()})
    damaged = []
    for rel, sha in expected.items():
        if PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts:
            damaged.append(rel)
            continue
        path = into / rel
        if not path.is_file() or sha256_of(path) != sha:
            damaged.append(rel)
    if damaged:
        raise BackupError(
            _("The archive is damaged: %(files)s do not match the manifest. Nothing was restored.")
            % {"files": ", ".join(sorted(damaged))}
        )
    return manifest


def restore_backup(
    archive: Path | str,
    *,
    force: bool = False,
    using: str = "default",
    database: dict | None = None,
    media_root: Path | str | None = None,
) -> RestoreReport:
    """Bring an archive back into an empty database and MEDIA_ROOT, then verify it.

    `database` (Django-style settings: ENGINE, NAME, USER…) restores somewhere other than the
    connection `using`; `force` replaces a database that already holds data and overwrites
    differing files (a safety backup of the current database is written first).
    """
    target = dict(database or connections[using].settings_dict)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    vendor = vendor_of(target)
    report = None

    with tempfile.TemporaryDirectory(prefix="fabrika-restore-") as tmp:
        unpacked = Path(tmp)
        manifest = read_archive(archive, unpacked)
        report = RestoreReport(manifest=manifest)

        archived_vendor = manifest["database"]["vendor"]
        if archived_vendor != vendor:
            raise BackupError(
                _(
                    "The archive holds a %(archived)s database but the target is %(target)s. "
                    "Restore into the same kind of database."
                )
                % {"archived": archived_vendor, "target": vendor}
            )

        in_use = data_rows(target)
        if in_use and not force:
            raise BackupError(
                _(
                    "The database already has data (%(rows)s). "
                    "Restore replaces everything in it: use --force to do that."
                )
                % {"rows": ", ".join(f"{name}: {count}" for name, count in in_use.items())}
            )

        conflicts = [
            rel
            for rel, entry in manifest["files"].items()
            if (media_root / rel).is_file() and sha256_of(media_root / rel) != entry["sha256"]
        ]
        if conflicts and not force:
            raise BackupError(
                _("%(count)s files in %(root)s differ from the backup (%(files)s): use --force to overwrite them.")
                % {"count": len(conflicts), "root": media_root, "files": ", ".join(sorted(conflicts)[:5])}
            )

        if in_use and database is None:
            report.safety_backup = create_backup(
                output=default_archive_path().with_name(
                    f"fabrika-before-restore-{timezone.now():%Y%m%d-%H%M%S}.tar.gz"
                ),
                using=using,
            ).path

        db_file = unpacked / manifest["database"]["file"]
        if database is None:
            connections[using].close()  # the restore replaces what this connection had open
        if vendor == "sqlite":
            _restore_sqlite(db_file, target)
        else:
            _restore_postgresql(db_file, target)

        for rel in manifest["files"]:
            dest = media_root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(f".{dest.name}.restoring")
            shutil.copyfile(unpacked / FILES_DIR / rel, partial)
            os.replace(partial, dest)

    found = table_counts(target)
    report.tables = {name: (count, found.get(name, 0)) for name, count in manifest["database"]["tables"].items()}
    report.files = {rel: sha256_of(media_root / rel) == entry["sha256"] for rel, entry in manifest["files"].items()}
    if database is None:
        # Recorded in the restored database, after the check (so the counts above are exact).
        with transaction.atomic(using=using):
            record_event(
                "backup.restored",
                archive=str(archive),
                created_at=manifest["created_at"],
                vendor=vendor,
                tables=len(report.tables),
                rows=report.rows,
                files=len(report.files),
                verified=report.ok,
                safety_backup=str(report.safety_backup or ""),
            )
    return report
