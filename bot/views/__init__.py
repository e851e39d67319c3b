"""Views: pure functions from domain values to Block Kit, one module per surface.

Loading the package installs the wording of service errors (`bot.views.errors`).
"""

from bot.views import errors as _errors  # noqa: F401  (installs the wording on import)
