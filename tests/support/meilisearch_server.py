"""The real Meilisearch server (from the npm package in package.json), started for a test
session on a free port with a throw-away data folder, and stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from marketplace import PROJECT_ROOT

BINARY = Path(PROJECT_ROOT) / "node_modules" / "@gaubee" / "meilisearch-linux-amd64" / "meilisearch"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:  # noqa: S310 - localhost
            return answer.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def meilisearch_server():
    """Yield ``(url, master_key)`` of a fresh server; raise if it cannot start."""
    if not os.access(BINARY, os.X_OK):
        raise FileNotFoundError(f"{BINARY} is missing or not executable: run `npm ci`")
    # Hex, and given as --master-key=…: a url-safe key starting with "-" was read as an
    # option ("unexpected argument '-z'"), failing one start in 64.
    port, key = free_port(), secrets.token_hex(24)
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="meili-") as folder:
        # The server logs every request: to a file, since an unread pipe would fill and hang it.
        log = open(Path(folder) / "meilisearch.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [str(BINARY), "--db-path", str(Path(folder) / "data"), "--http-addr",
             f"127.0.0.1:{port}", f"--master-key={key}", "--no-analytics",
             "--dump-dir", str(Path(folder) / "dumps"),
             "--snapshot-dir", str(Path(folder) / "snapshots")],
            stdout=log, stderr=subprocess.STDOUT, cwd=folder)
        try:
            deadline = time.monotonic() + 30
            while not _healthy(url):
                if process.poll() is not None:
                    output = (Path(folder) / "meilisearch.log").read_text(errors="replace")
                    raise RuntimeError(f"meilisearch exited: {output[-2000:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError("meilisearch did not become healthy in 30 s")
                time.sleep(0.1)
            yield url, key
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
