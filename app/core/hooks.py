"""Hooks: a lower layer names a moment, higher layers supply what happens then.

Imports run bottom up (core, accounts, safespace, forum, the rest), yet the forum must keep the
search index and notifications right when a post is published. The forum calls a hook; search and
notifications connect to it (app/wiring.py connects every receiver, in one place).
"""

from collections.abc import Callable


class Hook:
    """A named list of functions, called in the order they were connected."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[Callable] = []

    def connect(self, receiver: Callable) -> Callable:
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    @property
    def receivers(self) -> tuple[Callable, ...]:
        return tuple(self._receivers)

    def __call__(self, *args, **kwargs) -> list:
        return [receiver(*args, **kwargs) for receiver in self._receivers]

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._receivers)} receivers)"
