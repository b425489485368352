"""Services the production tests start for themselves: PostgreSQL and an S3 API, on loopback.

PostgreSQL comes from Debian's packages (`apt-get install postgresql`; `.ci/run` installs it): a
temporary cluster, initialised and run as a non-root user, listening on 127.0.0.1 with password
authentication, so the URL the tests use has the form deploy/README.md gives operators. S3 is
moto in server mode. Without them a test skips with the reason, unless
CHAT_ASSETS_REQUIRE_PRODUCTION=1 (set in CI), where a missing service is a failure.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_USER, PG_PASSWORD, PG_DB = "chat", "pg-secret-7f3a9c", "chat_assets"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unavailable(why: str) -> None:
    """Skip, or fail when production tests are required (CI)."""
    if os.environ.get("CHAT_ASSETS_REQUIRE_PRODUCTION") == "1":
        pytest.fail(f"production test required but {why}")
    pytest.skip(why)


def pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    candidates = [found] if found else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    for candidate in candidates:
        path = Path(os.path.realpath(candidate)).parent
        if (path / "initdb").exists() and (path / "postgres").exists():
            return path
    return None


def _as_owner(command: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *command] if user else command


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A fresh PostgreSQL cluster; yields `postgresql://chat:<password>@127.0.0.1:<port>/chat_assets`."""
    binaries = pg_bin()
    if binaries is None:
        unavailable("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    assert binaries is not None
    user = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root and there is no `postgres` user to run the server")
        user = "postgres"
    base = Path(tempfile.mkdtemp(prefix="chat_assets_pg_"))
    base.chmod(0o755)
    data, sockets, pwfile = base / "data", base / "sock", base / "pw"
    sockets.mkdir()
    pwfile.write_text(PG_PASSWORD + "\n")
    if user:
        shutil.chown(base, user)
        shutil.chown(sockets, user)
        shutil.chown(pwfile, user)
    port = free_port()
    log = base / "server.log"
    run = lambda cmd: subprocess.run(_as_owner(cmd, user), check=True, capture_output=True, text=True)  # noqa: E731
    run([str(binaries / "initdb"), "-D", str(data), "-U", PG_USER, f"--pwfile={pwfile}", "-E", "UTF8",
         "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync"])  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    run([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"])
    try:
        import psycopg2

        admin = psycopg2.connect(
            host="127.0.0.1", port=port, user=PG_USER, password=PG_PASSWORD, dbname="postgres"
        )
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE {PG_DB}")
        admin.close()
        yield f"postgresql://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{port}/{PG_DB}"
    finally:
        subprocess.run(_as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user),
                       capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3 API on loopback; yields its endpoint URL (credentials: any, region us-east-1)."""
    if shutil.which("moto_server", path=str(Path(sys.executable).parent)) is None:
        unavailable("moto[server] is not installed")
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    unavailable("moto_server did not start")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def s3_env(endpoint: str) -> dict[str, str]:
    """The standard AWS variables s3fs reads, pointing at the loopback S3 API."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing-secret-4d1e",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }
