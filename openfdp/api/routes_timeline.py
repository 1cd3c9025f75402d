"""The pathway timeline page: ``/timeline?person=<pseudoId>`` (docs/timeline.md).

A static page (HTML, JS, CSS from ``openfdp/api/static``) that draws one person's
pathways across trusts. It holds no data itself: the browser calls ``POST /graphql`` with
the user's own bearer token (kept in the tab's sessionStorage, or passed in the URL
fragment, which never reaches the server), so every read goes through the same
authentication, access policy and audit as any other GraphQL client.

Only the three named files are served; a strict Content-Security-Policy keeps the page
from loading or sending anything outside this origin.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from openfdp.api.errors import ApiError

STATIC_DIR = Path(__file__).parent / "static"

# asset name -> media type; nothing else under static/ is reachable
ASSETS = {
    "timeline.js": "text/javascript; charset=utf-8",
    "timeline.css": "text/css; charset=utf-8",
}

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["timeline"])


class AssetNotFound(ApiError):
    status_code = 404
    code = "not_found"


def _file(name: str, media_type: str) -> Response:
    path = STATIC_DIR / name
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        raise AssetNotFound(f"{name} is not installed with this package") from None
    return Response(body, media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/timeline", include_in_schema=False)
async def timeline_page() -> Response:
    """The page; it reads ``?person=`` and ``?asOf=`` itself."""
    return _file("timeline.html", "text/html; charset=utf-8")


@router.get("/timeline/{asset}", include_in_schema=False)
async def timeline_asset(asset: str) -> Response:
    media_type = ASSETS.get(asset)
    if media_type is None:
        raise AssetNotFound(f"no timeline asset named {asset!r}")
    return _file(asset, media_type)
