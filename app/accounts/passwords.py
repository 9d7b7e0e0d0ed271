"""Password rules after NIST SP 800-63B rev. 4: length, no composition rules, no guessable ones."""

from app.core.i18n import _

MIN_LENGTH = 15
MAX_LENGTH = 256
# zxcvbn's cost grows with length, and since 4.5 it refuses more than 72 characters: score the first
# 72, which are enough to spot a guessable password.
_SCORED_PREFIX = 72


def password_problems(password: str, *, email: str = "", handle: str = "", name: str = "") -> list[str]:
    """Why this password is refused (empty when it is acceptable). Checked exactly as typed."""
    if len(password) < MIN_LENGTH:
        return [_("Use a password of at least %(n)s characters.", n=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_("Use a password of at most %(n)s characters.", n=MAX_LENGTH)]
    lowered = password.lower()
    personal = [part for part in (email, email.split("@")[0], handle, name) if len(part) >= 3]
    if any(part.lower() in lowered for part in personal):
        return [_("Choose a password that does not contain your name, handle or email address.")]
    from zxcvbn import (
        zxcvbn,  # its dictionaries are large: load them on first use, not in every worker
    )

    result = zxcvbn(password[:_SCORED_PREFIX], user_inputs=[p.lower() for p in personal])
    if result["score"] < 3:
        return [_("This password is too easy to guess. Try a few unrelated words together.")]
    return []
