"""The ASGI app: health, webhooks, console and simulator, sharing one runtime."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.runtime import Runtime
from bot.scheduler import build_scheduler


def create_app(runtime: Runtime | None = None, run_scheduler: bool = False) -> FastAPI:
    runtime = runtime or Runtime()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        scheduler = build_scheduler(runtime) if run_scheduler else None
        if scheduler:
            scheduler.start()
        yield
        if scheduler:
            scheduler.shutdown(wait=True)
        runtime.close()

    app = FastAPI(title="Ethical Handcraft messaging", lifespan=lifespan)
    app.state.runtime = runtime

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
