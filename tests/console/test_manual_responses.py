"""手動応答: the queue and the 情報提供内容入力画面 (別紙1 ③, 別紙3 ③): see the 副本, correct it, approve (with
不開示コード by choice, or forced when 不開示該当 applies at that moment) or decline with a reason."""

from django.urls import reverse

from audit.models import AuditEntry
from exchanges.models import ExchangeState
from exchanges.services import receive_inquiry
from flags.policy import SettingKind
from flags.services import set_setting


def _url(record):
    return reverse("console:manual_response", args=[record.pk])


def test_queue_lists_waiting_inquiries_with_their_age(scene, alice, as_user):
    response = as_user(alice).get(reverse("console:manual_queue"))
    body = response.content.decode()
    assert [r.pk for r in response.context["records"]] == [scene.manual_record.pk]
    assert "鈴木 一郎" in body and "乙市" in body and "確認・応答する" in body


def test_screen_shows_replica_content_and_editable_fields(scene, alice, as_user):
    body = as_user(alice).get(_url(scene.manual_record)).content.decode()
    assert "副本の内容" in body and "資格喪失日" in body and "設定なし" in body
    assert 'name="field_4"' in body  # one field per item of the 副本
    assert 'name="nondisclosure_code"' in body


def test_approve_with_corrected_loss_date(scene, alice, as_user):
    """別紙3 ③: the 資格喪失 副本 was late; staff enter 7/1 by hand and send."""
    form = as_user(alice).get(_url(scene.manual_record)).context["form"]
    data = {name: field.initial for name, field in form.fields.items() if name != "nondisclosure_code"}
    loss_field = next(n for n, fld in form.fields.items() if fld.label == "資格喪失日")
    data.update({loss_field: "2026-07-01", "action": "approve", "confirmed": "1"})
    response = as_user(alice).post(_url(scene.manual_record), data)
    assert response.status_code == 302
    scene.manual_record.refresh_from_db()
    record = scene.manual_record
    assert record.state == ExchangeState.PROVIDED and record.content_corrected
    assert record.provided_content["資格喪失日"] == "2026-07-01"
    assert record.provided_content["保険者名称"] == "Ａ健康保険組合"
    assert not record.provision_code and record.responded_by == alice
    assert AuditEntry.objects.filter(action="manual_response.approved", actor=alice).exists()


def test_approve_with_code_by_choice(scene, alice, as_user):
    response = as_user(alice).post(_url(scene.manual_record), {"action": "approve", "nondisclosure_code": "on", "confirmed": "1"})
    assert response.status_code == 302
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.provision_code and scene.manual_record.provision_code_source == "manual"
    assert scene.manual_record.provision_code_by == alice


def test_code_is_forced_when_non_disclosure_was_set_while_waiting(scene, alice, as_user):
    """別紙1 ※2: a flag set while the inquiry waits applies when the answer completes."""
    set_setting(actor=alice, member=scene.ordinary, kind=SettingKind.NON_DISCLOSURE, reason="待機中に申出")
    body = as_user(alice).get(_url(scene.manual_record)).content.decode()
    assert "不開示該当フラグが設定されているため、不開示コードが自動で付きます。" in body
    assert 'name="nondisclosure_code"' not in body
    as_user(alice).post(_url(scene.manual_record), {"action": "approve", "confirmed": "1"})
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.provision_code and scene.manual_record.provision_code_source == "auto"


def test_bad_date_is_refused_and_nothing_is_sent(scene, alice, as_user):
    form = as_user(alice).get(_url(scene.manual_record)).context["form"]
    loss_field = next(n for n, fld in form.fields.items() if fld.label == "資格喪失日")
    response = as_user(alice).post(_url(scene.manual_record), {"action": "approve", loss_field: "7月1日"})
    assert response.status_code == 400
    assert "「資格喪失日」: 「7月1日」は日付として読めません。" in response.content.decode()
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.state == ExchangeState.MANUAL


def test_decline_needs_a_reason(scene, alice, as_user):
    client = as_user(alice)
    response = client.post(_url(scene.manual_record), {"action": "decline", "reason": ""})
    assert response.status_code == 400 and "提供しない理由を入力してください。" in response.content.decode()
    response = client.post(_url(scene.manual_record), {"action": "decline", "reason": "本人確認中", "confirmed": "1"})
    assert response.status_code == 302
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.state == ExchangeState.DECLINED and scene.manual_record.decline_reason == "本人確認中"


def test_a_post_without_a_choice_does_nothing(scene, alice, as_user):
    response = as_user(alice).post(_url(scene.manual_record), {})
    assert response.status_code == 400 and "送信許可か提供しないかを選んでください。" in response.content.decode()
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.state == ExchangeState.MANUAL


def test_second_answer_is_refused(scene, alice, sam, as_user):
    as_user(alice).post(_url(scene.manual_record), {"action": "approve", "confirmed": "1"})
    response = as_user(sam).post(_url(scene.manual_record), {"action": "decline", "reason": "遅れて", "confirmed": "1"})
    assert response.status_code == 302
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.state == ExchangeState.PROVIDED
    assert "この照会はすでに処理されています" in as_user(sam).get(_url(scene.manual_record)).content.decode()


def test_auditor_sees_the_screen_without_forms(scene, audrey, as_user):
    body = as_user(audrey).get(_url(scene.manual_record)).content.decode()
    assert "監査者は閲覧のみできます。" in body and "送信許可（情報提供する）" not in body


def test_coded_inquiry_in_queue_is_marked_handle_with_care(scene, alice, city_otsu, insurer_a, items, procedures,
                                                           as_user):
    record = receive_inquiry(
        inquirer=city_otsu, department=None, provider=insurer_a, subject=scene.ordinary.person,
        procedure=procedures["welfare"], item=items["medical_eligibility"], nondisclosure_code=True,
    )
    assert record.state == ExchangeState.MANUAL and record.inquiry_code
    client = as_user(alice)
    assert client.get(reverse("console:manual_queue")).content.decode().count("取り扱い注意</span>") == 1
    assert "取り扱い注意</span>" in client.get(_url(record)).content.decode()


def test_approval_fails_closed_when_the_flag_check_fails(scene, alice, as_user, monkeypatch):
    """The 情報提供内容入力画面 shows ProvisionNotSent's Japanese message; nothing is provided."""
    from django.db import DatabaseError

    from flags import selectors as flag_selectors

    form = as_user(alice).get(_url(scene.manual_record)).context["form"]
    data = {name: field.initial for name, field in form.fields.items() if name != "nondisclosure_code"}
    data["action"] = "approve"
    data["confirmed"] = "1"

    def broken(**kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(flag_selectors, "active_settings", broken)  # the page's display
    monkeypatch.setattr(flag_selectors, "both_sides", broken)  # the service's decision
    response = as_user(alice).post(_url(scene.manual_record), data)
    assert response.status_code == 400
    assert "不開示該当フラグの確認ができなかったため、情報提供を送信しませんでした。" in response.content.decode()
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.state == ExchangeState.MANUAL


def test_case_3_staff_enter_the_content_when_no_replica_exists(scene, alice, as_user):
    """別紙3 ③ without any 副本: the screen offers the item's own fields (members/catalogue.ITEM_FIELDS)."""
    from members.catalogue import ITEM_FIELDS
    from members.models import Replica

    Replica.objects.filter(person=scene.ordinary.person).delete()
    client = as_user(alice)
    form = client.get(_url(scene.manual_record)).context["form"]
    assert not any(d.differs for d in client.get(_url(scene.manual_record)).context["eligibility"])  # no 副本 to differ
    labels = {name: fld.label for name, fld in form.fields.items() if name != "nondisclosure_code"}
    assert list(labels.values()) == list(ITEM_FIELDS["medical_eligibility"])
    field_of = {label: name for name, label in labels.items()}
    filled = {
        "action": "approve", field_of["保険者名称"]: "Ａ健康保険組合", field_of["資格取得日"]: "2024-04-01",
        field_of["資格喪失日"]: "2026-07-01",
    }
    # Fill → confirm → send (lifecycle's confirmation step): the first POST only shows what will be sent.
    asked = client.post(_url(scene.manual_record), filled)
    assert asked.status_code == 200 and "確認: 送信許可" in asked.content.decode()
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.state == ExchangeState.MANUAL
    response = client.post(_url(scene.manual_record), {**filled, "confirmed": "1"})
    assert response.status_code == 302
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.state == ExchangeState.PROVIDED and scene.manual_record.content_corrected
    assert scene.manual_record.provided_content == {
        "保険者名称": "Ａ健康保険組合", "保険者番号": None, "記号・番号": None, "資格取得日": "2024-04-01",
        "資格喪失日": "2026-07-01",
    }


def test_no_replica_and_nothing_entered_is_refused(scene, alice, as_user):
    from members.models import Replica

    Replica.objects.filter(person=scene.ordinary.person).delete()
    response = as_user(alice).post(_url(scene.manual_record), {"action": "approve"})
    assert response.status_code == 400
    assert "副本が登録されていません。提供する内容を入力してください。" in response.content.decode()
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.state == ExchangeState.MANUAL


def test_case_3_recorded_loss_date_beside_the_stale_replica_is_highlighted(scene, alice, as_user):
    """別紙3 ③: the member lost eligibility on 7/1 but the 副本 still says 「設定なし」."""
    import datetime

    from members.services import record_loss

    client = as_user(alice)
    assert 'class="differs"' not in client.get(_url(scene.manual_record)).content.decode()
    record_loss(actor=alice, member=scene.ordinary, lost_on=datetime.date(2026, 7, 1))
    response = client.get(_url(scene.manual_record))
    body = response.content.decode()
    [acquired, lost] = response.context["eligibility"]
    assert not acquired.differs and lost.differs and lost.replica is None
    assert '<tr class="differs"><th scope="row">資格喪失日</th><td>令和8年7月1日</td><td>設定なし</td></tr>' in body
    assert "資格喪失日が被保険者の記録と副本とで異なります。" in body


def test_the_recorded_loss_date_is_offered_with_one_button(scene, alice, as_user):
    """Issue 19: the screen highlighted the member's 資格喪失日 and made the clerk retype it."""
    import datetime

    from members.models import Member

    record = scene.manual_record
    member = Member.objects.get(insurer_id=record.provider_id, person_id=record.subject_id)
    member.lost_on = datetime.date(2026, 7, 1)
    member.save(update_fields=["lost_on"])
    response = as_user(alice).get(_url(scene.manual_record))
    body = response.content.decode()
    loss_field = next(n for n, fld in response.context["form"].fields.items() if fld.label == "資格喪失日")
    assert (f'<button type="button" class="secondary small" data-fill="id_{loss_field}" data-value="令和8年7月1日">'
            "資格情報の値を使う</button>") in body
    # What the button puts in the field is read by the one date parser and sent as the 副本 keeps dates.
    data = {name: fld.initial for name, fld in response.context["form"].fields.items() if name != "nondisclosure_code"}
    data.update({loss_field: "令和8年7月1日", "action": "approve", "confirmed": "1"})
    assert as_user(alice).post(_url(scene.manual_record), data).status_code == 302
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.provided_content["資格喪失日"] == "2026-07-01"
