"""What several output serializers share: building fields once per class, and the four-eyes request shape."""

import copy

from rest_framework import serializers


class FieldsOnce:
    """Mixin: the serializer's fields built once per class, then copied per instance (issue 12 point 2).

    DRF builds every field again for each serializer instance (a deep copy of each declared field; a ModelSerializer
    also reads the model): on the inquiry POST a sixth of the request's CPU. A plain field needs only a shallow copy,
    since bind() sets what belongs to one instance on the copy; a nested serializer or list keeps DRF's deep copy.
    Only for serializers whose fields do not depend on the instance or its context.
    """

    def get_fields(self):
        cls = type(self)
        prototypes = cls.__dict__.get("_field_prototypes")
        if prototypes is None:
            prototypes = super().get_fields()
            cls._field_prototypes = prototypes
        return {
            name: copy.deepcopy(field) if isinstance(field, _NESTED) else _shallow_copy(field)
            for name, field in prototypes.items()
        }


def _shallow_copy(field):
    """copy.copy(field) without its __reduce_ex__ round (a field keeps its state in __dict__): a third of the cost."""
    new = object.__new__(type(field))
    new.__dict__.update(field.__dict__)
    return new


_NESTED = (serializers.BaseSerializer, serializers.ListField, serializers.DictField, serializers.ManyRelatedField)

class FourEyesRequestOut(serializers.ModelSerializer):
    """What every four-eyes request shows (institutions.models.FourEyesRequest): its state, who asked and when, who
    decided — a 責任者 independent of the requester by provenance, with his own token — when and with what note."""

    state = serializers.CharField(help_text="状態: pending=承認待ち, approved=承認済, rejected=却下")
    state_label = serializers.CharField(source="get_state_display", help_text="状態（日本語）")
    requested_at = serializers.DateTimeField(help_text="依頼日時")
    requested_by_name = serializers.CharField(help_text="依頼者名")
    decided_at = serializers.DateTimeField(allow_null=True, help_text="承認・却下日時")
    decided_by_name = serializers.CharField(help_text="承認者名")
    decision_note = serializers.CharField(help_text="承認・却下メモ")

    FIELDS = ["state", "state_label", "requested_at", "requested_by_name", "decided_at", "decided_by_name",
              "decision_note"]


class FourEyesDecisionIn(serializers.Serializer):
    """The body of every four-eyes decision (承認・却下): one shape, one rule (institutions.access)."""

    approve = serializers.BooleanField(help_text="true: 承認, false: 却下")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                 help_text="承認・却下メモ")
