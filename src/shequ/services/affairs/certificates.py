"""Certificates (证明): the certified content, its verification code, and the PDF.

The code is HMAC-SHA256 under a key kept outside the database (``SHEQU_CERTIFICATE_KEY``, else a key file under
var/ written once, like the platform's other keys) over the certificate number and its canonical content, in
base32, 20 characters (100 bits). A made-up or mistyped code matches no certificate; a certificate row whose
content was changed afterwards no longer matches its own code, and the public page says so.

The PDF is drawn with ReportLab, with a CJK font embedded (subset) from the platform: ``SHEQU_CERTIFICATE_FONT`` or
the first of the usual system fonts found; without one, ReportLab's built-in STSong-Light CID font (not embedded:
the reader's viewer supplies it). It never downloads anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

from shequ.core import keyfiles

KEY_FILE = "certificate_key"
CODE_LENGTH = 20
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def _decode_key(text: str) -> bytes:
    text = text.strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        pass
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
    except binascii.Error:
        return text.encode()


def key() -> bytes:
    if settings.SHEQU_CERTIFICATE_KEY:
        return _decode_key(settings.SHEQU_CERTIFICATE_KEY)
    return keyfiles.read_or_create(Path(settings.VAR_DIR) / KEY_FILE, lambda: os.urandom(32))


def canonical(number: str, content: dict[str, Any]) -> bytes:
    return json.dumps({"number": number, **content}, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def code_for(number: str, content: dict[str, Any]) -> str:
    mac = hmac.new(key(), canonical(number, content), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:CODE_LENGTH]


def matches(number: str, content: dict[str, Any], code: str) -> bool:
    return hmac.compare_digest(code_for(number, content), code)


def grouped(code: str) -> str:
    """ABCD-EFGH-... as printed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


# --- the PDF ------------------------------------------------------------------------------------------------


@cache
def _font() -> str:
    """The registered font name: an embedded TrueType CJK font when the platform has one."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    chosen = settings.SHEQU_CERTIFICATE_FONT
    for path in ([chosen] if chosen else []) + list(FONT_CANDIDATES):
        if path and Path(path).exists():
            pdfmetrics.registerFont(TTFont("ShequCJK", path, subfontIndex=0))
            return "ShequCJK"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of at most ``width`` points: Chinese breaks between any two characters."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for char in paragraph:
            if stringWidth(line + char, font, size) > width:
                lines.append(line)
                line = char
            else:
                line += char
        lines.append(line)
    return lines


def render_pdf(*, number: str, code: str, content: dict[str, Any], verify_url: str) -> bytes:
    """An A4 certificate: title, text, issuer and date, the number, the verification code and a QR code of the
    public verification page."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    font = _font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{content.get('title', '')} {number}")
    pdf.setAuthor(content.get("issuer", ""))
    width, height = A4
    pdf.setStrokeColorRGB(0.78, 0.06, 0.18)
    pdf.setLineWidth(1.5)
    pdf.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    pdf.setFont(font, 26)
    pdf.drawCentredString(width / 2, height - 45 * mm, content.get("title", ""))
    pdf.setFont(font, 10)
    pdf.drawRightString(width - 25 * mm, height - 58 * mm, f"编号：{number}")
    pdf.setFont(font, 14)
    y = height - 75 * mm
    for line in _wrap(content.get("text", ""), font, 14, width - 60 * mm):
        pdf.drawString(30 * mm, y, line)
        y -= 9 * mm
    pdf.setFont(font, 14)
    pdf.drawRightString(width - 30 * mm, 95 * mm, content.get("issuer", ""))
    pdf.drawRightString(width - 30 * mm, 86 * mm, content.get("date", ""))
    qr = QrCodeWidget(verify_url)
    x0, y0, x1, y1 = qr.getBounds()
    side = 32 * mm
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, pdf, 28 * mm, 28 * mm)
    pdf.setFont(font, 10)
    pdf.drawString(64 * mm, 52 * mm, f"验证码：{grouped(code)}")
    for i, line in enumerate(_wrap(f"扫码或访问 {verify_url} 输入验证码，可核验本证明的真伪。", font, 9, 110 * mm)):
        pdf.drawString(64 * mm, (45 - 5 * i) * mm, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
