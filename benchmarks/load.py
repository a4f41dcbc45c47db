"""Open-loop load on the real server: the demo clinic behind 2 web workers on 127.0.0.1,
mixed traffic at a fixed arrival rate, latency percentiles per page against the targets.

Set-up (not timed): a fresh var dir and a scratch database (SQLite there, or with
`--database postgres` a database created and dropped on the PostgreSQL that
LASTING_PG_URL names, default postgres://postgres@127.0.0.1:5432/test); the demo clinic
seeded as `lasting demo --no-serve` seeds it; single-use check-in links issued for its
patients in treatment and portal sign-in links requested for patients with portal
access. The web server starts as `lasting serve` runs it (`--server gunicorn`, 2 sync
workers) or under granian (`--server granian`, 2 WSGI workers of one thread each). Each
clinician and nurse account signs in once, password then the six-digit code of its
authenticator app (computed from the key the demo prints); each portal patient signs in
once through their e-mailed link. The simulated visitors share those sessions.

Traffic (locust, used as a library, FastHttpUser): arrivals come at `--rate` a second on
a fixed schedule from start to `--duration` seconds (or `--max-requests`), whatever the
server's answers. Each arrival is one request, its page chosen from a shuffled deck of
the mix (`--mix mixed`: caseload 20 %, patient page 25 %, needs review 10 %, portal home
10 %, check-in form 10 %, check-in submission 25 %; `--mix checkins`: submissions only).
Locust's users are closed loops, so this is how it is made open: `--users` visitors
(default twice the rate, at least 20) each take the next arrival time from the shared
schedule, sleep until then and send; a slow answer holds one visitor, not the
schedule. Only when every visitor is waiting on the server does an arrival start late:
the report counts late starts (> 10 ms), and a run with many is past saturation and its
percentiles are too kind (coordinated omission).

Errors: any answer but the expected 200 (a redirect to the sign-in page is an error; a
submission's 200 is its "received" page), any connection failure or timeout.

Besides the percentiles the report gives the CPU time the server's processes spent per
request (from /proc, master and workers): on a machine shared with other work the
latencies say how busy the machine was as much as how fast Lasting is, while CPU time
per request says how many requests two cores could serve.

`--audit-ceiling` measures instead how many audited appends a second the chain head's row
lock allows: N calls of record_event from 1, 2 and 4 processes at once on one database.

Run:   .venv/bin/python benchmarks/load.py [--database postgres] [--server granian]
           [--rate 75] [--duration 600] [--max-requests N] [--check]
       .venv/bin/python benchmarks/load.py --audit-ceiling [--database postgres]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
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

# DESIGN.md section 10: under load on loopback (open-loop, 10 minutes, mixed traffic, 2
# web workers) >= 150 requests/s on PostgreSQL and >= 75/s on SQLite at p95 <= 200 ms,
# p99 <= 500 ms, zero server errors; check-in submissions alone >= 300/s on PostgreSQL.
TARGET_RATE = {("mixed", "sqlite"): 75, ("mixed", "postgres"): 150, ("checkins", "postgres"): 300}
TARGET_P95_MS, TARGET_P99_MS, TARGET_SECONDS = 200, 500, 600

CASELOAD, PATIENT, REVIEW = "caseload", "patient page", "needs review"
PORTAL, FORM, SUBMIT = "portal home", "check-in form", "check-in submission"
MIXES = {
    "mixed": {CASELOAD: 4, PATIENT: 5, REVIEW: 2, PORTAL: 2, FORM: 2, SUBMIT: 5},
    "checkins": {SUBMIT: 1},
}
LATE_SECONDS = 0.010
# A request unanswered after this long is an error; the run ends this long after its last
# arrival, whatever is still in flight.
ANSWER_SECONDS = 30
FORM_LINKS = 50  # a form may be opened again and again until its link is used
PORTAL_PATIENTS = 20
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ITEM = re.compile(r'name="(phq9__[^"]+)"')
LOGIN_LINE = re.compile(r"^\S.*?\s(\S+)\s+password: (\S+)\s+app key: (\S+)")


# --- set-up and counts, run in child processes with Django loaded ----------------------


def set_up(spec: dict[str, int]) -> None:
    """Seed the demo clinic; issue links; print the accounts, links and patients (JSON)."""
    import django

    django.setup()
    import secrets
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from lasting.accounts.models import Membership, Role
    from lasting.accounts.tokens import hash_token
    from lasting.audit.models import ChainHead
    from lasting.checkins.models import CheckIn, CheckInLink
    from lasting.checkins.services import link_url
    from lasting.cli import prepare_site
    from lasting.demo import DEMO_LOGINS_FILE, DEMO_SLUG, seed_demo
    from lasting.patients.models import Patient
    from lasting.patients.queries import ACTIVE_PHASES, current_phase
    from lasting.portal.models import SignInRequest
    from lasting.portal.services import request_sign_in, sign_in_token, sign_in_url
    from lasting_core.instruments import InstrumentCode

    prepare_site()
    seeded = seed_demo(
        patients=spec["patients"],
        seed=spec["seed"],
        reset=False,
        logins_file=settings.VAR_DIR / DEMO_LOGINS_FILE,
    )
    secrets_of = {
        match.group(1): (match.group(2), match.group(3))
        for line in seeded.login_lines
        if (match := LOGIN_LINE.match(line))
    }
    staff = [
        {
            "username": member.user.username,
            "password": secrets_of[member.user.username][0],
            "key": secrets_of[member.user.username][1],
            "reviews": member.role == Role.CLINICIAN,
        }
        for member in Membership.objects.filter(
            organization__slug=DEMO_SLUG, is_active=True, role__in=[Role.CLINICIAN, Role.STAFF]
        ).select_related("user")
    ]
    patients = Patient.objects.filter(organization__slug=DEMO_SLUG)
    in_treatment = list(patients.annotate(phase=current_phase()).filter(phase__in=ACTIVE_PHASES))
    # Links written in one go, each what issue_link would have made (its own audit event
    # per link would make the set-up of a 10-minute run take minutes).
    expires = timezone.now() + timedelta(days=30)
    tokens = [secrets.token_urlsafe(24) for _ in range(spec["links"])]
    CheckInLink.objects.bulk_create(
        [
            CheckInLink(
                organization=patient.organization,
                patient=patient,
                token_hash=hash_token(token),
                instruments=[InstrumentCode.PHQ9.value],
                expires_at=expires,
            )
            for token, patient in zip(
                tokens,
                (in_treatment[n % len(in_treatment)] for n in range(len(tokens))),
                strict=True,
            )
        ],
        batch_size=1000,
    )
    portal_paths = []
    for patient in patients.filter(portal_access=True).exclude(email="").order_by("pk"):
        if len(portal_paths) == spec["portal"]:
            break
        if request_sign_in(patient.email, client=None, request_id="load-benchmark") is not None:
            continue  # throttled
        row = SignInRequest.objects.filter(patient=patient).order_by("-pk").first()
        if row is not None:
            portal_paths.append(urlsplit(sign_in_url(sign_in_token(row))).path)
    head = ChainHead.objects.filter(pk=1).first()
    print(
        json.dumps(
            {
                "staff": staff,
                "patient_ids": list(patients.values_list("pk", flat=True)),
                "links": [urlsplit(link_url(token)).path for token in tokens],
                "portal": portal_paths,
                "audit_events": head.count if head else 0,
                "checkins": CheckIn.objects.count(),
                "summary": seeded.summary,
            }
        )
    )


def count_rows(_: str) -> None:
    """Print the audit trail's length, its appends (each a lock of the chain's head: one
    time stamp an append, `record_event` or one list's `record_patients_shown`) and the
    check-ins stored (JSON)."""
    import django

    django.setup()
    from lasting.audit.models import AuditEvent, ChainHead
    from lasting.checkins.models import CheckIn

    head = ChainHead.objects.filter(pk=1).first()
    appends = AuditEvent.objects.values("at").distinct().count()
    print(
        json.dumps(
            {
                "audit_events": head.count if head else 0,
                "audit_appends": appends,
                "checkins": CheckIn.objects.count(),
            }
        )
    )


def migrate(_: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--no-input", "-v", "0")
    print(json.dumps({"migrated": True}))


def append_events(count: str) -> None:
    """Append `count` audit events, one transaction each, once the parent says go."""
    import django

    django.setup()
    from django.db import OperationalError

    from lasting.audit.models import Action
    from lasting.audit.services import Actor, record_event

    actor = Actor.system("load-benchmark")
    record_event(actor, Action.READ, object_ref=("LoadBenchmark", "warm-up"))
    print("ready", flush=True)
    sys.stdin.readline()
    failed = 0
    started = time.time()
    for number in range(int(count)):
        try:
            record_event(actor, Action.READ, object_ref=("LoadBenchmark", number))
        except OperationalError:  # SQLite: still locked after its 20 s busy timeout
            failed += 1
    ended = time.time()
    print(
        json.dumps(
            {"appends": int(count) - failed, "failed": failed, "started": started, "ended": ended}
        )
    )


CHILD_MODES = {"set-up": set_up, "count": count_rows, "migrate": migrate, "append": append_events}


def run_child(mode: str, env: dict[str, str], argument: str) -> Any:
    return run_script_child(__file__, mode, env, argument)


# --- the server and its sessions ----------------------------------------------------------


def server_command(server: str, port: int) -> list[str]:
    if server == "gunicorn":
        from lasting.cli import web_command

        return web_command("127.0.0.1", port, 2)  # as `lasting serve` starts it
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        # One request at a time in each worker's Python, as gunicorn's sync workers: its
        # default (up to 128 threads a worker) left SQLite writers waiting past their 20 s
        # busy timeout ("database is locked") and would open more PostgreSQL connections
        # than the server's 100.
        "--blocking-threads",
        "1",
        "--no-access-log",
        "lasting.wsgi:application",
    ]


class Browser:
    """A cookie-keeping client for signing in before the run (follows redirects)."""

    def __init__(self, base: str) -> None:
        import http.cookiejar
        import urllib.request

        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=60) as response:
            return urlsplit(response.geturl()).path, response.read().decode()

    def post(self, path: str, fields: dict[str, str]) -> tuple[str, str]:
        from urllib.parse import urlencode

        with self.opener.open(self.base + path, urlencode(fields).encode(), timeout=60) as answer:
            return urlsplit(answer.geturl()).path, answer.read().decode()

    def cookie(self, name: str) -> str:
        for cookie in self.jar:
            if cookie.name == name:
                return cookie.value or ""
        raise LookupError(f"no {name} cookie")


def csrf_token(page: str) -> str:
    match = CSRF.search(page)
    if match is None:
        raise LookupError("no CSRF token on the page")
    return match.group(1)


def app_code(key: str) -> str:
    """The six digits the account's authenticator app shows now (RFC 6238, 30 s steps)."""
    from base64 import b32decode

    from django_otp.oath import TOTP

    padded = key + "=" * (-len(key) % 8)
    return f"{TOTP(b32decode(padded)).token():06d}"


def sign_in_staff(base: str, account: dict[str, Any]) -> str:
    """Both steps of a staff sign-in; the session id."""
    browser = Browser(base)
    _, page = browser.get("/accounts/login/")
    fields = {"username": account["username"], "password": account["password"]}
    where, page = browser.post(
        "/accounts/login/", {**fields, "csrfmiddlewaretoken": csrf_token(page)}
    )
    if where != "/accounts/two-step/":
        sys.exit(f"signing in {account['username']}: the password step ended on {where}")
    where, _ = browser.post(
        "/accounts/two-step/",
        {"code": app_code(account["key"]), "csrfmiddlewaretoken": csrf_token(page)},
    )
    if where.startswith("/accounts/"):
        sys.exit(f"signing in {account['username']}: the second step ended on {where}")
    return browser.cookie("sessionid")


def sign_in_patient(base: str, path: str) -> str:
    """Open an e-mailed sign-in link and press its button; the session id."""
    browser = Browser(base)
    _, page = browser.get(path)
    where, _ = browser.post(path, {"csrfmiddlewaretoken": csrf_token(page)})
    if where != "/me/":
        sys.exit(f"a patient's sign-in link ended on {where}")
    return browser.cookie("sessionid")


# --- the open-loop schedule -----------------------------------------------------------------


@dataclass
class Schedule:
    """Arrival k comes at start + k / rate and asks for deck[k mod len(deck)]."""

    rate: float
    total: int
    deck: list[str]
    start: float = 0.0
    claimed: int = 0
    in_flight: int = 0
    late: int = 0
    worst_lateness: float = 0.0
    last_answer: float = 0.0
    cut_off: int = 0  # still in flight when the run ended
    unsent: int = 0  # arrivals the run ended before

    def claim(self) -> tuple[float, str] | None:
        # Greenlets switch only on I/O, so no lock is needed around the counter.
        if self.claimed >= self.total:
            return None
        number = self.claimed
        self.claimed += 1
        return self.start + number / self.rate, self.deck[number % len(self.deck)]

    def count(self, name: str) -> int:
        cycles, rest = divmod(self.total, len(self.deck))
        return cycles * self.deck.count(name) + self.deck[:rest].count(name)

    def done(self) -> bool:
        return self.claimed >= self.total and self.in_flight == 0


@dataclass
class Sessions:
    staff: list[str]
    clinicians: list[str]
    patients: list[str]
    patient_ids: list[int]
    form_paths: list[str]
    submit_paths: list[str]
    answer_fields: list[str]
    randomness: random.Random = field(default_factory=lambda: random.Random(11))


def warm_up(base: str, sessions: Sessions) -> None:
    """Open each page a few times before the clock starts, as a server in use is warm:
    templates compiled, connections open, code paths loaded in both workers."""
    import urllib.request

    pages = [
        ("/caseload/", sessions.staff[0]),
        (f"/patients/{sessions.patient_ids[0]}/", sessions.staff[0]),
        ("/review/", sessions.clinicians[0] if sessions.clinicians else ""),
        ("/me/", sessions.patients[0] if sessions.patients else ""),
        (sessions.form_paths[0], ""),
    ]
    for _ in range(4):
        for path, session in pages:
            if session or path.startswith("/c/"):
                request = urllib.request.Request(base + path)
                request.add_header("Cookie", f"sessionid={session}")
                with urllib.request.urlopen(request, timeout=120) as response:
                    response.read()


def make_deck(mix: str, seed: int) -> list[str]:
    deck = [name for name, weight in MIXES[mix].items() for _ in range(weight)]
    random.Random(seed).shuffle(deck)
    return deck


def run_load(base: str, schedule: Schedule, sessions: Sessions, users: int) -> tuple[Any, int]:
    """Send the schedule's arrivals through locust; return its statistics and the number of
    exceptions raised in the visitors (the load generator's own errors)."""
    import gevent
    from locust import FastHttpUser, constant, task
    from locust.env import Environment
    from locust.exception import StopUser

    class Visitor(FastHttpUser):
        host = base
        wait_time = constant(0)
        network_timeout = connection_timeout = float(ANSWER_SECONDS)

        def __init__(self, environment: Environment) -> None:
            super().__init__(environment)
            # Sessions are shared between visitors and sent with each request.
            self.client.client.cookiejar = None

        @task
        def arrive(self) -> None:
            claimed = schedule.claim()
            if claimed is None:
                raise StopUser()
            at, name = claimed
            delay = at - time.monotonic()
            if delay > 0:
                gevent.sleep(delay)
            elif -delay > LATE_SECONDS:
                schedule.late += 1
                schedule.worst_lateness = max(schedule.worst_lateness, -delay)
            schedule.in_flight += 1
            try:
                self.send(name)
            finally:
                schedule.in_flight -= 1
                schedule.last_answer = time.monotonic()

        def send(self, name: str) -> None:
            pick = sessions.randomness.choice
            headers: dict[str, str] = {}
            data = None
            method = "GET"
            if name == CASELOAD:
                path, cookie = "/caseload/", pick(sessions.staff)
            elif name == PATIENT:
                path, cookie = f"/patients/{pick(sessions.patient_ids)}/", pick(sessions.staff)
            elif name == REVIEW:
                path, cookie = "/review/", pick(sessions.clinicians)
            elif name == PORTAL:
                path, cookie = "/me/", pick(sessions.patients)
            elif name == FORM:
                path, cookie = pick(sessions.form_paths), ""
            else:
                path, cookie, method = sessions.submit_paths.pop(), "", "POST"
                answers = {item: str(pick((0, 1, 1, 2))) for item in sessions.answer_fields}
                answers = {k: ("0" if k.endswith("item9") else v) for k, v in answers.items()}
                answers["idempotency_key"] = os.urandom(16).hex()
                data = "&".join(f"{k}={v}" for k, v in answers.items())
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            if cookie:
                headers["Cookie"] = f"sessionid={cookie}"
            with self.client.request(
                method,
                path,
                name=name,
                data=data,
                headers=headers,
                allow_redirects=False,
                catch_response=True,
            ) as response:
                # The check-in view answers every refusal with a 4xx: a 200 to a POST is
                # the "received" page (in the patient's language).
                if response.status_code == 200:
                    response.success()
                elif response.status_code == 0:  # no answer: refused, reset or timed out
                    response.failure(f"no answer: {getattr(response, 'error', None)!r}")
                else:
                    location = (response.headers or {}).get("Location", "")
                    response.failure(f"{response.status_code} {location}".strip())

    environment = Environment(user_classes=[Visitor])
    runner = environment.create_local_runner()
    # The visitors spawn (100 a second) before the first arrival.
    schedule.start = time.monotonic() + users / 100 + 0.5
    runner.start(users, spawn_rate=min(users, 100))
    deadline = schedule.start + schedule.total / schedule.rate + ANSWER_SECONDS + 5
    while not schedule.done() and time.monotonic() < deadline:
        gevent.sleep(0.2)
    schedule.cut_off = schedule.in_flight
    schedule.unsent = schedule.total - schedule.claimed
    runner.quit()
    exceptions = sum(row["count"] for row in runner.exceptions.values())
    for row in list(runner.exceptions.values())[:3]:
        print(f"load generator: {row['msg']}\n{row['traceback']}", file=sys.stderr)
    return environment.stats, exceptions


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    errors: int
    per_second: float
    p50: float
    p95: float
    p99: float


def rows_of(stats: Any, seconds: float, names: list[str]) -> list[Row]:
    def row(name: str, entry: Any) -> Row:
        return Row(
            name,
            entry.num_requests,
            entry.num_failures,
            entry.num_requests / seconds,
            entry.get_response_time_percentile(0.50) or 0,
            entry.get_response_time_percentile(0.95) or 0,
            entry.get_response_time_percentile(0.99) or 0,
        )

    found = [row(name, stats.entries[(name, method)]) for name, method in stats.entries]
    found.sort(key=lambda r: names.index(r.name) if r.name in names else len(names))
    return [*found, row("overall", stats.total)]


def markdown(rows: list[Row]) -> str:
    lines = [
        "| endpoint | requests | errors | requests/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        name = f"**{row.name}**" if row.name == "overall" else row.name
        lines.append(
            f"| {name} | {row.requests} | {row.errors} | {row.per_second:.1f} | "
            f"{row.p50:.0f} | {row.p95:.0f} | {row.p99:.0f} |"
        )
    return "\n".join(lines)


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# --- the two modes --------------------------------------------------------------------------


class Backup:
    """`lasting backup` run `at` seconds into the load (None: not at all), as an operator
    would on a live clinic; `drill()` afterwards restores it with `lasting restore --drill`
    (a scratch database: row counts and the audit chain checked)."""

    def __init__(self, env: dict[str, str], path: Path, at: float | None) -> None:
        self.env, self.path, self.at = env, path, at
        self.took: float | None = None
        self.result: subprocess.CompletedProcess[str] | None = None
        self.drilled: subprocess.CompletedProcess[str] | None = None
        if at is not None:
            import gevent

            gevent.spawn_later(at, self.take)

    def lasting(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        command = [str(Path(sys.executable).with_name("lasting")), *arguments]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, check=False)

    def take(self) -> None:
        started = time.perf_counter()
        self.result = self.lasting("backup", "--out", str(self.path))
        self.took = time.perf_counter() - started

    def drill(self) -> None:
        if self.result is not None and self.result.returncode == 0:
            self.drilled = self.lasting("restore", "--drill", str(self.path))

    def report(self) -> list[str]:
        if self.at is None:
            return []
        if self.result is None:
            return [f"backup: not taken (the load ended before {self.at:g} s)"]
        if self.result.returncode != 0:
            return [f"backup at {self.at:g} s FAILED: {self.result.stderr.strip()[-300:]}"]
        size = self.path.stat().st_size / 1e6
        lines = [f"backup at {self.at:g} s into the load: {size:.1f} MB in {self.took:.1f} s"]
        if self.drilled is None:
            return [*lines, "restore drill: not run"]
        verdict_ = "passed" if self.drilled.returncode == 0 else "FAILED"
        output = (self.drilled.stdout + self.drilled.stderr).strip().splitlines()
        return [*lines, f"restore drill {verdict_}: " + " / ".join(output[-6:])]


def load_mode(args: argparse.Namespace) -> int:
    # Locust patches the standard library for gevent when imported: before any socket.
    import locust  # noqa: F401

    deck = make_deck(args.mix, args.seed)
    total = math.ceil(args.rate * args.duration)
    if args.max_requests is not None:
        total = min(total, args.max_requests)
    schedule = Schedule(rate=args.rate, total=total, deck=deck)
    users = args.users or max(20, math.ceil(2 * args.rate))
    var_dir = scratch_var_dir("load")
    server: Server | None = None
    exit_on_sigterm()
    database = ScratchDatabase(args.database, var_dir, "load")
    port = free_port()
    env = environment(var_dir, database.url, "load")
    env["LASTING_SITE_URL"] = f"http://127.0.0.1:{port}"
    base = env["LASTING_SITE_URL"]
    loads: list[str] = []
    try:
        started = time.perf_counter()
        spec = {
            "patients": args.patients,
            "seed": 7,
            "links": schedule.count(SUBMIT) + FORM_LINKS,
            "portal": PORTAL_PATIENTS if PORTAL in deck else 0,
        }
        fixture = run_child("set-up", env, json.dumps(spec))
        print(f"set-up: {fixture['summary']}", flush=True)
        print(
            f"set-up: {len(fixture['links'])} check-in links, {len(fixture['portal'])} portal "
            f"sign-in links in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        server = Server(env, port, var_dir / "server.log", server_command(args.server, port))
        server.start()
        staff = [(sign_in_staff(base, account), account) for account in fixture["staff"]]
        links = fixture["links"]
        form_page = Browser(base).get(links[0])[1]
        sessions = Sessions(
            staff=[session for session, _ in staff],
            clinicians=[session for session, account in staff if account["reviews"]],
            patients=[sign_in_patient(base, path) for path in fixture["portal"]],
            patient_ids=fixture["patient_ids"],
            form_paths=links[:FORM_LINKS],
            submit_paths=list(reversed(links[FORM_LINKS:])),
            answer_fields=sorted(set(ITEM.findall(form_page))),
        )
        if PORTAL in deck and not sessions.patients:
            sys.exit("no demo patient could sign in to the portal")
        warm_up(base, sessions)
        before = run_child("count", env, "-")
        print(
            f"signed in: {len(sessions.staff)} staff accounts (both steps), "
            f"{len(sessions.patients)} portal patients; {args.server} on {base}",
            flush=True,
        )
        loads.append(load_average())
        print(
            f"load: {total} arrivals at {args.rate:g}/s ({args.mix}), {users} visitors; "
            f"load average {loads[0]}",
            flush=True,
        )
        server_cpu = server.cpu_seconds()
        own_cpu = sum(os.times()[:2])
        backup = Backup(env, var_dir / "during-load.backup", args.backup_at)
        stats, exceptions = run_load(base, schedule, sessions, users)
        server_cpu = server.cpu_seconds() - server_cpu
        own_cpu = sum(os.times()[:2]) - own_cpu
        loads.append(load_average())
        seconds = max(schedule.last_answer - schedule.start, 1e-9)
        server.stop()
        after = run_child("count", env, "-")
        backup.drill()
    finally:
        if server is not None and server.running():
            server.kill(master=True)  # never leave a server behind (an error, Ctrl-C)
        database.drop()
    rows = rows_of(stats, seconds, list(MIXES["mixed"]))
    overall = rows[-1]
    errors = overall.errors + exceptions + schedule.cut_off
    appended = after["audit_events"] - before["audit_events"]
    appends = after["audit_appends"] - before["audit_appends"]
    stored = after["checkins"] - before["checkins"]
    received = next((row.requests - row.errors for row in rows if row.name == SUBMIT), 0)
    print()
    print(
        f"### {args.mix} traffic, {args.database}, {args.server} (2 workers), "
        f"{args.rate:g} arrivals/s for {seconds:.0f} s"
    )
    print()
    print(markdown(rows))
    print()
    target = TARGET_RATE.get((args.mix, args.database))
    if target is not None:
        print(
            f"- throughput {overall.per_second:.1f} requests/s at an offered {args.rate:g}/s; "
            f"target >= {target}/s: {verdict(overall.per_second >= target)}"
        )
    else:
        print(f"- throughput {overall.per_second:.1f} requests/s (no target for this mix here)")
    for label, measured, bound in (
        ("p95", overall.p95, TARGET_P95_MS),
        ("p99", overall.p99, TARGET_P99_MS),
    ):
        print(f"- {label} {measured:.0f} ms, target <= {bound}: {verdict(measured <= bound)}")
    print(
        f"- errors {errors} ({exceptions} in the load generator, {schedule.cut_off} unanswered "
        f"when the run ended), target 0: {verdict(errors == 0)}"
    )
    if schedule.unsent:
        print(f"- {schedule.unsent} of {schedule.total} arrivals never sent: the run ended first")
    print(
        f"- late arrivals: {schedule.late} of {schedule.claimed} started > "
        f"{LATE_SECONDS * 1000:.0f} ms late (worst {schedule.worst_lateness * 1000:.0f} ms); "
        "many means every visitor was waiting on the server (past saturation)"
    )
    print(
        f"- audit events appended: {appended} ({appended / max(overall.requests, 1):.2f} a "
        f"request) in {appends} appends, each a lock of the chain's head "
        f"({appends / max(overall.requests, 1):.2f} a request, {appends / seconds:.1f} a "
        f"second); check-ins stored {stored}, submissions answered received {received}"
    )
    if seconds < TARGET_SECONDS - 1:
        print(f"- a short run: {seconds:.0f} s of the {TARGET_SECONDS} s the target asks for")
    print(
        f"- CPU time: server {1000 * server_cpu / max(overall.requests, 1):.1f} ms a request "
        f"({server_cpu:.1f} s), load generator {1000 * own_cpu / max(overall.requests, 1):.1f} ms"
    )
    print(f"- load average (1, 5, 15 min) before: {loads[0]}; after: {loads[1]}")
    for line in backup.report():
        print(f"- {line}")
    for error in list(stats.errors.values())[:5]:
        print(f"  error: {error.method} {error.name}: {error.error} ({error.occurrences}x)")
    if args.json:
        result = {
            "rows": [row.__dict__ for row in rows],
            "errors": errors,
            "late": schedule.late,
            "unanswered_at_end": schedule.cut_off,
            "unsent": schedule.unsent,
            "seconds": seconds,
            "audit_events": appended,
            "audit_appends": appends,
            "server_cpu_seconds": server_cpu,
            "load_average": loads,
            "backup": backup.report(),
        }
        Path(args.json).write_text(json.dumps(result, indent=2))
    failed_backup = args.backup_at is not None and (
        backup.drilled is None or backup.drilled.returncode != 0
    )
    return 1 if args.check and (errors > 0 or failed_backup) else 0


def audit_ceiling_mode(args: argparse.Namespace) -> int:
    var_dir = scratch_var_dir("audit-ceiling")
    exit_on_sigterm()
    database = ScratchDatabase(args.database, var_dir, "ceiling")
    env = environment(var_dir, database.url, "ceiling")
    writers_list = [int(part) for part in args.writers.split(",")]
    print(f"load average before: {load_average()}", flush=True)
    print()
    print(f"### Audit chain head, {args.database}: {args.appends} appends per row")
    print()
    print("| writer processes | appends | failed | seconds | appends/s | ms an append |")
    print("|---:|---:|---:|---:|---:|---:|")
    children: list[subprocess.Popen[str]] = []
    try:
        run_child("migrate", env, "-")
        for writers in writers_list:
            share = args.appends // writers
            children = [
                subprocess.Popen(
                    [sys.executable, __file__, "append", str(share)],
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for _ in range(writers)
            ]
            for child in children:
                assert child.stdout is not None
                if child.stdout.readline().strip() != "ready":
                    sys.exit("an append process did not start")
            for child in children:
                assert child.stdin is not None
                child.stdin.write("go\n")
                child.stdin.flush()
            results = [
                json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children
            ]
            appends = sum(r["appends"] for r in results)
            failed = sum(r["failed"] for r in results)
            seconds = max(r["ended"] for r in results) - min(r["started"] for r in results)
            print(
                f"| {writers} | {appends} | {failed} | {seconds:.2f} | {appends / seconds:.0f} | "
                f"{1000 * seconds / max(appends, 1):.2f} |",
                flush=True,
            )
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
        database.drop()
    print()
    print(f"load average after: {load_average()}")
    return 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] in CHILD_MODES:
        sys.path.insert(0, str(ROOT / "src"))
        argument = sys.argv[2]
        CHILD_MODES[sys.argv[1]](json.loads(argument) if sys.argv[1] == "set-up" else argument)  # type: ignore[operator]
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--server", choices=["gunicorn", "granian"], default="gunicorn")
    parser.add_argument("--mix", choices=sorted(MIXES), default="mixed")
    parser.add_argument("--rate", type=float, help="arrivals a second (default: the target)")
    parser.add_argument("--duration", type=float, default=600, help="seconds of arrivals")
    parser.add_argument("--max-requests", type=int, help="stop after this many arrivals")
    parser.add_argument("--users", type=int, help="visitors (default: twice the rate, >= 20)")
    parser.add_argument("--patients", type=int, default=240, help="patients in the demo clinic")
    parser.add_argument("--seed", type=int, default=11, help="shuffles the mix")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 on any error")
    parser.add_argument(
        "--backup-at",
        type=float,
        help="run `lasting backup` this many seconds into the load, then drill-restore it",
    )
    parser.add_argument(
        "--audit-ceiling", action="store_true", help="measure audited appends a second instead"
    )
    parser.add_argument("--appends", type=int, default=2000, help="audit appends a row")
    parser.add_argument("--writers", default="1,2,4", help="writer processes, one row each")
    args = parser.parse_args()
    if args.audit_ceiling:
        return audit_ceiling_mode(args)
    if args.rate is None:
        args.rate = TARGET_RATE.get((args.mix, args.database), 75)
    if args.rate <= 0 or args.duration <= 0 or (args.max_requests or 1) < 1:
        parser.error("--rate, --duration and --max-requests must be positive")
    return load_mode(args)


if __name__ == "__main__":
    sys.exit(main())
