"""Time the 12-month cost forecast for N patients (docs/benchmarks.md, "Cost forecast").

Part 1, the pure core: N patients with varied durability (the default clinic prior after
0-4 losses of response each), baselines N(17, 4), a plan mix (a quarter each: forecast,
symptom, fixed every 6 weeks, as needed) and the three alternatives, so four policies
per patient (three when the plan is one of them), ``--years`` simulated years each.

Part 2 (``--app``): the demo clinic seeded with N patients in a throw-away SQLite
database; the hourly sweep of the organisation (`plans.services.sweep_organization`),
then the cost forecast job (`costs.services.forecast_organization`) twice: the first run
simulates every patient in maintenance and in response, the second finds every
fingerprint unchanged.

Run: .venv/bin/python benchmarks/costs.py [--patients 1000] [--years 200] [--app | --app-only]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

from lasting_core.costs import (
    ALTERNATIVES,
    Durability,
    ForecastKind,
    ForecastPatient,
    ForecastPolicy,
    forecast_costs,
)
from lasting_core.engine import PopulationPrior

PLANS = (
    ForecastPolicy(ForecastKind.FORECAST, 0.5),
    ForecastPolicy(ForecastKind.SYMPTOM),
    ForecastPolicy(ForecastKind.FIXED, 42.0),
    ForecastPolicy(ForecastKind.AS_NEEDED),
)


LOAD_BEFORE = f"{os.getloadavg()[0]:.1f}"


def core(n: int, years: int) -> None:
    rng = np.random.default_rng(5)
    prior = PopulationPrior.default()
    patients = []
    policies = []
    for key in range(n):
        events = int(rng.integers(0, 5))
        lengths = rng.weibull(prior.shape, size=events) * 90.0
        exposure = float(np.sum(np.power(lengths, prior.shape)))
        patients.append(
            ForecastPatient(
                key=key,
                durability=Durability.from_prior(prior, events, exposure),
                baseline_phq9=float(np.clip(rng.normal(17, 4), 10, 27)),
                remission=bool(rng.random() < 0.4),
                daily_check=bool(rng.random() < 0.4),
                booster_price=Decimal("500"),
                maintenance_price=Decimal("450"),
            )
        )
        policies.append([PLANS[key % 4], *ALTERNATIVES])
    simulated = sum(len(set(own)) for own in policies)
    started = time.perf_counter()
    cpu_started = time.process_time()
    results = forecast_costs(patients, policies, years=years, seed=1, prior=prior)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    assert len(results) == n
    print(f"## Cost forecast, pure core ({n} patients, {years} simulated years per policy)\n")
    print(f"- policies simulated: {simulated} ({simulated / n:.2f} per patient)")
    print(f"- wall time: {seconds:.1f} s; per patient {1000 * seconds / n:.0f} ms")
    print(
        f"- CPU time of the process: {cpu_seconds:.1f} s; per patient "
        f"{1000 * cpu_seconds / n:.0f} ms; per patient-policy "
        f"{1000 * cpu_seconds / simulated:.0f} ms"
    )
    print(
        f"- 1,000 patients at this rate: {1000 * seconds / n:.0f} s wall, "
        f"{1000 * cpu_seconds / n:.0f} s CPU"
    )
    print(f"- load average before and after: {LOAD_BEFORE} / {os.getloadavg()[0]:.1f}")


def app(n: int, years: int) -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="lasting-costs-"))
    os.environ.setdefault("LASTING_VAR_DIR", str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lasting.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from lasting.accounts.models import Organization
    from lasting.costs.models import CostForecast
    from lasting.costs.services import forecast_organization
    from lasting.demo import seed_demo
    from lasting.plans.services import sweep_organization

    call_command("migrate", "--no-input", "-v", "0")
    seed_demo(patients=n, seed=7, reset=True, logins_file=var_dir / "logins.txt")
    organization_id = Organization.objects.order_by("pk").values_list("pk", flat=True)[0]
    started = time.perf_counter()
    swept = sweep_organization(organization_id)
    sweep_seconds = time.perf_counter() - started
    started = time.perf_counter()
    cpu_started = time.process_time()
    first = forecast_organization(organization_id, years=years)
    first_seconds = time.perf_counter() - started
    first_cpu = time.process_time() - cpu_started
    started = time.perf_counter()
    second = forecast_organization(organization_id, years=years)
    second_seconds = time.perf_counter() - started
    print(f"\n## Cost forecast job on the demo clinic ({n} patients, SQLite)\n")
    print(f"- hourly sweep of the organisation: {sweep_seconds:.1f} s ({swept} assessed)")
    print(
        f"- forecast job, first run: {first_seconds:.1f} s wall, {first_cpu:.1f} s CPU "
        f"({first} patients simulated, {CostForecast.objects.count()} stored)"
    )
    print(f"- forecast job, nothing changed: {1000 * second_seconds:.0f} ms ({second} simulated)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--years", type=int, default=200)
    parser.add_argument("--app", action="store_true", help="also time the job on the demo")
    parser.add_argument("--app-only", action="store_true", help="only the job on the demo")
    args = parser.parse_args()
    if not args.app_only:
        core(args.patients, args.years)
    if args.app or args.app_only:
        app(args.patients, args.years)


if __name__ == "__main__":
    main()
