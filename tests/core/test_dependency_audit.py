"""CI's dependency audit (.ci/audit_dependencies.py) reads pip-audit's JSON report: it fails
on a vulnerability with a fixed release and never calls an unchecked lock clean."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "audit_dependencies.py"


def audit_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def vulnerable(fixes: list[str]) -> dict[str, object]:
    return {
        "name": "django",
        "version": "5.2.1",
        "vulns": [{"id": "PYSEC-0", "fix_versions": fixes}],
    }


def test_a_vulnerability_with_a_fixed_release_fails_the_run() -> None:
    lines, status = audit_module().judge({"dependencies": [vulnerable(["5.2.2"])]})

    assert status == 1
    assert "django 5.2.1: PYSEC-0 fixed in 5.2.2" in lines


def test_a_vulnerability_without_a_fix_is_listed_and_does_not_fail() -> None:
    lines, status = audit_module().judge(
        {"dependencies": [vulnerable([]), {"name": "numpy", "version": "2.3.0", "vulns": []}]}
    )

    assert status == 0
    assert "django 5.2.1: PYSEC-0 no fixed release yet" in lines
    assert lines[-1].startswith("pip-audit: 2 locked packages checked (0 could not be)")


def test_a_lock_nobody_could_look_up_is_reported_as_not_checked() -> None:
    skipped = [
        {"name": f"package{n}", "skip_reason": f"Dependency not found on PyPI: package{n}"}
        for n in range(8)
    ]

    lines, status = audit_module().judge({"dependencies": skipped})

    assert status == 0
    assert "not audited: 3 more packages" in lines
    assert lines[-1].startswith("pip-audit NOT CHECKED: none of the 8 locked packages")
    assert not any("no known vulnerability" in line for line in lines)
