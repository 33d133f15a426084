"""Who may output and import the settings file: 責任者 only, each only their own insurer's settings."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from flagcsv import urls as flagcsv_urls
from institutions.models import Staff
from tests.flagcsv.helpers import body, download, make_file, records, row

# Every URL of the app with the method it answers; a URL missing here fails test_matrix_covers_every_url.
MATRIX = {
    "export": "get",
    "download": "post",
    "import": "get",
    "import_preview": "get",
    "import_apply": "post",
    "import_cancel": "post",
}


def test_matrix_covers_every_url():
    assert {p.name for p in flagcsv_urls.urlpatterns} == set(MATRIX)


def _call(client, name):
    data = {"encoding": "utf-8-sig", "kind": "", "state": ""} if name == "download" else {}
    return getattr(client, MATRIX[name])(reverse(f"flagcsv:{name}"), data)


@pytest.mark.parametrize("name", MATRIX)
def test_anonymous_is_sent_to_sign_in(client, name):
    response = _call(client, name)
    assert response.status_code == 302 and response["Location"].startswith(reverse("console:login"))


@pytest.mark.parametrize("who", ["alice", "audrey", "bob"])
@pytest.mark.parametrize("name", MATRIX)
def test_clerks_and_auditors_are_refused(client, request, settings_world, who, name):
    client.force_login(request.getfixturevalue(who))
    assert _call(client, name).status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="settings_csv.").exists()


@pytest.mark.parametrize("name", MATRIX)
def test_operator_without_insurer_is_refused(client, db, name):
    operator = Staff.objects.create_superuser(username="ops", password="ops-pw-12345")
    client.force_login(operator)
    assert _call(client, name).status_code == 403


def test_supervisor_pages_open(client, sam):
    client.force_login(sam)
    assert client.get(reverse("flagcsv:export")).status_code == 200
    assert client.get(reverse("flagcsv:import")).status_code == 200
    # Nothing staged yet: back to the upload page.
    assert client.get(reverse("flagcsv:import_preview")).status_code == 302


def test_outsider_supervisor_sees_only_own_insurers_rows(client, barbara, settings_world):
    client.force_login(barbara)
    data = records(body(download(client)), "utf-8-sig")
    other = settings_world["other"]
    assert [(r["保険者番号"], r["被保険者枝番"], r["氏名"], r["設定者"], r["理由"]) for r in data] == [
        (other.institution.insurer_number, "B0000001", "高橋 次郎", "ボブ 担当", "B保険者の設定")]
    entry = AuditEntry.objects.get(action="settings_csv.exported")
    assert entry.institution == barbara.institution and entry.after["rows"] == 1


def test_outsider_supervisor_cannot_import_onto_another_insurers_member(client, barbara, victim, settings_world):
    """Insurer A's 枝番 is simply unknown to B (same message as a 枝番 that does not exist)."""
    client.force_login(barbara)
    upload = make_file([row(victim, number=barbara.institution.insurer_number)])
    client.post(reverse("flagcsv:import"), {"file": upload})
    page = client.get(reverse("flagcsv:import_preview")).content.decode()
    assert "2行目" in page and "被保険者枝番「A0000001」の被保険者は登録されていません" in page
    assert "本人の申出（ケース①）" not in page and "アリス" not in page  # nothing of A's records
    response = client.post(reverse("flagcsv:import_apply"), {"sha256": client.session["flagcsv_import"]["sha256"]})
    assert response.status_code == 400
    assert not victim.settings.filter(institution=barbara.institution).exists()
