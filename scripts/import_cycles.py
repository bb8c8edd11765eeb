#!/usr/bin/env python3
"""Fails when the product's modules import each other in a circle.

    .venv/bin/python scripts/import_cycles.py

The import graph of bot, flows, messages and admin (module by module, as grimp reads it, the
same graph import-linter checks its contracts on) must have no cycle: each circle found is
printed as the modules in it, and the exit code is 1.
"""

import sys
from collections.abc import Iterable, Mapping

import grimp

PACKAGES = ("bot", "flows", "messages", "admin")


def import_graph(packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the product modules it imports directly (imports only for typing included)."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    return {
        module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules
    }


def cycles(imports: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (or a module importing itself),
    each sorted, found with Tarjan's algorithm (iteratively, so depth is no limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(imports):
        if root in index:
            continue
        work = [(root, iter(sorted(imports.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(imports.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in imports.get(node, ()):
                    found.append(sorted(group))
    return found


def main() -> int:
    found = cycles(import_graph())
    for group in found:
        print(f"import circle of {len(group)} modules: {', '.join(group)}")
    if not found:
        print(f"No import circle among the modules of {', '.join(PACKAGES)}.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
