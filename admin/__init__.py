"""The staff console, served under /admin by the same app as the webhooks.

Pages read and change the store through the same domain functions as the bot; every change a
staff member makes is written to the audit log in the same transaction.
"""

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from admin import api_docs
from admin.auth import EnrolmentRequired, Forbidden, SignInRequired, current_staff
from admin.guard import ConsoleGuard
from admin.pages import (
    account,
    assessments,
    audit_log,
    brand,
    broadcasts,
    business,
    businesses,
    exports,
    findings,
    items,
    lessons,
    media,
    overview,
    public_seal,
    reports,
    seal,
    session,
    simulator,
    staff,
    standards,
    surveys,
    tickets,
)
from admin.web import page
from bot.keys import secret_key
from bot.runtime import Runtime

PREFIX = "/admin"
_FAVICON = Path(__file__).parent / "static" / "favicon.svg"
SESSION_HOURS = 12


def console_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX)
    for module in (
        session,
        brand,
        overview,
        businesses,
        business,
        seal,
        items,
        media,
        assessments,
        findings,
        reports,
        standards,
        lessons,
        tickets,
        surveys,
        broadcasts,
        simulator,
        exports,
        staff,
        account,
        audit_log,
    ):
        router.include_router(module.router)
    return router


def install_console(app: FastAPI, runtime: Runtime) -> None:
    """Mount the console on `app`: routes, static files, session cookie and error pages.

    Raises bot.keys.KeyUnusable when SECRET_KEY is weak or missing off loopback.
    """
    settings = runtime.settings
    key = secret_key(settings)
    app.state.console_key = key
    app.include_router(console_router())
    app.include_router(public_seal.router)  # the public seal page, outside the console
    if settings.api_docs:
        app.include_router(api_docs.router)
    app.mount(
        f"{PREFIX}/static",
        StaticFiles(directory=Path(__file__).parent / "static"),
        name="console-static",
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=key.decode(),
        session_cookie="console_session",
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=settings.public_base_url.startswith("https://"),
    )
    app.add_middleware(ConsoleGuard, prefix=PREFIX)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(EnrolmentRequired, _enrolment_required)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """The console's small icon (SVG), which browsers ask for at this address."""
        return FileResponse(_FAVICON, media_type="image/svg+xml")


def _message(request: Request, status: int, heading: str, message: str) -> Response:
    staff = current_staff(request)
    back = (f"{PREFIX}/login", "Sign in")
    if staff:
        back = (
            staff.home,
            "Back to your vendors" if staff.can("brand") else "Back to the overview",
        )
    return page(
        request,
        "message.html",
        staff,
        status_code=status,
        heading=heading,
        message=message,
        back=back[0],
        back_label=back[1],
    )


async def _sign_in_required(request: Request, _: Exception) -> Response:
    if request.method in ("GET", "HEAD"):
        return RedirectResponse(f"{PREFIX}/login?next={request.url.path}", status_code=303)
    return _message(request, 401, "Signed out", "Your session has ended. Sign in and try again.")


async def _enrolment_required(request: Request, _: Exception) -> Response:
    if request.method in ("GET", "HEAD"):
        return RedirectResponse(f"{PREFIX}/account/two-factor", status_code=303)
    return _message(
        request, 403, "Two-factor first", "Administrators must turn on two-factor sign-in first."
    )


async def _forbidden(request: Request, error: Exception) -> Response:
    reason = error.reason if isinstance(error, Forbidden) else "Not allowed."
    return _message(request, 403, "Not allowed", reason)


async def _invalid_request(request: Request, error: Exception) -> Response:
    """A malformed console address (say, letters where an id goes) is a missing page."""
    if not request.url.path.startswith(PREFIX):
        assert isinstance(error, RequestValidationError)
        return await request_validation_exception_handler(request, error)
    return _message(request, 404, "Not found", "There is no such page in the console.")


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if not request.url.path.startswith(PREFIX) or "session" not in request.scope:
        return await http_exception_handler(request, error)
    messages = {404: "There is no such page in the console.", 405: "That address takes no form."}
    text = messages.get(error.status_code, str(error.detail))
    return _message(request, error.status_code, "Not available", text)


async def _server_error(request: Request, error: Exception) -> Response:
    """A bug must not show a stack trace; the transaction was rolled back, so nothing changed."""
    if not request.url.path.startswith(PREFIX):
        return PlainTextResponse("Internal Server Error", status_code=500)
    return PlainTextResponse(
        "Something went wrong on our side and nothing was saved. Go back and try again.",
        status_code=500,
    )
