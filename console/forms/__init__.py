"""Console forms: input shape and Japanese messages only. The rules live in the services they feed.

One module per part of the console (members and their settings, cases, linked persons, 同伴者, handovers, exchanges,
staff, the auditor's filter); every form is importable from here.
"""

from console.forms.auditor import AuditFilterForm
from console.forms.cases import (
    CaseClosureForm,
    ChecklistForm,
    ProtectionCaseForm,
    ReviewDateForm,
    case_started_on,
    split_sim_ids,
)
from console.forms.common import REQUIRED, ClearingDecisionForm
from console.forms.companions import CompanionForm, CompanionRemovalForm
from console.forms.exchanges import (
    AppendRequestForm,
    ExchangeFilterForm,
    InquiryForm,
    ManualDeclineForm,
    corrected_content,
    manual_response_form,
)
from console.forms.handovers import HandoverDeclineForm, HandoverOfferForm
from console.forms.links import LinkPersonForm, LinkRemovalForm
from console.forms.members import KIND_CHOICES, ClearingRequestForm, MemberSearchForm, SettingForm
from console.forms.staff import DeactivateForm, PreferencesForm, RoleChangeForm, StaffCreateForm

__all__ = [
    "KIND_CHOICES", "REQUIRED", "AppendRequestForm", "AuditFilterForm", "CaseClosureForm", "ChecklistForm",
    "ClearingDecisionForm", "ClearingRequestForm", "CompanionForm", "CompanionRemovalForm", "DeactivateForm",
    "ExchangeFilterForm", "HandoverDeclineForm", "HandoverOfferForm", "InquiryForm", "LinkPersonForm",
    "LinkRemovalForm", "ManualDeclineForm", "MemberSearchForm", "PreferencesForm", "ProtectionCaseForm",
    "ReviewDateForm", "RoleChangeForm", "SettingForm", "StaffCreateForm", "case_started_on", "corrected_content",
    "manual_response_form", "split_sim_ids",
]
