"""`lasting export episodes`: the clinic's stored episodes in the episodes.csv format,
with opaque ids, one organisation only, audited as an export."""

from __future__ import annotations

import pytest

from lasting.audit.models import Action, AuditEvent
from lasting.cli import main
from lasting_core.analytics.episodes import read_episodes
from tests.factories import make_patient
from tests.web.outcomes_support import make_episode

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(personas):
    make_episode(personas.paul, 30, True, in_therapy=True)
    make_episode(personas.paul, 45, False)
    other = make_patient(personas.other_clinic)
    make_episode(other, 99, True)
    return personas


def test_the_export_is_read_back_as_the_clinic_s_episodes(stored, tmp_path, capsys):
    out = tmp_path / "episodes.csv"
    assert (
        main(["export", "episodes", "--organization", stored.clinic.slug, "--out", str(out)]) == 0
    )
    text = out.read_text()
    assert text.splitlines()[0] == "episode_id,duration_days,event"
    episodes = read_episodes(text)
    assert sorted((e.duration_days, e.event) for e in episodes) == [(30.0, True), (45.0, False)]
    assert "2 episodes" in capsys.readouterr().out


def test_episode_ids_are_opaque(stored, tmp_path):
    out = tmp_path / "episodes.csv"
    main(["export", "episodes", "--organization", stored.clinic.slug, "--out", str(out)])
    ids = [e.episode_id for e in read_episodes(out.read_text())]
    assert ids == ["E1", "E2"]
    text = out.read_text()
    assert stored.paul.record_number not in text
    assert stored.paul.family_name not in text


def test_group_by_adds_the_factor(stored, tmp_path):
    out = tmp_path / "episodes.csv"
    main(
        [
            "export",
            "episodes",
            "--organization",
            stored.clinic.slug,
            "--out",
            str(out),
            "--group-by",
            "therapy",
        ]
    )
    assert out.read_text().splitlines()[0] == "episode_id,duration_days,event,group"
    groups = {e.duration_days: e.group for e in read_episodes(out.read_text(), group_by="group")}
    assert groups == {30.0: "yes", 45.0: "no"}


def test_the_export_is_audited(stored, tmp_path):
    out = tmp_path / "mine.csv"
    main(["export", "episodes", "--organization", stored.clinic.slug, "--out", str(out)])
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.object_type, event.object_id) == (
        Action.EXPORT,
        "EpisodesExport",
        "mine.csv",
    )
    assert event.organization_id == stored.clinic.pk


def test_an_unknown_organisation_writes_nothing(stored, tmp_path, capsys):
    out = tmp_path / "episodes.csv"
    assert main(["export", "episodes", "--organization", "nowhere", "--out", str(out)]) == 1
    assert not out.exists()
    assert "no organisation 'nowhere'" in capsys.readouterr().err
