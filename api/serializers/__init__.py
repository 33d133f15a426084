"""Output serializers shared by the /api/v1/ views, one module per concept. Inputs live beside their view (one per
operation). Names are re-exported so views keep `from api.serializers import ...`."""

from api.serializers.audit import AuditEntryOut
from api.serializers.base import FieldsOnce, FourEyesDecisionIn, FourEyesRequestOut
from api.serializers.cases import (
    CaseClosureOut,
    CompanionOut,
    CompanionRemovalOut,
    LinkedPersonOut,
    LinkRemovalOut,
    ProtectionCaseOut,
)
from api.serializers.exchanges import AppendRequestOut, ExchangeOut
from api.serializers.members import MemberOut, ReplicaOut
from api.serializers.settings import ClearingRequestOut, SettingOut

__all__ = [
    "AppendRequestOut", "AuditEntryOut", "CaseClosureOut", "ClearingRequestOut", "CompanionOut", "CompanionRemovalOut",
    "ExchangeOut", "FieldsOnce", "FourEyesDecisionIn", "FourEyesRequestOut", "LinkRemovalOut", "LinkedPersonOut",
    "MemberOut", "ProtectionCaseOut", "ReplicaOut", "SettingOut",
]
