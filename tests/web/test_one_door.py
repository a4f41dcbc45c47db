"""Clinical data enters through one door (`lasting.intake.services`): nothing else stores a
check-in, a session or a clinical event, so nothing can skip safety alerts or re-assessment.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from django.urls import get_resolver

from lasting.intake import services as door

SOURCE = Path(__file__).resolve().parents[2] / "src" / "lasting"
WRITERS = {"lasting.checkins.writers", "lasting.treatment.writers", "lasting.prevention.writers"}
# Rows of clinical data: stored only by the writers behind the door.
CLINICAL_ROWS = (
    "CheckIn",
    "Response",
    "TreatmentSession",
    "VitalSign",
    "ClinicalEvent",
    "LifeEvent",
    "MedicationChange",
    "TherapyEvent",
    "PersonalItemAnswer",
)
STORING = re.compile(
    r"\b(" + "|".join(CLINICAL_ROWS) + r")(\.objects\.(create|bulk_create|get_or_create)\(|\()"
)
# The demo seeds a year of simulated history in bulk; its safety alerts are built from
# the same core rules and checked by tests/web/test_demo.py.
SEEDS_HISTORY = {"demo/history.py"}
# Builds an unsaved response from a score, for the check-in writer and the demo.
UNSAVED = {"checkins/services.py: return Response("}


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE)
        if "migrations" in relative.parts:
            continue
        name = "lasting." + ".".join(relative.with_suffix("").parts)
        found.append((name.removesuffix(".__init__"), path))
    return found


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_only_the_door_imports_the_writers():
    importers = {
        name
        for name, path in modules()
        if imported_modules(path) & WRITERS and not name.startswith("lasting.intake")
    }
    assert importers == set()


def test_nothing_but_the_writers_creates_clinical_rows():
    creators = set()
    for name, path in modules():
        relative = str(path.relative_to(SOURCE))
        if name in WRITERS or relative in SEEDS_HISTORY:
            continue
        text = path.read_text()
        # Class definitions and type annotations name the models without storing them.
        for line in text.splitlines():
            if STORING.search(line) and not line.lstrip().startswith(("class ", "def ", "#")):
                creators.add(f"{relative}: {line.strip()}")
    assert creators - UNSAVED == set()


@pytest.mark.parametrize(
    "url_name",
    [
        "intake:new_session",
        "intake:new_event",
        "intake:enter_phq9",
        "intake:new_life_event",
        "intake:new_medication_change",
        "intake:new_therapy_event",
        "portal:checkin",
        "portal:report_life_event",
    ],
)
def test_every_page_that_takes_clinical_data_calls_the_door(url_name):
    """The view behind each page imports its storing function from the door."""
    namespace, name = url_name.split(":")
    resolver = get_resolver()
    view = next(
        pattern.callback
        for pattern in resolver.url_patterns
        if getattr(pattern, "namespace", None) == namespace
        for pattern in pattern.url_patterns
        if getattr(pattern, "name", None) == name
    )
    view = inspect.unwrap(view)
    names = set(view.__code__.co_names)
    door_functions = {"submit_checkin", "log_session", "record_clinical_event"}
    door_functions |= {"enter_clinic_checkin", "record_life_event"}
    door_functions |= {"record_medication_change", "record_therapy_event"}
    door_functions |= {"submit_checkin_with_personal_items"}
    called = names & door_functions
    assert called
    module = __import__(view.__module__, fromlist=["_"])
    assert all(getattr(module, function) is getattr(door, function) for function in called)
