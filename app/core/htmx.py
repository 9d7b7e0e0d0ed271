"""Page-or-fragment rendering: one handler serves plain browsers and htmx."""

from typing import Any
from urllib.parse import quote

from fastapi import Request
from starlette.responses import Response

from app.core.templating import templates


def wants_fragment(request: Request) -> bool:
    """An htmx request that expects a piece of a page, not a boosted navigation or a history restore."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render the whole page, or only ``block`` when htmx asked for a fragment."""
    block_name = block if block and wants_fragment(request) else None
    response = templates.TemplateResponse(
        request, template, context, status_code=status_code, headers=headers, block_name=block_name
    )
    response.headers["Vary"] = "HX-Request, Cookie"
    return response


def location(url: str) -> str:
    """A URL fit for a Location header: non-ASCII and control characters percent-encoded."""
    return quote(url, safe="/?&=#%-._~+:@!$'()*,;")


def redirect(request: Request, url: str) -> Response:
    """After a successful POST: 303 for plain browsers, HX-Location for htmx."""
    url = location(url)
    if wants_fragment(request):
        return Response(status_code=200, headers={"HX-Location": url, "Vary": "HX-Request"})
    return Response(status_code=303, headers={"Location": url})
