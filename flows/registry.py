"""Flows by name, so a stored state can find the code that continues it."""

from flows.actions import Actions
from flows.brands import Brands
from flows.call import Call
from flows.core import Flow
from flows.menu import Menu
from flows.onboarding import Onboarding
from flows.supply import Supply
from flows.survey import Survey
from flows.tickets import Tickets
from flows.training import Training

FLOWS: dict[str, Flow] = {
    flow.name: flow
    for flow in (
        Onboarding(),
        Menu(),
        Survey(),
        Supply(),
        Training(),
        Actions(),
        Tickets(),
        Brands(),
        Call(),
    )
}


def flow(name: str) -> Flow:
    return FLOWS[name]
