"""The app's routes as tests walk them: FastAPI keeps included routers as nested objects."""

from fastapi.routing import APIRoute


def all_routes(routes, prefix: str = ""):
    """(path, route) for every route, looking inside included routers."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from all_routes(inner.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route
