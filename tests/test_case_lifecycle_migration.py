"""The data migration of issue 10 points 4 and 6 keeps existing values sensibly: ticked checklist booleans become the
date of the audit entry that ticked them (else the opening day), every case gets a review date, 解除者 becomes the
approver with the requester kept, and a member's duplicate open cases are merged without clearing anything."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("flags", "0003_case_lifecycle_fields")]
AFTER = [("flags", "0005_case_lifecycle_constraints")]


def _migrate(targets):
    """Migrate flags to the target, every other app to its latest; return the historical apps at that point."""
    executor = MigrationExecutor(connection)
    # exchanges 0005 depends on a later flags migration (linked persons): it steps back with flags.
    leaves = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in ("flags", "exchanges")]
    leaves += targets + [("exchanges", "0004_nondisclosure_triggers")]
    executor.migrate(targets)
    executor = MigrationExecutor(connection)
    return executor.loader.project_state(leaves).apps


@pytest.mark.django_db(transaction=True)
def test_existing_cases_and_cleared_settings_are_migrated_sensibly():
    try:
        apps = _migrate(BEFORE)
        Institution = apps.get_model("institutions", "Institution")
        Department = apps.get_model("institutions", "Department")
        Staff = apps.get_model("institutions", "Staff")
        Person = apps.get_model("members", "Person")
        Member = apps.get_model("members", "Member")
        ProtectionCase = apps.get_model("flags", "ProtectionCase")
        Setting = apps.get_model("flags", "Setting")
        ClearingRequest = apps.get_model("flags", "ClearingRequest")
        AuditEntry = apps.get_model("audit", "AuditEntry")

        insurer = Institution.objects.create(name="移行健保", kind="kenpo_kumiai", insurer_number="06130012")
        dept = Department.objects.create(institution=insurer, name="業務部")
        clerk = Staff.objects.create(username="m_clerk", display_name="移行 担当", department=dept, role="clerk")
        boss = Staff.objects.create(username="m_boss", display_name="移行 責任者", department=dept, role="supervisor")
        person = Person.objects.create(sim_id="SIM-MIGR-0001", name="移行 花子", kana="イコウ ハナコ",
                                       birth_date=datetime.date(1990, 1, 1))
        member = Member.objects.create(insurer=insurer, person=person, branch_number="M0000001", name="移行 花子",
                                       kana="イコウ ハナコ", birth_date=datetime.date(1990, 1, 1),
                                       acquired_on=datetime.date(2024, 4, 1))
        opened = datetime.datetime(2024, 2, 29, 10, 0, tzinfo=datetime.UTC)
        older = ProtectionCase.objects.create(institution=insurer, member=member, opened_at=opened - datetime.timedelta(
            days=30), opened_by=clerk)
        case = ProtectionCase.objects.create(institution=insurer, member=member, opened_at=opened, opened_by=clerk,
                                             case_card_or_proxy=True, card_suspension_advised=True,
                                             card_suspension_done=True, proxy_cancel_advised=True)
        ticked = AuditEntry.objects.create(actor=clerk, institution=insurer, action="case.checklist_updated",
                                           target_type="flags.ProtectionCase", target_id=str(case.pk),
                                           after={"card_suspension_done": True})  # today (audit rows are append-only)
        setting = Setting.objects.create(institution=insurer, member=member, person=person, kind="non_disclosure",
                                         case=older, reason="申出", set_at=opened, set_by=clerk,
                                         cleared_at=opened + datetime.timedelta(days=60), cleared_by=clerk,
                                         cleared_by_name="移行 担当", clear_reason="完了を確認")
        ClearingRequest.objects.create(setting=setting, institution=insurer, reason="完了を確認", state="approved",
                                       requested_at=opened, requested_by=clerk, requested_by_name="移行 担当",
                                       decided_at=opened, decided_by=boss, decided_by_name="移行 責任者")
        in_force = Setting.objects.create(institution=insurer, member=member, person=person, kind="no_self_info",
                                          case=older, reason="申出", set_at=opened, set_by=clerk)

        apps = _migrate(AFTER)
        ProtectionCase = apps.get_model("flags", "ProtectionCase")
        Setting = apps.get_model("flags", "Setting")
        case = ProtectionCase.objects.get(pk=case.pk)
        opened_day = timezone.localdate(opened)
        assert case.card_suspension_confirmed_on == timezone.localdate(ticked.at), "the day of the audit entry"
        assert case.card_suspension_advised_on == opened_day, "no audit entry: the opening day"
        assert case.proxy_cancel_advised_on == opened_day and case.proxy_cancel_confirmed_on is None
        assert case.review_on == datetime.date(2025, 2, 28), "one year after 29 February"
        assert case.closed_at is None
        older = ProtectionCase.objects.get(pk=older.pk)
        assert older.closed_at is not None and "統合" in older.close_reason, "one open case per member"
        assert Setting.objects.get(pk=in_force.pk).cleared_at is None, "merging a case clears nothing"
        cleared = Setting.objects.get(pk=setting.pk)
        assert cleared.cleared_by_id == boss.pk and cleared.cleared_by_name == "移行 責任者"
        assert cleared.clear_requested_by_id == clerk.pk and cleared.clear_requested_by_name == "移行 担当"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
