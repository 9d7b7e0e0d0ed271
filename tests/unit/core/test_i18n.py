"""Locale negotiation and gettext in Python code."""

from app.core import i18n


def test_negotiation_falls_back_to_english():
    assert i18n.negotiate_locale(None, None) == "en"
    assert i18n.negotiate_locale(None, "fr-FR,fr;q=0.9") == "en"
    assert i18n.negotiate_locale("xx", "garbage;;,q=") == "en"


def test_gettext_fills_placeholders():
    assert i18n.gettext("Page %(n)s of %(count)s", n=2, count=3) == "Page 2 of 3"
    assert i18n.ngettext("%(num)s reply", "%(num)s replies", 2) == "2 replies"
