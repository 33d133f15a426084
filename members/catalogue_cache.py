"""Catalogue rows kept in process: 事務 (procedures, with the items each may request), 特定個人情報 (items) and 機関
(institutions). An inquiry names one of each; reading them from the database cost four statements a request.

Invalidation: these rows change only by migration, seed/generator commands or the (read-only for staff) admin,
i.e. at deploy time, and every deploy restarts the processes. Within a process any save or delete of one of the
three models (and of the procedure–item links) clears the cache at once, so a command, a shell or a test that
changes them sees its change. A row changed by another process (e.g. an ops shell beside a running gunicorn)
reaches running workers at the next restart; nothing about a person (settings, members, cases) is cached here.
The simulated world's API (/api/sim/, off unless enabled) only *creates* institutions: a worker that has not seen
one misses in the cache and reads it from the database (the lookups below fall back).
"""

import threading

from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

from institutions.models import Institution
from members.models import InfoItem, Procedure

_lock = threading.RLock()
_cache: dict | None = None


def _load() -> dict:
    procedures = list(Procedure.objects.prefetch_related("items"))
    items = list(InfoItem.objects.all())
    institutions = {i.pk: i for i in Institution.objects.all()}
    return {
        "procedures": {p.code: p for p in procedures},
        "allowed": {p.pk: frozenset(i.pk for i in p.items.all()) for p in procedures},
        "items": {i.code: i for i in items},
        "institutions": institutions,
        "by_pk": {Procedure: {p.pk: p for p in procedures}, InfoItem: {i.pk: i for i in items},
                  Institution: institutions},
    }


def _get() -> dict:
    global _cache
    cache = _cache
    if cache is None:
        with _lock:
            if _cache is None:
                _cache = _load()
            cache = _cache
    return cache


def clear(**_kwargs) -> None:
    global _cache
    with _lock:  # not while another thread is loading, or its older rows would land after the clear
        _cache = None


def procedure(code: str) -> Procedure | None:
    return _get()["procedures"].get(code)


def item(code: str) -> InfoItem | None:
    return _get()["items"].get(code)


def institution(pk) -> Institution | None:
    try:
        return _get()["institutions"].get(int(pk))
    except (TypeError, ValueError):
        return None


def rows_by_pk(model: type[Procedure | InfoItem | Institution]) -> dict:
    """Every cached row of one catalogue model by primary key (shared objects: read them, do not change them)."""
    return _get()["by_pk"][model]


def attach(records: list, fields: dict[type, tuple[str, ...]]) -> None:
    """Set the catalogue foreign keys of `records` (model → its field names, e.g. {Institution: ("inquirer",
    "provider")}) from the cache instead of joining them: a join planned against every monthly partition of the
    records costs planning time on every page. A row the cache lacks (made by another process since the load) comes
    from one query per model. The cache is read even for no records: whether a person has records shown must not
    change what a page costs, not even on a process's first page."""
    for model, names in fields.items():
        rows = rows_by_pk(model)
        ids = {getattr(r, f"{name}_id") for r in records for name in names} - {None}
        missing = ids - rows.keys()
        found = {**rows, **model._base_manager.in_bulk(missing)} if missing else rows
        for r in records:
            for name in names:
                related = found.get(getattr(r, f"{name}_id"))
                if related is not None:
                    setattr(r, name, related)


def allows(procedure: Procedure, item: InfoItem) -> bool:
    """Whether the 事務 may request the item (its catalogue links)."""
    allowed = _get()["allowed"].get(procedure.pk)
    if allowed is None:  # a procedure not in the catalogue yet (created since the last load): ask the database
        return procedure.items.filter(pk=item.pk).exists()
    return item.pk in allowed


for _model in (Procedure, InfoItem, Institution):
    post_save.connect(clear, sender=_model, dispatch_uid=f"catalogue-save-{_model.__name__}")
    post_delete.connect(clear, sender=_model, dispatch_uid=f"catalogue-delete-{_model.__name__}")
m2m_changed.connect(clear, sender=Procedure.items.through, dispatch_uid="catalogue-procedure-items")
post_migrate.connect(clear, dispatch_uid="catalogue-migrate")
