"""Static files: versioned URLs cached for a year; our own stylesheets and scripts served minified."""

import hashlib
import mimetypes
from functools import lru_cache
from pathlib import Path

import rcssmin
import rjsmin
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.responses import Response

CACHE_CONTROL = "public, max-age=31536000, immutable"
# Our files keep their comments and layout in the repository; browsers get them without, for the
# thread page's weight budget.
MINIFIERS = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}


@lru_cache(maxsize=32)
def minified(path: str, modified_ns: int) -> tuple[bytes, str]:
    """The file's minified text and an ETag of it; keyed by modification time, so an edit is read again."""
    body = MINIFIERS[Path(path).suffix](Path(path).read_text(encoding="utf-8")).encode()
    return body, f'"{hashlib.sha256(body).hexdigest()[:20]}"'


class CachedStaticFiles(StaticFiles):
    """Static files; versioned URLs (?v=hash) are cached for a year."""

    def file_response(self, full_path, stat_result, scope, status_code: int = 200) -> Response:
        path = str(full_path)
        if Path(path).suffix not in MINIFIERS or ".min." in path:  # another kind, or minified already (htmx)
            response = super().file_response(full_path, stat_result, scope, status_code)
            response.headers["Cache-Control"] = CACHE_CONTROL
            return response
        body, etag = minified(path, stat_result.st_mtime_ns)
        headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
        if etag in Headers(scope=scope).get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, status_code=status_code, headers=headers, media_type=mimetypes.guess_type(path)[0])
