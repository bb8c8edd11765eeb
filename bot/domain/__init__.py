"""Domain changes shared by the bot and the console; each runs inside the caller's transaction.

Importing the package imports every domain module, so every effect handler (`@handles`) and
every reminder sender (`@sends`) is registered before anything can ask for one.
"""

from bot.domain import (
    actions,
    assessments,
    brands,
    business,
    callbacks,
    seals,
    supply,
    surveys,
    tickets,
    training,
)
from bot.domain.effects import apply_effect, handles

__all__ = [
    "actions",
    "apply_effect",
    "assessments",
    "brands",
    "business",
    "callbacks",
    "handles",
    "seals",
    "supply",
    "surveys",
    "tickets",
    "training",
]
