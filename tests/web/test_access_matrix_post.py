"""Every route, written to (an empty POST) by every caller: the outcome of the table, a
refused request changes nothing, and nothing leaks."""

from __future__ import annotations

import pytest

from tests.web.access_matrix import EXPECTED
from tests.web.access_matrix_support import check_route, list_routes

pytestmark = [pytest.mark.slow(seconds=40), pytest.mark.django_db]


@pytest.mark.usefixtures("matrix_world")
class TestWrite:
    @pytest.mark.parametrize(("name", "pattern", "parameters"), list_routes())
    def test_route(self, matrix_world, name, pattern, parameters):
        check_route(matrix_world, name, parameters, "post", EXPECTED[name][1])
