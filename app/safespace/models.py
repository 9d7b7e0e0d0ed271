"""What the safe space stores beyond posts: guideline confirmations, keyed so no row names a member."""

from sqlmodel import Field, SQLModel


class GuidelinesConsent(SQLModel, table=True):
    """A member confirmed the safe-space guidelines; the key is a seal, not their id, and there is no time."""

    __tablename__ = "guidelines_consent"
    member_seal: str = Field(primary_key=True, max_length=64)
