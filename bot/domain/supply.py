"""A business's supply chain: subcontractors and home-based worker groups, layer under layer.

Each node names who gives it work (`parent_id`, None for the business itself), so the chain is a
tree of any depth. Removing a node keeps its row (removed_at) and hands its children to its own
parent, so nobody reported ever silently disappears from the tree.
"""

import contextlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.business import business_of
from bot.domain.effects import handles
from bot.domain.errors import Invalid, NotFound
from bot.models import Business, Contact, SupplyNode
from flows.supply import (
    PAYMENT_METHODS,
    AddSupplyNode,
    ConfirmMapping,
    RemoveSupplyNode,
    UpdateSupplyNode,
)
from flows.views import NodeView

MAX_TEXT = 120
MAX_WORKERS = 100_000
_FIELDS = ("name", "place", "process", "workers", "home_workers", "payment_method", "parent_id")


class SupplyError(Invalid):
    """A supply-chain change that cannot be made as asked."""


class SupplyNotFound(NotFound, SupplyError):
    """The business or supply-chain entry named does not exist."""


@dataclass(frozen=True)
class TreeNode:
    id: int
    name: str
    place: str
    process: str
    workers: int
    home_workers: int
    payment_method: str
    layer: int  # 1 works directly for the business, 2 for a layer-1 node, and so on
    children: tuple["TreeNode", ...]


def supply_tree(session: Session, business_id: int) -> list[TreeNode]:
    """The business's reported chain as a tree, first-reported first at every layer."""
    return _tree(_active(session, business_id))


def _tree(nodes: Sequence[SupplyNode]) -> list[TreeNode]:
    """One business's active nodes (by id) as a tree."""
    children: dict[int | None, list[SupplyNode]] = defaultdict(list)
    known = {node.id for node in nodes}
    for node in nodes:
        children[node.parent_id if node.parent_id in known else None].append(node)

    def build(node: SupplyNode, layer: int, seen: frozenset[int]) -> TreeNode:
        below = tuple(
            build(child, layer + 1, seen | {node.id})
            for child in children[node.id]
            if child.id not in seen
        )
        return TreeNode(
            node.id,
            node.name,
            node.place,
            node.process,
            node.workers,
            node.home_workers,
            node.payment_method,
            layer,
            below,
        )

    return [build(node, 1, frozenset()) for node in children[None]]


def node_views(session: Session, business_id: int) -> tuple[NodeView, ...]:
    """The tree flattened depth-first: each node followed by those it gives work to."""
    return _flattened(supply_tree(session, business_id))


def every_node_view(session: Session) -> dict[int, tuple[NodeView, ...]]:
    """node_views of every business that reported a chain, by business id, in one query."""
    nodes: dict[int, list[SupplyNode]] = defaultdict(list)
    for node in session.scalars(
        select(SupplyNode).where(SupplyNode.removed_at.is_(None)).order_by(SupplyNode.id)
    ):
        nodes[node.business_id].append(node)
    return {business_id: _flattened(_tree(found)) for business_id, found in nodes.items()}


def _flattened(tree: Sequence[TreeNode]) -> tuple[NodeView, ...]:

    def walk(nodes: Sequence[TreeNode], parent: int | None) -> Iterator[NodeView]:
        for node in nodes:
            yield NodeView(
                node.id,
                parent,
                node.name,
                node.place,
                node.process,
                node.workers,
                node.home_workers,
                node.payment_method,
                node.layer,
            )
            yield from walk(node.children, node.id)

    return tuple(walk(tree, None))


def add_node(
    session: Session,
    business_id: int,
    now: datetime,
    *,
    name: str,
    place: str,
    process: str,
    workers: int,
    home_workers: int,
    payment_method: str,
    parent_id: int | None = None,
) -> SupplyNode:
    if session.get(Business, business_id) is None:
        raise SupplyNotFound(f"There is no business {business_id}.")
    node = SupplyNode(business_id=business_id, created_at=now)
    _apply(
        session,
        node,
        {
            "name": name,
            "place": place,
            "process": process,
            "workers": workers,
            "home_workers": home_workers,
            "payment_method": payment_method,
            "parent_id": parent_id,
        },
    )
    session.add(node)
    session.flush()
    return node


def update_node(session: Session, node_id: int, changes: dict[str, Any]) -> SupplyNode:
    node = _node(session, node_id)
    _apply(session, node, changes)
    session.flush()
    return node


def remove_node(session: Session, node_id: int, now: datetime) -> SupplyNode:
    node = _node(session, node_id)
    for child in _active(session, node.business_id):
        if child.parent_id == node.id:
            child.parent_id = node.parent_id
    node.removed_at = now
    session.flush()
    return node


def confirm_mapping(session: Session, business_id: int, now: datetime) -> Business:
    business = session.get(Business, business_id)
    if business is None:
        raise SupplyNotFound(f"There is no business {business_id}.")
    business.mapping_confirmed_at = now
    return business


def _active(session: Session, business_id: int) -> list[SupplyNode]:
    return list(
        session.scalars(
            select(SupplyNode)
            .where(SupplyNode.business_id == business_id, SupplyNode.removed_at.is_(None))
            .order_by(SupplyNode.id)
        )
    )


def _node(session: Session, node_id: int) -> SupplyNode:
    node = session.get(SupplyNode, node_id)
    if node is None or node.removed_at is not None:
        raise SupplyNotFound(f"There is no supply-chain entry {node_id}.")
    return node


def _apply(session: Session, node: SupplyNode, changes: dict[str, Any]) -> None:
    """Validate every change first, then set them all: a bad value changes nothing."""
    unknown = set(changes) - set(_FIELDS)
    if unknown:
        raise SupplyError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    valid: dict[str, Any] = {}
    for field in ("name", "place", "process"):
        if field in changes:
            value = " ".join(str(changes[field]).split())
            if not value or len(value) > MAX_TEXT:
                raise SupplyError(f"The {field} must be 1 to {MAX_TEXT} characters.")
            valid[field] = value
    workers = changes.get("workers", node.workers)
    home = changes.get("home_workers", node.home_workers)
    if not (type(workers) is int and 1 <= workers <= MAX_WORKERS):
        raise SupplyError(f"The number of workers must be 1 to {MAX_WORKERS}.")
    if not (type(home) is int and 0 <= home <= workers):
        raise SupplyError("Home-based workers must be between 0 and the number of workers.")
    valid["workers"], valid["home_workers"] = workers, home
    if "payment_method" in changes:
        if changes["payment_method"] not in PAYMENT_METHODS:
            raise SupplyError(f"Payment must be one of: {', '.join(PAYMENT_METHODS)}.")
        valid["payment_method"] = changes["payment_method"]
    if "parent_id" in changes:
        valid["parent_id"] = _valid_parent(session, node, changes["parent_id"])
    for field, value in valid.items():
        setattr(node, field, value)


def _valid_parent(session: Session, node: SupplyNode, parent_id: int | None) -> int | None:
    if parent_id is None:
        return None
    nodes = {each.id: each for each in _active(session, node.business_id)}
    if parent_id not in nodes:
        raise SupplyError("Work can only come from the business or an entry already reported.")
    ancestor: int | None = parent_id
    while ancestor is not None and node.id is not None:
        if ancestor == node.id:
            raise SupplyError("An entry cannot get work from itself or from those it gives work.")
        ancestor = nodes[ancestor].parent_id if ancestor in nodes else None
    return parent_id


@handles(AddSupplyNode)
def _add_effect(session: Session, contact: Contact, effect: AddSupplyNode, now: datetime) -> None:
    business = business_of(session, contact)
    if business is None:
        return
    fields = {
        "name": effect.name,
        "place": effect.place,
        "process": effect.process,
        "workers": effect.workers,
        "home_workers": effect.home_workers,
        "payment_method": effect.payment_method,
    }
    try:
        add_node(session, business.id, now, **fields, parent_id=effect.parent_id)
    except SupplyError:
        # The chosen parent was removed meanwhile (e.g. from the console): keep the answers.
        add_node(session, business.id, now, **fields, parent_id=None)


@handles(UpdateSupplyNode)
def _update_effect(
    session: Session, contact: Contact, effect: UpdateSupplyNode, __: datetime
) -> None:
    if _owned(session, contact, effect.node_id):
        # A parent removed meanwhile (e.g. from the console) leaves the entry unchanged.
        with contextlib.suppress(SupplyError):
            update_node(session, effect.node_id, dict(effect.changes))


@handles(RemoveSupplyNode)
def _remove_effect(
    session: Session, contact: Contact, effect: RemoveSupplyNode, now: datetime
) -> None:
    if _owned(session, contact, effect.node_id):
        remove_node(session, effect.node_id, now)


@handles(ConfirmMapping)
def _confirm_effect(session: Session, contact: Contact, _: ConfirmMapping, now: datetime) -> None:
    business = business_of(session, contact)
    if business is not None:
        confirm_mapping(session, business.id, now)


def _owned(session: Session, contact: Contact, node_id: int) -> bool:
    """Only the leader's own, still reported entries can be changed from their phone."""
    business = business_of(session, contact)
    node = session.get(SupplyNode, node_id)
    return (
        business is not None
        and node is not None
        and node.business_id == business.id
        and node.removed_at is None
    )
