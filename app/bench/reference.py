"""Reference pages for `make bench`, as the performance issue describes them, served from the same
database so the forum's thread page can be compared with them in one run:

- ``bare``: FastAPI returning a tiny HTML string, the ceiling of the stack.
- ``naive``: the 100 posts of a thread as ORM objects, through TemplateResponse, datetimes formatted
  in the template.
- ``lean``: one raw query of only the needed columns, rows straight into a precompiled template,
  on the event loop (no hop to a thread).

Each is an app factory for Uvicorn (``app.bench.reference:lean_app``); the database comes from
DATABASE_URL. None of them checks sessions, CSRF or permissions: they are yardsticks, not pages.
"""

import os

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import DictLoader, Environment
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from app.accounts.models import Member
from app.forum.models import Post, Thread

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head><body>
<h1>{{ title }}</h1>
{% for post in posts %}<article><p>{{ post.author }} · {{ post.created }}</p><div>{{ post.body|safe }}</div></article>
{% endfor %}</body></html>"""


def _engine():
    url = os.environ["DATABASE_URL"]
    args = {"check_same_thread": False} if url.startswith("sqlite") else {}
    return create_engine(url, connect_args=args, pool_size=10, max_overflow=20)


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/t/{public_id}", response_class=HTMLResponse)
    async def page(public_id: str) -> str:
        return "<!doctype html><title>ok</title><p>ok</p>"

    return app


def naive_app() -> FastAPI:
    app = FastAPI()
    engine = _engine()
    source = (PAGE.replace("{{ post.author }}", "{{ post.Member.display_name }}")
              .replace("{{ post.created }}", "{{ post.Post.created_at.strftime('%d %b %Y, %H:%M') }}")
              .replace("{{ post.body|safe }}", "{{ post.Post.body_html|safe }}"))
    templates = Jinja2Templates(env=Environment(loader=DictLoader({"thread.html": source}), autoescape=True))

    @app.get("/t/{public_id}")
    def page(request: Request, public_id: str):
        with Session(engine) as session:
            thread = session.exec(select(Thread).where(Thread.public_id == public_id)).one()
            posts = session.exec(select(Post, Member).join(Member, Member.id == Post.author_id)
                                 .where(Post.thread_id == thread.id).order_by(Post.path).limit(100)).all()
            return templates.TemplateResponse(request, "thread.html", {"title": thread.title, "posts": posts})

    return app


LEAN_QUERY = text(
    "SELECT t.title, m.display_name AS author, p.created_at, p.body_html FROM thread t"
    " JOIN post p ON p.thread_id = t.id LEFT JOIN member m ON m.id = p.author_id"
    " WHERE t.public_id = :public_id ORDER BY p.path LIMIT 100"
)


def lean_app() -> FastAPI:
    app = FastAPI()
    engine = _engine()
    template = Environment(autoescape=True).from_string(
        PAGE.replace("{{ post.created }}", "{{ (post.created_at|string)[:16] }}")
        .replace("{{ post.body|safe }}", "{{ post.body_html|safe }}"))

    @app.get("/t/{public_id}")
    async def page(public_id: str) -> HTMLResponse:
        with engine.connect() as connection:
            rows = connection.execute(LEAN_QUERY, {"public_id": public_id}).all()
        return HTMLResponse(template.render(title=rows[0].title if rows else "", posts=rows))

    return app
