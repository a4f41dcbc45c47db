"""`lasting setup`: create a clinic without the demo (organisation, locations, first admin),
asking for what the options do not give, or failing with the option's name without input."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from lasting.cli_arguments import positive_int

SETUP_EPILOG = """\
Without --no-input, every value not given as an option is asked for. The admin's password
is read from the file named by --admin-password-file, else from LASTING_ADMIN_PASSWORD,
else asked for twice (never taken as an option: it would stay in the shell history).

Example:
  lasting setup --no-input --organization "Front Range Ketamine" --time-zone America/Denver \\
      --location "Boulder;1800 Pearl St, Boulder CO;4" --location "Denver;;6" \\
      --admin-username dora --admin-email dora@example.org --admin-password-file pw.txt
"""


class SetupError(Exception):
    """A value `lasting setup` cannot use; the message says which and why."""


def location_spec(text: str) -> tuple[str, str, int]:
    """Parse NAME[;ADDRESS[;CHAIRS]] into (name, address, chairs)."""
    parts = text.split(";")
    if len(parts) > 3:
        raise argparse.ArgumentTypeError(f"{text!r}: use NAME;ADDRESS;CHAIRS (two ';' at most)")
    name, address, chairs = [*parts, "", ""][:3]
    if not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: a location needs a name before the first ';'")
    try:
        count = positive_int(chairs) if chairs.strip() else 1
    except argparse.ArgumentTypeError as error:
        raise argparse.ArgumentTypeError(f"{text!r}: chairs {error}") from error
    return name.strip(), address.strip(), count


def ask(
    prompt: str, value: str | None, *, interactive: bool, option: str, default: str = ""
) -> str:
    """Return `value` if given, else ask for it (or fail, naming the option, without input)."""
    if value:
        return value
    if not interactive:
        if default:
            return default
        raise SetupError(f"{option} is required with --no-input")
    while True:
        suffix = f" [{default}]" if default else ""
        answer = input(f"{prompt}{suffix}: ").strip() or default
        if answer:
            return answer
        print(f"  {prompt} is required.")


def setup_password(args: argparse.Namespace, interactive: bool) -> str:
    if args.admin_password_file is not None:
        try:
            text: str = args.admin_password_file.read_text()
            return text.splitlines()[0] if text else ""
        except OSError as error:
            raise SetupError(
                f"--admin-password-file: {error.strerror}: {error.filename}"
            ) from error
    if os.environ.get("LASTING_ADMIN_PASSWORD"):
        return os.environ["LASTING_ADMIN_PASSWORD"]
    if not interactive:
        raise SetupError(
            "with --no-input, give --admin-password-file or set LASTING_ADMIN_PASSWORD"
        )
    while True:
        first = getpass.getpass("Admin password (at least 12 characters): ")
        if first == getpass.getpass("Admin password, again: "):
            return first
        print("  The two passwords differ; try again.")


def cmd_setup(args: argparse.Namespace) -> int:
    """Create the organisation, its locations and its first admin; print where to sign in."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lasting.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--no-input", "-v", "0")
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.urls import reverse

    from lasting.accounts.services import AdminSpec, LocationSpec, set_up_organization
    from lasting.audit.services import Actor

    interactive = not args.no_input
    try:
        name = ask(
            "Organisation name", args.organization, interactive=interactive, option="--organization"
        )
        time_zone = ask(
            "Time zone (IANA, e.g. America/Denver)",
            args.time_zone,
            interactive=interactive,
            option="--time-zone",
        )
        locations = list(args.location)
        while interactive and not locations:
            try:
                locations.append(
                    location_spec(input("First location as NAME;ADDRESS;CHAIRS: ").strip())
                )
            except argparse.ArgumentTypeError as error:
                print(f"  {error}")
        if not locations:
            raise SetupError("--location is required with --no-input (NAME;ADDRESS;CHAIRS)")
        email = ask(
            "Admin e-mail", args.admin_email, interactive=interactive, option="--admin-email"
        )
        username = ask(
            "Admin username",
            args.admin_username,
            interactive=interactive,
            option="--admin-username",
            default=email.split("@")[0],
        )
        admin = AdminSpec(
            username=username,
            email=email,
            password=setup_password(args, interactive),
            first_name=args.admin_first_name or "",
            last_name=args.admin_last_name or "",
        )
        organization = set_up_organization(
            Actor.system("lasting setup"),
            name=name,
            time_zone=time_zone,
            locations=[LocationSpec(*location) for location in locations],
            admin=admin,
        )
    except SetupError as error:
        print(f"lasting setup: {error}", file=sys.stderr)
        return 2
    except ValidationError as error:
        print("lasting setup: nothing was created:", file=sys.stderr)
        for field, messages in getattr(error, "message_dict", {"": error.messages}).items():
            for message in messages:
                print(
                    f"  {field + ': ' if field and field != '__all__' else ''}{message}",
                    file=sys.stderr,
                )
        return 2
    print(
        f"Created {organization.name} ({organization.time_zone}) with {len(locations)} location(s)."
    )
    print(f"Sign in as {admin.username} at {settings.SITE_URL}{reverse('accounts:login')}")
    print("Then invite your staff from the Organisation page.")
    return 0
