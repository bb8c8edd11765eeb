"""Read-only snapshots of a business's records that the engine hands to journey steps.

Steps never see database rows: the engine's lookup turns rows into these plain values.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class NodeView:
    """One reported subcontractor or worker group; layer 1 works directly for the business."""

    id: int
    parent_id: int | None
    name: str
    place: str
    process: str
    workers: int
    home_workers: int
    payment_method: str
    layer: int


@dataclass(frozen=True)
class ItemView:
    """A remediation or corrective-action item as the leader sees it."""

    id: int
    kind: str
    severity: str
    description: str
    due_on: date
    status: str


@dataclass(frozen=True)
class LessonView:
    topic: str
    position: int
    completed: bool
