"""The Telegram Bot API as far as the product uses it: getMe, sendMessage, sendDocument,
answerCallbackQuery, getUpdates, setWebhook, deleteWebhook, getFile and file downloads."""

import itertools
import json
import re
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import unquote

from fakes.server import Answer, Call, FakeServer
from messages.render import pressed

TOKEN = "123456789:AAHx-fake-token_for-tests"
WEBHOOK_SECRET = "s3cret_Token-for-tests"
_METHOD = re.compile(r"/bot([^/]+)/(\w+)")
_FILE = re.compile(r"/file/bot([^/]+)/(.+)")
_ERRORS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
}


class FakeTelegram(FakeServer):
    """`plan()` scripts the next sendMessage answers: an HTTP status, or (429, seconds) for
    flood control asking to retry after that long; `push()` queues updates for getUpdates."""

    def __init__(self) -> None:
        super().__init__()
        self.planned: deque[int | tuple[int, int]] = deque()
        self.updates: list[dict[str, Any]] = []
        self.arrived = threading.Condition(self.lock)
        self.message_ids = itertools.count(1)
        self.sent: list[dict[str, Any]] = []
        # Files people sent, by file id: (file path, bytes); `file_planned` scripts the next
        # getFile answers (an HTTP status each, 200 answers as usual).
        self.files: dict[str, tuple[str, bytes]] = {}
        self.file_planned: deque[int] = deque()
        self.file_numbers = itertools.count(1)

    def plan(self, *statuses: int | tuple[int, int]) -> None:
        self.planned.extend(statuses)

    def push(self, *updates: dict[str, Any]) -> None:
        with self.arrived:
            self.updates.extend(updates)
            self.arrived.notify_all()

    def called(self, method: str) -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.path.endswith("/" + method)]

    def add_file(self, data: bytes, folder: str = "photos", suffix: str = "jpg") -> str:
        """Keep a file as if someone had sent it; returns its file id."""
        number = next(self.file_numbers)
        file_id = f"AgACAgQAAxkBAAI{number:06d}_file-id"
        with self.lock:
            self.files[file_id] = (f"{folder}/file_{number}.{suffix}", data)
        return file_id

    def _get_file(self, params: dict[str, Any]) -> Answer:
        with self.lock:
            status = self.file_planned.popleft() if self.file_planned else 200
            found = self.files.get(str(params.get("file_id")))
        if status != 200:
            return _error(status, _ERRORS.get(status, "Error"))
        if found is None:
            return _error(400, "Bad Request: invalid file_id")
        path, data = found
        file_id = str(params["file_id"])
        return _ok(
            {
                "file_id": file_id,
                "file_unique_id": file_id[-8:],
                "file_size": len(data),
                "file_path": path,
            }
        )

    def _download(self, token: str, path: str) -> Answer:
        if token != TOKEN:
            return _error(401, "Unauthorized")
        with self.lock:
            for stored_path, data in self.files.values():
                if stored_path == path:
                    return Answer(200, data, "application/octet-stream")
        return _error(404, "Not Found")

    def answer(self, call: Call) -> Answer:
        download = _FILE.fullmatch(call.path)
        if download is not None:
            return self._download(unquote(download.group(1)), unquote(download.group(2)))
        match = _METHOD.fullmatch(call.path)
        if match is None:
            return _error(404, "Not Found")
        if match.group(1) != TOKEN:
            return _error(401, "Unauthorized")
        method, params = match.group(2), call.params
        if method == "getMe":
            return _ok({"id": 123456789, "is_bot": True, "first_name": "Handcraft"})
        if method in ("setWebhook", "deleteWebhook", "answerCallbackQuery"):
            return _ok(True)
        if method == "getUpdates":
            return _ok(self._updates(params))
        if method in ("sendMessage", "sendDocument"):
            return self._send(params)
        if method == "getFile":
            return self._get_file(params)
        return _error(404, "Not Found: method not found")

    def _send(self, params: dict[str, Any]) -> Answer:
        with self.lock:
            status = self.planned.popleft() if self.planned else 200
        if status == 429 or isinstance(status, tuple):
            wait = status[1] if isinstance(status, tuple) else 1
            return Answer(
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {wait}",
                    "parameters": {"retry_after": wait},
                },
            )
        if status != 200:
            return _error(status, _ERRORS.get(status, "Error"))
        markup = params.get("reply_markup")
        message = {
            "chat_id": int(params["chat_id"]),
            # A document's text is its caption; the document is the address Telegram fetches.
            "text": params["text"] if "text" in params else params.get("caption", ""),
            "reply_markup": json.loads(markup) if isinstance(markup, str) else markup,
        }
        if "document" in params:
            message["document"] = params["document"]
        with self.lock:
            message_id = next(self.message_ids)
            self.sent.append(message)
        return _ok(
            {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": message["chat_id"], "type": "private"},
                "text": message["text"],
            }
        )

    def _updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 0.5)
        with self.arrived:
            self.updates = [update for update in self.updates if update["update_id"] >= offset]
            if not self.updates and wait:
                self.arrived.wait(wait)
            return list(self.updates)


def _ok(result: Any) -> Answer:
    return Answer(200, {"ok": True, "result": result})


def _error(status: int, description: str) -> Answer:
    return Answer(status, {"ok": False, "error_code": status, "description": description})


def text_update(
    update_id: int, chat_id: int, text: str, message_id: int | None = None
) -> dict[str, Any]:
    """A private-chat message as Telegram posts it (its message id the update's unless given)."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id if message_id is None else message_id,
            "date": 1767603600,
            "chat": {"id": chat_id, "type": "private", "first_name": "Asha"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Asha"},
            "text": text,
        },
    }


def button_update(update_id: int, chat_id: int, data: str) -> dict[str, Any]:
    """A press on one of our inline buttons."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cbq-{update_id}",
            "chat_instance": "42",
            "from": {"id": chat_id, "is_bot": False, "first_name": "Asha"},
            "data": data,
            "message": {
                "message_id": 7,
                "date": 1767603600,
                "chat": {"id": chat_id, "type": "private", "first_name": "Asha"},
                "text": "Choose your language:",
            },
        },
    }


def photo_update(update_id: int, chat_id: int, file_id: str, caption: str = "") -> dict[str, Any]:
    """A private-chat photo as Telegram posts it (one size, for short)."""
    update = text_update(update_id, chat_id, "")
    message = update["message"]
    del message["text"]
    message["photo"] = [
        {"file_id": file_id, "file_unique_id": "u" + file_id[-6:], "width": 64, "height": 48}
    ]
    if caption:
        message["caption"] = caption
    return update


def voice_update(update_id: int, chat_id: int, file_id: str) -> dict[str, Any]:
    """A private-chat voice note as Telegram posts it."""
    update = text_update(update_id, chat_id, "")
    message = update["message"]
    del message["text"]
    message["voice"] = {
        "file_id": file_id,
        "file_unique_id": "v" + file_id[-6:],
        "duration": 2,
        "mime_type": "audio/ogg",
    }
    return update


def options(buttons: Any) -> list[list[str]]:
    """Buttons as a person sees them: each label with the option's number it sends, checking
    that each also names the question it was sent with."""
    shown = []
    for label, data in buttons:
        value, question = pressed(data)
        assert question, f"button {label!r} does not name its question: {data!r}"
        shown.append([label, value])
    return shown
