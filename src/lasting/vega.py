"""The offline Vega + Vega-Lite + vega-embed bundle that draws charts in the browser.

Both the clinic's pages and the patient's own page draw Vega-Lite charts, so the bundle
lives below them: neither may import the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
from django.conf import settings

# The bundle must match the Vega-Lite version Altair writes specs for.
VEGA_LITE_VERSION = "6.4"
BUNDLE_PATH = f"lasting/vendor/vega-embed-vl{VEGA_LITE_VERSION}.js"
# The schema a spec names, as Altair writes it for the same Vega-Lite version.
VEGA_LITE_SCHEMA = alt.SCHEMA_URL


def ensure_vega_bundle() -> Path:
    """Write the Vega + Vega-Lite + vega-embed bundle shipped by vl-convert, once."""
    import vl_convert

    target = Path(settings.BUILT_ASSETS_DIR) / BUNDLE_PATH
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        # The stub marks `snippet` required; at run time it is optional and its default
        # exposes vega, vegaLite and vegaEmbed on window, which is what the pages need.
        bundle = vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION)  # type: ignore[call-arg]
        partial.write_text(bundle)
        partial.replace(target)
    return target


def chart_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec for a page. Altair checks a spec against the Vega-Lite
    JSON schema by default, which was about 40 % of a patient page's server time; the
    pages skip it, and tests/web/test_demo.py checks every spec the demo's pages carry
    against the schema instead."""
    spec: dict[str, Any] = chart.to_dict(validate=False)
    return spec
