"""The API description (/openapi.json) and its viewers (/docs, /redoc), only when API_DOCS is on
and only for a signed-in administrator; anyone else gets the same 404 as for an unknown
address, so the pages do not even reveal that they exist."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from admin.auth import Staff, current_staff, must_enrol

OPENAPI = "/openapi.json"


def admin_or_not_found(request: Request) -> Staff:
    """A dependency: the signed-in admin (two-factor on where required), else 404 Not Found."""
    staff = current_staff(request)
    if staff is None or not staff.can("admin") or must_enrol(request, staff):
        raise HTTPException(status_code=404)
    return staff


Admin = Annotated[Staff, Depends(admin_or_not_found)]
router = APIRouter(include_in_schema=False)


@router.get(OPENAPI)
def openapi(request: Request, _: Admin) -> dict[str, Any]:
    """The app's OpenAPI description, as FastAPI generates it."""
    return request.app.openapi()


@router.get("/docs")
def swagger(request: Request, _: Admin) -> HTMLResponse:
    """Swagger UI over the description."""
    return get_swagger_ui_html(openapi_url=OPENAPI, title=f"{request.app.title} API")


@router.get("/redoc")
def redoc(request: Request, _: Admin) -> HTMLResponse:
    """ReDoc over the description."""
    return get_redoc_html(openapi_url=OPENAPI, title=f"{request.app.title} API")
