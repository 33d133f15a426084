"""Reads for the console, one module per concept. Every query starts from a `visible_to(user)` queryset; nothing
here writes. Names are re-exported so views keep `from console import selectors; selectors.<name>`."""

from console.selectors.audit_trail import *  # noqa: F403
from console.selectors.audit_trail import _about_persons  # noqa: F401
from console.selectors.dashboard import *  # noqa: F403
from console.selectors.history import *  # noqa: F403
from console.selectors.members import *  # noqa: F403
from console.selectors.search import *  # noqa: F403
