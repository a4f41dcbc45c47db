"""What to expect, on the clinic's patient page for a patient in evaluation: how long
relief lasted for earlier patients of this clinic with the same diagnosis group and
baseline severity band, or a plain statement when they are too few (docs/outcomes.md)."""

from __future__ import annotations

import pytest

from lasting.outcomes.queries import FEW_SIMILAR
from lasting.patients.models import Phase
from lasting_core.analytics.survival import fit_kaplan_meier
from tests.factories import make_patient, make_phq9
from tests.personas import client_for
from tests.web.outcomes_support import make_episode

pytestmark = pytest.mark.django_db


def page(personas, username: str = "dr_ana") -> str:
    response = client_for(username).get(f"/patients/{personas.paul.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def similar(personas, count: int, **overrides: object) -> list[tuple[float, bool]]:
    """`count` earlier episodes after induction: TRD, severe baseline, in Clinic A."""
    pairs = [(10.0 + 7 * index, index % 3 != 0) for index in range(count)]
    earlier = make_patient(personas.clinic)
    fields = {"severity": "severe", **overrides}
    for days, relapsed in pairs:
        make_episode(earlier, days, relapsed, **fields)
    return pairs


@pytest.fixture
def evaluating(personas):
    make_phq9(personas.paul, 21)  # severe
    return personas


def test_below_twenty_similar_patients_it_says_too_few_with_the_published_figures(evaluating):
    similar(evaluating, 7)
    similar(evaluating, 30, diagnosis="ptsd")  # another diagnosis: not similar
    similar(evaluating, 30, started_by="booster")  # not after induction
    text = page(evaluating)
    assert "Too few similar patients in this clinic (n = 7) to say; published figures:" in text
    assert "McInnes 2022" in text
    assert "Murrough 2013: median 18 days" in text


def test_with_enough_similar_patients_it_shows_their_curve(evaluating):
    pairs = similar(evaluating, FEW_SIMILAR + 5)
    similar(evaluating, 30, severity="mild")  # another severity band: not similar
    expected = fit_kaplan_meier([d for d, _ in pairs], [e for _, e in pairs])
    text = page(evaluating)
    assert f"{FEW_SIMILAR + 5} earlier intervals after induction" in text
    assert f"Half had relapsed by day {expected.median_days:.0f}" in text
    assert 'id="expectation-spec"' in text
    assert "Too few similar" not in text


def test_another_clinic_s_patients_are_never_counted(evaluating):
    foreign = make_patient(evaluating.other_clinic)
    for index in range(40):
        make_episode(foreign, 10.0 + index, True, severity="severe")
    assert "(n = 0)" in page(evaluating)


def test_only_in_evaluation_and_only_for_clinicians(evaluating):
    similar(evaluating, 3)
    assert "What to expect" in page(evaluating)
    assert "What to expect" not in page(evaluating, "rn_cara")
    evaluating.paul.courses.update(phase=Phase.MAINTENANCE)
    assert "What to expect" not in page(evaluating)
