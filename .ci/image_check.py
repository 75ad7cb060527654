#!/usr/bin/env python3
"""Check the production image's recipe without a Docker engine.

CI has no Docker engine, so this builds the closest thing it can and starts it:

1. the build context: the repository's files less what ``.dockerignore`` keeps out (Docker's rules:
   patterns relative to the root, ``*`` within one path segment, ``**`` across segments, a pattern
   that matches a folder keeps out all of it, ``!`` lets a path back in, the last match wins);
2. what the ``Dockerfile`` copies of it (``COPY``), laid out in a temporary ``WORKDIR``;
3. its ``RUN`` steps that install or prepare Python (``pip ...``, ``python ...``), run in a fresh
   virtual environment from that folder; system steps (apt-get, useradd, ...) are listed and skipped;
4. with the environment of ``docker-compose.yml`` (its ``${NAME:-default}`` filled in as an operator
   would: a generated SECRET_KEY and encryption keys, HTTPS behind a proxy), only the database and
   Redis pointed at this machine: ``manage.py check --deploy --fail-level WARNING``, then the compose
   file's ``migrate``, ``web``, ``worker`` and ``beat`` commands. The web must answer ``/healthz``
   (database, broker and a worker that ran the canary all "ok"), the login page and a static file.

Nothing is read from the repository at run time: a file the Dockerfile forgets fails here.

    python3 .ci/image_check.py          # uses DATABASE_URL's server and REDIS_URL (CI's)

Only the standard library and PyYAML from the venv that runs it (any venv with the project installed).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import venv
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
IMAGE_DB = "foodbank_image_check"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def fail(message: str) -> None:
    print(f"IMAGE CHECK FAILED: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


# --- .dockerignore ----------------------------------------------------------------------------------


def _segment_regex(segment: str) -> str:
    out, i = [], 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = segment.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = segment[i + 1 : end]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end
        elif char == "\\" and i + 1 < len(segment):
            i += 1
            out.append(re.escape(segment[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = [p for p in pattern.strip("/").split("/") if p not in ("", ".")]
    regex = ""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            regex += ".*" if last else "(?:.*/)?"
        else:
            regex += _segment_regex(part) + ("" if last else "/")
    return re.compile(regex)


def read_dockerignore(path: Path) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    if not path.exists():
        return rules
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        rules.append((negated, _pattern_regex(line[1:] if negated else line)))
    return rules


def ignored(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's matcher: a path is out when it, or a folder above it, matches (last rule wins)."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for negated, regex in rules:
        if any(regex.fullmatch(candidate) for candidate in candidates):
            verdict = not negated
    return verdict


def build_context(rules) -> list[str]:
    files = []
    for folder, dirs, names in os.walk(ROOT):
        rel_folder = Path(folder).relative_to(ROOT).as_posix()
        rel_folder = "" if rel_folder == "." else rel_folder + "/"
        # Skip whole folders that cannot come back in (no "!" rule): .git, .venv are large.
        if not any(negated for negated, _ in rules):
            dirs[:] = [d for d in dirs if not ignored(rel_folder + d, rules)]
        files.extend(rel_folder + name for name in names if not ignored(rel_folder + name, rules))
    return sorted(files)


# --- Dockerfile -------------------------------------------------------------------------------------


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def parse_env(rest: str) -> dict[str, str]:
    tokens = shlex.split(rest)
    if tokens and "=" not in tokens[0]:  # the old form: ENV NAME value with spaces
        return {tokens[0]: " ".join(tokens[1:])}
    return dict(token.split("=", 1) for token in tokens)


def lay_out_image(workdir: Path, context: list[str]) -> dict:
    """Copy what the Dockerfile copies into ``workdir``; return its ENV, RUN steps and CMD."""
    image = {"env": {}, "run": [], "cmd": None}
    current = "/"
    root_of_workdir = None
    for keyword, rest in dockerfile_instructions(ROOT / "Dockerfile"):
        if keyword == "WORKDIR":
            current = rest
            root_of_workdir = rest
        elif keyword == "ENV":
            image["env"].update(parse_env(rest))
        elif keyword in ("COPY", "ADD"):
            args = [
                a for a in shlex.split(rest) if not a.startswith("--chown") and not a.startswith("--chmod")
            ]
            if any(a.startswith("--") for a in args):
                fail(f"{keyword} {rest}: options other than --chown/--chmod are not understood here")
            *sources, dest = args
            if current != root_of_workdir or not (dest in (".", "./") or dest.startswith(("./", current))):
                fail(f"{keyword} {rest}: only copies into the WORKDIR are understood here")
            dest = dest.removeprefix(current).removeprefix("./").strip("/")
            dest = "" if dest == "." else dest
            for source in sources:
                source = source.removeprefix("./").strip("/")
                chosen = [
                    f for f in context if source in ("", ".") or f == source or f.startswith(source + "/")
                ]
                if not chosen:
                    fail(f"{keyword} {source}: not in the build context (.dockerignore?)")
                for relative in chosen:
                    if source in ("", "."):
                        target = f"{dest}/{relative}"
                    elif relative != source:  # a folder: its contents go under dest
                        target = f"{dest}/{relative.removeprefix(source + '/')}"
                    elif len(sources) > 1 or rest.rstrip().endswith("/") or dest == "":
                        target = f"{dest}/{Path(relative).name}"
                    else:
                        target = dest
                    target_path = workdir / target.lstrip("/")
                    target_path.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / relative, target_path)
        elif keyword == "RUN":
            image["run"].append(rest)
        elif keyword == "CMD":
            image["cmd"] = json.loads(rest)
    if root_of_workdir is None:
        fail("the Dockerfile sets no WORKDIR")
    image["workdir"] = root_of_workdir
    return image


# --- Running it -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def interpolate(value: str, operator: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(3) or ""
        return operator.get(name) or default

    return re.sub(r"\$\{(\w+)(:?-([^}]*))?\}", replace, str(value))


def compose_environment(compose: dict, database_url: str, redis_url: str) -> dict[str, str]:
    key = lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()  # noqa: E731
    # What an operator sets (README, "The production shape").
    operator = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
        "FIELD_ENCRYPTION_KEYS": key(),
        "BLIND_INDEX_KEY": key(),
        "SECURE_HTTPS": "1",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    }
    env = {
        name: interpolate(value, operator)
        for name, value in compose["services"]["web"]["environment"].items()
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        if name not in env:
            fail(f"docker-compose.yml gives the web no {name}")
    # The compose network's `db` and `redis` are this machine's servers here.
    env["DATABASE_URL"] = database_url
    env["REDIS_URL"] = redis_url
    return env


def run_step(argv: list[str], *, cwd: Path, env: dict[str, str], what: str) -> str:
    say(f"{what}: {' '.join(argv)}")
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=900)  # noqa: S603
    if result.returncode != 0:
        fail(f"{what} exited {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result.stdout + result.stderr


def to_venv(argv: list[str], bin_dir: Path) -> list[str]:
    if argv[0] in ("pip", "pip3"):
        return [str(bin_dir / "python"), "-m", "pip", *argv[1:]]
    if argv[0] in ("python", "python3"):
        return [str(bin_dir / "python"), *argv[1:]]
    if (bin_dir / argv[0]).exists():
        return [str(bin_dir / argv[0]), *argv[1:]]
    fail(f"{argv[0]} is not installed in the image's Python environment")
    return []


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (our own local server)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url.startswith("redis"):
        fail("set DATABASE_URL (PostgreSQL) and REDIS_URL (Redis): the image runs against both")
    parsed = urllib.parse.urlsplit(database_url)
    image_database_url = urllib.parse.urlunsplit(parsed._replace(path=f"/{IMAGE_DB}"))
    admin = [
        "-h",
        parsed.hostname or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "postgres",
    ]

    rules = read_dockerignore(ROOT / ".dockerignore")
    context = build_context(rules)
    say(f"build context: {len(context)} files after .dockerignore")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))

    with tempfile.TemporaryDirectory(prefix="foodbank-image-") as tmp:
        tmp_path = Path(tmp)
        image = lay_out_image(tmp_path / "app", context)
        app = tmp_path / "app"
        say(f"copied {sum(1 for p in app.rglob('*') if p.is_file())} files into WORKDIR {image['workdir']}")

        say("fresh virtual environment (the image's Python)")
        venv.EnvBuilder(with_pip=True).create(tmp_path / "venv")
        bin_dir = tmp_path / "venv" / "bin"
        var_dir = tmp_path / "var"
        var_dir.mkdir()
        base_env = {
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            **{k: v for k, v in os.environ.items() if k.startswith("PIP_")},
            **image["env"],
        }
        # The image's folders are under /app; here under the temporary WORKDIR.
        for name, value in list(base_env.items()):
            if value.startswith(image["workdir"]):
                base_env[name] = str(app) + value.removeprefix(image["workdir"])
        base_env["VAR_DIR"] = str(var_dir)
        base_env.pop("PIP_NO_CACHE_DIR", None)  # the machine's wheel cache makes CI faster

        for step in image["run"]:
            for command in re.split(r"\s*&&\s*", step):
                tokens = shlex.split(command)
                assignments = {}
                while tokens and re.fullmatch(r"\w+=.*", tokens[0]):
                    name, value = tokens.pop(0).split("=", 1)
                    assignments[name] = value
                if not tokens or tokens[0] not in ("pip", "pip3", "python", "python3"):
                    say(f"skipped (system step, not Python): {command}")
                    continue
                argv = to_venv(tokens, bin_dir)
                if argv[1:3] == ["-m", "pip"] and "install" in argv:
                    argv.insert(argv.index("install") + 1, "--quiet")
                run_step(argv, cwd=app, env={**base_env, **assignments}, what="RUN")

        env = {**base_env, **compose_environment(compose, image_database_url, redis_url)}
        env["VAR_DIR"] = str(var_dir)
        out = run_step(
            [str(bin_dir / "python"), "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=app,
            env=env,
            what="check --deploy",
        )
        print(out.strip())

        subprocess.run(["dropdb", *admin, "--if-exists", IMAGE_DB], check=True)  # noqa: S603, S607
        subprocess.run(["createdb", *admin, IMAGE_DB], check=True)  # noqa: S603, S607
        run_step(
            to_venv(compose["services"]["migrate"]["command"], bin_dir),
            cwd=app,
            env=env,
            what="compose migrate",
        )

        port = free_port()
        processes: dict[str, subprocess.Popen] = {}
        logs = tmp_path / "logs"
        logs.mkdir()
        try:
            for name in ("web", "worker", "beat"):
                argv = list(compose["services"][name]["command"])
                if name == "web":
                    if argv != image["cmd"]:
                        fail("docker-compose.yml's web command differs from the Dockerfile's CMD")
                    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
                argv = [str(tmp_path / Path(a).name) if a.startswith("/tmp/") else a for a in argv]  # noqa: S108
                argv = to_venv(argv, bin_dir)
                say(f"start {name}: {' '.join(argv)}")
                with (logs / f"{name}.log").open("w") as log:
                    processes[name] = subprocess.Popen(  # noqa: S603
                        argv, cwd=app, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )

            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            health = {}
            while time.monotonic() < deadline:
                for name, process in processes.items():
                    if process.poll() is not None:
                        log_tail = (logs / f"{name}.log").read_text()[-4000:]
                        fail(f"{name} exited {process.returncode}:\n{log_tail}")
                try:
                    status, body = get(f"{base}/healthz")
                    health = json.loads(body)
                    if status == 200 and health.get("worker") == "ok":
                        break
                except (OSError, ValueError):
                    pass
                time.sleep(2)
            else:
                logs_text = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in logs.iterdir())
                fail(f"/healthz never reported everything ok: {health}\n{logs_text}")
            say(f"/healthz: {health}")

            https = {"X-Forwarded-Proto": "https"}
            status, body = get(f"{base}/accounts/login/", https)
            if status != 200 or b'name="csrfmiddlewaretoken"' not in body:
                fail(f"the login page answered {status}")
            say("login page: 200 (templates and translations are in the image)")
            static = re.search(rb'(?:href|src)="(/static/[^"]+)"', body)
            if static is None:
                fail("the login page links no static file")
            status, _ = get(base + static.group(1).decode(), https)
            if status != 200:
                fail(f"{static.group(1).decode()} answered {status} (collectstatic?)")
            say(f"static file {static.group(1).decode()}: 200")
        finally:
            for process in processes.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            subprocess.run(["dropdb", *admin, "--if-exists", IMAGE_DB], check=False)  # noqa: S603, S607
            # Nothing of the image's beat is left queued for whoever uses this Redis database next.
            subprocess.run(  # noqa: S603
                [str(bin_dir / "celery"), "-A", "foodbank", "purge", "-f"],
                cwd=app,
                env=env,
                capture_output=True,
                check=False,
            )
    say("image recipe: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
