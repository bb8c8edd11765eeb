"""The ASGI app: health, webhooks, console and simulator, sharing one runtime."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from admin import install_console
from bot.runtime import Runtime
from bot.scheduler import build_scheduler, stop_scheduler
from bot.webhooks import router as webhooks


def create_app(runtime: Runtime | None = None, run_scheduler: bool = False) -> FastAPI:
    runtime = runtime or Runtime()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        scheduler = build_scheduler(runtime) if run_scheduler else None
        if scheduler:
            scheduler.start()
        yield
        if scheduler:
            stop_scheduler(scheduler, runtime)
        runtime.close()

    app = FastAPI(title="Ethical Handcraft messaging", lifespan=lifespan)
    app.state.runtime = runtime
    app.include_router(webhooks)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    install_console(app, runtime)
    return app
