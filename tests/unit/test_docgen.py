"""The record reference in docs/ is generated from the table and must be current."""

from pathlib import Path

from domain.docgen import render


def test_docs_records_md_matches_the_schema_table():
    path = Path(__file__).resolve().parents[2] / "docs" / "records.md"
    assert path.read_text() == render(), "run: python -m domain.docgen > docs/records.md"
