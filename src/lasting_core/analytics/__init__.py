"""Outcomes: how long the benefit of treatment lasts, and how often it comes.

- ``episodes``: one patient's durability intervals under the clinical definitions, and
  the ``episodes.csv`` format (docs/formats.md);
- ``survival``: Kaplan-Meier, log-rank and Cox models of durability (lifelines);
- ``rates``: response and remission rates with their 95 % intervals.

Plain values in, frozen dataclasses out; no Django.
"""
