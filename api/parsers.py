"""The API's request parsers (JSON, form, multipart): every string of the body — values and keys, at any depth —
is checked for control characters before any view sees it (400 `control_characters`, the field's path named).
Tab, LF and CR are allowed (reasons and notes are free text); query strings and path parts are checked by
api.views.common.RefuseControlCharactersInUrl."""

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.parsers import DataAndFiles

from nakama.text import first_forbidden, message_for


def _printable(path: str) -> str:
    """The path as it can be shown back: a refused character in a key is written as \\uXXXX."""
    return "".join(f"\\u{ord(c):04x}" if first_forbidden(c) else c for c in path)


def refuse_control_characters(data, *, multiline: bool = True, path: str = "") -> None:
    """Raise a 400 ApiError at the first string in `data` (dicts, lists, QueryDicts, nested) holding a control
    character; `multiline` allows tab and line breaks in values (never in keys)."""
    if isinstance(data, QueryDict):
        data = dict(data.lists())
    if isinstance(data, str):
        char = first_forbidden(data, multiline=multiline)
        if char is not None:
            from api.errors import ApiError  # here: DRF imports this module while api.errors imports DRF

            raise ApiError(code="control_characters", message="入力に使用できない制御文字が含まれています。",
                           fields={_printable(path) or "non_field_errors": [message_for(char)]})
    elif isinstance(data, dict):
        for key, value in data.items():
            key_path = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                refuse_control_characters(key, multiline=False, path=key_path)
            refuse_control_characters(value, multiline=multiline, path=key_path)
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            refuse_control_characters(value, multiline=multiline, path=f"{path}.{index}" if path else str(index))


class _RefuseControlCharacters:
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        refuse_control_characters(parsed.data if isinstance(parsed, DataAndFiles) else parsed)
        return parsed


class JSONParser(_RefuseControlCharacters, parsers.JSONParser):
    pass


class FormParser(_RefuseControlCharacters, parsers.FormParser):
    pass


class MultiPartParser(_RefuseControlCharacters, parsers.MultiPartParser):
    pass
