"""What members type becomes the same query for both engines, built from words alone."""

import pytest

from app.search.engines import Group, PostgresEngine, SqliteEngine, Term
from app.search.service import marked, parse


def test_words_phrases_exclusions_and_alternatives():
    assert parse('Funding "data sharing" -council or skills') == [
        Group((Term(("funding",)), Term(("data", "sharing")), Term(("council",), negated=True))),
        Group((Term(("skills",), prefix=True),)),
    ]


@pytest.mark.parametrize("query", ["", "   ", "-alone", '-"only this"', "or", "*** ---", "or -x or"])
def test_nothing_to_look_for(query):
    assert parse(query) == []


def test_a_group_of_exclusions_alone_is_dropped():
    assert parse("-x or wanted ") == [Group((Term(("wanted",)),))]


@pytest.mark.parametrize("query, prefix", [("retro", True), ("retro ", False), ("re", False), ('"retro"', False),
                                           ("-retro x", False), ("retro,", False)])
def test_only_the_word_being_typed_matches_longer_words(query, prefix):
    groups = parse(query)
    assert groups[0].terms[0].prefix is prefix


def test_syntax_never_passes_through():
    groups = parse('a"b NEAR(c) col:d "e*f" ^g \'h\' & | ! <-> \\')
    words = [word for group in groups for term in group.terms for word in term.words]
    assert all(word.isalnum() for word in words)
    assert SqliteEngine.match(groups).count('"') % 2 == 0
    assert "'" not in "".join(words)


def test_each_engine_writes_the_same_query():
    groups = parse('fund "data sharing" -council or skil')
    assert SqliteEngine.match(groups) == '(("fund" AND "data sharing") NOT "council") OR (("skil"*))'
    assert PostgresEngine.match(groups) == "('fund' & ('data' <-> 'sharing') & !'council') | ('skil':*)"


def test_marks_become_elements_and_the_rest_is_escaped():
    assert marked("<b>a</b> \x02word\x03 & more") == "&lt;b&gt;a&lt;/b&gt; <mark>word</mark> &amp; more"
