"""A scratch Lasting for a benchmark that runs the real server: a fresh var dir, a scratch
database (a SQLite file there, or a PostgreSQL database created and dropped), the
environment the server and set-up processes run with, and the web server itself.

The benchmarks import this as a sibling module (they run as scripts from benchmarks/).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# The PostgreSQL server whose scratch databases the benchmarks create (LASTING_PG_URL).
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(var_dir: Path, database_url: str, name: str) -> dict[str, str]:
    """The server's environment: this process's, less any LASTING_ setting, plus the scratch
    var dir, database and keys (`name` makes them the benchmark's own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LASTING_")}
    env |= {
        "LASTING_VAR_DIR": str(var_dir),
        "LASTING_DATABASE_URL": database_url,
        "LASTING_SECRET_KEY": f"{name}-benchmark-" + "k" * 40,
        "LASTING_AUDIT_KEY": f"{name}-benchmark-audit-" + "a" * 40,
        "LASTING_TASK_BACKEND": "database",
        "DJANGO_SETTINGS_MODULE": "lasting.settings",
    }
    return env


class ScratchDatabase:
    """A SQLite file in `var_dir`, or a PostgreSQL database named after `name` and this
    process, created now and dropped by `drop()`."""

    def __init__(self, kind: str, var_dir: Path, name: str) -> None:
        self.kind = kind
        self.base_url = os.environ.get("LASTING_PG_URL", DEFAULT_PG_URL)
        self.postgres_name: str | None = None
        if kind == "postgres":
            self.url, self.postgres_name = scratch_postgres(self.base_url, name)
        else:
            self.url = f"sqlite:///{var_dir / 'lasting.sqlite3'}"

    def drop(self) -> None:
        if self.postgres_name is not None:
            drop_postgres(self.base_url, self.postgres_name)
            self.postgres_name = None


def scratch_postgres(base_url: str, name: str) -> tuple[str, str]:
    import psycopg

    database = f"lasting_{name}_{os.getpid()}"
    with psycopg.connect(base_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database}")
        connection.execute(f"CREATE DATABASE {database}")
    parts = urlsplit(base_url)
    return parts._replace(path=f"/{database}").geturl(), database


def drop_postgres(base_url: str, database: str) -> None:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def run_child(script: str, mode: str, env: dict[str, str], argument: str) -> Any:
    """Run `script` again as a child process in `mode` (with Django set up in `env`, apart
    from the benchmark's own process) and return the JSON of its last line of output."""
    done = subprocess.run(
        [sys.executable, script, mode, argument],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def scratch_var_dir(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"lasting-{name}-"))


def exit_on_sigterm() -> None:
    """A SIGTERM (a CI timeout) ends the run through `finally`: no server left behind."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


class Server:
    """A web server process (`command`) on 127.0.0.1:`port`, killable by its own process
    ids (the master's and its workers')."""

    def __init__(self, env: dict[str, str], port: int, log: Path, command: list[str]) -> None:
        self.env, self.port, self.log, self.command = env, port, log, command
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=log)
        self.wait_until_ready()

    def wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 300  # a loaded machine imports the app slowly
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                sys.exit(f"the server exited with {self.process.returncode}; see {self.log}")
            time.sleep(0.05)
        sys.exit("the server did not answer /healthz within 300 s")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pids(self) -> list[int]:
        assert self.process is not None
        master = self.process.pid
        children: list[int] = []
        for task in Path(f"/proc/{master}/task").glob("*"):
            text = (task / "children").read_text() if (task / "children").exists() else ""
            children += [int(pid) for pid in text.split()]
        return [master, *children]

    def cpu_seconds(self) -> float:
        """User and system CPU time spent so far by the master and its live workers."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def kill(self, *, master: bool) -> int:
        """SIGKILL every worker (and the master too if `master`); return how many processes
        were killed."""
        assert self.process is not None
        pids = self.pids() if master else self.pids()[1:]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if master:
            self.process.wait()
        for pid in pids:  # wait until each is gone (a reparented worker: a zombie)
            while pid != self.process.pid and Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
                time.sleep(0.005)
        return len(pids)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the master and let it stop its workers; SIGKILL whatever is left after
        `timeout` seconds."""
        if not self.running():
            return
        assert self.process is not None
        workers = self.pids()[1:]
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(master=True)
        for pid in workers:
            if Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (OSError, IndexError):  # gone, or going
        return "Z"
