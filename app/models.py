"""Every domain's models, imported once so Alembic sees one metadata."""

from app.accounts.models import (  # noqa: F401
    ChannelModerator,
    Invitation,
    Member,
    Organisation,
    PilotAffiliation,
    UserSession,
)
from app.core.db import metadata  # noqa: F401
from app.core.ratelimit import RateLimitHit  # noqa: F401
from app.core.site_settings import SiteSetting  # noqa: F401
from app.digest.models import DigestDelivery, Subscription, SubscriptionChannel  # noqa: F401
from app.forum.models import (  # noqa: F401
    Channel,
    Post,
    PostRevision,
    Reaction,
    Tag,
    Thread,
    ThreadRedirect,
    ThreadTag,
)
from app.learning.models import KeyLearning, KeyLearningChannel, Lesson  # noqa: F401
from app.moderation.models import ModerationAction, Report, Sanction  # noqa: F401
from app.notifications.models import (  # noqa: F401
    Notification,
    NotificationEmail,
    NotificationSetting,
    SealedNotification,
    Watch,
)
from app.safespace.models import GuidelinesConsent  # noqa: F401
