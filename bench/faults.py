"""Shared pieces of the fault scripts (bench/fault_*.py): private Redis and PostgreSQL servers that
may be killed without touching anybody else's, a small seeded network, and the figures line.

Never stop the machine's own PostgreSQL or Redis: every server these scripts kill is started here,
on a free port, in a temporary directory, and stopped again at the end.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def say(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, *, timeout: float = 20.0, up: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} did not come {'up' if up else 'down'} within {timeout}s")


def figures(tried: int, lost: int, duplicated: int, **more) -> str:
    extra = " ".join(f"{name}={value}" for name, value in more.items())
    return f"tried={tried} lost={lost} duplicated={duplicated}" + (f" {extra}" if extra else "")


class PrivateRedis:
    """A redis-server of our own (append-only file, fsync always, so a kill loses nothing
    acknowledged), killable and restartable on the same port with the same data."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="fault-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", self.dir,
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_port(self.port)
        return self

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as when the machine or the container dies."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        wait_port(self.port, up=False)

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb in a temporary directory, run as the postgres user,
    trust authentication, its own port), restartable under load."""

    def __init__(self) -> None:
        if PG_BIN is None:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="fault-pg-")
        self.data = Path(self.dir) / "data"
        shutil.chown(self.dir, user="postgres")
        self._as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"])

    @staticmethod
    def _as_postgres(command: list[str]) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                f"{self.dir}/log",
                "-w",
                *args,
            ]
        )

    def start(self) -> "PrivatePostgres":
        self._ctl("start")
        wait_port(self.port)
        return self

    def restart(self, *, mode: str = "fast") -> None:
        """``pg_ctl restart -m fast``: in-flight transactions are rolled back, connections cut."""
        self._ctl("restart", "-m", mode)
        wait_port(self.port)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(*, database_url: str, broker_url: str | None = None, **env: str) -> None:
    """Configure the product's settings for a script run (before anything imports Django models)
    and migrate the (fresh) database."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "foodbank.settings"
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="fault-var-"))
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    if broker_url:
        os.environ["CELERY_BROKER_URL"] = broker_url
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed_network():
    """One food bank with a warehouse and a window run by an agency, a case worker (with an email
    address), a coordinator and a window staff member. Returns a ``tests.helpers.Network``-like
    namespace with the actors."""
    from types import SimpleNamespace

    from foodbank.models import Organisation, Role, Site
    from foodbank.services import grant_role
    from tests.factories import (
        FoodBankFactory,
        OrganisationFactory,
        SiteFactory,
        UserFactory,
        WarehouseFactory,
    )

    fb = FoodBankFactory(code="fault-fb", name="フードバンク北")
    warehouse = WarehouseFactory(code="fault-wh", food_bank=fb, organisation=fb)
    agency = OrganisationFactory(code="fault-agency", food_bank=fb, name="小樽市社協")
    window = SiteFactory(code="fault-win", organisation=agency, food_bank=fb, name="小樽窓口")

    def actor(username: str, role: str, organisation: Organisation, site: Site | None = None):
        user = UserFactory(username=username, email=f"{username}@example.org")
        grant_role(user=user, role=role, organisation=organisation, site=site)
        return user

    return SimpleNamespace(
        food_bank=fb,
        warehouse=warehouse,
        agency_a=agency,
        window_a=window,
        coordinator=actor("fault-coordinator", Role.COORDINATOR, fb),
        case_worker=actor("fault-case-worker", Role.CASE_WORKER, agency),
        window_staff=actor("fault-window", Role.WINDOW_STAFF, agency, window),
    )


@contextlib.contextmanager
def broker_at(url: str):
    """Point this process's Celery app (producers and any worker started inside) at ``url``."""
    from kombu import pools

    from foodbank.celery import app

    def reset():
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    saved = (app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_read_url)
    reset()
    app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_read_url = url, None, None
    try:
        yield app
    finally:
        reset()
        app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_read_url = saved


def api_client(user):
    from rest_framework.test import APIClient

    from foodbank import tokens

    client = APIClient()
    _token, key = tokens.issue_token(user=user, name="fault")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def database_url_of(connection) -> str:
    """A URL for another process to reach the database ``connection`` uses (the test database too)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    host, port = s.get("HOST") or "127.0.0.1", s.get("PORT") or 5432
    return f"postgres://{s.get('USER') or 'postgres'}@{host}:{port}/{s['NAME']}"


class WorkerProcess:
    """``celery worker`` in its own process (the production shape), killable with SIGKILL."""

    def __init__(
        self,
        *,
        broker_url: str,
        database_url: str,
        queue: str,
        concurrency: int = 2,
        pool: str = "threads",
        include: str = "",
        **env: str,
    ):
        self.mail_dir = tempfile.mkdtemp(prefix="fault-mail-")
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.fault_settings",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_RESULT_BACKEND": f"file://{tempfile.mkdtemp(prefix='fault-results-')}",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "EMAIL_FILE_PATH": self.mail_dir,
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.env.pop("REDIS_URL", None)
        self.command = [
            sys.executable,
            "-m", "celery", "-A", "foodbank", "worker",
            "-P", pool, "-c", str(concurrency), "-Q", queue,
            "--without-gossip", "--without-mingle", "-l", "WARNING",
        ]  # fmt: skip
        if include:
            self.command += ["--include", include]
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkdtemp(prefix="fault-worker-")) / "worker.log"

    def start(self) -> "WorkerProcess":
        self.process = subprocess.Popen(
            self.command, env=self.env, cwd=str(ROOT), stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def alive(self) -> bool:
        return bool(self.process) and self.process.poll() is None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def emails(self) -> int:
        return sum(p.read_text(errors="replace").count("\nSubject: ") for p in Path(self.mail_dir).glob("*"))
