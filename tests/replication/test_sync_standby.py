"""Issue 20 ①: the portal reads a real synchronous standby, and nothing a clerk just did is missing there.

A primary/standby pair of our own (synchronous_standby_names names the standby, synchronous_commit = remote_apply),
the demo world on it, gunicorn with DATABASE_URL on the primary and DATABASE_REPLICA_URL on the standby. Every
request a test makes returns before the next starts: "the moment the clerk's request returns".
"""

import contextlib
import json

import pytest

from tests.replication.conftest import DB, SIM_KEY, api, app_env, gunicorn, manage, sim

HANAKO = {"card_number": "CARD-HANA-KOSA", "pin": "1111"}  # the victim's card (demo world)
TARO = {"card_number": "CARD-TARO-KOSA", "pin": "2222"}  # the abuser's own card
KENTA = "SIM-AAAA-DDAA"  # 田中 健太, A0000004: a member of Ａ健康保険組合 with a 副本 and no settings


@pytest.fixture(scope="module")
def served(pair):
    env = app_env(DATABASE_URL=pair.primary_url(DB), DATABASE_REPLICA_URL=pair.standby_url(DB))
    with gunicorn(env) as base:
        yield base


@contextlib.contextmanager
def standby_frozen(pair):
    """Replay paused on the standby; meanwhile commits on the primary stop waiting for it (else they would hang)."""
    pair.psql(pair.primary_port, "ALTER SYSTEM SET synchronous_commit = local")
    pair.psql(pair.primary_port, "SELECT pg_reload_conf()")
    pair.psql(pair.standby_port, "SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        pair.psql(pair.standby_port, "SELECT pg_wal_replay_resume()")
        pair.psql(pair.primary_port, "ALTER SYSTEM RESET synchronous_commit")
        pair.psql(pair.primary_port, "SELECT pg_reload_conf()")
        pair.wait_until_synchronous()


def _portal(base, card, **extra):
    status, body, _ = sim(base, "portal/", {**card, **extra})
    assert status == 200, body
    return body


def _health_rows(body) -> list:
    return [row for section in body["self_information"] for row in section["rows"]]


def _card_for(base, sim_id: str, pin: str) -> dict:
    status, body, _ = sim(base, f"persons/{sim_id}/cards/", {"pin": pin})
    assert status == 201, body
    return {"card_number": body["card_number"], "pin": pin}


def test_the_portal_json_reads_the_standby(pair, served):
    """Proof that /api/sim/portal/ reads the standby: with replay paused there, a change made on the primary is not
    in the portal's answer; once replay resumes, it is."""
    card = _card_for(served, KENTA, "4444")
    before = _health_rows(_portal(served, card))
    assert before, "his 副本 from Ａ健康保険組合 is shown"
    marker = "照会テスト用の値"
    with standby_frozen(pair):
        pair.psql(pair.primary_port, f"""UPDATE members_replica SET content = content || '{{"marker": "{marker}"}}'
            WHERE person_id = (SELECT id FROM members_person WHERE sim_id = '{KENTA}')""", db=DB)
        while_frozen = json.dumps(_portal(served, card), ensure_ascii=False)
        assert marker not in while_frozen  # the standby has not applied it: the portal read the standby
    pair.psql(pair.primary_port, "SELECT 1", db=DB)
    assert marker in json.dumps(_portal(served, card), ensure_ascii=False)


def test_self_information_block_is_on_the_standby_when_the_clerks_request_returns(pair, served):
    card = _card_for(served, KENTA, "5555")
    assert _health_rows(_portal(served, card))
    status, body, _ = api(served, pair.token, "POST", "settings/set/",
                          {"member": "A0000004", "kind": "no_self_info", "reason": "本人からの申出（DV）"})
    assert status == 201, body
    after = _portal(served, card)
    assert _health_rows(after) == []
    assert {s["message"] for s in after["self_information"]} == {"回答なし"}


def test_a_suspended_card_is_refused_the_moment_the_suspension_returns(pair, served):
    card = _card_for(served, KENTA, "6666")
    _portal(served, card)
    status, body, _ = sim(served, f"cards/{card['card_number']}/suspend/", {"reason": "紛失"})
    assert status == 200, body
    status, body, _ = sim(served, "portal/", card)
    assert status == 403, body


def test_a_processed_append_request_hides_the_record_at_once(pair, served):
    """The demo's danger record: his own やりとり履歴 names Ａ健康保険組合 until NWS processes the 追記依頼."""
    def names_insurer(body) -> bool:
        return any("Ａ健康保険組合" in json.dumps(row, ensure_ascii=False) for row in body["history"])

    assert names_insurer(_portal(served, TARO))
    status, body, _ = sim(served, "nws/append-requests/process/", {})
    assert status == 200 and body["processed"], body
    assert not names_insurer(_portal(served, TARO))


def _deploy_check(pair, replica_url: str) -> str:
    env = app_env(DATABASE_URL=pair.primary_url(DB), DATABASE_REPLICA_URL=replica_url, NAKAMA_SIM_API="false",
                  NAKAMA_SIM_KEY="")
    done = manage("check", "--deploy", env=env, check=False)
    return done.stdout + done.stderr


def test_deploy_check_accepts_the_synchronous_remote_apply_standby(pair):
    assert "nakama.E002" not in _deploy_check(pair, pair.standby_url(DB))


@pytest.mark.parametrize("setting, value, problem", [
    ("synchronous_standby_names", "''", "not a synchronous standby"),
    ("synchronous_commit", "'on'", "must be 'remote_apply'"),
])
def test_deploy_check_refuses_a_standby_the_primary_does_not_wait_for(pair, setting, value, problem):
    pair.psql(pair.primary_port, f"ALTER SYSTEM SET {setting} = {value}")
    pair.psql(pair.primary_port, "SELECT pg_reload_conf()")
    try:
        out = _deploy_check(pair, pair.standby_url(DB))
    finally:
        pair.psql(pair.primary_port, f"ALTER SYSTEM RESET {setting}")
        pair.psql(pair.primary_port, "SELECT pg_reload_conf()")
        pair.wait_until_synchronous()
    assert "nakama.E002" in out and problem in out, out


def test_deploy_check_refuses_a_replica_url_that_is_the_primary(pair):
    out = _deploy_check(pair, pair.primary_url(DB))
    assert "nakama.E002" in out and "not a standby" in out, out


def test_simulation_key_is_the_one_served(served):
    """The fixtures' own sanity: the served app accepts our key (else every test above would fail for that)."""
    status, _, _ = sim(served, "portal/", {"card_number": "NOPE", "pin": "0000"})
    assert status == 403 and SIM_KEY
