"""Key learnings (a thread or post a moderator marked, with a summary) and the stored parts of lesson posts."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.timeutil import utcnow
from app.forum.models import new_public_id

MAX_SUMMARY = 400
MAX_OTHERS_COULD_TRY = 600


class KeyLearning(SQLModel, table=True):
    """A thread or a post marked as a key learning. A thread's mark is the mark of its opening post
    (post 1): it follows that post wherever merging and splitting take it (about the thread while the
    post opens one, about the post once it is a reply), and goes when the post is erased."""

    __tablename__ = "key_learning"
    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=new_public_id, max_length=12, unique=True)  # in URLs and feed ids
    post_id: int = Field(foreign_key="post.id", unique=True, ondelete="CASCADE")
    summary: str = Field(max_length=MAX_SUMMARY)  # plain text
    others_could_try: str = Field(default="", max_length=MAX_OTHERS_COULD_TRY)  # plain text, optional
    marked_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class KeyLearningChannel(SQLModel, table=True):
    """A pilot or theme a key learning concerns (channels of those kinds)."""

    __tablename__ = "key_learning_channel"
    key_learning_id: int = Field(foreign_key="key_learning.id", primary_key=True, ondelete="CASCADE")
    channel_id: int = Field(foreign_key="channel.id", primary_key=True, index=True, ondelete="CASCADE")


class Lesson(SQLModel, table=True):
    """The four parts of a released lesson post (app.forum.lessons), as Markdown, kept as its words change."""

    post_id: int = Field(foreign_key="post.id", primary_key=True, ondelete="CASCADE")
    tried: str = ""
    happened: str = ""
    learned: str = ""
    differently: str = ""
