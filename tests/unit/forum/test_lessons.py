"""The lesson template: added without losing what was written, parts read back, empty parts dropped."""

from app.forum import lessons

TEMPLATE_HEADINGS = ["## What we tried", "## What happened", "## What we learned", "## What we would do differently"]


def test_the_template_goes_after_what_was_written_and_adds_only_missing_parts():
    typed = "We ran a careers fair on the pier.\r\n\r\n## What happened\r\n\r\n300 came.\r\n"
    body = lessons.with_template(typed)
    assert body.startswith("We ran a careers fair on the pier.\n\n## What happened\n\n300 came.\n")
    assert [line for line in body.split("\n") if line.startswith("## ")] == [
        "## What happened", "## What we tried", "## What we learned", "## What we would do differently"]
    assert lessons.with_template(body) == body  # nothing left to add
    assert [line for line in lessons.with_template("").split("\n") if line] == TEMPLATE_HEADINGS


def test_parts_are_read_from_headings_whatever_their_case_and_punctuation():
    body = ("Intro first.\n\n## what we tried:\n\nA pop-up shop.\n\n### Detail\n\nTwo weeks.\n\n"
            "## What we learned\n\nRent-free months matter.\n\n## Budget\n\nNot a part.\n\n"
            "# What we would do differently\n\nStart sooner.\n")
    assert lessons.parts(body) == {"tried": "A pop-up shop.\n\n### Detail\n\nTwo weeks.", "happened": "",
                                   "learned": "Rent-free months matter.", "differently": "Start sooner."}


def test_a_post_without_lesson_headings_or_with_them_only_in_code_is_no_lesson():
    assert lessons.parts("Just a reply, thanks.") is None
    assert lessons.parts("```\n## What we tried\n\nnothing\n```\n") is None
    assert lessons.parts("## What we tried\n\n") is None  # the headings alone say nothing


def test_empty_parts_are_taken_out_and_other_posts_are_left_exactly_as_written():
    body = lessons.with_template("A summary line.").replace("## What happened\n", "## What happened\n\nIt worked.\n")
    assert lessons.without_empty_parts(body) == "A summary line.\n\n## What happened\n\nIt worked.\n"
    assert lessons.without_empty_parts(lessons.with_template("")) == ""
    assert lessons.without_empty_parts("  indented code stays\n\n") == "  indented code stays\n\n"
    kept = "## What we tried\n\n```\n## What happened\n```\n"  # a heading inside code is text, not a part
    assert lessons.without_empty_parts(kept) == kept
