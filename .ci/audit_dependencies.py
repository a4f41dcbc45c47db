"""CI: known vulnerabilities in the locked dependencies (pip-audit on requirements.lock).

Fails (exit 1) when a locked package has a known vulnerability with a fixed release: move
the pin (`make lock`) to a fixed version. Vulnerabilities without a fix are listed and do
not fail the run (nothing to upgrade to; decide case by case and say so in the change).

pip-audit reads PyPI's vulnerability data (the JSON API of pypi.org, one page a package
version). A package pip-audit cannot look up is skipped, and pip-audit still ends with
"No known vulnerabilities found"; this counts the skipped ones and says plainly when the
lock was not checked at all, as on a machine whose access to PyPI is a mirror of the
package index that answers 404 for every version page. It exits 0 then: nothing was
found vulnerable, but nothing was found safe either, and the line says so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHOWN = 5  # skipped packages named one by one


def main() -> int:
    command = [
        str(ROOT / ".venv/bin/pip-audit"),
        "--requirement",
        str(ROOT / "requirements.lock"),
        "--no-deps",
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        print(f"pip-audit failed (exit {run.returncode}):\n{run.stderr.strip()}")
        return 1
    lines, status = judge(report)
    print("\n".join(lines))
    return status


def judge(report: dict[str, Any]) -> tuple[list[str], int]:
    """The lines to print and the exit status for pip-audit's JSON report."""
    dependencies = report.get("dependencies", [])
    skipped = [dependency for dependency in dependencies if dependency.get("skip_reason")]
    lines = [f"not audited: {dependency['skip_reason']}" for dependency in skipped[:SHOWN]]
    if len(skipped) > SHOWN:
        lines.append(f"not audited: {len(skipped) - SHOWN} more packages")
    fixable = 0
    for dependency in dependencies:
        for vulnerability in dependency.get("vulns", []):
            fixes = vulnerability.get("fix_versions") or []
            lines.append(
                f"{dependency['name']} {dependency['version']}: {vulnerability['id']} "
                + (f"fixed in {', '.join(fixes)}" if fixes else "no fixed release yet")
            )
            fixable += bool(fixes)
    checked = len(dependencies) - len(skipped)
    if fixable:
        lines.append(f"{fixable} known vulnerabilities with a fixed release in {checked} packages")
        return lines, 1
    if not checked:
        lines.append(
            f"pip-audit NOT CHECKED: none of the {len(dependencies)} locked packages could be "
            "looked up in PyPI's vulnerability data from this machine; the lock was not "
            "checked for known vulnerabilities"
        )
        return lines, 0
    lines.append(
        f"pip-audit: {checked} locked packages checked ({len(skipped)} could not be), no "
        "known vulnerability with a fixed release"
    )
    return lines, 0


if __name__ == "__main__":
    sys.exit(main())
