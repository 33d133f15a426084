"""Forms of the 引継ぎ (handover) pages: the old insurer's offer and the new insurer's decline."""

from django import forms

from console.fields import JapaneseDateField
from institutions.models import Institution
from nakama.text import TextForm


class HandoverOfferForm(TextForm):
    """引継ぎの申出 (old insurer): the new Nakama insurer she joins and the date her consent was confirmed."""

    to_institution = forms.ModelChoiceField(
        label="引継ぎ先の保険者", queryset=None, empty_label="選んでください",
        error_messages={"required": "引継ぎ先の保険者を選んでください。", "invalid_choice": "引継ぎ先の保険者を選んでください。"},
    )
    consent_on = JapaneseDateField(label="本人の同意を確認した日", past_only=True)
    consent_confirmed = forms.BooleanField(
        label="本人が引継ぎに同意したことを確認した", error_messages={"required": "本人の同意を確認してください。"}
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_institution"].queryset = (
            Institution.objects.filter(is_tenant=True).exclude(insurer_number="").exclude(pk=user.institution_id)
            .order_by("name")
        )


class HandoverDeclineForm(TextForm):
    reason = forms.CharField(label="辞退の理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "辞退の理由を入力してください。"})
