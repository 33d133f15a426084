from django import forms

from flagcsv.export import Encoding, StateFilter
from flagcsv.importer import MAX_BYTES
from flags.policy import SETTING_LABELS
from nakama.text import TextForm


class ExportForm(TextForm):
    kind = forms.ChoiceField(
        label="設定種別", required=False, choices=[("", "すべて"), *((k.value, v) for k, v in SETTING_LABELS.items())]
    )
    state = forms.ChoiceField(label="状態", required=False, choices=StateFilter.CHOICES)
    encoding = forms.ChoiceField(label="文字コード", choices=Encoding.CHOICES, initial=Encoding.UTF8_BOM)


class ImportForm(TextForm):
    file = forms.FileField(label="CSVファイル", help_text=f"CSV出力と同じ形式（上限 {MAX_BYTES // (1024 * 1024)}MB）")


class ConfirmImportForm(TextForm):
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64, min_length=64)
