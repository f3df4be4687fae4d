#!/usr/bin/env python3
"""Render the first page of an HTML file to a PNG without a browser: WeasyPrint lays the page
out (HTML and CSS, inline SVG; no JavaScript, which slant's reports do not use) into a PDF and
pdfium rasterises it. For machines without headless Chromium (scripts/report-example.sh).

usage: render-page.py IN.html OUT.png [WIDTH_PX] [HEIGHT_PX]
Needs: pip install -r scripts/render-requirements.txt (and the Pango library, which WeasyPrint
loads)."""
import sys

import pypdfium2 as pdfium
import weasyprint


def main():
    src, out = sys.argv[1], sys.argv[2]
    width = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    height = int(sys.argv[4]) if len(sys.argv) > 4 else 2600
    page = weasyprint.CSS(string=f"@page {{ size: {width}px {height}px; margin: 0 }}")
    pdf_bytes = weasyprint.HTML(filename=src).write_pdf(stylesheets=[page])
    pdf = pdfium.PdfDocument(pdf_bytes)
    # A CSS pixel is 0.75 pt, and pdfium renders at 72 dots per inch (one dot per pt).
    image = pdf[0].render(scale=4 / 3).to_pil()
    # 256 colours are plenty for text and flat charts, at a third of the file's size.
    image = image.convert("RGB").quantize(colors=256)
    image.save(out, optimize=True)
    print(f"wrote {out} ({image.size[0]} x {image.size[1]}; page 1 of {len(pdf)})")


if __name__ == "__main__":
    main()
