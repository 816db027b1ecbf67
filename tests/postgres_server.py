"""A throwaway PostgreSQL server on loopback, from Debian's `postgresql` package.

initdb refuses to run as root, so as root the cluster belongs to the `postgres` system
user (the package creates it) and both binaries run through `runuser`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.processes import stop

# Debian installs each major version side by side; the newest one present is used.
PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name),
             default=Path("/usr/lib/postgresql/15/bin"))


def postgres_missing() -> str | None:
    """Why the server cannot start here, or None."""
    if not (PG_BIN / "initdb").exists():
        return "PostgreSQL is not installed (/usr/lib/postgresql); .ci/run installs it"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def serve_postgres() -> Iterator[str]:
    """Start a fresh cluster; yields its SQLAlchemy URL (database `careerqa`)."""
    root = Path(tempfile.mkdtemp(prefix="careerqa-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    port = _free_port()
    subprocess.run(_as_owner([str(PG_BIN / "initdb"), "-D", str(data), "-U", "careerqa",
                              "--auth=trust", "-E", "UTF8", "--no-sync"]),
                   check=True, capture_output=True)
    server = subprocess.Popen(
        _as_owner([str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port),
                   "-h", "127.0.0.1", "-k", str(root), "-c", "fsync=off",
                   "-c", "max_connections=200"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while subprocess.run([str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                             capture_output=True).returncode != 0:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not start: "
                                   + (server.stderr.read().decode() if server.stderr else ""))
            time.sleep(0.2)
        subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                        "-U", "careerqa", "careerqa"], check=True, capture_output=True)
        yield f"postgresql://careerqa@127.0.0.1:{port}/careerqa"
    finally:
        stop(server)
        shutil.rmtree(root, ignore_errors=True)
