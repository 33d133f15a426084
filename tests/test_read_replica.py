"""nakama.routers: portal and auditor reads go to the `replica` alias (a second database alias, a test mirror of
the primary here), writes and the card / session checks stay on the primary; without a replica nothing moves."""

import pytest
from django.db import connections, router
from django.test.utils import CaptureQueriesContext

from exchanges.models import ExchangeRecord
from exchanges.services import receive_inquiry
from members.models import Person
from nakama.routers import replica_reads
from tests.portal.helpers import HISTORY, person_portal

pytestmark = pytest.mark.django_db(databases=["default", "replica"])


@pytest.fixture(autouse=True)
def close_replica():
    """The mirror holds its own connection to the test database; close it so the database can be dropped."""
    yield
    connections["replica"].close()


def _tables(captured) -> str:
    """The SQL run. The portal's first page is a prepared statement (exchanges.selectors._portal_first_page): once
    prepared on a connection its EXECUTE names the statement, not the table it reads."""
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    return sql.replace("nakama_portal_first_page", "exchanges_exchangerecord")


def _portal_history_queries(victim, city_otsu, procedures, items):
    receive_inquiry(inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
                    procedure=procedures["welfare"], item=items["medical_eligibility"])
    client = person_portal(victim.person)
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections["replica"]) as replica:
        assert client.get(HISTORY).status_code == 200
    return _tables(primary), _tables(replica)


def test_portal_history_records_come_from_the_replica_the_card_from_the_primary(
    requires_postgres, settings, victim, city_otsu, procedures, items
):
    settings.NAKAMA_READ_REPLICA = True
    primary, replica = _portal_history_queries(victim, city_otsu, procedures, items)
    assert "exchanges_exchangerecord" in replica and "exchanges_exchangerecord" not in primary
    # A card suspended a moment ago must stop the session at once: never read from a replica.
    assert "portal_sim_card" in primary and "portal_sim_card" not in replica
    assert "django_session" in primary and "django_session" not in replica


def test_without_a_replica_every_read_stays_on_the_primary(requires_postgres, settings, victim, city_otsu,
                                                          procedures, items):
    settings.NAKAMA_READ_REPLICA = False
    primary, replica = _portal_history_queries(victim, city_otsu, procedures, items)
    assert "exchanges_exchangerecord" in primary and replica == ""


def test_writes_inside_a_replica_block_go_to_the_primary(settings):
    settings.NAKAMA_READ_REPLICA = True
    with replica_reads():
        assert Person.objects.all().db == "replica"
        assert router.db_for_write(Person) == "default"
        assert ExchangeRecord.objects.all().db == "replica"
    assert Person.objects.all().db == "default"
    assert router.allow_migrate("replica", "members") is False and router.allow_migrate("default", "members")
