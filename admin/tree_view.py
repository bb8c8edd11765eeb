"""The supply-chain tree as the console shows it: folded to a chosen layer, with what each
branch holds in total."""

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.supply import TreeNode

# A tree with more groups than this opens folded to its first layer.
OPEN_ALL_UP_TO = 30


@dataclass(frozen=True)
class Branch:
    """A node and everything under it: groups (the node itself included), workers and home
    workers."""

    groups: int
    workers: int
    home_workers: int


def branches(tree: Sequence[TreeNode]) -> dict[int, Branch]:
    """Totals per node id, for every node of the tree."""
    found: dict[int, Branch] = {}

    def total(node: TreeNode) -> Branch:
        below = [total(child) for child in node.children]
        branch = Branch(
            1 + sum(b.groups for b in below),
            node.workers + sum(b.workers for b in below),
            node.home_workers + sum(b.home_workers for b in below),
        )
        found[node.id] = branch
        return branch

    for node in tree:
        total(node)
    return found


def depth(tree: Sequence[TreeNode]) -> int:
    """How many layers deep the tree goes (0 when empty)."""
    return max((1 + depth(node.children) for node in tree), default=0)


def shown_layers(raw: str, tree: Sequence[TreeNode], groups: int) -> int:
    """Down to which layer the tree opens: the `layers` query parameter when it is a whole
    number from 1 to the tree's depth; otherwise every layer for a small tree and the first
    layer only for a big one (more than OPEN_ALL_UP_TO groups)."""
    deepest = depth(tree)
    text = raw.strip()
    if text.isascii() and text.isdigit() and len(text) < 4 and 1 <= int(text) <= deepest:
        return int(text)
    return deepest if groups <= OPEN_ALL_UP_TO else min(1, deepest)
