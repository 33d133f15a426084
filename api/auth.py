"""knox token authentication in one statement a request.

knox reads the token with its user, then (in `_cleanup_token`) every other token of that user to delete expired
ones: a second statement on every request. Here the token row comes with its user and the user's institution and
department (which every API view reads) and its provenance in one statement, and only the token at hand is checked
for expiry (an expired one is deleted and refused, as knox does). Another expired token of the user is refused and
deleted when it is used; none can authenticate. The digest check is knox's own. A 責任者's or 監査者's token that he
did not make himself (signin.tokens) is refused: 401 token_not_own.
"""

import binascii
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from nakama.compiled import CompiledQuery
from signin.policy import needs_second_factor
from signin.tokens import NOT_OWN_FOR_ELEVATED, is_own_token

# The token with its user, institution, department and provenance (signin.tokens): compiled once (compiling the
# joins cost more CPU than running them, on every API request).
_TOKENS = CompiledQuery(
    lambda key: get_token_model().objects.filter(token_key=key).select_related(
        "user__institution", "user__department__institution", "provenance"
    ),
    prepare_as="nakama_api_token",
    key=str,
)


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate_credentials(self, token):
        msg = _("Invalid token.")
        # knox makes hex tokens: other bytes (not UTF-8, NUL, which PostgreSQL refuses in a query) are a wrong
        # token, refused before any lookup, never a 500.
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(msg) from None
        if not token.isalnum():
            raise exceptions.AuthenticationFailed(msg)
        for auth_token in _TOKENS.objects(key=token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(msg) from None
            if compare_digest(digest, auth_token.digest):
                if needs_second_factor(auth_token.user) and not is_own_token(auth_token):
                    # A 責任者's or 監査者's token that he did not make himself stands for nobody (issue 18 ③).
                    raise exceptions.AuthenticationFailed(NOT_OWN_FOR_ELEVATED, code="token_not_own")
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)

    def _cleanup_token(self, auth_token) -> bool:
        """True (and the token deleted) if this token has expired. Does not read the user's other tokens."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of knox, for this subclass (drf-spectacular matches the exact class)."""

    target_class = "api.auth.TokenAuthentication"
