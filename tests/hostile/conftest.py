from tests.api.conftest import _fast_hashing, api_alice  # noqa: F401  (the API clients of the shared people)
