"""flags' models, one module per concept: the settings and their clearing, the protection case (設定対象者) with its
closing and 担当, the linked persons (要注意照会対象者), the 同伴者, and the handover (引継ぎ). Every name is importable
from here, as it was from the single module."""

from flags.models.cases import CaseClosure, CaseStaff, InForceQuerySet, PersonOnCase, ProtectionCase
from flags.models.family import CaseCompanion, CompanionRemovalRequest
from flags.models.handovers import Handover, HandoverCompanion, HandoverState
from flags.models.links import CaseLinkedPerson, LinkRemovalRequest
from flags.models.settings import (
    ClearingRequest,
    ClearingRequestState,
    Setting,
    SettingKindChoices,
    SettingQuerySet,
    SettingSource,
)

__all__ = [
    "CaseClosure", "CaseCompanion", "CaseLinkedPerson", "CaseStaff", "ClearingRequest", "ClearingRequestState",
    "CompanionRemovalRequest", "Handover", "HandoverCompanion", "HandoverState", "InForceQuerySet",
    "LinkRemovalRequest", "PersonOnCase", "ProtectionCase", "Setting", "SettingKindChoices", "SettingQuerySet",
    "SettingSource",
]
