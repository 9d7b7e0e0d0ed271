"""Spirit 0.14 (a mature Django forum) beside the forum in `make bench`, as the performance issue
measured it: a topic of 100 comments, served by gunicorn with two workers.

Spirit is installed from PyPI into a virtualenv of its own under var/bench/spirit (kept between runs),
with WhiteNoise so that gunicorn also serves its stylesheets and scripts and their bytes can be
counted. Its site is Spirit's own `spirit startproject`, run with production settings (DEBUG off, the
hashed static files storage) on a SQLite database of its own, seeded with the Markdown of the forum's
100-post benchmark thread, rendered by Spirit's own Markdown. Spirit shows 100 comments a page
(its `comments_per_page`), so the page holds the same posts as ours.
"""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Pinned, Django included, so that the yardstick stays the same from run to run.
PACKAGES = ["django-spirit==0.14.3", "Django==5.2.19", "gunicorn==23.0.0", "whitenoise==6.9.0"]
PROJECT = "spiritbench"

SETTINGS = '''\
from .prod import *  # Spirit's production settings, with what a loopback benchmark needs

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECRET_KEY = os.environ["SECRET_KEY"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["SPIRIT_DATABASE"]}}
CACHES.update({
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "st_rate_limit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                      "LOCATION": "spirit_rl_cache", "TIMEOUT": None},
})
STATIC_ROOT = os.path.join(BASE_DIR, "static")
MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
LOGGING = {"version": 1, "disable_existing_loggers": False}
'''

# Run by Spirit's `manage.py shell`: members, a category, and one topic with the given comments.
SEED = '''\
import json, os
from django.contrib.auth import get_user_model
from spirit.admin.forms import BasicConfigForm
from spirit.category.models import Category
from spirit.comment.models import Comment
from spirit.core.utils.markdown import Markdown
from spirit.topic.models import Topic

data = json.loads(open(os.environ["SPIRIT_SEED"]).read())
User = get_user_model()
users = [User.objects.create_user(username=f"member{n}", email=f"member{n}@example.org", password="x")
         for n in range(20)]
category = Category.objects.create(title="Benchmark", slug="benchmark", description="")
topic = Topic.objects.create(user=users[0], category=category, title=data["title"])
for n, body in enumerate(data["bodies"]):
    Comment.objects.create(user=users[n % len(users)], topic=topic, comment=body,
                           comment_html=Markdown().render(body))
Topic.objects.filter(pk=topic.pk).update(comment_count=len(data["bodies"]))
form = BasicConfigForm()
values = {name: field.initial for name, field in form.fields.items()}
form = BasicConfigForm(data={**values, "comments_per_page": 100})
assert form.is_valid(), form.errors
form.save()
open(os.environ["SPIRIT_TOPIC"], "w").write(topic.get_absolute_url())
'''


@dataclass
class Site:
    venv: Path
    project: Path
    env: dict
    topic: str  # the topic's path


def prepare(folder: Path, title: str, bodies: list[str]) -> Site:
    """Install Spirit if needed, and build a fresh site seeded with one topic of ``bodies``."""
    folder.mkdir(parents=True, exist_ok=True)
    venv, installed = folder / "venv", folder / "venv" / "installed.json"
    if not installed.exists() or json.loads(installed.read_text()) != PACKAGES:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", *PACKAGES],
                       check=True, capture_output=True, timeout=600)
        installed.write_text(json.dumps(PACKAGES))
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
           "DJANGO_SETTINGS_MODULE": f"{PROJECT}.settings.bench", "SECRET_KEY": "loopback-benchmark-only-" * 2,
           "SPIRIT_DATABASE": str(folder / "spirit.sqlite3"), "SPIRIT_SEED": str(folder / "seed.json"),
           "SPIRIT_TOPIC": str(folder / "topic.txt")}
    project = folder / PROJECT
    if not (project / "manage.py").exists():
        shutil.rmtree(project, ignore_errors=True)  # a startproject that failed half-way
        subprocess.run(["spirit", "startproject", PROJECT], cwd=folder, env=env, check=True, capture_output=True)
    (project / PROJECT / "settings" / "bench.py").write_text(SETTINGS)
    Path(env["SPIRIT_DATABASE"]).unlink(missing_ok=True)
    Path(env["SPIRIT_SEED"]).write_text(json.dumps({"title": title, "bodies": bodies}))
    manage = [str(venv / "bin" / "python"), "manage.py"]
    # What `manage.py spiritinstall` does, without its questions (collectstatic asks before overwriting).
    for command in (["migrate", "--noinput"], ["createcachetable"], ["collectstatic", "--noinput", "--clear"],
                    ["shell", "-c", SEED]):
        subprocess.run([*manage, *command], cwd=project, env=env, check=True, capture_output=True, timeout=600)
    return Site(venv, project, env, Path(env["SPIRIT_TOPIC"]).read_text())


def start(site: Site, port: int) -> subprocess.Popen:
    """gunicorn with two (synchronous) workers, as the issue measured Spirit."""
    return subprocess.Popen(
        [str(site.venv / "bin" / "gunicorn"), f"{PROJECT}.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        cwd=site.project, env=site.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
