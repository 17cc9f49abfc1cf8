"""A throwaway PostgreSQL server for the tests, started from Debian's binaries.

``TRACKER_TEST_POSTGRES_URL`` points at an existing server instead. Without either, the
PostgreSQL leg skips with the reason; in CI (``CI=true``) a missing server is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import closing
from pathlib import Path

import psycopg


class PostgresServer:
    def __init__(self, admin_url: str, cleanup=None):
        self.admin_url = admin_url  # a libpq URL to the "postgres" database
        self._cleanup = cleanup

    def new_database(self, template: str | None = None) -> tuple[str, str]:
        """Create a database, empty or a copy of ``template``; return its URL and name."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        copy_of = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"{copy_of}')
        return self._url_for(name), name

    def freeze(self, name: str) -> None:
        """Close a database to connections so it can be a template: CREATE DATABASE refuses to
        copy one that anyone is connected to."""
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            connection.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = %s",
                [name],
            )

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _url_for(self, name: str) -> str:
        base = self.admin_url.rsplit("/", 1)[0] if "?" not in self.admin_url else None
        if base is not None:
            return f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
        prefix, query = self.admin_url.split("?", 1)
        prefix = prefix.rsplit("/", 1)[0]
        return f"postgresql+psycopg://{prefix.split('://', 1)[1]}/{name}?{query}"

    def stop(self) -> None:
        if self._cleanup:
            self._cleanup()


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres_user(command: list[str]) -> list[str]:
    """initdb refuses to run as root; CI runs as root, so use the postgres account."""
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise RuntimeError("running as root without runuser: cannot start PostgreSQL")
        return [runuser, "-u", "postgres", "--", *command]
    return command


def start() -> PostgresServer | None:
    """Start a server in a temporary folder, or connect to the configured one."""
    configured = os.environ.get("TRACKER_TEST_POSTGRES_URL")
    if configured:
        return PostgresServer(configured)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        return None
    bin_dir = Path(candidates[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
    data = folder / "data"
    port = _free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run(
        _as_postgres_user(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres_user(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "log"),
                "-o",
                options,
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )

    def cleanup() -> None:
        subprocess.run(
            _as_postgres_user(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)

    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    for _ in range(50):
        try:
            psycopg.connect(url).close()
            break
        except psycopg.OperationalError:
            time.sleep(0.1)
    return PostgresServer(url, cleanup)
