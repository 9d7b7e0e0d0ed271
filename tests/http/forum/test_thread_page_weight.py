"""The 100-post thread page with its stylesheets and scripts: under 200 KB before compression (DESIGN.md).

The thread is the benchmark's first (app.bench.seed: about 400 characters of Markdown a post, nested
replies, reactions), and the heaviest ordinary reader is a signed-in member who may react to and reply
to every post. tests/browser/test_page_weight.py measures a 20-post page as a browser fetches it.
"""

import re

from sqlalchemy import select

from app.accounts.models import Member
from app.bench.seed import seed_bench

BUDGET = 200_000  # bytes, uncompressed


def page_weight(browser, url: str) -> tuple[str, int]:
    page = browser.get(url)
    assert page.status_code == 200
    assets = re.findall(r'<(?:link rel="stylesheet" href|script src)="(/static/[^"]+)"', page.text)
    assert len(assets) == 3  # site.css, htmx, site.js
    return page.text, len(page.content) + sum(len(browser.get(asset).content) for asset in assets)


def test_hundred_post_thread_page_weight(client, client_as, session):
    corpus = seed_bench(session, members=20, threads=1, posts=100)
    member = session.execute(select(Member).where(Member.email == corpus.member_email)).scalar_one()
    signed_in, signed_in_bytes = page_weight(client_as(member), corpus.thread_url)
    signed_out, signed_out_bytes = page_weight(client, corpus.thread_url)
    assert signed_in.count("<article") == signed_out.count("<article") == 100
    assert signed_in.count('form="react"') >= 180 and signed_in.count("Reply<span") == 100
    print(f"\n100-post thread page with CSS and JS: signed in {signed_in_bytes:,} bytes, "
          f"signed out {signed_out_bytes:,}")
    assert signed_in_bytes < BUDGET, signed_in_bytes
    assert signed_out_bytes < signed_in_bytes
    # ASCII posts make an ASCII page: a mark the templates write as a character, not an entity,
    # would make Python hold it at two bytes a character, and encoding it cost 124 us instead of 2.
    assert signed_in.isascii() and signed_out.isascii()
