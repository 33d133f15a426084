"""Issue 17 points 3 and 5 in the console: the case page shows what Nakama's own card and proxy records contradict
and lets staff mark card suspension 「対象外」 with a reason; 同伴者 are added on the case page (their protections set at
once), asked to be removed, and the removal decided by another supervisor (four eyes)."""

from django.urls import reverse

from audit.models import AuditEntry
from flags.family import add_companion, request_companion_removal
from flags.models import CaseCompanion, Setting
from portal_sim.services import name_proxy
from tests import factories as f


def test_case_page_shows_the_facts_that_contradict_the_typed_dates(scene, alice, abuser, as_user):
    name_proxy(principal=scene.victim.person, agent=abuser)  # he is still her 代理人, whatever was typed
    body = as_user(alice).get(reverse("console:case_detail", args=[scene.case.pk])).content.decode()
    assert 'id="card-procedures-contradicted"' in body
    assert "要注意照会対象者（加害者など）が代理人に設定されたままです" in body
    assert 'id="card-procedures-done"' not in body


def test_card_suspension_marked_not_applicable_with_a_reason_on_the_case_page(scene, alice, as_user):
    client, url = as_user(alice), reverse("console:case_detail", args=[scene.case.pk])
    refused = client.post(url, {"card_suspension_not_applicable": "on", "proxy_cancel_advised_on": "2026-04-10",
                                "proxy_cancel_confirmed_on": "2026-04-10"})
    assert refused.status_code == 400 and "カード停止を対象外とする理由を入力してください。" in refused.content.decode()
    done = client.post(url, {"card_suspension_not_applicable": "on", "proxy_cancel_advised_on": "2026-04-10",
                             "proxy_cancel_confirmed_on": "2026-04-10",
                             "card_suspension_not_applicable_reason": "カードは本人が所持、代理人設定のみが問題"})
    assert done.status_code == 302
    body = client.get(url).content.decode()
    assert 'id="card-suspension-not-applicable"' in body and "代理人設定のみが問題" in body


def test_clerk_adds_a_companion_and_the_case_protections_are_set_on_them(scene, alice, as_user):
    child = f.MemberFactory(insurer=scene.victim.insurer, person=f.PersonFactory(name="佐藤 さくら"),
                            branch_number="A0000020")
    client, url = as_user(alice), reverse("console:companion_new", args=[scene.case.pk])
    page = client.get(url).content.decode()
    assert "不開示該当フラグ、自己情報提供不可フラグ" in page
    unknown = client.post(url, {"branch_number": "Z9999999", "relation": "子", "reason": "避難"})
    assert unknown.status_code == 400 and "この被保険者枝番は見つかりません" in unknown.content.decode()
    done = client.post(url, {"branch_number": "a0000020", "relation": "子", "reason": "母と共に避難"})
    assert done.status_code == 302
    assert set(Setting.objects.active().filter(member=child).values_list("kind", flat=True)) == {
        "non_disclosure", "no_self_info"}
    body = client.get(reverse("console:case_detail", args=[scene.case.pk])).content.decode()
    assert 'id="companions"' in body and "佐藤 さくら" in body and "保護中" in body
    assert "companion-linked-proxy" not in body
    name_proxy(principal=child.person, agent=scene.link.person)  # the abuser is the child's 代理人
    body = client.get(reverse("console:case_detail", args=[scene.case.pk])).content.decode()
    assert "要注意照会対象者が代理人に設定されています" in body


def test_another_insurers_member_cannot_be_named_and_their_staff_get_404(scene, alice, bob, as_user, insurer_b):
    other = f.MemberFactory(insurer=insurer_b, branch_number="B0000077")
    url = reverse("console:companion_new", args=[scene.case.pk])
    refused = as_user(alice).post(url, {"branch_number": other.branch_number, "relation": "子", "reason": "避難"})
    assert refused.status_code == 400 and not CaseCompanion.objects.exists()
    assert as_user(bob).get(url).status_code == 404


def test_removal_needs_a_second_supervisor(scene, alice, sam, sue, as_user):
    child = f.MemberFactory(insurer=scene.victim.insurer, branch_number="A0000020")
    companion = add_companion(actor=alice, case=scene.case, member=child, relation="子", reason="避難")
    removal = request_companion_removal(actor=sam, companion=companion, reason="祖父母の元へ")
    url = reverse("console:companion_removal_detail", args=[removal.pk])
    own = as_user(sam).get(url).content.decode()
    assert 'id="companion-removal-refusal"' in own and "依頼した本人は承認できません" in own
    assert as_user(sam).post(url, {"decision": "approve"}).status_code == 400
    assert Setting.objects.active().filter(member=child).exists()
    assert as_user(sue).post(url, {"decision": "approve"}).status_code == 302
    assert not Setting.objects.active().filter(member=child).exists()
    assert AuditEntry.objects.filter(action="case.companion_removed").exists()
