"""Every change of a maintenance plan's policy or parameters is kept: who, when and why.

Personas (tests/personas.py): dr_ana treats Paul and changes his plan; rn_cara (nurse)
may not change it.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lasting.audit.models import Action, AuditEvent
from lasting.plans.models import MaintenancePlan, MaintenancePlanChange
from lasting.plans.services import plan_or_default, save_plan
from tests.factories import SYSTEM
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def plan_post(**overrides: str) -> dict[str, str]:
    return {
        "policy": "forecast",
        "probability_threshold": "50",
        "min_spacing_days": "7",
        "symptom_threshold": "10",
        "fixed_interval_days": "35",
        "reason": "agreed with Paul at his review",
    } | overrides


def test_each_change_is_kept_with_who_when_why_and_what(personas):
    paul = personas.paul
    client = client_for("dr_ana")
    url = reverse("plans:edit_plan", args=[paul.pk])
    assert client.post(url, plan_post()).status_code == 302
    assert (
        client.post(url, plan_post(policy="fixed", reason="prefers fixed dates")).status_code == 302
    )
    first, second = MaintenancePlanChange.objects.order_by("changed_at", "pk")
    assert second.reason == "prefers fixed dates"
    assert second.changed_by == personas.dr_ana.user
    assert second.changed_fields == ["policy"]
    assert (second.policy, second.fixed_interval_days) == ("fixed", 35)
    assert first.policy == "forecast"  # the earlier state stays readable
    assert first.changed_fields == []  # the first save
    assert second.changed_at >= first.changed_at
    assert (
        AuditEvent.objects.filter(action=Action.UPDATE, object_type="MaintenancePlan").count() == 2
    )


def test_a_change_without_a_reason_changes_nothing(personas):
    paul = personas.paul
    response = client_for("dr_ana").post(
        reverse("plans:edit_plan", args=[paul.pk]), plan_post(reason="")
    )
    assert response.status_code == 422
    assert "Say why the plan changes." in response.content.decode()
    assert not MaintenancePlan.objects.exists()
    assert not MaintenancePlanChange.objects.exists()


def test_the_service_refuses_a_blank_reason(personas):
    plan = plan_or_default(personas.paul)
    with pytest.raises(ValidationError):
        save_plan(SYSTEM, plan, reason="  ")
    assert not MaintenancePlan.objects.exists()


def test_saving_an_unchanged_plan_adds_no_history(personas):
    url = reverse("plans:edit_plan", args=[personas.paul.pk])
    client = client_for("dr_ana")
    client.post(url, plan_post())
    client.post(url, plan_post(reason="looked again"))
    assert MaintenancePlanChange.objects.count() == 1


def test_the_history_is_shown_on_the_plan_page_and_the_read_is_audited(personas):
    url = reverse("plans:edit_plan", args=[personas.paul.pk])
    client = client_for("dr_ana")
    client.post(url, plan_post(reason="first boosters by forecast"))
    page = client.get(url).content.decode()
    assert 'id="plan-history"' in page
    assert "first boosters by forecast" in page
    assert AuditEvent.objects.filter(
        action=Action.READ, object_type="MaintenancePlanChange", patient_id=personas.paul.pk
    ).exists()


def test_a_nurse_cannot_change_the_plan(personas):
    response = client_for("rn_cara").post(
        reverse("plans:edit_plan", args=[personas.paul.pk]), plan_post()
    )
    assert response.status_code == 403
    assert not MaintenancePlanChange.objects.exists()
