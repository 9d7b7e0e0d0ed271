"""Settings from the environment, one object for the whole app."""

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]


class RegistrationMode(StrEnum):
    open = "open"
    approval = "approval"
    invitation = "invitation"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    # "development", "test" or "production"; production refuses a missing SECRET_KEY.
    environment: str = "development"
    # SQLAlchemy URL; SQLite is the embedded default, PostgreSQL the production database.
    database_url: str = f"sqlite:///{ROOT / 'var' / 'forum.db'}"
    # Signs cookies and tokens; generated once into var/secret_key when not in production.
    secret_key: str = ""
    # Seals and encrypts safe-space authorship; kept apart from SECRET_KEY (README: "Anonymity keys").
    anonymity_key: str = ""
    # Public address of the site, used in emails and absolute links.
    base_url: str = "http://127.0.0.1:8000"
    # Who may create an account: open, open with admin approval, or by invitation.
    registration_mode: RegistrationMode = RegistrationMode.open
    # Where email goes: file://var/outbox, console://, smtp://user:pass@host:port, smtps://...
    email_url: str = f"file://{ROOT / 'var' / 'outbox'}"
    # Send due digests and notification emails from inside the server (every instance may: each email
    # is claimed before it is sent). Off: run `forum digest run` and `forum notify run` from cron.
    email_scheduler: bool = False
    # How often the scheduler looks (notification emails wait at most this long).
    email_scheduler_seconds: int = Field(default=60, ge=1, le=3600)
    # Sender address for every email.
    email_from: str = "Common Ground <forum@example.org>"
    # Site name shown in the header and emails.
    site_name: str = "Common Ground"
    # Longest thread title accepted, in characters.
    max_title_length: int = 150
    # Longest post body accepted, in characters.
    max_body_length: int = 20_000
    # Posts shown per thread page.
    posts_per_page: int = 100
    # Threads shown per channel page.
    threads_per_page: int = 25
    # Deepest reply nesting drawn on the thread page; deeper replies say what they answer.
    max_nesting_depth: int = 3
    # Seconds a password-reset link stays valid.
    password_reset_max_age: int = 3600
    # Seconds a signed-in session lasts without use.
    session_max_age: int = 60 * 60 * 24 * 30
    # Sets the Secure flag on cookies; on by default in production.
    secure_cookies: bool = False
    # Attempts allowed per window: sign-in (per address and per email), in 15 minutes.
    signin_limit: int = 10
    # Accounts created per address per hour, and password-reset emails per address per hour.
    signup_limit: int = 5
    # Largest request body accepted, in bytes (refused with 413 while it is read, before parsing).
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=64 * 1024)
    # Threads and replies per member in 10 minutes (the safe space counts on its own, sealed key).
    posting_limit: int = 30
    # Threads per worker process for request handlers (2 served the most pages/s on 2 cores).
    threads_per_worker: int = 2
    # Adds an X-Query-Count header to every response (for `forum bench`; leave off in production).
    count_queries: bool = False
    # In the safe space, posts by accounts younger than this many days wait for a moderator.
    safe_space_new_member_days: int = 7
    # Safe-space posts reach other readers in releases this many minutes apart, on the clock; 0: at once.
    safe_space_release_minutes: int = Field(default=60, ge=0, le=24 * 60)
    # Reports of posts a member may make per hour.
    report_limit: int = 10
    # The transparency log (/moderation) names the moderator who acted, instead of "a moderator".
    transparency_names_moderators: bool = False

    @model_validator(mode="after")
    def _secret_key_present(self) -> "Settings":
        for name in ("secret_key", "anonymity_key"):
            value = getattr(self, name)
            if not value:
                if self.environment == "production":
                    raise ValueError(f"{name.upper()} must be set in production")
                setattr(self, name, _local_secret(name))
            elif self.environment == "production" and len(value) < 32:
                raise ValueError(f"{name.upper()} must be at least 32 characters in production")
        if self.environment == "production":
            if not self.base_url.startswith("https://"):
                raise ValueError("BASE_URL must be the site's https:// address in production (links in emails use it)")
            if self.secret_key == self.anonymity_key:
                raise ValueError("ANONYMITY_KEY must differ from SECRET_KEY")
            self.secure_cookies = True
        return self


def _local_secret(name: str) -> str:
    """Read a development key from var/, creating it the first time."""
    path = ROOT / "var" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
