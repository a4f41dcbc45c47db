"""The report's charts: the screen's own Vega-Lite specs, drawn to SVG on the server.

The clinician's report draws `clinic.charts.timeline_spec` and `gad7_spec` (from a
timeline without the engine's layers), the patient's `portal.charts.phq9_spec`, so a
chart in a report is the chart on the screen. vl-convert draws them without a browser;
the SVG goes inline into the page and into the HTML WeasyPrint prints.
"""

from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString, mark_safe

from lasting.checkins.models import Instrument
from lasting.clinic.charts import gad7_spec, timeline_spec
from lasting.portal.charts import phq9_spec
from lasting.reports.queries import ProgressReport
from lasting.vega import VEGA_LITE_VERSION

# The screen's charts fill their container; printed, they fill an A4 column (170 mm at
# 96 px per inch is about 640 px).
PRINT_WIDTH_PX = 640


def chart_svg(spec: dict[str, Any]) -> SafeString:
    """Draw a Vega-Lite spec to SVG at the printed width.

    The SVG is Vega's own output, its texts escaped by Vega's renderer, so it is safe to
    place in a page as markup.
    """
    import vl_convert

    fixed = {**spec, "width": PRINT_WIDTH_PX}
    svg: str = vl_convert.vegalite_to_svg(fixed, vl_version=VEGA_LITE_VERSION)
    return mark_safe(svg)


def clinician_charts(report: ProgressReport) -> dict[str, SafeString | None]:
    """The PHQ-9 trajectory with sessions and life context, and GAD-7 where present."""
    timeline = report.timeline()
    gad7 = gad7_spec(timeline)
    return {
        "phq9_svg": chart_svg(timeline_spec(timeline)) if report.responses else None,
        "gad7_svg": chart_svg(gad7) if gad7 is not None else None,
    }


def patient_chart(report: ProgressReport) -> SafeString | None:
    """The patient's own PHQ-9 chart, labelled in the active language."""
    scores = report.scores_of(Instrument.PHQ9)
    return chart_svg(phq9_spec(scores, report.zone)) if scores else None
