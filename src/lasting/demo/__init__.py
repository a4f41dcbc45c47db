"""Seed a realistic demo clinic from the core simulator.

The simulated patients and their calibration: docs/clinical.md#simulated-cohorts.

`clinic` creates the organisation, its four locations and ten staff, and runs the engine
over the last 12 weeks; `history` stores a year of simulated patients through the app's
own models. Everything goes through the same models the app uses.
"""

from lasting.demo.clinic import DEMO_LOGINS_FILE, DEMO_SLUG, SeededDemo, demo_code, seed_demo

__all__ = ["DEMO_LOGINS_FILE", "DEMO_SLUG", "SeededDemo", "demo_code", "seed_demo"]
