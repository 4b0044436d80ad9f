"""The Admiralty (NATO) grading: source reliability A-F and information credibility 1-6."""

from __future__ import annotations

from evidence_app.domain.errors import ValidationError

RELIABILITY = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}


def parse_grading(text: str) -> tuple[str, int]:
    """Parse a grading such as ``B2`` into (reliability, credibility)."""
    cleaned = text.strip().upper().replace("-", "").replace("/", "")
    if len(cleaned) == 2 and cleaned[0] in RELIABILITY and cleaned[1].isdigit() and int(cleaned[1]) in CREDIBILITY:
        return cleaned[0], int(cleaned[1])
    raise ValidationError(
        f"grading {text!r} is not valid: expected a letter A-F then a digit 1-6, such as B2",
        field="grading",
    )
