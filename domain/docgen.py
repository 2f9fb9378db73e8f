"""Renders the record reference (docs/records.md) from the schema table.

Run ``python -m domain.docgen > docs/records.md``; a test checks the file is current.
"""

from __future__ import annotations

import numpy as np

from domain.kinds import KIND_TABLE, LAYOUTS, SCHEMA_FINGERPRINT
from domain.schema import HEADER_FIELDS, RECORD_SIZE


def render() -> str:
    """Returns the Markdown reference of every record kind."""
    lines = [
        "# Records",
        "",
        "Generated from `domain/kinds.py` by `python -m domain.docgen`; do not edit by hand.",
        "",
        f"Every record is {RECORD_SIZE} bytes, little-endian. Schema fingerprint: "
        f"`{SCHEMA_FINGERPRINT:#018x}`.",
        "",
        "## Header",
        "",
        "| offset | field | type | meaning |",
        "|---|---|---|---|",
    ]
    offset = 0
    for name, typ, doc in HEADER_FIELDS:
        lines.append(f"| {offset} | `{name}` | `{typ}` | {doc} |")
        offset += np.dtype(typ).itemsize
    for category in ("control", "data", "command", "event"):
        lines += ["", f"## {category.capitalize()} kinds"]
        for spec in KIND_TABLE:
            if spec.category != category:
                continue
            layout = LAYOUTS[spec.code]
            lines += [
                "",
                f"### {spec.name} ({spec.code})",
                "",
                spec.doc,
                "",
                "| offset | field | type | role | meaning |",
                "|---|---|---|---|---|",
            ]
            for field in spec.fields:
                lines.append(
                    f"| {layout.offsets[field.name]} | `{field.name}` | `{field.type}` "
                    f"| {field.role} | {field.doc} |"
                )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
