"""Control characters are refused at every boundary: the API's parsers (api/parsers.py) and every console and portal
form (RefuseControlCharactersMixin). A NUL breaks PostgreSQL (a 500 on 副本 content), the others hide text from
staff or reorder it on screen (bidi overrides), and none belongs in a name, a reason or a 副本 value."""

import datetime
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

MULTILINE_ALLOWED = frozenset("\t\n\r")  # a text area (理由, 備考) may hold tabs and line breaks
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
SEPARATORS = frozenset("\u2028\u2029")


def first_forbidden(text: str, *, multiline: bool = False) -> str | None:
    """The first character not allowed in `text` (C0/C1 controls, DEL, lone surrogates, bidi controls, line and
    paragraph separators; tab, LF and CR only where `multiline`), or None."""
    for char in text:
        if multiline and char in MULTILINE_ALLOWED:
            continue
        if char in BIDI_CONTROLS or char in SEPARATORS or unicodedata.category(char) in ("Cc", "Cs"):
            return char
    return None


def message_for(char: str) -> str:
    return f"入力できない制御文字（U+{ord(char):04X}）が含まれています。"


@deconstructible
class ControlCharacterValidator:
    code = "control_characters"

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        if isinstance(value, str) and (char := first_forbidden(value, multiline=self.multiline)) is not None:
            raise ValidationError(message_for(char), code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, ControlCharacterValidator) and other.multiline == self.multiline


class RefuseControlCharactersMixin:
    """For every form: each text field refuses control characters; a text area (Textarea) allows tab and line breaks.
    Put it first in the bases: `class SettingForm(RefuseControlCharactersMixin, forms.Form)`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # per-instance copies of the declared fields
            if isinstance(field, forms.CharField):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators.append(ControlCharacterValidator(multiline=multiline))


class TextForm(RefuseControlCharactersMixin, forms.Form):
    """forms.Form with the control-character check: the base of every console and portal form."""


def format_age(value) -> str:
    """A waiting time in Japanese: 「2日3時間」「45分」 (the console's `age` filter and the NWS command's listing)."""
    if not isinstance(value, datetime.timedelta):
        return ""
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 60 * 24)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}日{hours}時間"
    if hours:
        return f"{hours}時間{mins}分"
    return f"{mins}分"
