"""Every route, read (GET) by every caller: the outcome of the table, and nothing leaks.

A route the table does not name fails `test_every_route_has_a_row`.
"""

from __future__ import annotations

import pytest

from tests.web.access_matrix import EXPECTED
from tests.web.access_matrix_support import check_route, list_routes

pytestmark = [pytest.mark.slow(seconds=40), pytest.mark.django_db]


def test_every_route_has_a_row():
    names = {name for name, _pattern, _parameters in list_routes()}
    assert sorted(names - set(EXPECTED)) == [], "routes missing from tests/web/access_matrix.py"
    assert sorted(set(EXPECTED) - names) == [], "rows of routes that no longer exist"


@pytest.mark.usefixtures("matrix_world")
class TestRead:
    @pytest.mark.parametrize(("name", "pattern", "parameters"), list_routes())
    def test_route(self, matrix_world, name, pattern, parameters):
        check_route(matrix_world, name, parameters, "get", EXPECTED[name][0])
