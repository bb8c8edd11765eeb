"""The tests' fake Twilio server (tests/fakes/twilio.py) in a process of its own, so the
benchmark's load generator does not share an interpreter with it: each message it receives is
appended to a file as one JSON line (`to`, `body`, and `at`, the arrival time as time.time()
seconds), and it stops when its standard input closes.

    .venv/bin/python -m bench.fake_twilio CALLS.jsonl      (prints its URL, then serves)
"""

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fakes.server import Answer, Call  # noqa: E402
from fakes.twilio import FakeTwilio  # noqa: E402


class Recording(FakeTwilio):
    """The fake, writing down every message it accepts as it accepts it."""

    def __init__(self, log: IO[str]) -> None:
        super().__init__()
        self.log = log

    def answer(self, call: Call) -> Answer:
        answer = super().answer(call)
        if answer.status == 201 and "To" in call.params:
            line = {"to": call.params["To"], "body": call.params.get("Body", ""), "at": call.at}
            with self.lock:
                self.log.write(json.dumps(line) + "\n")
                self.log.flush()
        return answer


class Received:
    """A running fake in another process: its `url`, and the messages it received so far."""

    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        self.path = path

    def messages(self) -> list[dict[str, Any]]:
        """Each message received, in arrival order: {"to", "body", "at"}."""
        lines = self.path.read_text().splitlines() if self.path.exists() else []
        return [json.loads(line) for line in lines if line.endswith("}")]


@contextmanager
def fake_twilio(work: Path) -> Iterator[Received]:
    """The fake in a subprocess for the length of the block, writing to a new file in `work`."""
    path = work / f"calls-{len(list(work.glob('calls-*.jsonl')))}.jsonl"
    command = [sys.executable, "-m", "bench.fake_twilio", str(path)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        yield Received(url, path)
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def main() -> None:
    with open(sys.argv[1], "a", encoding="utf-8") as log, Recording(log) as fake:
        print(fake.url, flush=True)
        sys.stdin.read()  # until the benchmark closes it


if __name__ == "__main__":
    main()
