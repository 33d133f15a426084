import pytest


@pytest.fixture(autouse=True)
def fast_pin_hashing(settings):
    """PINs are hashed with PBKDF2 in the product; the portal tests sign in hundreds of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
