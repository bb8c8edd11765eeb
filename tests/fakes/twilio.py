"""Twilio's Messages and Calls APIs as far as the product uses them, and Twilio's way of
signing webhooks."""

import base64
import itertools
import re
import threading
from collections import deque
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from twilio.request_validator import RequestValidator

from fakes.server import Answer, Call, FakeServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f3c1a9e07b5d4c2e8a6b0d9f1e2c3b4a"
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "whatsapp:+14155238886"
TEMPLATE_SID = "HX" + "b" * 32
HOLD = "hold"
_MESSAGES = re.compile(r"/2010-04-01/Accounts/(AC\w+)/Messages\.json")
_MESSAGE = re.compile(r"/2010-04-01/Accounts/(AC\w+)/Messages/(\w+)\.json")
_MEDIA = re.compile(r"/2010-04-01/Accounts/(AC\w+)/Messages/(\w+)/Media/(\w+)")
_CALLS = re.compile(r"/2010-04-01/Accounts/(AC\w+)/Calls\.json")
TWILIO_API = "https://api.twilio.com"
_ERRORS = {
    400: "The 'To' number is not a valid phone number.",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class FakeTwilio(FakeServer):
    """Accepts messages like Twilio does; `plan()` scripts the next answers (an HTTP status,
    a (status, error code) pair, or HOLD: accept it, then keep the answer until `release()`)."""

    def __init__(self) -> None:
        super().__init__()
        self.planned: deque[Any] = deque()
        self.sids = (f"SM{number:032x}" for number in itertools.count(1))
        self.released = threading.Event()
        self.messages: list[dict[str, Any]] = []
        # Bodies emptied on request (a POST to the message with Body=""), by message sid.
        self.redacted: list[str] = []
        # Messages Twilio knows besides those sent through it: inbound ones, by sid.
        self.received: set[str] = set()
        # Files sent to us, by their path under the API: (bytes, content type).
        self.media: dict[str, tuple[bytes, str]] = {}
        # The next answers to media downloads: an HTTP status each (200 serves the file).
        self.media_planned: deque[int] = deque()
        self.media_ids = itertools.count(1)
        # Calls placed through the Calls API (a call-back): the parameters of each, with its sid.
        self.placed: list[dict[str, Any]] = []
        self.call_sids = (f"CA{number:032x}" for number in itertools.count(10**6))

    def plan(self, *answers: Any) -> None:
        self.planned.extend(answers)

    def release(self) -> None:
        self.released.set()

    def bodies(self) -> list[str]:
        return [message.get("Body", "") for message in self.messages]

    def add_media(self, data: bytes, content_type: str) -> str:
        """Keep a file as if someone had sent it; returns its MediaUrl as Twilio posts it."""
        number = next(self.media_ids)
        path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{number:032x}/Media/ME{number:032x}"
        with self.lock:
            self.media[path] = (data, content_type)
        return TWILIO_API + path

    def media_downloads(self) -> list[Call]:
        return [call for call in self.calls if call.method == "GET" and "/Media/" in call.path]

    def _media(self, call: Call) -> Answer:
        """A file download, behind the account's basic authentication like Twilio's."""
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if call.headers.get("authorization") != expected:
            return Answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
        with self.lock:
            status = self.media_planned.popleft() if self.media_planned else 200
            found = self.media.get(call.path)
        if status != 200:
            return Answer(status, {"code": status, "message": "Refused", "status": status})
        if found is None:
            return Answer(404, {"code": 20404, "message": "Not found", "status": 404})
        return Answer(200, found[0], found[1])

    def answer(self, call: Call) -> Answer:
        if call.method == "GET" and _MEDIA.fullmatch(call.path):
            return self._media(call)
        if call.method == "POST" and _CALLS.fullmatch(call.path):
            return self._place(call)
        match = _MESSAGES.fullmatch(call.path) or _MESSAGE.fullmatch(call.path)
        if call.method != "POST" or match is None:
            return Answer(404, {"code": 20404, "message": "Not found", "status": 404})
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if match.group(1) != ACCOUNT_SID or call.headers.get("authorization") != expected:
            return Answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
        with self.lock:
            planned = self.planned.popleft() if self.planned else "ok"
        if match.re is _MESSAGE:
            return self._update(match.group(2), call.params, planned)
        if planned not in ("ok", HOLD):
            status, code = planned if isinstance(planned, tuple) else (planned, planned)
            message = _ERRORS.get(status, "Refused")
            return Answer(status, {"code": code, "message": message, "status": status})
        resource = self._accept(call.params)
        if planned == HOLD:
            self.released.wait(timeout=60)
        return Answer(201, resource)

    def _place(self, call: Call) -> Answer:
        """Twilio's call creation: To, From and the Url that will answer it are required."""
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if call.headers.get("authorization") != expected:
            return Answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
        with self.lock:
            planned = self.planned.popleft() if self.planned else "ok"
        if planned != "ok":
            status, code = planned if isinstance(planned, tuple) else (planned, planned)
            return Answer(status, {"code": code, "message": "Refused", "status": status})
        params = call.params
        if not (params.get("To") and params.get("From") and params.get("Url")):
            message = "A 'To', 'From' and 'Url' are required"
            return Answer(400, {"code": 21205, "message": message, "status": 400})
        with self.lock:
            sid = next(self.call_sids)
            self.placed.append({**params, "sid": sid})
        now = format_datetime(datetime.now(UTC))
        return Answer(
            201,
            {
                "sid": sid,
                "account_sid": ACCOUNT_SID,
                "to": params["To"],
                "from": params["From"],
                "status": "queued",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "date_created": now,
                "date_updated": now,
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json",
            },
        )

    def _update(self, sid: str, params: dict[str, Any], planned: Any) -> Answer:
        """Twilio's message update: Body="" redacts the body of a message it knows."""
        if planned not in ("ok", HOLD):
            status, code = planned if isinstance(planned, tuple) else (planned, planned)
            return Answer(status, {"code": code, "message": "Refused", "status": status})
        with self.lock:
            known = sid in self.received or any(m["sid"] == sid for m in self.messages)
        if not known:
            message = f"The requested resource /Messages/{sid}.json was not found"
            return Answer(404, {"code": 20404, "message": message, "status": 404})
        if params.get("Body") != "" or "Status" in params:
            message = "Message body redaction request does not have empty Body parameter."
            return Answer(400, {"code": 30400, "message": message, "status": 400})
        with self.lock:
            self.redacted.append(sid)
            for message in self.messages:
                if message["sid"] == sid:
                    message["Body"] = ""
        return Answer(200, {**self._resource(sid, {}), "body": "", "status": "delivered"})

    def _accept(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            sid = next(self.sids)
            self.messages.append({**params, "sid": sid})
        return self._resource(sid, params)

    @staticmethod
    def _resource(sid: str, params: dict[str, Any]) -> dict[str, Any]:
        now = format_datetime(datetime.now(UTC))
        return {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": params.get("To"),
            "from": params.get("From"),
            "body": params.get("Body", ""),
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "num_media": "0",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "messaging_service_sid": None,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"
            },
        }


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for this POST to this URL."""
    return RequestValidator(token).compute_signature(url, params)
