"""Password hashing, random tokens, signed values and CSRF tokens."""

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): strong, and light enough
# that several sign-ins at once don't push a 2-core server's workers into swap.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A real hash to verify against when no account matches, so timing doesn't reveal which emails exist."""
    return _hasher.hash("no account has this password, it only spends time")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, spend the same time and fail."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """A random URL-safe token for sessions, invitations and the like."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What we store instead of a token, so a database leak yields no live tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


def serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    """A signer for one purpose; values signed for one purpose fail for another."""
    return URLSafeTimedSerializer(secret_key, salt=f"common-ground:{purpose}")


def unsign(signer: URLSafeTimedSerializer, value: str, max_age: int | None = None):
    """The signed value, or None if the signature is bad or too old."""
    try:
        return signer.loads(value, max_age=max_age)
    except (BadSignature, UnicodeDecodeError, ValueError):
        return None


def csrf_token(secret_key: str, browser_key: str) -> str:
    """The CSRF token for one browser session: an HMAC of its session key, 128 bits in URL-safe base64.

    Every form on a page carries it, and htmx sends it in a header with each request, so it is kept short.
    """
    digest = hmac.new(secret_key.encode(), b"csrf:" + browser_key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def csrf_valid(secret_key: str, browser_key: str, supplied: str | None) -> bool:
    # compare_digest refuses non-ASCII str (a TypeError, so a 500): such a token is simply wrong.
    return bool(supplied) and supplied.isascii() and hmac.compare_digest(csrf_token(secret_key, browser_key),
                                                                         supplied)
