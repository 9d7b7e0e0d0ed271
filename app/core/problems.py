"""What is wrong with a submitted form, field by field: the shape every service returns."""

from dataclasses import dataclass, field


@dataclass
class Problems:
    """Field name → message, in form order; empty when the input is acceptable."""

    fields: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.fields)
