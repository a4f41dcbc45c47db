"""Print a report's HTML to PDF with WeasyPrint (A4, the report's own print stylesheet)."""

from __future__ import annotations

from django.http import HttpResponse


def html_to_pdf(html: str) -> bytes:
    """Lay out `html` (charts inline as SVG, styles inline) and return the PDF."""
    import weasyprint

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
