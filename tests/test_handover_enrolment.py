"""Every path that creates a Member runs the enrolment hooks (issue 17 point 1: 引継ぎによる仮設定 in the same
transaction as the 加入). members sits below flags, so flags registers the hook; this test holds the list of
creators closed: a new path that makes a Member without the hooks fails here."""

import re
from pathlib import Path

import pytest
from django.contrib import admin

from flags.handover import protect_on_enrolment
from members import enrolment
from members.models import Member

ROOT = Path(__file__).resolve().parent.parent
APPS = ("api", "audit", "console", "demo", "exchanges", "flagcsv", "flags", "institutions", "members", "nakama",
        "portal_sim", "signin", "bench")
CREATES = re.compile(r"(?<!class )\bMember\(|\bMember\.objects\.(create|bulk_create|get_or_create|update_or_create)\b"
                     r"|\bMember\._base_manager\b")
# The only code that makes a Member, each calling run_enrolment_hooks in its transaction.
CREATORS = {"members/services.py", "api/sim_services.py", "demo/world.py", "bench/exchanges_bench.py"}
# Fills an EMPTY scratch database by COPY (refuses when a member exists), so no handover can be waiting.
EMPTY_DATABASE_ONLY = {"demo/scale.py"}


def _sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_every_code_path_that_creates_a_member_runs_the_enrolment_hooks():
    creators = {name for name, text in _sources() if CREATES.search(text)}
    assert creators - EMPTY_DATABASE_ONLY == CREATORS
    for name in CREATORS:
        assert "run_enrolment_hooks(" in (ROOT / name).read_text(encoding="utf-8"), name
    assert "Member.objects.exists()" in (ROOT / "demo/scale.py").read_text(encoding="utf-8")


def test_the_flags_hook_is_registered_and_the_admin_cannot_add_members(rf):
    assert protect_on_enrolment in enrolment._hooks
    request = rf.get("/")
    assert not admin.site._registry[Member].has_add_permission(request)


def test_no_hook_means_no_enrolment(monkeypatch, db):
    from django.db import transaction

    monkeypatch.setattr(enrolment, "_hooks", [])
    with pytest.raises(Exception, match="引継ぎによる仮設定"), transaction.atomic():
        enrolment.run_enrolment_hooks(actor=None, member=None)
