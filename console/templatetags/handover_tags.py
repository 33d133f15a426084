"""引継ぎ確認待ち (issue 17 point 1): every screen of the new insurer that shows her, or a person the offer names as
要注意照会対象者 or 同伴者, says so while its 責任者 has not decided."""

from django import template

from flags.handover import COMPANION, SUBJECT, pending_handover_persons

register = template.Library()


@register.inclusion_tag("console/_handover_pending.html", takes_context=True)
def handover_pending_notice(context, person_id):
    role = pending_handover_persons(context["request"].user, [person_id]).get(person_id)
    return {"role": role, "is_subject": role == SUBJECT, "is_companion": role == COMPANION}
