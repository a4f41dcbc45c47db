"""The app tests' fixtures (personas, the task queue), for the report tests too."""

from tests.web.conftest import personas, static_files_looked_up_on_request

__all__ = ["personas", "static_files_looked_up_on_request"]
