"""Locale negotiation and gettext in Python code."""

from app.core import i18n


def test_negotiation_falls_back_to_english():
    assert i18n.negotiate_locale(None, None) == "en"
    assert i18n.negotiate_locale(None, "fr-FR,fr;q=0.9") == "en"
    assert i18n.negotiate_locale("xx", "garbage;;,q=") == "en"


def test_gettext_fills_placeholders():
    assert i18n.gettext("Page %(n)s of %(count)s", n=2, count=3) == "Page 2 of 3"
    assert i18n.ngettext("%(num)s reply", "%(num)s replies", 2) == "2 replies"


def test_templates_translate_escape_the_variables_and_format_every_message():
    from app.core.templating import templates

    page = templates.env.from_string('{{ _("<b>%(n)s</b> of 100%%", n="<i>") }}|{{ _("Reply") }}|{{ _("100%%") }}')
    assert page.render() == "<b>&lt;i&gt;</b> of 100%|Reply|100%"
    assert page.render() == "<b>&lt;i&gt;</b> of 100%|Reply|100%"  # the remembered ones alike
