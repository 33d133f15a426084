"""What must happen in the same transaction as every 加入 (enrolment), registered by the floors above.

members sits below flags, so it cannot ask flags itself: flags registers a hook in its AppConfig.ready (引継ぎ: a
protection offered to this insurer applies the instant she becomes its member, issue 17). Every path that creates a
Member (members.services.enrol_member, the simulation's enrol_person, the demo world) calls run_enrolment_hooks
inside its transaction; tests/test_handover_enrolment.py checks that no other code creates a Member.
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

EnrolmentHook = Callable[..., None]  # hook(*, actor, member): actor is the enrolling staff member or None (the sim)

_hooks: list[EnrolmentHook] = []


def register_enrolment_hook(hook: EnrolmentHook) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def run_enrolment_hooks(*, actor, member) -> None:
    """Run every registered hook for a member just saved, inside the caller's transaction (fail closed: no hook
    registered means the protection floor is missing, and the enrolment is refused)."""
    if not _hooks:
        raise ImproperlyConfigured("加入時の処理（引継ぎによる仮設定）が登録されていません。")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("run_enrolment_hooks must run inside the enrolment's transaction.")
    for hook in _hooks:
        hook(actor=actor, member=member)
