"""Settings an admin changes at run time: an override kept in the site_setting table, else the
environment's value (app.core.config.Settings).

Readers call ``effective(name)``, which needs no session: overrides are kept in a per-process cache,
read again at most every REFRESH_SECONDS (so other instances follow within that time) and updated at
once when this process writes one. Tests clear it with ``clear_cache()``.
"""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, Session, SQLModel

from app.core.config import Settings, get_settings
from app.core.db import get_database

log = logging.getLogger("common_ground")

# The Settings fields an admin may override at run time. Not the safe space's new-member days: an
# admin who could change them at will, and watch whose posts are held, could learn how old the
# account behind a pseudonym is.
EDITABLE = ("registration_mode", "safe_space_release_minutes", "transparency_names_moderators")
REFRESH_SECONDS = 5.0


class SiteSetting(SQLModel, table=True):
    """An admin's override of one Settings field, stored as text and read with that field's type."""

    __tablename__ = "site_setting"
    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(max_length=200)


def _adapter(name: str) -> TypeAdapter:
    """Reads text as the Settings field does, with its bounds (ge, le)."""
    field = Settings.model_fields[name]
    return TypeAdapter(Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation)


_ADAPTERS = {name: _adapter(name) for name in EDITABLE}


def parse(name: str, value: str) -> Any:
    """The value as the Settings field reads it, with that field's checks; ValueError if it does not fit."""
    try:
        return _ADAPTERS[name].validate_python(value)
    except ValidationError as error:
        raise ValueError(f"{name}: {value!r} is not a valid value") from error


@dataclass(frozen=True)
class _Overrides:
    text: dict[str, str]  # as stored
    values: dict[str, Any]  # read with each field's type, once (readers ask for them on every post)

    @classmethod
    def of(cls, text: dict[str, str]) -> "_Overrides":
        values = {}
        for name, value in text.items():
            try:
                values[name] = parse(name, value)
            except (KeyError, ValueError):  # stored by an older version, or by hand: the environment's holds
                log.warning("site setting %s=%r ignored", name, value)
        return cls(text=text, values=values)


# What was read, and when (time.monotonic; None: not yet). Replaced whole, so readers need no lock.
_cache = _Overrides(text={}, values={})
_read_at: float | None = None
_lock = threading.Lock()


def default(name: str) -> Any:
    """The environment's value (or the built-in default): what applies without an override."""
    return getattr(get_settings(), name)


def effective(name: str) -> Any:
    """The value that applies now: the admin's override if there is one, else the environment's."""
    if name not in _ADAPTERS:
        raise KeyError(name)
    values = _current().values
    return values[name] if name in values else default(name)


def overrides() -> dict[str, str]:
    """The stored overrides (key -> text), for the admin's form."""
    return dict(_current().text)


def save(session: Session, name: str, value: str | None) -> None:
    """Store an override (None or "": go back to the environment's value); this process sees it at once."""
    global _cache
    if name not in _ADAPTERS:
        raise KeyError(name)
    if value:
        parse(name, value)
    session.execute(delete(SiteSetting).where(SiteSetting.key == name))
    if value:
        session.add(SiteSetting(key=name, value=value))
    session.flush()
    session.info["site_settings_written"] = True
    text = {key: stored for key, stored in _current().text.items() if key != name} | ({name: value} if value else {})
    with _lock:
        _cache = _Overrides.of(text)


def clear_cache() -> None:
    """Forget the overrides read so far: the next reader reads them again (tests call it between tests)."""
    global _cache, _read_at
    with _lock:
        _cache, _read_at = _Overrides(text={}, values={}), None


def _current() -> _Overrides:
    global _cache, _read_at
    now = time.monotonic()
    if _read_at is not None and now - _read_at < REFRESH_SECONDS:
        return _cache
    with _lock:
        if _read_at is None or now - _read_at >= REFRESH_SECONDS:
            _cache, _read_at = _Overrides.of(_load()), now
        return _cache


def _load() -> dict[str, str]:
    """Every override, read with a session of its own (readers such as the release schedule have none)."""
    try:
        with get_database().session(write=False) as session:
            return {key: value for key, value in session.execute(select(SiteSetting.key, SiteSetting.value))}
    except SQLAlchemyError as error:  # not migrated yet, or the database is away: the environment's values hold
        log.warning("site settings could not be read, using the environment's: %s", type(error).__name__)
        return dict(_cache.text)


@event.listens_for(Session, "after_commit")
def _written(session: Session) -> None:
    session.info.pop("site_settings_written", None)


@event.listens_for(Session, "after_soft_rollback")
def _not_written(session: Session, _previous) -> None:
    if session.info.pop("site_settings_written", None):
        clear_cache()  # what this process took for saved was not: read the table again
