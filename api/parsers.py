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


# --- The OpenAPI schema says what the parsers refuse (drf-spectacular post-processing hook) ---
# Lone surrogates (U+D800–DFFF) are left out of the pattern: validators with Unicode regexes refuse the range, and
# only a JSON \ud800 escape can carry one (it is no UTF-8); the parser still refuses it.
_FORBIDDEN_CLASS = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e" \
                   "\\u2028\\u2029\\u2066-\\u2069"
TEXT_PATTERN = f"^[^{_FORBIDDEN_CLASS}]*$"  # a body's string: tab, LF and CR allowed
# A string that may not be blank: DRF trims whitespace (str.strip) first, so it needs one character that is not.
_SPACES = "\\s\\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000"
FILLED_PATTERN = f"^[^{_FORBIDDEN_CLASS}]*[^{_SPACES}{_FORBIDDEN_CLASS}][^{_FORBIDDEN_CLASS}]*$"
LINE_PATTERN = f"^[^\\t\\n\\r{_FORBIDDEN_CLASS}]*$"  # a query, path or header value
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _constrain_strings(schema, pattern: str, components: dict, seen: set) -> bool:
    """Give every free string (no enum, format or pattern) in `schema` the pattern; True if it nests objects or
    lists of objects (a body a form cannot carry)."""
    if not isinstance(schema, dict):
        return False
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return components.get(name, {}).get("type") in ("object", "array")
        seen.add(name)
        return _constrain_strings(components.get(name, {}), pattern, components, seen)
    if schema.get("type") == "string" and not ({"enum", "format", "pattern"} & set(schema)):
        schema["pattern"] = FILLED_PATTERN if pattern == TEXT_PATTERN and schema.get("minLength", 0) else pattern
    nested = False
    for child in schema.get("properties", {}).values():
        if child.get("type") in ("object", "array") or "$ref" in child:
            nested = True
        nested |= _constrain_strings(child, pattern, components, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            nested |= _constrain_strings(schema[key], pattern, components, seen)
    for key in ("allOf", "oneOf", "anyOf"):
        for child in schema.get(key, []):
            nested |= _constrain_strings(child, pattern, components, seen)
    return nested


def declare_refused_input(result, generator, request, public):
    """Post-processing hook: the schema states what the parsers and api.idempotency refuse, so a request valid by
    the schema is not refused for it (schemathesis' positive_data_acceptance): string values without control
    characters (a pattern), the Idempotency-Key's characters, and JSON only for bodies a form cannot carry."""
    from api.idempotency import HEADER, KEY_PATTERN

    components = result.get("components", {}).get("schemas", {})
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("name") == HEADER:
                    schema.update(pattern=f"^{KEY_PATTERN.pattern}$", minLength=1, maxLength=255)
                elif schema.get("type") == "string" and not ({"enum", "format", "pattern"} & set(schema)):
                    schema["pattern"] = LINE_PATTERN
            content = operation.get("requestBody", {}).get("content", {})
            nested = False
            for media in content.values():
                nested |= _constrain_strings(media.get("schema", {}), TEXT_PATTERN, components, set())
            if nested and "application/json" in content:
                for form in _FORM_TYPES:
                    content.pop(form, None)
    return result
