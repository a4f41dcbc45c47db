"""Render the first page of a progress-report PDF to PNG (docs/reports.md).

The PDF comes from the report's own download (`/patients/<id>/report.pdf`); the browser
test saves one to `test-artifacts/progress-report.pdf`. pypdfium2 draws the page, so the
PNG shows what a printer would get.

Run: .venv/bin/python benchmarks/render_report_png.py [PDF] [PNG] [--scale 1.6]
(defaults: test-artifacts/progress-report.pdf, docs/screenshots/progress-report.png)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pypdfium2

ROOT = Path(__file__).resolve().parents[1]


def render_first_page(pdf: Path, png: Path, scale: float) -> tuple[int, int]:
    """Write the PDF's first page as PNG at `scale` × 72 dpi; return its size in pixels."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        image = document[0].render(scale=scale).to_pil()
    finally:
        document.close()
    png.parent.mkdir(parents=True, exist_ok=True)
    image.save(png, optimize=True)
    return image.size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "pdf", nargs="?", type=Path, default=ROOT / "test-artifacts/progress-report.pdf"
    )
    parser.add_argument(
        "png", nargs="?", type=Path, default=ROOT / "docs/screenshots/progress-report.png"
    )
    parser.add_argument("--scale", type=float, default=1.6, help="pixels per PDF point")
    arguments = parser.parse_args()
    started = time.perf_counter()
    width, height = render_first_page(arguments.pdf, arguments.png, arguments.scale)
    seconds = time.perf_counter() - started
    print(f"{arguments.png}: {width}x{height} px in {seconds:.2f} s")


if __name__ == "__main__":
    main()
