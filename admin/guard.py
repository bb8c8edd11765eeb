"""Limits and headers for every console response, applied before any route runs."""

from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 256 * 1024
# A photo an assessor adds to a finding (…/photos) may be larger than any typed form; the
# route itself holds it to MEDIA_MAX_BYTES.
MAX_UPLOAD = 32 * 1024 * 1024
UPLOADS = ("/photos", "/audio")  # a finding's photo, a survey question's recording
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class ConsoleGuard:
    """Refuses oversized or unsized posts to the console and adds browser security headers."""

    def __init__(self, app: ASGIApp, prefix: str = "/admin") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            refusal = self._refusal(scope, MAX_UPLOAD if is_upload(scope["path"]) else MAX_BODY)
            if refusal:
                await refusal(scope, receive, send)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _refusal(scope: Scope, limit: int) -> PlainTextResponse | None:
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"").decode("latin-1")
        if not length.isdigit():
            return PlainTextResponse("Send the form from the console page.", status_code=411)
        if int(length) > limit:
            what = "file" if limit == MAX_UPLOAD else "text"
            return PlainTextResponse(
                f"That is too much {what}: this console form takes at most {limit // 1024} KB.",
                status_code=413,
            )
        return None


def is_upload(path: str) -> bool:
    """The few console forms that carry a file (a finding's photo, a question's recording)."""
    return path.endswith(UPLOADS)
