"""The report's stylesheet as text, for the HTML that WeasyPrint prints to PDF.

The report's page links `reports/styles.css` like any static file (the Content Security
Policy allows no inline styles); the PDF's HTML is laid out by WeasyPrint, never by a
browser, and carries the same rules inline so the PDF needs no static file server.
"""

from __future__ import annotations

from pathlib import Path

from django import template
from django.contrib.staticfiles import finders
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def stylesheet_text(path: str) -> SafeString:
    """Return the text of the static stylesheet `path` (one of Lasting's own files)."""
    found = finders.find(path)
    if not isinstance(found, str):
        raise template.TemplateSyntaxError(f"no static stylesheet {path!r}")
    return mark_safe(Path(found).read_text())
