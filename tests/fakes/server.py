"""A real HTTP/1.1 server on 127.0.0.1 in a thread: the network edge the SDKs talk to."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Call:
    """One request as the provider would have received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    params: dict[str, Any]
    at: float = field(default_factory=time.time)


@dataclass
class Answer:
    status: int
    body: Any
    content_type: str = "application/json"


class FakeServer:
    """Subclasses implement `answer(call)`; every call is kept in `calls`, in arrival order."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # or keep-alive answers stall on delayed ACKs

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                headers = {key.lower(): value for key, value in self.headers.items()}
                call = Call(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query)),
                    headers,
                    decode(raw, headers.get("content-type", "")),
                )
                with owner.lock:
                    owner.calls.append(call)
                answer = owner.answer(call)
                payload = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body)
                data = payload if isinstance(payload, bytes) else payload.encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client is gone (a killed sender): nothing to answer

            def log_message(self, *_: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, call: Call) -> Answer:
        raise NotImplementedError

    def __enter__(self) -> "FakeServer":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def decode(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(raw)
    return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
