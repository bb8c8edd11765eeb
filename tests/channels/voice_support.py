"""A phone call as Twilio makes it: signed voice webhooks, TwiML answers read as XML."""

import itertools
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from channel_support import PUBLIC
from fakes.twilio import ACCOUNT_SID, sign
from fastapi.testclient import TestClient
from httpx import Response

VOICE_FROM = "+15005550009"
CALL_PATH = "/webhooks/twilio/voice"
STATUS_PATH = "/webhooks/twilio/voice/status"
_sids = itertools.count(1)


def post_call(client: TestClient, path_and_query: str, params: dict[str, str]) -> Response:
    """POST a voice webhook signed for our public address, as Twilio does."""
    headers = {"X-Twilio-Signature": sign(PUBLIC + path_and_query, params)}
    return client.post(path_and_query, data=params, headers=headers)


class Call:
    """One call from `number` ("anonymous" when withheld): each step posts where the last
    TwiML said to, and keeps what the caller heard."""

    def __init__(self, client: TestClient, number: str, *, called_back: bool = False) -> None:
        """`called_back`: the call is one we placed to `number` (Direction outbound-api)."""
        self.client, self.number, self.called_back = client, number, called_back
        self.sid = f"CA{next(_sids):032x}"
        self.heard: list[ET.Element] = []  # every <Say>, in order
        self.twiml = self._post(CALL_PATH, {})

    def fields(self, **extra: str) -> dict[str, str]:
        return {
            "CallSid": self.sid,
            "AccountSid": ACCOUNT_SID,
            "From": VOICE_FROM if self.called_back else self.number,
            "To": self.number if self.called_back else VOICE_FROM,
            "CallStatus": "in-progress",
            "Direction": "outbound-api" if self.called_back else "inbound",
            "ApiVersion": "2010-04-01",
            **extra,
        }

    def _post(self, path: str, extra: dict[str, str]) -> ET.Element:
        response = post_call(self.client, path, self.fields(**extra))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        root = ET.fromstring(response.content)
        assert root.tag == "Response"
        self.heard = list(root.iter("Say"))
        return root

    @property
    def gather(self) -> ET.Element | None:
        return self.twiml.find("Gather")

    @property
    def hung_up(self) -> bool:
        return self.twiml.find("Hangup") is not None

    def words(self) -> str:
        return " | ".join(say.text or "" for say in self.heard)

    def press(self, digits: str) -> ET.Element:
        """Press keys into the current <Gather>; Twilio posts them to its action."""
        gather = self.gather
        assert gather is not None, ET.tostring(self.twiml)
        assert gather.get("input") == "dtmf"
        self.twiml = self._post(_local(gather.get("action", "")), {"Digits": digits})
        return self.twiml

    def stay_silent(self) -> ET.Element:
        """Press nothing: the <Gather> times out and Twilio follows the <Redirect>."""
        redirect = self.twiml.find("Redirect")
        assert redirect is not None
        self.twiml = self._post(_local(redirect.text or ""), {})
        return self.twiml

    def hang_up(self) -> Response:
        """The caller hangs up: Twilio's status callback says the call is completed."""
        fields = self.fields(CallStatus="completed", CallDuration="42")
        return post_call(self.client, STATUS_PATH, fields)


def _local(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC
    return parts.path + ("?" + parts.query if parts.query else "")
