"""Every API operation, called by every caller: the outcome of the table, nothing changes
on a refusal, and nothing of Paul's leaks. An operation the table does not name fails
`test_every_operation_has_a_row`."""

from __future__ import annotations

import pytest

from tests.api.access_matrix import EXPECTED
from tests.api.matrix_support import check_operation, list_operations

pytestmark = [pytest.mark.slow(seconds=15), pytest.mark.django_db]

OPERATIONS = list_operations()


def test_every_operation_has_a_row():
    keys = {operation.key for operation in OPERATIONS}
    assert sorted(keys - set(EXPECTED)) == [], "operations missing from tests/api/access_matrix.py"
    assert sorted(set(EXPECTED) - keys) == [], "rows of operations that no longer exist"


@pytest.mark.usefixtures("api_world")
class TestMatrix:
    @pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.key)
    def test_operation(self, api_world, operation):
        check_operation(api_world, operation, EXPECTED[operation.key])
