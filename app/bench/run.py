"""`forum bench`: the real server under a bounded wrk load on loopback, on SQLite and PostgreSQL.

For each database: a fresh database, the seeded corpus, and Uvicorn with two workers serving the
forum and, beside it, each reference page (app.bench.reference), and in the SQLite run Spirit
(app.bench.spirit). Every read target gets a warm-up, then the read targets take turns in short
timed wrk runs, round after round: this machine's speed drifts by a fifth or more within minutes,
and taking turns lets a drift touch the forum's pages and the reference pages alike, so their ratios
hold (ROUNDS). Posting replies comes last, so that the reads see the corpus as seeded. Results go
to var/bench/latest.json and a printed table.
"""

import gzip
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.bench import spirit
from app.bench.seed import BENCH_PASSWORD, LEARNINGS, MODERATOR_EMAIL, WAITING, BenchCorpus
from app.core.config import ROOT
from app.main import GZIP_LEVEL

RESULTS = ROOT / "var" / "bench"


@dataclass
class Result:
    database: str
    target: str
    url: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    response_bytes: int
    gzip_bytes: int
    queries: int | None
    page_bytes: int  # the document with its stylesheets and scripts, as a first visit fetches them
    ratio_to_ceiling: float = 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _forum(env: dict, *args: str, timeout: int = 600) -> str:
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=timeout)
    return done.stdout


def prepare_database(url: str) -> None:
    """Start from nothing: delete the SQLite file, or recreate the PostgreSQL database."""
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise SystemExit(f"refusing to recreate database {name!r}: use a plain name such as cg_bench")
    admin = create_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def seed(env: dict, posts: int) -> BenchCorpus:
    _forum(env, "migrate")
    out = _forum(env, "seed-bench", "--posts", str(posts), "--threads", str(max(10, posts // 50)),
                 "--members", "200")
    thread = re.search(r"100-post thread: (\S+)", out).group(1)
    found = {name: re.search(rf"^{name}:\s+(\S+)", out, re.M).group(1)
             for name in ("channel page", "search", "common search")}
    return BenchCorpus(thread_url=thread, thread_public_id=thread.split("/")[2].split("-")[0],
                       channel_url=found["channel page"], member_email="bench0@example.org", posts=posts,
                       search_url=found["search"], common_search_url=found["common search"])


def start_server(env: dict, port: int, reference: str | None = None, ready_path: str = "/healthz") -> subprocess.Popen:
    """The forum (`forum serve`), or with ``reference`` one of app.bench.reference's pages, on 2 workers."""
    command = (["-m", "uvicorn", f"app.bench.reference:{reference}_app", "--factory", "--no-access-log"]
               if reference else ["-m", "app.cli", "serve"])
    server = subprocess.Popen(
        [sys.executable, *command, "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not answers(server, f"http://127.0.0.1:{port}{ready_path}"):
        stop(server)
        raise RuntimeError("the server did not start")
    return server


def answers(server: subprocess.Popen, url: str, seconds: float = 30) -> bool:
    """Whether the server answers 200 at ``url`` within ``seconds``, while it keeps running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def sign_in(base: str, email: str = "bench0@example.org") -> tuple[str, str]:
    """Sign a benchmark member in; returns (session cookie, CSRF token)."""
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        page = client.get("/signin").text
        token = re.search(r'name="csrf_token" value="([A-Za-z0-9_-]+)"', page).group(1)
        client.post("/signin", data={"csrf_token": token, "email": email,
                                     "password": BENCH_PASSWORD})
        cookie = client.cookies["cg_session"]
        page = client.get("/settings/profile").text
        token = re.search(r'name="csrf_token" value="([A-Za-z0-9_-]+)"', page).group(1)
    return cookie, token


def _wrk_script(path: Path, *, cookie: str | None, body: str | None) -> Path:
    lines = []
    if cookie:
        lines.append(f'wrk.headers["Cookie"] = "cg_session={cookie}"')
    if body is not None:
        lines += ['wrk.method = "POST"', f'wrk.body = "{body}"',
                  'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"']
    path.write_text("\n".join(lines) + "\n")
    return path


def run_wrk(url: str, script: Path, duration: int, connections: int) -> tuple[float, float, float, int]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s", "-s", str(script), url]
    out = subprocess.run(args, capture_output=True, text=True, timeout=duration + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return rps, _latency(out, "50%"), _latency(out, "99%"), errors


def _latency(out: str, label: str) -> float:
    value, unit = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def measure_response(base: str, path: str, cookie: str | None) -> tuple[int, int, int | None, int]:
    """Bytes of the document, gzipped, the queries it took, and the bytes with its stylesheets and scripts."""
    headers = {"Cookie": f"cg_session={cookie}"} if cookie else {}
    response = httpx.get(base + path, headers={**headers, "Accept-Encoding": "identity"}, timeout=10)
    queries = response.headers.get("x-query-count")
    assets = re.findall(r'<(?:link rel="stylesheet" href|script src)="(/static/[^"]+)"', response.text)
    page = len(response.content) + sum(
        len(httpx.get(base + asset, headers={"Accept-Encoding": "identity"}, timeout=10).content) for asset in assets)
    gzipped = len(gzip.compress(response.content, GZIP_LEVEL))
    return len(response.content), gzipped, int(queries) if queries else None, page


def peak_memory_mb(server: subprocess.Popen) -> float:
    """The largest peak resident size among the server's worker processes."""
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"PPid:\t{server.pid}\n" in text:
            match = re.search(r"VmHWM:\s+(\d+) kB", text)
            if match:
                peaks.append(int(match.group(1)) / 1024)
    return max(peaks, default=0.0)


# Turns per read target, each a share of the target's duration. Two: a 3-second run put the p99 of
# the signed-in thread page at 210-320 ms where 9-second runs on the same server gave 170-190 (the
# first burst of 32 connections weighs more in a short run), and requests/s did not differ.
ROUNDS = 2


@dataclass
class Target:
    name: str
    base: str
    path: str
    cookie: str | None = None
    body: str | None = None  # a form to POST, url-encoded


def bench_database(label: str, url: str, *, duration: int, connections: int, posts: int) -> tuple[list, float]:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48),
           "ANONYMITY_KEY": secrets.token_urlsafe(48), "COUNT_QUERIES": "1", "ENVIRONMENT": "development",
           "EMAIL_URL": "console://",
           "POSTING_LIMIT": "1000000000", "SIGNIN_LIMIT": "1000000000"}
    prepare_database(url)
    corpus = seed(env, posts)
    reference_path = f"/t/{corpus.thread_public_id}"
    servers = {}
    try:
        for reference in (None, "bare", "naive", "lean"):
            port = free_port()
            servers[reference] = (start_server(env, port, reference, ready_path=reference_path if reference
                                               else "/healthz"), f"http://127.0.0.1:{port}")
        spirit_target = _start_spirit(url, corpus, servers) if label == "sqlite" else None
        base = servers[None][1]
        cookie, token = sign_in(base)
        moderator_cookie, _token = sign_in(base, MODERATOR_EMAIL)
        reply_thread = httpx.get(base + "/c/bench-skills").text
        reply_path = re.search(r'href="/t/([a-z2-7]+)-', reply_thread).group(1)
        reads = [
            Target("ceiling (/healthz)", base, "/healthz"),
            Target("home", base, "/"),
            Target("channel page", base, corpus.channel_url),
            Target("thread 100 posts, signed out", base, corpus.thread_url),
            Target("thread 100 posts, signed in", base, corpus.thread_url, cookie),
            Target("search, a place (~1% of posts)", base, corpus.search_url),
            Target("search, a common word", base, corpus.common_search_url),
            # Signed in, search also ranks every matching safe-space post (search.engines.candidates).
            Target("search, a common word, signed in", base, corpus.common_search_url, cookie),
            Target(f"review queue, {WAITING:,} waiting", base, "/mod/queue", moderator_cookie),
            Target("transparency log", base, "/moderation", cookie),
            Target(f"learning library, {LEARNINGS} key learnings", base, "/learning", cookie),
            Target("learning library, a pilot and a theme", base,
                   "/learning?pilot=bench-pilot-england&theme=bench-skills", cookie),
            Target("network pulse", base, "/pulse", cookie),
            *(Target(f"reference: {reference} page", servers[reference][1], reference_path)
              for reference in ("bare", "naive", "lean")),
            *([spirit_target] if spirit_target else []),
        ]
        reply = Target("post a reply", base, f"/t/{reply_path}/reply", cookie,
                       f"csrf_token={token}&body=A+benchmark+reply+with+**some**+Markdown+in+it.")
        results = [*load_in_turns(label, reads, duration, connections), *load_in_turns(label, [reply], duration,
                                                                                       connections)]
        memory = peak_memory_mb(servers[None][0])
    finally:
        for server, _base in servers.values():
            stop(server)
    ceiling = results[0].requests_per_s
    for result in results:
        result.ratio_to_ceiling = round(result.requests_per_s / ceiling, 4) if ceiling else 0.0
    return results, memory


SPIRIT_TARGET = "reference: Spirit 0.14 topic"


def _start_spirit(url: str, corpus: BenchCorpus, servers: dict) -> Target | None:
    """Spirit serving the benchmark thread's 100 posts as a topic (app.bench.spirit), beside the forum.

    Installing Spirit needs PyPI; without it, or if its setup fails, the run goes on without Spirit."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        title, thread_id = connection.execute(text("SELECT title, id FROM thread WHERE public_id = :p"),
                                              {"p": corpus.thread_public_id}).one()
        bodies = list(connection.execute(text("SELECT body_md FROM post WHERE thread_id = :t ORDER BY path"),
                                         {"t": thread_id}).scalars())
    engine.dispose()
    try:
        site = spirit.prepare(RESULTS / "spirit", title, bodies)
        port = free_port()
        server = spirit.start(site, port)
    except Exception as error:  # noqa: BLE001 - whatever failed, the rest of the run is still worth having
        detail = getattr(error, "stderr", None) or ""
        detail = detail if isinstance(detail, str) else detail.decode(errors="replace")
        print(f"  Spirit left out: {error!r} {detail}"[:2000], flush=True)
        return None
    base = f"http://127.0.0.1:{port}"
    if not answers(server, base + site.topic):
        stop(server)
        print("  Spirit left out: gunicorn did not serve the topic", flush=True)
        return None
    servers["spirit"] = (server, base)
    return Target(SPIRIT_TARGET, base, site.topic)


def load_in_turns(label: str, targets: list[Target], duration: int, connections: int) -> list[Result]:
    """A warm-up each, then ROUNDS turns each of a share of ``duration``: the mean requests/s, the
    median of the turns' latency percentiles, all the errors."""
    rounds = max(1, min(ROUNDS, duration))
    turns: dict[str, list] = {target.name: [] for target in targets}
    with tempfile.TemporaryDirectory() as folder:
        scripts = {target.name: _wrk_script(Path(folder) / f"{n}.lua", cookie=target.cookie, body=target.body)
                   for n, target in enumerate(targets)}
        for target in targets:
            run_wrk(target.base + target.path, scripts[target.name], duration=2, connections=connections)
        for _ in range(rounds):
            for target in targets:
                turns[target.name].append(run_wrk(target.base + target.path, scripts[target.name],
                                                  duration=duration // rounds, connections=connections))
    results = []
    for target in targets:
        rates, p50s, p99s, errors = zip(*turns[target.name], strict=True)
        rps, p50, p99 = sum(rates) / len(rates), statistics.median(p50s), statistics.median(p99s)
        size, gz, queries, page = ((0, 0, None, 0) if target.body
                                   else measure_response(target.base, target.path, target.cookie))
        print(f"  {label:10s} {target.name:32s} {rps:8.0f} req/s  p99 {p99:7.1f} ms", flush=True)
        results.append(Result(label, target.name, target.path, round(rps, 1), p50, p99, sum(errors), size, gz,
                              queries, page))
    return results


def thread_page_ratios(results: list[Result]) -> dict[str, float]:
    """The thread page's requests/s over each reference page's, measured in the same run."""
    rates = {result.target: result.requests_per_s for result in results}
    return {
        f"{target.removeprefix('thread 100 posts, ')} ÷ {reference}": round(rates[target] / rates[reference], 2)
        for target in ("thread 100 posts, signed out", "thread 100 posts, signed in")
        for reference in ("reference: lean page", "reference: naive page", SPIRIT_TARGET)
        if rates.get(reference)
    }


def main(*, postgres_url: str | None, duration: int, connections: int, posts: int) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does this)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    databases = [("sqlite", f"sqlite:///{RESULTS / 'bench.db'}")]
    if postgres_url:
        databases.append(("postgresql", postgres_url))
    report = {"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0],
                          "load": f"wrk -t2 -c{connections} -d{duration}s, loopback"},
              "posts": posts, "results": [], "peak_worker_memory_mb": {}, "thread_page_ratios": {}}
    for label, url in databases:
        results, memory = bench_database(label, url, duration=duration, connections=connections, posts=posts)
        report["results"].extend(asdict(r) for r in results)
        report["peak_worker_memory_mb"][label] = round(memory, 1)
        report["thread_page_ratios"][label] = thread_page_ratios(results)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
    return report
