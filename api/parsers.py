"""The API's request parsers (JSON, form, multipart): every string of the body — values and keys, at any depth —
is checked for control characters before any view sees it (400 `control_characters`, the field's path named).
Tab, LF and CR are allowed (reasons and notes are free text); query strings and path parts are checked by
api.views.common.RefuseControlCharactersInUrl."""

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.parsers import DataAndFiles

from nakama.text import first_forbidden, message_for

# How deep a body may nest (objects and lists). The deepest body the API takes is a replica's content (a few levels);
# past this a body is refused before anything walks it, instead of a RecursionError (a 500) at ~1,000 levels.
MAX_DEPTH = 32


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


def refuse_deep_nesting(data) -> None:
    """Raise a 400 ApiError when dicts and lists nest deeper than MAX_DEPTH. Iterative: any depth is safe here."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list, tuple)):
            if depth > MAX_DEPTH:
                from api.errors import ApiError

                raise ApiError(code="nesting_too_deep", message=f"本文の入れ子が深すぎます（上限 {MAX_DEPTH} 段）。")
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)


class _RefuseControlCharacters:
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        data = parsed.data if isinstance(parsed, DataAndFiles) else parsed
        refuse_deep_nesting(data)
        refuse_control_characters(data)
        return parsed


class JSONParser(_RefuseControlCharacters, parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json's decoder gives up near the interpreter's recursion limit (~1,000 levels): the same 400.
            from api.errors import ApiError

            raise ApiError(code="nesting_too_deep",
                           message=f"本文の入れ子が深すぎます（上限 {MAX_DEPTH} 段）。") from None


class FormParser(_RefuseControlCharacters, parsers.FormParser):
    pass


class MultiPartParser(_RefuseControlCharacters, parsers.MultiPartParser):
    pass
