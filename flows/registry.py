"""Flows by name, so a stored state can find the code that continues it."""

from flows.core import Flow
from flows.menu import Menu
from flows.onboarding import Onboarding

FLOWS: dict[str, Flow] = {flow.name: flow for flow in (Onboarding(), Menu())}


def flow(name: str) -> Flow:
    return FLOWS[name]
