"""The ASGI app: health, webhooks, console and simulator, sharing one runtime."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from admin import install_console
from bot.report_links import router as report_links
from bot.runtime import Runtime
from bot.scheduler import build_scheduler, stop_scheduler
from bot.settings import proxy_entries
from bot.voice_audio import router as voice_audio
from bot.webhooks import router as webhooks


def create_app(runtime: Runtime | None = None, run_scheduler: bool = False) -> FastAPI:
    """The whole web app on `runtime` (a new one from the environment by default).

    The interactive API docs are off unless API_DOCS is set (then for signed-in admins only).
    The client address is the connecting peer, or the X-Forwarded-For address a peer listed in
    TRUSTED_PROXIES reports; serve it with uvicorn's own proxy handling off (`bot serve` does).
    Raises bot.keys.KeyUnusable when SECRET_KEY is unusable for PUBLIC_BASE_URL.
    """
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

    app = FastAPI(
        title="Ethical Handcraft messaging",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = runtime
    app.include_router(webhooks)
    app.include_router(voice_audio)
    app.include_router(report_links)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    install_console(app, runtime)
    proxies = proxy_entries(runtime.settings.trusted_proxies)
    if proxies:
        # Outermost, so everything after it sees the client's address.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    return app
