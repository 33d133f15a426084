"""Every audit action written by the application has a Japanese label (audit/actions.py)."""

import pathlib
import re

from audit.actions import ACTION_LABELS

ROOT = pathlib.Path(__file__).resolve().parent.parent
APPS = ["audit", "flags", "members", "exchanges", "portal_sim", "console", "api", "flagcsv", "institutions", "demo"]
LITERAL = re.compile(r'action="([a-z_]+\.[a-z_.]+)"')


def test_every_written_action_has_a_japanese_label():
    written = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            written |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    assert written, "no audit action found: the pattern is wrong"
    missing = sorted(written - set(ACTION_LABELS))
    assert not missing, f"audit actions without a label in audit/actions.py: {missing}"
    assert all(any(ord(ch) > 0x3000 for ch in label) for label in ACTION_LABELS.values())
