"""Site settings: an override, else the environment's value; the cache follows writes at once and the
table within REFRESH_SECONDS."""

from sqlalchemy import insert

from app.core import site_settings
from app.core.config import get_settings
from app.core.site_settings import SiteSetting


def test_without_an_override_the_environment_applies(monkeypatch):
    monkeypatch.setattr(get_settings(), "safe_space_release_minutes", 11)
    assert site_settings.effective("safe_space_release_minutes") == 11
    assert site_settings.default("safe_space_release_minutes") == 11


def test_an_override_applies_at_once_in_this_process_and_read_with_the_fields_type(session):
    site_settings.save(session, "safe_space_release_minutes", "15")
    site_settings.save(session, "transparency_names_moderators", "true")
    assert site_settings.effective("safe_space_release_minutes") == 15
    assert site_settings.effective("transparency_names_moderators") is True
    assert site_settings.overrides() == {"safe_space_release_minutes": "15", "transparency_names_moderators": "true"}
    site_settings.save(session, "safe_space_release_minutes", None)
    assert site_settings.effective("safe_space_release_minutes") == get_settings().safe_space_release_minutes


def test_values_a_field_refuses_are_not_stored_and_unknown_names_are_errors(session):
    for name, value in (("safe_space_release_minutes", "2000"), ("registration_mode", "closed")):
        try:
            site_settings.save(session, name, value)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{name}={value} was stored")
    assert site_settings.overrides() == {}
    for call in (lambda: site_settings.effective("secret_key"), lambda: site_settings.save(session, "secret_key", "x")):
        try:
            call()
        except KeyError:
            continue
        raise AssertionError("a setting that is not editable was read or written")


def test_the_table_is_read_again_after_refresh_seconds(monkeypatch):
    loads = []
    monkeypatch.setattr(site_settings, "_load", lambda: loads.append(1) or {"safe_space_release_minutes": "3"})
    clock = [100.0]
    monkeypatch.setattr(site_settings.time, "monotonic", lambda: clock[0])
    assert site_settings.effective("safe_space_release_minutes") == 3
    clock[0] += site_settings.REFRESH_SECONDS - 0.1
    site_settings.effective("safe_space_release_minutes")
    assert len(loads) == 1
    clock[0] += 0.2
    site_settings.effective("safe_space_release_minutes")
    assert len(loads) == 2


def test_a_stored_value_the_field_no_longer_accepts_falls_back_to_the_environment(monkeypatch):
    monkeypatch.setattr(site_settings, "_load", lambda: {"safe_space_release_minutes": "not a number"})
    assert site_settings.effective("safe_space_release_minutes") == get_settings().safe_space_release_minutes


def test_an_override_written_elsewhere_is_read_from_the_table(database):
    """Another process's write, committed: this one reads it once its cache is stale."""
    with database.writer.begin() as connection:
        connection.execute(insert(SiteSetting).values(key="registration_mode", value="approval"))
    try:
        site_settings.clear_cache()
        assert site_settings.effective("registration_mode") == "approval"
    finally:
        with database.writer.begin() as connection:
            connection.execute(SiteSetting.__table__.delete())
        site_settings.clear_cache()


def test_a_rolled_back_write_is_forgotten(session):
    site_settings.save(session, "registration_mode", "invitation")
    assert site_settings.effective("registration_mode") == "invitation"
    session.rollback()
    assert site_settings.effective("registration_mode") == "open"
