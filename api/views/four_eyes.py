"""The one shape of every four-eyes decision over the API (解除, 終了, 要注意照会対象者の削除, 引継ぎ): a 責任者 of the
insurer, with a token he made himself (signin.tokens), sends FourEyesDecisionIn; the service asks the one rule of
independence by provenance (institutions.access) and answers a refusal as 422 four_eyes with the rule in Japanese."""

from api.permissions import IsSupervisor, OwnToken
from api.views.common import ApiView


class DecisionView(ApiView):
    """Base of each decision view: who may decide at all. Whether this person may decide this request is the
    service's question (institutions.access.require_independent_approver)."""

    permission_classes = [IsSupervisor, OwnToken]
