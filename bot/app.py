"""The ASGI app: health, webhooks, console and simulator, sharing one store and one clock."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.clock import Clock, SystemClock
from bot.db import Store
from bot.engine import Engine
from bot.settings import Settings, get_settings


class Runtime:
    """What every route needs, built once per app instead of living in module globals."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.store = Store(settings.database_url)
        self.engine = Engine(self.store, clock)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    runtime = Runtime(settings or get_settings(), clock or SystemClock())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        runtime.store.dispose()

    app = FastAPI(title="Ethical Handcraft messaging", lifespan=lifespan)
    app.state.runtime = runtime

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
