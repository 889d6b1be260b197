"""The one error a config can raise: every problem found, each with its path."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from farebox.config.paths import ConfigPath, format_path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config, at a path in the config's own spelling."""

    path: ConfigPath
    message: str

    def __str__(self) -> str:
        return f"{format_path(self.path)}: {self.message}" if self.path else self.message


class ConfigError(Exception):
    """A config that cannot be used; ``str()`` is the user-facing text, one problem per line.

    ``source`` names the file (or "<string>") when known, so a caller can print
    a header such as "farebox.yaml is not valid:" above the problems.
    """

    def __init__(self, problems: Iterable[str | Problem], *, source: str | None = None) -> None:
        self.problems: list[str] = _unique(str(p) for p in problems)
        self.source = source
        super().__init__("\n".join(self.problems))


def _unique(lines: Iterable[str]) -> list[str]:
    # Two validators can report the same fact; the user needs to read it once.
    return list(dict.fromkeys(lines))
