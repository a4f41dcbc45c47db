"""Screenshots the browser tests leave in test-artifacts/ for people to look at.

Chromium now and then answers a capture with "Unable to capture screenshot" while it is
still compositing the page it has just loaded (seen once in CI on a full-page capture
right after a navigation). The screenshot is evidence beside the test's assertions, not
one of them, so a capture is tried again after the next animation frames; a capture
that keeps failing still fails the test.
"""

from __future__ import annotations

from pathlib import Path

ATTEMPTS = 4


def save(target, path: Path, *, full_page: bool = False) -> None:
    """Write a screenshot of a page or a locator to `path`, retrying a failed capture."""
    from playwright.sync_api import Error

    page = getattr(target, "page", target)
    options = {"path": str(path)}
    if full_page:
        options["full_page"] = True
    for attempt in range(1, ATTEMPTS + 1):
        try:
            target.screenshot(**options)
            return
        except Error as error:
            if "Unable to capture screenshot" not in str(error) or attempt == ATTEMPTS:
                raise
            page.wait_for_timeout(250 * attempt)
