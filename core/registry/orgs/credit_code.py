"""统一社会信用代码 (unified social credit code), GB 32100-2015.

Eighteen characters from the 31-character set ``0-9 A-H J-N P Q R T U W X Y`` (no I, O,
S, V, Z): registration authority (1), organization type (1), the 6-digit division code,
the 9-character organization code, and a check character (the last).
"""

from __future__ import annotations

import re

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters.

    ``31 - (Σ value·weight mod 31)``, where 31 becomes 0; ``value`` is the index in
    :data:`CHARSET`.
    """
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_error(code: str) -> str | None:
    """Why ``code`` is not a valid unified social credit code, or None if it is."""
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    if not PATTERN.match(code):
        bad = sorted({c for c in code if c not in CHARSET})
        return f"characters not allowed: {' '.join(bad)} (only 0-9 and A-Y without I O S V Z)"
    want = check_char(code[:17])
    if code[17] != want:
        return f"check character (GB 32100-2015) should be {want}, not {code[17]}"
    return None
