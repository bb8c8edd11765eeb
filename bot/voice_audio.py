"""The recordings survey calls play: served publicly, since Twilio fetches them while the call
runs, each at an address made of a random token alone (`bot.domain.survey_audio`), which
nobody can guess and which names no survey."""

import re

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from bot.channels.voice import AUDIO_PATH
from bot.domain.survey_audio import audio_file
from bot.media.store import Missing
from bot.runtime import Runtime

router = APIRouter()
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@router.get(AUDIO_PATH + "{token}", include_in_schema=False)
async def recording(request: Request, token: str) -> Response:
    """The recording with this token (MP3 or WAV, as uploaded), or 404 for any other address."""
    if not _TOKEN.fullmatch(token):
        raise HTTPException(404)
    runtime: Runtime = request.app.state.runtime
    found = await run_in_threadpool(_find, runtime, token)
    if found is None:
        raise HTTPException(404)
    data, content_type = found
    headers = {"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"}
    return Response(data, media_type=content_type, headers=headers)


def _find(runtime: Runtime, token: str) -> tuple[bytes, str] | None:
    with runtime.store.transaction() as session:
        found = audio_file(session, token)
    if found is None:
        return None
    digest, content_type = found
    try:
        return runtime.media.store.get(digest), content_type
    except Missing:
        return None
