"""Never lose a check-in: SIGKILL the web server during a stream of submissions, again and
again, and count what was acknowledged against what is stored.

The production web server (gunicorn, 2 workers, as `lasting serve` runs it, with the app
preloaded so a worker starts in milliseconds) listens on 127.0.0.1; client threads submit
PHQ-9 check-ins through real single-use links. Each cycle lets them run for a random
moment, then kills the worker processes with SIGKILL, by their own process ids, with
requests in flight; the master forks new workers. Every `--full-every` cycles the master
dies too and the whole server is started again. A client whose request died sends the
same submission again (same link, same idempotency key), as a patient's browser would on
"retry", until it gets an answer.

At the end, `--duplicates` copies of one more submission are sent at once: every copy
must be answered "received" and exactly one row stored.

Then: acknowledged = submissions answered "Your check-in was received"; stored =
check-in rows of those links; lost = acknowledged but not stored; duplicates = links
with more than one row. Lost and duplicates must both be 0.

SQLite runs with WAL and synchronous=FULL (src/lasting/settings.py); `--database
postgres` uses a scratch database on the PostgreSQL at 127.0.0.1:5432 (LASTING_PG_URL,
default postgres://postgres@127.0.0.1:5432/test names the server; the scratch database
is created and dropped).

Run:  .venv/bin/python benchmarks/kill_durability.py --cycles 1000 [--database postgres]
CI:   .venv/bin/python benchmarks/kill_durability.py --cycles 50 --check
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from scratch import (
    ScratchDatabase,
    Server,
    environment,
    exit_on_sigterm,
    free_port,
    scratch_var_dir,
)
from scratch import (
    run_child as run_script_child,
)

ROOT = Path(__file__).resolve().parents[1]
RECEIVED = b"Your check-in was received"
ITEM = re.compile(rb'name="(phq9__[^"]+)"')
KEY = re.compile(rb'name="idempotency_key"[^>]*value="([^"]+)"')
# Enough for the fastest machine's clients in a cycle: running out ends the run early,
# which --check counts as a failure (fewer kills than asked for).
LINKS_PER_CYCLE = 60
PATIENTS = 40


# --- set-up, run in a child process with Django loaded ----------------------------------


def set_up(links: int) -> None:
    """Migrate, build static files, register patients and print their links (JSON)."""
    import django

    django.setup()
    import secrets
    from datetime import date, timedelta

    from django.utils import timezone

    from lasting.accounts.models import Organization
    from lasting.accounts.tokens import hash_token
    from lasting.audit.services import Actor
    from lasting.checkins.models import CheckInLink
    from lasting.checkins.services import link_url
    from lasting.cli import prepare_site
    from lasting.patients.services import create_patient
    from lasting_core.instruments import InstrumentCode

    prepare_site()
    actor = Actor.system("kill-benchmark")
    organization = Organization.objects.create(name="Kill Benchmark Clinic", slug="kill-bench")
    patients = [
        create_patient(
            actor,
            organization,
            started_on=date(2026, 1, 5),
            record_number=f"K-{number}",
            given_name="Kim",
            family_name=f"Durable{number}",
            date_of_birth=date(1980, 1, 1),
            diagnoses=["trd_mdd"],
        )
        for number in range(PATIENTS)
    ]
    # The links are written in one go (issue_link's own audit event per link would make
    # the set-up of 1,000 cycles take minutes); each is what issue_link would have made.
    expires = timezone.now() + timedelta(days=30)
    tokens = [secrets.token_urlsafe(24) for _ in range(links)]
    CheckInLink.objects.bulk_create(
        [
            CheckInLink(
                organization=organization,
                patient=patients[number % PATIENTS],
                token_hash=hash_token(token),
                instruments=[InstrumentCode.PHQ9.value],
                expires_at=expires,
            )
            for number, token in enumerate(tokens)
        ],
        batch_size=1000,
    )
    urls = [link_url(token) for token in tokens]
    print(json.dumps([urlsplit(url).path for url in urls]))


def count_stored(paths: list[str]) -> None:
    """Print {link path: stored check-in rows} for the links (JSON)."""
    import django

    django.setup()
    from django.core import signing
    from django.db.models import Count

    from lasting.accounts.tokens import hash_token
    from lasting.checkins.models import CheckIn, CheckInLink
    from lasting.checkins.services import LINK_SALT

    signer = signing.TimestampSigner(salt=LINK_SALT)
    by_hash = {hash_token(signer.unsign(p.strip("/").split("/")[-1])): p for p in paths}
    link_ids = dict(
        CheckInLink.objects.filter(token_hash__in=by_hash).values_list("pk", "token_hash")
    )
    rows = (
        CheckIn.objects.filter(link_id__in=link_ids)
        .values("link_id")
        .annotate(n=Count("pk"))
        .values_list("link_id", "n")
    )
    print(json.dumps({by_hash[link_ids[link_id]]: n for link_id, n in rows}))


# --- the benchmark ------------------------------------------------------------------------


@dataclass
class Tally:
    acknowledged: set[str] = field(default_factory=set)
    retried: int = 0
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def submit_until_answered(port: int, path: str, running: threading.Event, tally: Tally) -> None:
    """GET the form, POST the answers; on a dead connection send the same POST again."""
    body: bytes | None = None
    while True:
        if not running.is_set():
            running.wait()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            if body is None:
                connection.request("GET", path)
                page = connection.getresponse().read()
                fields = {name.decode(): "1" for name in ITEM.findall(page)}
                fields = {k: ("0" if k.endswith("item9") else v) for k, v in fields.items()}
                key = KEY.search(page)
                if not fields or key is None:
                    with tally.lock:
                        tally.refused.append(f"GET {path}: no form")
                    return
                fields["idempotency_key"] = key.group(1).decode()
                body = "&".join(f"{k}={v}" for k, v in fields.items()).encode()
                # gunicorn's sync workers close the connection after each answer.
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            connection.request(
                "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
            )
            response = connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException):
            with tally.lock:
                tally.retried += 1
            time.sleep(0.02)
            continue
        with tally.lock:
            if response.status == 200 and RECEIVED in answer:
                tally.acknowledged.add(path)
            else:
                tally.refused.append(f"POST {path}: {response.status}")
        return


def duplicate_storm(port: int, path: str, copies: int) -> tuple[int, list[int]]:
    """Send one submission `copies` times at once (as a double-tapping patient on a bad
    connection might); return how many answers said received, and the other statuses."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path)
    page = connection.getresponse().read()
    fields = {name.decode(): "2" for name in ITEM.findall(page)}
    fields = {k: ("0" if k.endswith("item9") else v) for k, v in fields.items()}
    key = KEY.search(page)
    assert key is not None, "no form"
    fields["idempotency_key"] = key.group(1).decode()
    body = "&".join(f"{k}={v}" for k, v in fields.items()).encode()
    start = threading.Barrier(copies)
    answers: list[tuple[int, bool]] = []

    def send() -> None:
        start.wait()
        sender = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        sender.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = sender.getresponse()
        answers.append((response.status, RECEIVED in response.read()))

    senders = [threading.Thread(target=send) for _ in range(copies)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    received = sum(1 for status, ok in answers if status == 200 and ok)
    return received, [status for status, ok in answers if not (status == 200 and ok)]


def client(port: int, paths: list[str], running: threading.Event, tally: Tally) -> None:
    while paths:
        try:
            path = paths.pop()
        except IndexError:
            return
        submit_until_answered(port, path, running, tally)


def run_child(mode: str, env: dict[str, str], argument: str) -> object:
    return run_script_child(__file__, mode, env, argument)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] in {"set-up", "count"}:
        sys.path.insert(0, str(ROOT / "src"))
        if sys.argv[1] == "set-up":
            set_up(int(sys.argv[2]))
        else:
            count_stored(json.loads(Path(sys.argv[2]).read_text()))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=6, help="concurrent submitters")
    parser.add_argument("--full-every", type=int, default=20, help="kill the master too")
    parser.add_argument(
        "--duplicates", type=int, default=100, help="copies of one submission sent at once"
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--check", action="store_true", help="exit 1 on a lost or double row")
    args = parser.parse_args()
    if args.cycles < 1:
        parser.error("--cycles must be at least 1")
    randomness = random.Random(args.seed)
    var_dir = scratch_var_dir("kill")
    server: Server | None = None
    exit_on_sigterm()
    database = ScratchDatabase(args.database, var_dir, "kill")
    env = environment(var_dir, database.url, "kill")
    try:
        started = time.perf_counter()
        paths = run_child("set-up", env, str(args.cycles * LINKS_PER_CYCLE + 1))
        assert isinstance(paths, list)
        print(f"set-up: {len(paths)} links in {time.perf_counter() - started:.1f} s", flush=True)
        storm_path, queue = paths[0], list(reversed(paths[1:]))
        tally = Tally()
        port = free_port()
        # gunicorn as `lasting serve` starts it, with the app preloaded so that a worker
        # forked after a kill starts in milliseconds.
        from lasting.cli import web_command

        command = [*web_command("127.0.0.1", port, 2), "--preload"]
        server = Server(env, port, var_dir / "server.log", command)
        running = threading.Event()
        threads = [
            threading.Thread(target=client, args=(port, queue, running, tally), daemon=True)
            for _ in range(args.clients)
        ]
        killed = restarts = 0
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        server.start()
        for cycle in range(1, args.cycles + 1):
            running.set()
            time.sleep(randomness.uniform(0.2, 1.0))
            full = cycle % args.full_every == 0
            if full:
                running.clear()  # new requests wait; those in flight die with the server
            killed += server.kill(master=full)
            if full:
                restarts += 1
                server.start()
            else:
                server.wait_until_ready()
            if cycle % 50 == 0 or cycle == args.cycles:
                print(
                    f"cycle {cycle}: {len(tally.acknowledged)} acknowledged, "
                    f"{tally.retried} retried, {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
            if not queue and all(not thread.is_alive() for thread in threads):
                print(f"links used up after cycle {cycle}")
                break
        # Let every submission caught by the last kill get its answer.
        running.set()
        queue.clear()
        for thread in threads:
            thread.join(timeout=60)
        storm_received, storm_other = duplicate_storm(port, storm_path, args.duplicates)
        server.kill(master=True)
        elapsed = time.perf_counter() - started
        (var_dir / "acknowledged.json").write_text(
            json.dumps(sorted(tally.acknowledged | {storm_path}))
        )
        stored = run_child("count", env, str(var_dir / "acknowledged.json"))
        assert isinstance(stored, dict)
        storm_rows = stored.pop(storm_path, 0)
        lost = [path for path in tally.acknowledged if stored.get(path, 0) == 0]
        doubled = [path for path, rows in stored.items() if rows > 1]
        result = {
            "database": args.database,
            "cycles": cycle,
            "processes_killed": killed,
            "whole_server_restarts": restarts,
            "acknowledged": len(tally.acknowledged),
            "stored_rows_of_acknowledged": sum(stored.values()),
            "lost": len(lost),
            "duplicates": len(doubled),
            "retried_after_a_kill": tally.retried,
            "refused": len(tally.refused),
            "seconds": round(elapsed, 1),
            "duplicate_storm": {
                "copies_sent_at_once": args.duplicates,
                "answered_received": storm_received,
                "other_answers": storm_other,
                "rows_stored": storm_rows,
            },
        }
        print(json.dumps(result, indent=2))
        if tally.refused:
            print("refused (first 5):", tally.refused[:5])
        storm_failed = storm_rows != 1 or storm_received != args.duplicates
        short = cycle < args.cycles
        if short:
            print(f"only {cycle} of {args.cycles} cycles ran: the links ran out")
        if args.check and (
            lost or doubled or tally.refused or not tally.acknowledged or storm_failed or short
        ):
            sys.exit(1)
    finally:
        if server is not None and server.running():
            server.kill(master=True)  # never leave a server behind (an error, Ctrl-C)
        database.drop()


if __name__ == "__main__":
    main()
