"""The case page's 担当, 閲覧記録 and 差戻し panel (issue 17 points 4 and 6), as one inclusion tag so the case view
only renders it: `{% load case_access %}{% case_access %}` inside the case page (needs `case`, `exposure`, `request`)."""

from django import template

from flags import access_digest, access_log
from institutions.models import Role, Staff

register = template.Library()
ACCESS_LIMIT = 100


@register.inclusion_tag("console/_case_access.html", takes_context=True)
def case_access(context):
    user = context["request"].user
    case = context["case"]
    in_charge = access_log.staff_in_charge(case)
    taken = {row.staff.pk for row in in_charge}
    choices = []
    if user.is_supervisor and case.is_open:
        choices = [s for s in Staff.objects.filter(institution_id=user.institution_id, is_active=True)
                   .exclude(role=Role.AUDITOR).order_by("username") if s.pk not in taken]
    return {
        "case": case,
        "request": context["request"],
        "rejections": [line for line in context.get("exposure") or [] if line.rejected],
        "in_charge": in_charge,
        "staff_choices": choices,
        "is_supervisor": user.is_supervisor,
        "access_log": access_digest.member_access_log(user, case.member, limit=ACCESS_LIMIT),
        "access_limit": ACCESS_LIMIT,
    }
