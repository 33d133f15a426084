"""The README and docs point only to what a clone has (issue 19: the README linked ../shared/SPEC.md)."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted(ROOT.glob("*/README.md"))]


def test_no_document_points_outside_the_repository():
    for doc in DOCS:
        assert "../shared" not in doc.read_text(encoding="utf-8"), doc


def test_every_relative_markdown_link_exists():
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#\s]+)\)", doc.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (doc.parent / target).exists(), (doc, target)


def test_the_spec_is_in_the_repository():
    assert "## The four settings (別紙1, as rules)" in (ROOT / "docs" / "SPEC.md").read_text(encoding="utf-8")
