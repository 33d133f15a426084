"""Reads of settings. The exchange and portal paths ask these, then hand the result to flags.policy."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import CharField, IntegerField, JSONField, Value

from flags.models import (
    CaseLinkedPerson,
    ClearingRequestState,
    Handover,
    HandoverCompanion,
    HandoverState,
    ProtectionCase,
    Setting,
)
from flags.policy import ActiveSetting
from members.locks import lock_pairs, lock_person_settings, lock_statement  # noqa: F401 (lock_person_settings: re-exported)
from members.models import Replica
from members.selectors import latest_replicas
from nakama.compiled import CompiledQuery


def lock_persons_settings(*, institution_id: int, person_ids) -> None:
    """lock_person_settings for several persons at one institution, in one statement (members.locks' order): an
    act that touches her, her linked persons and her 同伴者 takes them all before its first audit entry, as an
    inquiry takes its person's lock before its insurer's chain lock."""
    lock_pairs((institution_id, pk) for pk in person_ids)


def whole_member_kinds(member_id: int) -> set[str]:
    """The kinds of the whole-member (item none) settings in force on a member."""
    return set(Setting.objects.active().filter(member_id=member_id, item__isnull=True).values_list("kind", flat=True))


# BothSides.replica when the caller did not ask for the 副本 (the caller reads it itself if it needs it).
NOT_READ = object()


@dataclass(frozen=True)
class BothSides:
    """The settings each side of an exchange has in force on its subject, and the inquirer's open cases that link
    the subject (要注意照会対象), read together under both settings locks; with the provider's latest 副本 of the
    item when the caller asked for it (read in the same statement, so the flag check costs no round trip of its own).
    """

    inquirer: list[ActiveSetting]
    provider: list[ActiveSetting]
    linked_cases: list[int]
    replica: Replica | None | object = NOT_READ
    # A handover waiting at the inquirer names the subject (her, an offered 同伴者 or linked person): coded like a link
    # even before she is the inquirer's member (issue 17: no window).
    handover_named: bool = False

    @property
    def linked(self) -> bool:
        return bool(self.linked_cases) or self.handover_named


def both_sides(*, inquirer_id: int, provider_id: int, person_id: int, replica_item_id: int | None = None) -> BothSides:
    """別紙1 ※2: both institutions' settings on the subject, in one query, under both locks (until commit).

    The links are read under the inquirer's lock too: adding a link takes the same lock, so an inquiry and a
    concurrent link cannot interleave. Two statements: the locks, then one read of settings and links together. The
    read must be a statement of its own, started after the locks are granted: a READ COMMITTED statement sees what
    was committed when it started, so a read inside the locking statement could miss a setting committed while it
    waited. On PostgreSQL both statements go in one round trip (one simple-query message; PostgreSQL runs them in
    order and takes a fresh snapshot for each, so the read still starts after the locks are granted). The read is a
    prepared statement (nakama.compiled): EXECUTE, with its PREPARE in the same message the first time on a connection.

    replica_item_id: the same read also brings the provider's latest 副本 of that item (the answer's content), so an
    exchange needs no round trip for it after the check.
    """
    replica = NOT_READ if replica_item_id is None else None
    if connection.vendor == "postgresql":
        ids = {"inquirer_id": inquirer_id, "provider_id": provider_id, "person_id": person_id}
        if replica_item_id is not None:
            ids["replica_item_id"] = replica_item_id
        with connection.cursor() as cursor:
            # psycopg2 sends the statements as one simple query and returns the last one's rows.
            _COMPILED_READ[replica_item_id is not None].execute(
                cursor, before=lock_statement([(inquirer_id, person_id), (provider_id, person_id)]),
                using=connection.alias, **ids
            )
            rows = cursor.fetchall()
    else:
        # SQLite serialises writers itself (no lock), and cannot limit a branch of a UNION: the 副本 on its own.
        rows = list(_read(inquirer_id, provider_id, person_id))
        if replica_item_id is not None:
            replica = latest_replicas(institution_id=provider_id, person_id=person_id, item_id=replica_item_id).first()
    by_institution: dict[int, list[ActiveSetting]] = {inquirer_id: [], provider_id: []}
    cases: set[int] = set()
    handover_named = False
    for institution_id, kind, item_code, ref_id, content in rows:
        if kind == _LINK:
            cases.add(ref_id)
        elif kind == _HANDOVER:
            handover_named = True
        elif kind == _REPLICA:
            replica = Replica.from_db(connection.alias, ["id", "content"], [ref_id, _content(content)])
        else:
            by_institution[institution_id].append(ActiveSetting(kind=kind, item_code=item_code))
    return BothSides(
        inquirer=by_institution[inquirer_id], provider=by_institution[provider_id], linked_cases=sorted(cases),
        replica=replica, handover_named=handover_named,
    )


# Row kinds of the read that are not settings (a setting's kind is a SettingKind value).
_LINK, _REPLICA, _HANDOVER = "link", "replica", "handover"


def _content(value):
    """The 副本's JSON as JSONField decodes it (Django has psycopg2 hand jsonb over as text)."""
    return Replica._meta.get_field("content").from_db_value(value, None, connection)


def _read(inquirer_id: int, provider_id: int, person_id: int, replica_item_id: int | None = None):
    """Both sides' settings in force, the inquirer's open case links naming the person and the inquirer's pending
    handovers naming the person (her or an offered linked person), as one UNION ALL; with the provider's latest 副本
    of the item (one row at most) when replica_item_id is given."""
    no_ref, no_content = Value(None, output_field=IntegerField()), Value(None, output_field=JSONField())
    settings = (
        Setting.objects.active()
        .filter(institution_id__in=(inquirer_id, provider_id), person_id=person_id)
        .order_by()
        .annotate(ref=no_ref, no_content=no_content)
        .values_list("institution_id", "kind", "item__code", "ref", "no_content")
    )
    links = (
        CaseLinkedPerson.objects.in_force()
        .filter(institution_id=inquirer_id, person_id=person_id, case__closed_at__isnull=True)
        .order_by()
        .annotate(row_kind=Value(_LINK, output_field=CharField()), no_item=Value(None, output_field=CharField()),
                  no_content=no_content)
        .values_list("institution_id", "row_kind", "no_item", "case_id", "no_content")
    )
    handover_kind = Value(_HANDOVER, output_field=CharField())
    pending = {"state": HandoverState.PENDING}
    named = (  # her, in a handover waiting at the inquirer
        Handover.objects.filter(to_institution_id=inquirer_id, person_id=person_id, **pending)
        .order_by()
        .annotate(row_kind=handover_kind, no_item=Value(None, output_field=CharField()), ref=no_ref,
                  no_content=no_content)
        .values_list("to_institution_id", "row_kind", "no_item", "ref", "no_content")
    )
    named_linked = (  # an offered linked person of such a handover
        Handover.linked_persons.through.objects
        .filter(handover__to_institution_id=inquirer_id, person_id=person_id,
                **{f"handover__{k}": v for k, v in pending.items()})
        .order_by()
        .annotate(row_kind=handover_kind, no_item=Value(None, output_field=CharField()), ref=no_ref,
                  no_content=no_content)
        .values_list("handover__to_institution_id", "row_kind", "no_item", "ref", "no_content")
    )
    named_companion = (  # an offered 同伴者 (a child who fled with her) of such a handover
        HandoverCompanion.objects
        .filter(handover__to_institution_id=inquirer_id, person_id=person_id,
                **{f"handover__{k}": v for k, v in pending.items()})
        .order_by()
        .annotate(row_kind=handover_kind, no_item=Value(None, output_field=CharField()), ref=no_ref,
                  no_content=no_content)
        .values_list("handover__to_institution_id", "row_kind", "no_item", "ref", "no_content")
    )
    if replica_item_id is None:
        return settings.union(links, named, named_linked, named_companion, all=True)
    replica = (
        latest_replicas(institution_id=provider_id, person_id=person_id, item_id=replica_item_id)
        .annotate(row_kind=Value(_REPLICA, output_field=CharField()), no_item=Value(None, output_field=CharField()))
        .values_list("institution_id", "row_kind", "no_item", "id", "content")[:1]
    )
    return settings.union(links, named, named_linked, named_companion, replica, all=True)


# _read, compiled by Django once and prepared once per database connection (compiling and planning the UNION cost
# more CPU than running it); only the ids change.
_COMPILED_READ = {
    False: CompiledQuery(_read, prepare_as="nakama_flag_check", inquirer_id=int, provider_id=int, person_id=int),
    True: CompiledQuery(_read, prepare_as="nakama_flag_check_replica", inquirer_id=int, provider_id=int, person_id=int,
                        replica_item_id=int),
}


def linked_case_ids(*, institution_id: int, person_id: int) -> list[int]:
    """Open cases (終了していない) of an insurer that name the person as 要注意照会対象, lowest id first.

    The caller holds the person's settings lock at that insurer when the answer decides an exchange.
    """
    return list(
        CaseLinkedPerson.objects.in_force()
        .filter(institution_id=institution_id, person_id=person_id, case__closed_at__isnull=True)
        .order_by("case_id")
        .values_list("case_id", flat=True)
        .distinct()
    )


def active_settings(*, institution_id: int, person_id: int) -> list[ActiveSetting]:
    """The settings an institution has in force on a person (its member, or a municipality's resident).

    Takes the person's settings lock first, so inside a transaction the answer stays true until commit.
    """
    lock_person_settings(institution_id=institution_id, person_id=person_id)
    rows = (
        Setting.objects.active()
        .filter(institution_id=institution_id, person_id=person_id)
        .values_list("kind", "item__code")
    )
    return [ActiveSetting(kind=kind, item_code=item_code) for kind, item_code in rows]


def settings_by_institution(*, person_id: int) -> dict[int, list[ActiveSetting]]:
    """Every institution's settings in force on a person, in one query (used by the portal's 自己情報)."""
    result: dict[int, list[ActiveSetting]] = {}
    rows = Setting.objects.active().filter(person_id=person_id).values_list("institution_id", "kind", "item__code")
    for institution_id, kind, item_code in rows:
        result.setdefault(institution_id, []).append(ActiveSetting(kind=kind, item_code=item_code))
    return result


def cases_linking(user, person_id: int):
    """Open cases of the user's insurer that name the person as 要注意照会対象 (for display; the decision at sending
    is made by exchanges.services under the settings lock). Another insurer's staff get nothing."""
    return (
        ProtectionCase.objects.visible_to(user)
        .filter(linked_persons__person_id=person_id, linked_persons__removed_at__isnull=True, closed_at__isnull=True)
        .select_related("member")
        .distinct()
        .order_by("pk")
    )


def links_of(user, case) -> list[CaseLinkedPerson]:
    """The links of a case (in force first, then removed ones as history), with pending removal requests. Scoped to
    the user's insurer; the caller records the view (flags.links.record_links_viewed)."""
    links = list(
        CaseLinkedPerson.objects.visible_to(user)
        .filter(case=case)
        .select_related("person")
        .prefetch_related("removal_requests")
    )
    for link in links:
        link.pending_removal = next(
            (r for r in link.removal_requests.all() if r.state == ClearingRequestState.PENDING), None
        )
    return sorted(links, key=lambda link: (not link.is_in_force, link.added_at, link.pk))


def both_sides_many(*, inquirer_id: int, lines: list[tuple[int, int, int]]) -> list[BothSides]:
    """both_sides for many exchanges by one inquirer at once (一括照会, exchanges.batch); lines are
    (provider_id, person_id, item_id), the answer is one BothSides a line, each with the provider's latest 副本.

    Every (institution, person) lock in one statement, sorted by person and then institution — the order both_sides
    takes one person's two locks in, so a batch and single inquiries never wait on each other in a circle — then,
    as separate statements started after the locks are granted, one read each of the settings, the links and the
    副本 of all lines, and of the pending handovers naming the persons. The same querysets as both_sides' _read
    (Setting.active, CaseLinkedPerson.in_force on open cases, pending handovers); tests/exchanges/test_batch.py
    checks every line against send_inquiry's decision.
    """
    if not lines:
        return []
    persons = {person for _, person, _ in lines}
    institutions = {inquirer_id} | {provider for provider, _, _ in lines}
    lock_pairs((institution, person) for provider, person, _ in lines for institution in (inquirer_id, provider))
    in_force: dict[tuple[int, int], list[ActiveSetting]] = {}
    for institution_id, person_id, kind, item_code in (
        Setting.objects.active().filter(institution_id__in=institutions, person_id__in=persons)
        .values_list("institution_id", "person_id", "kind", "item__code")
    ):
        in_force.setdefault((institution_id, person_id), []).append(ActiveSetting(kind=kind, item_code=item_code))
    links: dict[int, set[int]] = {}
    for person_id, case_id in (
        CaseLinkedPerson.objects.in_force()
        .filter(institution_id=inquirer_id, person_id__in=persons, case__closed_at__isnull=True)
        .values_list("person_id", "case_id")
    ):
        links.setdefault(person_id, set()).add(case_id)
    # A handover waiting at the inquirer names the person (her, or an offered linked person): as in _read.
    pending = {"to_institution_id": inquirer_id, "state": HandoverState.PENDING}
    named = set(Handover.objects.filter(person_id__in=persons, **pending).values_list("person_id", flat=True))
    named |= set(Handover.linked_persons.through.objects.filter(
        person_id__in=persons, **{f"handover__{k}": v for k, v in pending.items()},
    ).values_list("person_id", flat=True))
    named |= set(HandoverCompanion.objects.filter(
        person_id__in=persons, **{f"handover__{k}": v for k, v in pending.items()},
    ).values_list("person_id", flat=True))
    replicas = _latest_replicas_of(lines)
    return [
        BothSides(
            inquirer=list(in_force.get((inquirer_id, person), [])),
            provider=list(in_force.get((provider, person), [])),
            linked_cases=sorted(links.get(person, ())),
            replica=replicas.get((provider, person, item)),
            handover_named=person in named,
        )
        for provider, person, item in lines
    ]


def _latest_replicas_of(lines: list[tuple[int, int, int]]) -> dict[tuple[int, int, int], Replica]:
    """The latest 副本 (members.selectors.latest_replicas' order) of each (institution, person, item), one read."""
    wanted = set(lines)
    found = (
        Replica.objects.filter(institution_id__in={i for i, _, _ in wanted}, person_id__in={p for _, p, _ in wanted},
                               item_id__in={t for _, _, t in wanted})
        .order_by("institution_id", "person_id", "item_id", "-registered_at", "-id")
        .only("id", "institution_id", "person_id", "item_id", "content")
    )
    if connection.vendor == "postgresql":
        found = found.distinct("institution_id", "person_id", "item_id")
    latest: dict[tuple[int, int, int], Replica] = {}
    for replica in found:
        key = (replica.institution_id, replica.person_id, replica.item_id)
        if key in wanted and key not in latest:
            latest[key] = replica
    return latest
