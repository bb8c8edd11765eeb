"""Evidence files from the media store: thumbnails (any signed-in role), the full file (staff
and admins; every view is written to the audit log), and deleting one (admins; audited).

Files are served with the content type found when they were checked, `nosniff`, a sandboxing
Content-Security-Policy, and as a download (`Content-Disposition: attachment`) unless they are
a photo, audio or video a browser shows without running anything.
"""

import mimetypes
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from admin.audit import record
from admin.auth import runtime_of
from admin.changes import Done, staff_action
from admin.deps import Admin, Id, Viewer, Worker
from bot.domain.errors import NotFound
from bot.domain.media import delete_attachment, owner_business, stored_file
from bot.media.fetching import delete_objects
from bot.media.store import Missing, StoreError

router = APIRouter()
# Shown in the page; anything else (documents, and whatever a setting lets in) is a download.
INLINE = frozenset(
    {"image/jpeg", "image/png", "image/webp", "audio/ogg", "audio/mpeg", "audio/mp4"}
    | {"audio/amr", "audio/x-wav", "video/mp4"}
)
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def file_response(data: bytes, content_type: str, name: str) -> Response:
    """The bytes with safe headers: inline only for the INLINE types, a download otherwise."""
    disposition = "inline" if content_type in INLINE else "attachment"
    extension = mimetypes.guess_extension(content_type) or ".bin"
    headers = {
        **FILE_HEADERS,
        "Content-Disposition": f'{disposition}; filename="{name}{extension}"',
    }
    return Response(data, media_type=content_type or "application/octet-stream", headers=headers)


def read_object(request: Request, digest: str) -> bytes:
    """An object from the media store; 404 when it is gone, 503 when the store is down."""
    try:
        return runtime_of(request).media.store.get(digest)
    except Missing:
        raise HTTPException(404) from None
    except StoreError:
        raise HTTPException(503, "The media store does not answer; try again shortly.") from None


@router.get("/media/{attachment_id}/thumbnail")
def thumbnail(request: Request, attachment_id: Id, staff: Viewer) -> Response:
    """A photo's small JPEG thumbnail."""
    with runtime_of(request).store.transaction() as session:
        try:
            digest = stored_file(session, attachment_id).thumbnail_sha256
        except NotFound:
            raise HTTPException(404) from None
    if digest is None:
        raise HTTPException(404)
    return file_response(read_object(request, digest), "image/jpeg", f"thumbnail-{attachment_id}")


@router.get("/media/{attachment_id}")
def full_file(request: Request, attachment_id: Id, staff: Worker) -> Response:
    """The whole file as kept; the view is recorded in the audit log first."""
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        try:
            row = stored_file(session, attachment_id)
        except NotFound:
            raise HTTPException(404) from None
        digest, content_type, kind = row.sha256 or "", row.content_type, row.kind
        record(
            session, staff, "media.view", f"attachment:{attachment_id}", runtime.clock.now(),
            kind=kind, content_type=content_type,
        )  # fmt: skip
    return file_response(read_object(request, digest), content_type, f"evidence-{attachment_id}")


@router.post("/media/{attachment_id}/delete", response_model=None)
def delete(request: Request, attachment_id: Id, staff: Admin) -> Response:
    """Forget one file: its record stays, marked deleted; its bytes leave the store."""
    unused: list[str] = []

    def forget(session: Session, now: datetime) -> Done:
        business_id = owner_business(session, attachment_id)
        unused.extend(delete_attachment(session, attachment_id, now))
        url = f"/admin/businesses/{business_id}#items" if business_id else "/admin/"
        return Done("media.delete", f"attachment:{attachment_id}", url, "File deleted.")

    response = staff_action(request, staff, forget)
    delete_objects(runtime_of(request).media, unused)
    return response
