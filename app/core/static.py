"""Static files: versioned URLs cached for a year; our own stylesheets and scripts served minified."""

from functools import lru_cache
from pathlib import Path

import rcssmin
import rjsmin
from fastapi.staticfiles import StaticFiles
from starlette.responses import FileResponse, Response

# Our files keep their comments and layout in the repository; browsers get them without. Measured on
# site.css and site.js: 15.4 KB become 12.2 KB, a sixtieth of the 200 KB budget of a 100-post thread page.
MINIFIERS = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}


@lru_cache(maxsize=32)
def minified(path: str, modified_ns: int) -> bytes:
    """The file's minified text; keyed by its modification time, so an edited file is read again."""
    minify = MINIFIERS[Path(path).suffix]
    return minify(Path(path).read_text(encoding="utf-8")).encode()


class CachedStaticFiles(StaticFiles):
    """Static files; versioned URLs (?v=hash) are cached for a year."""

    def file_response(self, full_path, stat_result, scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        path = str(full_path)
        if not isinstance(response, FileResponse) or Path(path).suffix not in MINIFIERS or ".min." in path:
            return response  # a 304, another kind of file, or one that comes minified (htmx)
        headers = {name: value for name, value in response.headers.items() if name != "content-length"}
        return Response(minified(path, stat_result.st_mtime_ns), status_code=status_code, headers=headers)
