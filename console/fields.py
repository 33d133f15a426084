"""The one date field of the console: typed as the office writes it (令和8年12月5日, R8.12.5, 2026-12-05 …), read by
nakama.dates.parse_date, shown with its 和暦 beside it (static/dates.js, no inline script: CSP).

A text input, not the browser's date picker (which shows mm/dd/yyyy and no era). Bounds say what is plausible:
`past_only` (a day that has happened: 案内した日, 申出日), `future_only` (見直し日), and a form may add `not_before`
(a procedure date cannot precede the case) through `check_not_before`.
"""

import datetime
import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html

from nakama.dates import DateParseError, era_table, parse_date
from nakama.wareki import format_wareki

EARLIEST = datetime.date(1900, 1, 1)  # no console date (procedure, filter, consent) is older than this
LATEST = datetime.date(2100, 12, 31)
_ERAS_JSON = json.dumps(era_table(), ensure_ascii=False)


def preview_text(day: datetime.date) -> str:
    """What the preview beside the field shows (static/dates.js writes the same): 令和8年12月5日（2026年）."""
    return f"{format_wareki(day)}（{day.year}年）"


class DateTextInput(forms.TextInput):
    """<input type="text" inputmode="text"> and an <output> that shows the 和暦 of what was typed."""

    def __init__(self, attrs=None):
        base = {"inputmode": "text", "autocomplete": "off", "class": "date-input", "size": "16",
                "placeholder": "例: R8.12.5", "data-date-input": "", "data-eras": _ERAS_JSON}
        super().__init__(base | (attrs or {}))

    def format_value(self, value):
        if isinstance(value, datetime.date):
            return format_wareki(value)
        return super().format_value(value)

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        out_id = f"{attrs.get('id') or 'id_' + name}_wareki"
        attrs["aria-describedby"] = out_id
        html = super().render(name, value, attrs, renderer)
        preview = ""
        if value not in (None, ""):
            try:
                preview = preview_text(value if isinstance(value, datetime.date) else parse_date(str(value)))
            except DateParseError:
                preview = "日付として読めません"
        return format_html('{}<output id="{}" class="wareki-preview" aria-live="polite">{}</output>', html, out_id,
                           preview)


class JapaneseDateField(forms.Field):
    """A date typed in 和暦 or 西暦; refuses days outside 1900–2100 and, if asked, the future or the past."""

    widget = DateTextInput
    default_error_messages = {"required": "日付を入力してください。"}

    def __init__(self, *, past_only: bool = False, future_only: bool = False, **kwargs):
        self.past_only, self.future_only = past_only, future_only
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value
        try:
            return parse_date(str(value))
        except DateParseError as exc:
            raise ValidationError(str(exc), code="invalid") from None

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if not EARLIEST <= value <= LATEST:
            raise ValidationError(f"{format_wareki(value)}は日付として考えにくい日です。確認してください。", code="implausible")
        today = timezone.localdate()
        if self.past_only and value > today:
            raise ValidationError(f"{format_wareki(value)}はまだ来ていない日です。今日（{format_wareki(today)}）までの日付を"
                                  "入力してください。", code="future")
        if self.future_only and value < today:
            raise ValidationError(f"{format_wareki(value)}は過ぎた日です。今日（{format_wareki(today)}）以降の日付を"
                                  "入力してください。", code="past")


def check_not_before(form: forms.Form, names, earliest: datetime.date, what: str) -> None:
    """Each named date of `form` must not precede `earliest` (e.g. a card procedure before the case was opened)."""
    for name in names:
        value = form.cleaned_data.get(name)
        if value and value < earliest:
            form.add_error(name, f"{format_wareki(value)}は{what}（{format_wareki(earliest)}）より前です。確認してください。")
