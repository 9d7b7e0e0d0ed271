"""Imports the modules that answer the lower layers' hooks (app.core.hooks), so that every way in
(the web app, the command line, the tests) keeps the search index, notifications, suspensions and
unread counts right. Each receiver is connected where it is defined, by a decorator or a call."""

import app.forum.posting  # noqa: F401  posts re-sealed with a new anonymity key
import app.forum.service  # noqa: F401  pilot choices for accounts
import app.learning.library  # noqa: F401  a thread's key learnings at its top
import app.learning.service  # noqa: F401  lesson posts' parts and key learnings' search rows follow the posts
import app.moderation.log  # noqa: F401  erased posts leave the log; merged threads' lines follow them
import app.moderation.queue  # noqa: F401  the review count in a moderator's header
import app.moderation.service  # noqa: F401  suspensions refuse posting; erased posts leave sanctions
import app.notifications.service  # noqa: F401  unread counts; notifications when a post is published
import app.search.service  # noqa: F401  the index follows published, changed and removed posts
