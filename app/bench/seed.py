"""A deterministic, fast corpus for benchmarks: bulk inserts of realistic members, threads and posts."""

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select, text
from sqlmodel import Session

from app.accounts.models import Member, Organisation
from app.core.security import hash_password
from app.core.timeutil import utcnow
from app.forum.markdown import plain_text, render_markdown
from app.forum.models import Channel, ChannelKind, Post, Reaction, Thread, Visibility, new_public_id
from app.learning.models import KeyLearning, KeyLearningChannel
from app.moderation.models import ModerationAction, Report
from app.safespace import service as safespace
from app.search import service as search

BENCH_PASSWORD = "benchmark passphrase for loopback only"
_WORDS = [
    "partnership", "council", "university", "evaluation", "procurement", "skills", "bootcamp", "anchor",
    "institution", "data", "sharing", "agreement", "outcomes", "funding", "pilot", "community", "wealth",
    "building", "resilience", "employers", "local", "growth", "inclusive", "leadership", "governance",
    "trust", "budget", "timeline", "learners", "apprenticeships", "transport", "housing", "health",
    "wellbeing", "business", "support", "high", "street", "regeneration", "net", "zero", "retrofit",
    "commissioning", "volunteers", "charity", "board", "metrics", "baseline", "survey", "interviews",
    "cohort", "completion",
]
# Rarer words: half the bodies name a place, so that a search for one matches about 1% of the posts
# where any of _WORDS matches most of them (both are benchmarked).
_PLACES = [
    "Aberhonddu", "Ballycastle", "Carnforth", "Dunmarra", "Eastwick", "Fennmoor", "Glenlivet", "Harrowby",
    "Inverkeld", "Kilbride", "Llanfyllin", "Marlholme", "Newtonmore", "Oakhampton", "Penrhos", "Quarrybank",
    "Rathmore", "Saltcoats", "Tregaron", "Ullapool", "Wexcombe", "Ystradgynlais", "Ashbourne", "Brecon",
    "Coleraine", "Dornoch", "Enniskillen", "Fishguard", "Girvan", "Hexham", "Islay", "Keswick", "Lurgan",
    "Machynlleth", "Nairn", "Omagh", "Portree", "Rhayader", "Strabane", "Thurso",
]
_CHANNELS = (
    ("bench-pilot-england", "Bench pilot England", ChannelKind.pilot),
    ("bench-pilot-wales", "Bench pilot Wales", ChannelKind.pilot),
    ("bench-skills", "Bench good jobs and skills", ChannelKind.theme),
    ("bench-data", "Bench sharing data", ChannelKind.theme),
    ("bench-safe-space", "Bench safe space", ChannelKind.safe_space),
)


@dataclass(frozen=True)
class BenchCorpus:
    thread_url: str  # a thread with exactly 100 posts
    thread_public_id: str
    channel_url: str
    member_email: str
    posts: int
    search_url: str  # a place: about 1% of the posts
    common_search_url: str  # a word in most posts


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(6, 11))
    return " ".join(words).capitalize() + "."


def _body(rng: random.Random, places: random.Random) -> str:
    """About 400 characters of Markdown: paragraphs, sometimes a list, some emphasis, maybe a place."""
    parts = [" ".join(_sentence(rng) for _ in range(rng.randint(2, 3)))]
    if rng.random() < 0.4:
        parts.append("\n".join(f"- {_sentence(rng)}" for _ in range(3)))
    emphasis = rng.choice(_WORDS)
    if places.random() < 0.5:
        emphasis = places.choice(_PLACES)
    parts.append(f"We found the **{emphasis}** work mattered most. " + _sentence(rng))
    return "\n\n".join(parts)


def seed_bench(session: Session, *, members: int, threads: int, posts: int, seed: int = 7) -> BenchCorpus:
    """Bulk-load the corpus. The first thread gets exactly 100 posts; the rest are spread over the others."""
    rng = random.Random(seed)
    places = random.Random(seed + 1)  # its own stream: the rest of the corpus stays as it was without places
    bodies = [(body, render_markdown(body).html) for body in (_body(rng, places) for _ in range(400))]
    body_texts = [plain_text(html) for _body_md, html in bodies]
    now = utcnow()
    organisation = Organisation(name="Bench organisation", kind="other")
    session.add(organisation)
    session.flush()
    password_hash = hash_password(BENCH_PASSWORD)
    session.execute(insert(Member), [
        {"email": f"bench{i}@example.org", "handle": f"bench{i}", "display_name": f"Bench Member {i}",
         "password_hash": password_hash, "role": "member", "status": "active", "bio": "",
         "locale": "", "organisation_id": organisation.id, "created_at": now - timedelta(days=400)}
        for i in range(members)
    ])
    member_ids = list(session.execute(select(Member.id).where(Member.email.like("bench%@example.org"))).scalars())
    channels = []
    for position, (slug, name, kind) in enumerate(_CHANNELS, start=100):
        anonymous = kind == ChannelKind.safe_space
        channel = Channel(slug=slug, name=name, kind=kind, position=position, is_anonymous=anonymous,
                          visibility=Visibility.members if anonymous else Visibility.public,
                          description=f"Benchmark channel: {name}.")
        session.add(channel)
        channels.append(channel)
    session.flush()

    per_thread = [100] + _spread(max(0, posts - 100), max(1, threads - 1), rng)
    thread_rows, post_rows, reaction_rows, search_rows = [], [], [], []
    post_id = (session.execute(select(Post.id).order_by(Post.id.desc()).limit(1)).scalar() or 0) + 1
    thread_id = (session.execute(select(Thread.id).order_by(Thread.id.desc()).limit(1)).scalar() or 0) + 1
    for t, count in enumerate(per_thread):
        channel = channels[0] if t == 0 else channels[t % len(channels)]
        started = now - timedelta(hours=len(per_thread) - t)
        thread_rows.append({
            "id": thread_id, "public_id": new_public_id(), "channel_id": channel.id,
            "title": f"Benchmark thread {t}: " + _sentence(rng)[:80], "slug": f"benchmark-thread-{t}",
            "author_id": None if channel.is_anonymous else rng.choice(member_ids), "is_pinned": False,
            "is_locked": False, "is_pending": False, "post_count": count, "reply_count": count - 1,
            "created_at": started, "last_activity_at": started + timedelta(minutes=count),
        })
        paths: list[tuple[int, str, int]] = []  # (post id, path, depth)
        for n in range(1, count + 1):
            parent = paths[rng.randrange(len(paths))] if paths and rng.random() < 0.3 else None
            segment = f"{n:06d}"
            path = f"{parent[1]}.{segment}" if parent else segment
            depth = parent[2] + 1 if parent else 0
            author = rng.choice(member_ids)
            which = rng.randrange(len(bodies))
            body, body_html = bodies[which]
            row = {"id": post_id, "public_id": new_public_id(), "thread_id": thread_id, "number": n,
                   "parent_id": parent[0] if parent else None, "path": path, "depth": depth,
                   "author_id": author, "seal": None, "sealed_author": None, "pseudonym": None,
                   "body_md": body, "body_html": body_html, "status": "published",
                   "created_at": started + timedelta(minutes=n), "edited_at": None}
            if channel.is_anonymous:
                row |= {"author_id": None, "seal": safespace.seal(author, thread_id),
                        "sealed_author": safespace.seal_author(author), "pseudonym": "A",
                        "created_at": safespace.day_only(started)}
            post_rows.append(row)
            search_rows.append(search.document(post_id, n, thread_rows[-1]["title"], body_texts[which],
                                               sealed=channel.is_anonymous))
            for reactor in rng.sample(member_ids, k=min(len(member_ids), rng.choice((0, 0, 1, 2, 3)))):
                if reactor != author:
                    reaction_rows.append({"post_id": post_id, "member_id": reactor,
                                          "kind": rng.choice(("helpful", "same_here")), "created_at": now})
            paths.append((post_id, path, depth))
            post_id += 1
        thread_id += 1
    for rows, model in ((thread_rows, Thread), (post_rows, Post), (reaction_rows, Reaction)):
        for start in range(0, len(rows), 5000):
            session.execute(insert(model), rows[start:start + 5000])
    for start in range(0, len(search_rows), 5000):
        search.index_documents(session, search_rows[start:start + 5000])
    post_id = _seed_moderation(session, rng, now, post_rows, thread_rows[1:], member_ids, post_id,
                               password_hash=password_hash)
    _seed_learnings(session, rng, now, post_rows, thread_rows, channels, body_texts, bodies)
    if session.get_bind().dialect.name == "postgresql":
        # Ids were given explicitly (replies name their parents): move the sequences past them.
        for table in ("thread", "post"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))"))
    session.flush()
    session.commit()
    # Fresh statistics, as autovacuum would gather on a live database; without them the planner
    # guesses and may scan whole tables.
    session.execute(text("ANALYZE"))
    first = thread_rows[0]
    place = next(place for place in _PLACES if any(f"**{place}**" in body for body, _html in bodies))
    return BenchCorpus(thread_url=f"/t/{first['public_id']}-{first['slug']}", thread_public_id=first["public_id"],
                       channel_url=f"/c/{channels[0].slug}", member_email="bench0@example.org",
                       posts=len(post_rows), search_url=f"/search?q={place}", common_search_url="/search?q=funding")


MODERATOR_EMAIL = "benchmod@example.org"
WAITING = 1000  # items in the review queue: half held replies, half reported posts
LOGGED = 2000  # lines in the moderation log


def _seed_moderation(session: Session, rng: random.Random, now, post_rows: list[dict], threads: list[dict],
                     member_ids: list[int], post_id: int, *, password_hash: str) -> int:
    """A site moderator, a review queue of WAITING items and a log of LOGGED lines, in the named
    channels (not the 100-post thread, whose page is benchmarked as members see it). Returns the next post id."""
    session.execute(insert(Member), [{
        "email": MODERATOR_EMAIL, "handle": "benchmod", "display_name": "Bench Moderator",
        "password_hash": password_hash, "role": "moderator", "status": "active", "bio": "", "locale": "",
        "created_at": now - timedelta(days=400)}])
    moderator_id = session.execute(select(Member.id).where(Member.email == MODERATOR_EMAIL)).scalar_one()
    named = [thread for thread in threads if thread["author_id"] is not None]
    first_thread = post_rows[0]["thread_id"]
    published = [row for row in post_rows if row["author_id"] is not None and row["thread_id"] != first_thread]
    if not named or len(published) < WAITING // 2:
        return post_id  # a corpus too small for a queue (the page-weight test's)
    held = []
    for n in range(WAITING // 2):
        thread = named[n % len(named)]
        held.append({"id": post_id, "public_id": new_public_id(), "thread_id": thread["id"], "number": None,
                     "parent_id": None, "path": f"~{post_id:012d}", "depth": 0, "author_id": rng.choice(member_ids),
                     "body_md": "A held reply.", "body_html": "<p>A held reply.</p>", "status": "pending",
                     "created_at": now - timedelta(minutes=WAITING - n)})
        post_id += 1
    session.execute(insert(Post), held)
    reports = [{"post_id": row["id"], "reporter_id": rng.choice(member_ids), "reason": "spam", "note": "",
                "created_at": now - timedelta(minutes=n)} for n, row in enumerate(rng.sample(published, WAITING // 2))]
    session.execute(insert(Report), reports)
    thread_channels = {thread["id"]: thread["channel_id"] for thread in named}
    session.execute(insert(ModerationAction), [{
        "action": rng.choice(("hide_post", "restore_post", "pin_thread", "lock_thread")), "moderator_id": moderator_id,
        "thread_id": thread["id"], "channel_id": thread_channels[thread["id"]], "reason": _sentence(rng),
        "detail": "", "is_staff_only": n % 10 == 0, "created_at": now - timedelta(minutes=n)}
        for n, thread in ((n, named[n % len(named)]) for n in range(LOGGED))])
    return post_id


LEARNINGS = 300  # key learnings, a tenth of them from the safe space


def _seed_learnings(session: Session, rng: random.Random, now, post_rows: list[dict], thread_rows: list[dict],
                    channels: list[Channel], body_texts: list[str], bodies: list) -> None:
    """Key learnings on posts of the other threads (the 100-post thread's page is compared with
    reference pages that have none), marked over the last year, each about a pilot and a theme."""
    first_thread = thread_rows[0]["id"]
    threads = {row["id"]: row for row in thread_rows}
    anonymous = {channel.id for channel in channels if channel.is_anonymous}
    candidates = [row for row in post_rows if row["thread_id"] != first_thread]
    sealed = [row for row in candidates if threads[row["thread_id"]]["channel_id"] in anonymous and row["number"] == 1]
    named = [row for row in candidates if threads[row["thread_id"]]["channel_id"] not in anonymous]
    if len(named) < LEARNINGS:
        return  # a corpus too small (the page-weight test's)
    chosen = rng.sample(sealed, min(len(sealed), LEARNINGS // 10))
    chosen += rng.sample(named, LEARNINGS - len(chosen))
    pilots = [c.id for c in channels if c.kind == ChannelKind.pilot]
    themes = [c.id for c in channels if c.kind == ChannelKind.theme]
    first_id = (session.execute(select(KeyLearning.id).order_by(KeyLearning.id.desc()).limit(1)).scalar() or 0) + 1
    rows, concerns, documents = [], [], []
    texts = {html: text for (_md, html), text in zip(bodies, body_texts, strict=True)}
    for offset, post in enumerate(chosen):
        marked = now - timedelta(days=rng.randint(0, 360), minutes=rng.randint(0, 1440))
        key_learning_id = first_id + offset
        summary = _sentence(rng) + " " + _sentence(rng)
        rows.append({"id": key_learning_id, "public_id": new_public_id(), "post_id": post["id"], "summary": summary,
                     "others_could_try": _sentence(rng) if rng.random() < 0.5 else "", "marked_at": marked,
                     "updated_at": marked})
        concerns += [{"key_learning_id": key_learning_id, "channel_id": rng.choice(pilots)},
                     {"key_learning_id": key_learning_id, "channel_id": rng.choice(themes)}]
        documents.append({"key_learning_id": key_learning_id, "summary": summary,
                          "body": f"{threads[post['thread_id']]['title']} {texts[post['body_html']]}"})
    session.execute(insert(KeyLearning), rows)
    session.execute(insert(KeyLearningChannel), concerns)
    search.index_learnings(session, documents)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT setval(pg_get_serial_sequence('key_learning', 'id'), "
                             "(SELECT max(id) FROM key_learning))"))


def _spread(total: int, buckets: int, rng: random.Random) -> list[int]:
    """Split ``total`` posts over ``buckets`` threads, at least one each, unevenly like real forums."""
    weights = [rng.paretovariate(1.5) for _ in range(buckets)]
    scale = max(0, total - buckets) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    counts[0] += total - sum(counts)
    return [max(1, c) for c in counts]
