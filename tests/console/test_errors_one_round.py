"""Issue 19 point 4 on the older forms: every error in one round, the §2 conditions said before any confirmation."""

from django.urls import reverse

from flags.models import ProtectionCase


def test_case_with_only_a_ticked_does_not_reach_the_confirmation(victim, alice, as_user):
    response = as_user(alice).post(reverse("console:case_new", args=[victim.pk]), {
        "victim_confirmed": "on", "wants_non_disclosure": "on", "reason": "本人の申出",
        "linked_sim_ids": "SIM-NONE-XXXX", "request_date": "2026/13/45",
    })
    assert response.status_code == 400
    body = response.content.decode()
    assert "確認: 設定対象者の登録" not in body
    for message in ("イ（加害者の下から避難していること）の確認が必要です。",
                    "ウ（本人の申出）がない場合は、設定を要することが明らかな場合に限ります。",
                    "個人識別子に該当する個人が見つかりません: SIM-NONE-XXXX",
                    "「2026/13/45」という日はありません。"):  # the console's one date field (nakama/dates.py)
        assert message in body, message
    assert not ProtectionCase.objects.exists()


def test_inquiry_reports_an_unknown_branch_number_with_the_other_errors(alice, as_user):
    response = as_user(alice).post(reverse("console:inquiry_new"), {"subject_type": "member", "branch_number": "A9999"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["branch_number"] == ["この枝番の被保険者は見つかりません。"]
    assert {"procedure", "item", "provider"} <= set(errors)


def test_inquiry_reports_an_unknown_person_identifier_with_the_other_errors(alice, as_user):
    response = as_user(alice).post(reverse("console:inquiry_new"), {"subject_type": "person", "sim_id": "sim-none-xxxx",
                                                                    "procedure": "999999"})
    errors = response.context["form"].errors
    assert errors["sim_id"] == ["入力された個人識別子に該当する個人が見つかりません。"]
    assert errors["procedure"] == ["事務を選び直してください。"]
