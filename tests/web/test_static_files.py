"""Static files for phones on slow links: hashed names, gzip copies, a year's cache, once
the site is prepared (`collectstatic`); plain names served by the finders before."""

from __future__ import annotations

import gzip
import json

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware

from lasting.clinic.charts import ensure_vega_bundle
from lasting.vega import BUNDLE_PATH


def test_before_collectstatic_pages_link_the_plain_names(tmp_path):
    with override_settings(STATIC_ROOT=tmp_path):
        assert static("lasting/lasting.css") == "/static/lasting/lasting.css"


@pytest.fixture
def collected(tmp_path):
    ensure_vega_bundle()
    with override_settings(STATIC_ROOT=tmp_path):
        call_command("collectstatic", "--no-input", "-v", "0")
        yield tmp_path


def test_collectstatic_writes_hashed_names_and_gzip_copies(collected):
    manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]

    for name in ("lasting/lasting.css", "lasting/chart.js", BUNDLE_PATH):
        hashed = manifest[name]
        assert hashed != name
        original = (collected / hashed).read_bytes()
        assert gzip.decompress((collected / f"{hashed}.gz").read_bytes()) == original
    assert static("lasting/lasting.css") == f"/static/{manifest['lasting/lasting.css']}"


def test_the_chart_bundle_is_served_compressed_and_cached_for_a_year(collected):
    hashed = json.loads((collected / "staticfiles.json").read_text())["paths"][BUNDLE_PATH]
    middleware = WhiteNoiseMiddleware(lambda request: None)
    request = RequestFactory().get(f"/static/{hashed}", headers={"accept-encoding": "gzip"})

    response = middleware(request)

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    assert int(response["Content-Length"]) < (collected / hashed).stat().st_size / 2
