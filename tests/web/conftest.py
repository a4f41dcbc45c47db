"""Fixtures shared by the app tests."""

from __future__ import annotations

import pytest

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings):
    """Run background jobs at once, in the request (e.g. the sign-in e-mail), so a test
    reads their effect straight away; the worker tests use the real queue."""
    settings.TASKS = IMMEDIATE
