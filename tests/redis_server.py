"""A throwaway Redis server on loopback, from Debian's `redis-server` package.

Nothing is written to disk (no RDB snapshot, no append-only file): each run starts empty.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from tests.processes import stop
from tests.widget_support import free_port


def redis_missing() -> str | None:
    """Why the server cannot start here, or None."""
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (Debian's redis-server); .ci/run installs it"
    return None


@contextmanager
def serve_redis() -> Iterator[str]:
    """Start a server on a free loopback port; yields its URL."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 30
        client = redis.Redis.from_url(url)
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start: "
                                       + (server.stderr.read().decode() if server.stderr
                                          else "")) from None
                time.sleep(0.1)
        client.close()
        yield url
    finally:
        stop(server)
