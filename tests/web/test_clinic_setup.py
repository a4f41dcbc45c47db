"""A clinic sets itself up without the demo: `lasting setup`, locations, invitations, roles.

Who may do what is written in tests/personas.py; admin_dora runs Clinic A.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.models import Invitation, Location, Membership, Organization, Role, User
from lasting.audit.models import Action, AuditEvent
from lasting.cli import main
from tests.factories import sign_in
from tests.personas import client_for

pytestmark = pytest.mark.django_db

STRONG = "a long and good passphrase"
INVITE_LINK = re.compile(r"https?://\S+/accounts/invitations/(\S+)/")


def setup_args(tmp_path, *extra: str) -> list[str]:
    password_file = tmp_path / "password.txt"
    password_file.write_text(STRONG + "\n")
    return [
        "setup",
        "--no-input",
        "--organization",
        "Front Range Ketamine",
        "--time-zone",
        "America/Denver",
        "--location",
        "Boulder;1800 Pearl St, Boulder CO;4",
        "--location",
        "Denver;;6",
        "--admin-email",
        "dora@frontrange.example",
        "--admin-first-name",
        "Dora",
        "--admin-password-file",
        str(password_file),
        *extra,
    ]


class TestSetupCommand:
    def test_it_creates_the_organisation_its_locations_and_first_admin(self, tmp_path, capsys):
        assert main(setup_args(tmp_path)) == 0

        organization = Organization.objects.get(name="Front Range Ketamine")
        assert organization.time_zone == "America/Denver"
        locations = {loc.name: loc for loc in organization.locations.all()}
        assert set(locations) == {"Boulder", "Denver"}
        assert (locations["Boulder"].address, locations["Boulder"].chairs) == (
            "1800 Pearl St, Boulder CO",
            4,
        )
        assert (locations["Denver"].address, locations["Denver"].chairs) == ("", 6)
        assert locations["Denver"].time_zone == "America/Denver"
        admin = Membership.objects.get(organization=organization)
        assert (admin.role, admin.user.username, admin.user.first_name) == (
            Role.ADMIN,
            "dora",
            "Dora",
        )
        assert authenticate(username="dora", password=STRONG) == admin.user
        out = capsys.readouterr().out
        assert "Sign in as dora at http://" in out
        assert "/accounts/login/" in out

    def test_every_row_it_creates_is_audited(self, tmp_path):
        main(setup_args(tmp_path))

        organization = Organization.objects.get(name="Front Range Ketamine")
        events = AuditEvent.objects.filter(organization_id=organization.pk)
        assert {(e.action, e.object_type) for e in events} == {
            (Action.CREATE, "Organization"),
            (Action.CREATE, "Location"),
            (Action.PRIVILEGE_CHANGE, "Membership"),
        }
        assert all(e.username == "lasting setup" for e in events)

    def test_a_weak_password_creates_nothing(self, tmp_path, capsys):
        args = setup_args(tmp_path)
        (tmp_path / "password.txt").write_text("aaaa\n")

        assert main(args) == 2

        assert not Organization.objects.filter(name="Front Range Ketamine").exists()
        assert not Location.objects.filter(name="Boulder").exists()
        assert not User.objects.filter(username="dora").exists()
        assert "too short" in capsys.readouterr().err

    def test_an_unknown_time_zone_is_named(self, tmp_path, capsys):
        args = setup_args(tmp_path)
        args[args.index("America/Denver")] = "America/Denvr"

        assert main(args) == 2

        assert "'America/Denvr' is not a known IANA time zone" in capsys.readouterr().err
        assert not Organization.objects.filter(name="Front Range Ketamine").exists()

    def test_without_input_a_missing_option_is_named(self, tmp_path, capsys):
        args = setup_args(tmp_path)
        del args[args.index("--time-zone") : args.index("--time-zone") + 2]

        assert main(args) == 2

        assert "--time-zone is required with --no-input" in capsys.readouterr().err

    def test_a_second_organisation_of_the_same_name_is_refused(self, tmp_path, capsys):
        assert main(setup_args(tmp_path)) == 0
        args = setup_args(tmp_path)
        args[args.index("dora@frontrange.example")] = "other@frontrange.example"

        assert main(args) == 2

        assert "exists already" in capsys.readouterr().err
        assert Organization.objects.filter(name="Front Range Ketamine").count() == 1

    @pytest.mark.parametrize(
        ("location", "reason"),
        [(";1800 Pearl St", "needs a name"), ("Boulder;x;0", "at least 1"), ("a;b;c;d", "two ';'")],
    )
    def test_a_malformed_location_is_explained(self, tmp_path, capsys, location, reason):
        args = setup_args(tmp_path)
        args[args.index("Denver;;6")] = location

        with pytest.raises(SystemExit):
            main(args)

        assert reason in capsys.readouterr().err

    def test_it_asks_for_what_is_missing(self, monkeypatch, capsys):
        answers = iter(
            ["Mesa Clinic", "America/Phoenix", "Tempe;1 Mill Ave;3", "mo@mesa.example", ""]
        )
        monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
        passwords = iter(["first try here!", "typo in the second", STRONG, STRONG])
        monkeypatch.setattr("getpass.getpass", lambda prompt: next(passwords))
        monkeypatch.delenv("LASTING_ADMIN_PASSWORD", raising=False)

        assert main(["setup"]) == 0

        organization = Organization.objects.get(name="Mesa Clinic")
        assert organization.locations.get().chairs == 3
        admin = Membership.objects.get(organization=organization).user
        assert admin.username == "mo"  # the default: the e-mail's local part
        assert authenticate(username="mo", password=STRONG) == admin
        assert "The two passwords differ" in capsys.readouterr().out


def invite(client: Client, email: str, role: Role, title: str = "") -> str:
    """Invite `email` as `role` through the admin's page; return the e-mailed token."""
    before = len(mail.outbox)
    response = client.post(
        reverse("accounts:invite"), {"email": email, "role": role.value, "title": title}
    )
    assert response.status_code == 302, response.content
    assert len(mail.outbox) == before + 1
    match = INVITE_LINK.search(mail.outbox[-1].body)
    assert match is not None, mail.outbox[-1].body
    return match.group(1)


def accept(token: str, username: str, password: str = STRONG, **fields: str) -> Client:
    client = Client()
    client.post(
        reverse("accounts:accept_invitation", args=[token]),
        {
            "first_name": fields.get("first_name", "Nora"),
            "last_name": fields.get("last_name", "Reyes"),
            "username": username,
            "password": password,
            "password_again": fields.get("password_again", password),
        },
    )
    return client


class TestInvitations:
    def test_an_invitee_joins_in_the_role_they_were_invited_to(self, personas):
        token = invite(client_for("admin_dora"), "nora@clinic-a.example", Role.STAFF, "RN")

        response = Client().post(
            reverse("accounts:accept_invitation", args=[token]),
            {
                "first_name": "Nora",
                "last_name": "Reyes",
                "username": "nora",
                "password": STRONG,
                "password_again": STRONG,
            },
        )

        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:login")
        membership = Membership.objects.get(user__username="nora")
        assert (membership.organization, membership.role, membership.title) == (
            personas.clinic,
            Role.STAFF,
            "RN",
        )
        assert membership.user.email == "nora@clinic-a.example"
        assert sign_in(Client(), "nora", STRONG)

    def test_the_email_names_the_clinic_and_the_role_and_nothing_clinical(self, personas):
        invite(client_for("admin_dora"), "nora@clinic-a.example", Role.CLINICIAN)

        message = mail.outbox[-1]
        assert message.to == ["nora@clinic-a.example"]
        assert "Clinic A" in message.subject
        assert "as clinician" in message.body
        assert "7 days" in message.body

    def test_the_link_works_once(self, personas):
        token = invite(client_for("admin_dora"), "nora@clinic-a.example", Role.STAFF)
        accept(token, "nora")

        again = Client().get(reverse("accounts:accept_invitation", args=[token]))

        assert again.status_code == 410
        assert "has been used already" in again.content.decode()

    def test_an_expired_link_is_refused(self, personas):
        token = invite(client_for("admin_dora"), "nora@clinic-a.example", Role.STAFF)

        with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
            response = Client().get(reverse("accounts:accept_invitation", args=[token]))

        assert response.status_code == 410
        assert "expired" in response.content.decode()

    def test_a_revoked_link_stops_working_at_once(self, personas):
        admin = client_for("admin_dora")
        token = invite(admin, "nora@clinic-a.example", Role.STAFF)
        invitation = Invitation.objects.get(email="nora@clinic-a.example")

        admin.post(reverse("accounts:revoke_invitation", args=[invitation.pk]))
        response = Client().get(reverse("accounts:accept_invitation", args=[token]))

        assert response.status_code == 410
        assert "withdrawn" in response.content.decode()
        assert (
            AuditEvent.objects.filter(
                action=Action.PRIVILEGE_CHANGE,
                object_type="Invitation",
                object_id=str(invitation.pk),
            ).count()
            == 2
        )  # invited, revoked

    def test_a_made_up_token_is_not_found(self, db):
        response = Client().get(reverse("accounts:accept_invitation", args=["x" * 43]))

        assert response.status_code == 404

    @pytest.mark.parametrize(
        ("password", "again", "message"),
        [
            ("short", "short", "too short"),
            ("password1234", "password1234", "too common"),
            (STRONG, STRONG + "!", "The two passwords differ"),
            ("nora.reyes.clinic", "nora.reyes.clinic", "too similar"),
        ],
    )
    def test_the_password_must_meet_the_rules(self, personas, password, again, message):
        token = invite(client_for("admin_dora"), "nora.reyes.clinic@a.example", Role.STAFF)

        response = Client().post(
            reverse("accounts:accept_invitation", args=[token]),
            {
                "first_name": "Nora",
                "last_name": "Reyes",
                "username": "nora.reyes.clinic",
                "password": password,
                "password_again": again,
            },
        )

        assert response.status_code == 422
        assert message in response.content.decode()
        assert not User.objects.filter(username="nora.reyes.clinic").exists()
        assert Invitation.objects.get().accepted_at is None  # still usable

    def test_a_taken_username_is_refused(self, personas):
        token = invite(client_for("admin_dora"), "nora@clinic-a.example", Role.STAFF)

        response = Client().post(
            reverse("accounts:accept_invitation", args=[token]),
            {
                "first_name": "Nora",
                "last_name": "Reyes",
                "username": "DR_ANA",
                "password": STRONG,
                "password_again": STRONG,
            },
        )

        assert response.status_code == 422
        assert "This username is taken" in response.content.decode()

    def test_an_address_with_an_account_is_not_invited_again(self, personas):
        response = client_for("admin_dora").post(
            reverse("accounts:invite"),
            {"email": "DR_OLGA@example.org", "role": Role.CLINICIAN.value},
        )

        assert response.status_code == 422
        assert "already has a Lasting account" in response.content.decode()
        assert not Invitation.objects.exists()
        assert not mail.outbox

    def test_one_open_invitation_per_address(self, personas):
        admin = client_for("admin_dora")
        invite(admin, "nora@clinic-a.example", Role.STAFF)

        response = admin.post(
            reverse("accounts:invite"), {"email": "nora@clinic-a.example", "role": "staff"}
        )

        assert response.status_code == 422
        assert "open invitation" in response.content.decode()


class TestPeopleAndRoles:
    def test_an_admin_changes_a_role_audited(self, personas):
        cara = personas.rn_cara

        response = client_for("admin_dora").post(
            reverse("accounts:edit_member", args=[cara.pk]),
            {"role": Role.CLINICIAN.value, "title": "NP", "is_active": "on"},
        )

        assert response.status_code == 302
        cara.refresh_from_db()
        assert (cara.role, cara.title) == (Role.CLINICIAN, "NP")
        assert AuditEvent.objects.filter(
            action=Action.PRIVILEGE_CHANGE, object_type="Membership", object_id=str(cara.pk)
        ).exists()

    def test_a_deactivated_person_is_signed_out_at_once(self, personas):
        cara = client_for("rn_cara")
        assert cara.get(reverse("clinic:caseload")).status_code == 200

        client_for("admin_dora").post(
            reverse("accounts:edit_member", args=[personas.rn_cara.pk]),
            {"role": Role.STAFF.value, "title": ""},  # "is_active" unticked
        )

        response = cara.get(reverse("clinic:caseload"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        personas.rn_cara.refresh_from_db()
        assert personas.rn_cara.is_active is False

    def test_the_last_admin_can_be_neither_demoted_nor_deactivated(self, personas):
        dora = personas.admin_dora

        response = client_for("admin_dora").post(
            reverse("accounts:edit_member", args=[dora.pk]),
            {"role": Role.CLINICIAN.value, "title": "", "is_active": "on"},
        )

        assert response.status_code == 422
        assert "last active admin" in response.content.decode()
        dora.refresh_from_db()
        assert (dora.role, dora.is_active) == (Role.ADMIN, True)


class TestLocations:
    def test_the_organisation_page_lists_locations_people_and_invitations_once(self, personas):
        Location.objects.create(organization=personas.clinic, name="Main St", chairs=3)
        invite(client_for("admin_dora"), "nora@clinic-a.example", Role.STAFF)

        page = client_for("admin_dora").get(reverse("accounts:organization")).content.decode()

        assert page.count('id="locations"') == 1
        assert page.count('id="people"') == 1
        assert page.count("Open invitations") == 1
        assert page.count("nora@clinic-a.example") == 1
        assert page.count(">Main St<") == 1
        assert len(page) < 50_000

    def test_an_admin_adds_a_location_in_the_clinic_time_zone(self, personas):
        response = client_for("admin_dora").post(
            reverse("accounts:new_location"),
            {
                "name": "Lakewood",
                "address": "1 Union Blvd",
                "time_zone": "America/Denver",
                "chairs": "5",
                "is_active": "on",
            },
        )

        assert response.status_code == 302
        location = Location.objects.get(name="Lakewood")
        assert (location.organization, location.chairs) == (personas.clinic, 5)
        assert AuditEvent.objects.filter(
            action=Action.CREATE, object_type="Location", object_id=str(location.pk)
        ).exists()

    def test_the_new_location_form_starts_in_the_clinic_time_zone(self, personas):
        personas.clinic.time_zone = "America/Chicago"
        personas.clinic.save()

        page = client_for("admin_dora").get(reverse("accounts:new_location")).content.decode()

        assert 'value="America/Chicago"' in page

    def test_a_new_patient_starts_in_the_clinic_time_zone(self, personas):
        personas.clinic.time_zone = "America/Phoenix"
        personas.clinic.save()

        page = client_for("dr_ana").get(reverse("patients:new")).content.decode()

        assert 'value="America/Phoenix"' in page
        assert 'value="America/New_York"' not in page

    def test_a_closed_location_takes_no_new_patients(self, personas):
        location = Location.objects.create(organization=personas.clinic, name="Old Town")

        client_for("admin_dora").post(
            reverse("accounts:edit_location", args=[location.pk]),
            {"name": "Old Town", "address": "", "time_zone": "America/New_York", "chairs": "2"},
        )

        location.refresh_from_db()
        assert location.is_active is False
        form = client_for("dr_ana").get(reverse("patients:new")).content.decode()
        assert "Old Town" not in form

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("name", "main st", "already has a location"),
            ("chairs", "0", "greater than or equal to 1"),
            ("chairs", "51", "less than or equal to 50"),
            ("time_zone", "Mars/Olympus", "not a known IANA time zone"),
        ],
    )
    def test_bad_values_are_explained(self, personas, field, value, message):
        Location.objects.create(organization=personas.clinic, name="Main St")
        data = {"name": "Second", "address": "", "time_zone": "America/New_York", "chairs": "2"}
        data[field] = value

        response = client_for("admin_dora").post(reverse("accounts:new_location"), data)

        assert response.status_code == 422
        assert message in response.content.decode()
        assert Location.objects.filter(organization=personas.clinic).count() == 1
