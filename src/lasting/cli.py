"""The `lasting` command: setup, demo, serve, worker, scheduler, audit, replay, simulate,
calibrate, analyze and Django management."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from lasting.cli_analyze import add_analyze_command
from lasting.cli_arguments import port_number, positive_int
from lasting.cli_backup import cmd_backup, cmd_restore
from lasting.cli_calibrate import add_calibrate_command
from lasting.cli_engine import add_engine_commands
from lasting.cli_export import add_export_parser
from lasting.cli_setup import SETUP_EPILOG, cmd_setup, location_spec

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lasting.settings")
    import django

    django.setup()


def call_django(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def prepare_site() -> None:
    """Migrate the database and build the static assets the pages need."""
    from lasting.clinic.charts import ensure_vega_bundle

    call_django("migrate", "--no-input", "-v", "0")
    ensure_vega_bundle()
    # Hashed names and gzip copies, served compressed and cached for a year.
    call_django("collectstatic", "--no-input", "-v", "0")


def web_command(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "lasting.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "10",
        # Lasting does not use gunicorn's control interface; its default socket is one
        # path per machine, which a second instance would claim.
        "--no-control-socket",
    ]


def worker_commands() -> list[list[str]]:
    """The task runner (of the configured backend) and the scheduler that feeds it."""
    from django.conf import settings

    runner = ["db_worker"]
    if settings.TASK_BACKEND == "rq":
        runner = ["rqworker", "default", "--job-class", "django_tasks_rq.Job", "--with-scheduler"]
    return [
        [sys.executable, "-m", "django", *runner, "--settings", "lasting.settings"],
        [sys.executable, "-m", "lasting.cli", "scheduler"],
    ]


def run_processes(commands: Sequence[list[str]]) -> int:
    """Run processes side by side until one exits or Ctrl-C; stop the others cleanly."""
    processes = [subprocess.Popen(command) for command in commands]
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    try:
        while not stopping:
            for process in processes:
                code = process.poll()
                if code is not None:
                    exit_code = code
                    stopping = True
            if not stopping:
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return exit_code


def use_site_url(host: str, port: int) -> None:
    """Check-in links point at this server unless LASTING_SITE_URL says otherwise."""
    os.environ.setdefault("LASTING_SITE_URL", f"http://{host}:{port}")


def cmd_demo(args: argparse.Namespace) -> int:
    use_site_url(args.host, args.port)
    # Without SMTP the demo's e-mails (reminders, alerts, sign-in links) go to files, so
    # a hundred reminders do not bury the logins on the console.
    mail_dir = Path(os.environ.get("LASTING_VAR_DIR", "var")) / "mail"
    os.environ.setdefault("LASTING_MAIL_DIR", str(mail_dir.resolve()))
    setup_django()
    from lasting.demo import DEMO_LOGINS_FILE, seed_demo

    prepare_site()
    logins_file = Path(os.environ.get("LASTING_VAR_DIR", "var")) / DEMO_LOGINS_FILE
    seeded = seed_demo(
        patients=args.patients, seed=args.seed, reset=args.reset, logins_file=logins_file
    )
    print()
    print(seeded.summary)
    print()
    print(f"Lasting demo clinic: http://{args.host}:{args.port}/")
    print("Sign in as any of these (the check-in link flow needs no login):")
    for line in seeded.login_lines:
        print(f"  {line}")
    print("Every staff sign-in has a second step: add the app key to any authenticator app,")
    print("or print the code it would show with: .venv/bin/lasting demo-code USERNAME")
    print()
    from django.conf import settings

    if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        print(f"E-mails (reminders, alerts, sign-in links) are saved in {settings.EMAIL_FILE_PATH}")
        print("(set LASTING_SMTP_URL to send them).")
        print()
    if args.no_serve:
        return 0
    sys.stdout.flush()
    return run_processes([web_command(args.host, args.port, args.workers), *worker_commands()])


def cmd_demo_code(args: argparse.Namespace) -> int:
    setup_django()
    from lasting.demo import demo_code

    code = demo_code(args.username)
    if code is None:
        print(
            f"lasting demo-code: {args.username!r} is not an account of the demo clinic "
            "(real accounts use their own authenticator app).",
            file=sys.stderr,
        )
        return 2
    print(code)
    return 0


def cmd_reset_second_step(args: argparse.Namespace) -> int:
    setup_django()
    from lasting.accounts.mfa import reset_second_step
    from lasting.accounts.models import Membership
    from lasting.audit.services import Actor

    member = (
        Membership.objects.select_related("user")
        .filter(user__username=args.username, is_active=True)
        .first()
    )
    if member is None:
        print(
            f"lasting reset-second-step: no active staff account is called {args.username!r}.",
            file=sys.stderr,
        )
        return 2
    reset_second_step(Actor.system("lasting reset-second-step", member.organization_id), member)
    print(
        f"{member.user.username}: authenticator app and recovery codes deleted, sessions "
        "ended; the next sign-in sets up a new app."
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    use_site_url(args.host, args.port)
    setup_django()
    prepare_site()
    commands = [web_command(args.host, args.port, args.workers)]
    if args.no_worker:
        print(
            "Warning: no worker: safety alerts will not be e-mailed or escalated until "
            "`lasting worker` runs somewhere.",
            file=sys.stderr,
        )
    else:
        commands.extend(worker_commands())
    return run_processes(commands)


def cmd_worker(args: argparse.Namespace) -> int:
    setup_django()
    call_django("migrate", "--no-input", "-v", "0")
    return run_processes(worker_commands())


def cmd_scheduler(args: argparse.Namespace) -> int:
    setup_django()
    from lasting.periodic import run_scheduler

    run_scheduler(once=args.once)
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings

    from lasting.audit.models import AuditEvent
    from lasting.audit.services import read_anchors, verify_chain

    anchor_file = args.anchors or settings.AUDIT_ANCHOR_FILE
    anchors = read_anchors(anchor_file)
    problems = list(verify_chain(anchors))
    total = AuditEvent.objects.count()
    if problems:
        for problem in problems:
            print(f"event {problem.event_id}: {problem.reason}", file=sys.stderr)
        print(f"audit trail: {len(problems)} problem(s) in {total} events", file=sys.stderr)
        return 1
    print(f"audit trail intact: {total} events, {len(anchors)} anchors from {anchor_file} agree")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lasting.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lasting manage", *args.django_args])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lasting", description="Lasting: relapse prevention for ketamine-therapy clinics."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_server_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
        sub.add_argument(
            "--port", type=port_number, default=DEFAULT_PORT, help="port to listen on (8000)"
        )
        sub.add_argument("--workers", type=positive_int, default=2, help="web processes")

    setup = commands.add_parser(
        "setup",
        help="create your clinic: the organisation, its locations and the first admin",
        description="Create your clinic: the organisation, its locations and the first admin.",
        epilog=SETUP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    setup.add_argument("--organization", metavar="NAME", help="the clinic's name")
    setup.add_argument(
        "--time-zone", metavar="ZONE", help="the clinic's IANA time zone, e.g. America/Denver"
    )
    setup.add_argument(
        "--location",
        type=location_spec,
        action="append",
        default=[],
        metavar="NAME;ADDRESS;CHAIRS",
        help="a location (repeat for each); address and chairs may be empty (1 chair)",
    )
    setup.add_argument("--admin-username", metavar="NAME", help="default: the e-mail's local part")
    setup.add_argument("--admin-email", metavar="EMAIL", help="the first admin's e-mail address")
    setup.add_argument("--admin-first-name", metavar="NAME", help="the first admin's first name")
    setup.add_argument("--admin-last-name", metavar="NAME", help="the first admin's last name")
    setup.add_argument(
        "--admin-password-file",
        type=Path,
        metavar="FILE",
        help="read the admin's password from FILE (its first line)",
    )
    setup.add_argument(
        "--no-input", action="store_true", help="never ask: fail naming any missing option"
    )
    setup.set_defaults(handler=cmd_setup)

    demo_code = commands.add_parser(
        "demo-code", help="the second-step code of a demo clinic account, as its app shows it"
    )
    demo_code.add_argument("username", help="a demo account, e.g. as printed by `lasting demo`")
    demo_code.set_defaults(handler=cmd_demo_code)

    reset = commands.add_parser(
        "reset-second-step",
        help="re-enrol a staff account that lost its authenticator app (e.g. the only admin)",
    )
    reset.add_argument("username", help="the staff account's username")
    reset.set_defaults(handler=cmd_reset_second_step)

    demo = commands.add_parser("demo", help="seed a realistic demo clinic and run web + worker")
    add_server_options(demo)
    demo.add_argument(
        "--patients", type=positive_int, default=240, help="patients in the demo clinic"
    )
    demo.add_argument("--seed", type=int, default=7, help="random seed of the simulated clinic")
    demo.add_argument("--reset", action="store_true", help="delete the demo data and seed again")
    demo.add_argument("--no-serve", action="store_true", help="seed and print logins, then exit")
    demo.set_defaults(handler=cmd_demo)

    serve = commands.add_parser("serve", help="run the web server (gunicorn) and the worker")
    add_server_options(serve)
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start the worker here (run `lasting worker` elsewhere)",
    )
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run background jobs and the periodic schedule")
    worker.set_defaults(handler=cmd_worker)

    scheduler = commands.add_parser("scheduler", help="only enqueue periodic jobs (run by worker)")
    scheduler.add_argument("--once", action="store_true", help="one pass, then exit")
    scheduler.set_defaults(handler=cmd_scheduler)

    audit = commands.add_parser("audit", help="audit-trail tools")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = audit_commands.add_parser(
        "verify",
        help="check the keyed hash chain for tampering, and against the anchors kept outside "
        "the database",
    )
    verify.add_argument(
        "--anchors",
        type=Path,
        default=None,
        help="anchor file or a log holding its lines (default: LASTING_AUDIT_ANCHOR_FILE, "
        "var/audit-anchors.jsonl)",
    )
    verify.set_defaults(handler=cmd_audit_verify)

    backup = commands.add_parser(
        "backup",
        help="write the database to one file with its checksum and schema version "
        "(SQLite online backup; pg_dump on PostgreSQL)",
    )
    backup.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the backup file (default: lasting-backup-<UTC time>.tar here)",
    )
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser(
        "restore",
        help="restore a backup (refuses a corrupt file or another schema version)",
    )
    restore.add_argument("file", type=Path, help="a file written by `lasting backup`")
    restore.add_argument(
        "--drill",
        action="store_true",
        help="restore into a scratch database, check row counts and the audit chain, "
        "and leave the live database untouched",
    )
    restore.add_argument(
        "--replace",
        action="store_true",
        help="overwrite a database that holds data (stop Lasting first)",
    )
    restore.set_defaults(handler=cmd_restore)

    add_export_parser(commands)

    add_engine_commands(commands)
    add_calibrate_command(commands)
    add_analyze_command(commands)

    manage = commands.add_parser("manage", help="run a Django management command")
    manage.add_argument(
        "django_args",
        nargs=argparse.REMAINDER,
        metavar="ARGS",
        help="the command and its arguments, e.g. createsuperuser or check --deploy",
    )
    manage.set_defaults(handler=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # What Lasting writes (the database, its WAL, e-mails with sign-in links) is private to
    # the account that runs it; the server and worker processes inherit the mask.
    os.umask(0o077)
    args = build_parser().parse_args(argv)
    handler = args.handler
    return int(handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
