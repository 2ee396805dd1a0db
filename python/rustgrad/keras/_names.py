"""Name lookup shared by the registries: the error for an unknown name lists the valid ones."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


def unknown_name(kind: str, given: Any, valid: Iterable[str]) -> ValueError:
    """A ValueError for an unknown `kind` name that suggests the closest match and lists all."""
    valid = sorted(set(valid))
    close = difflib.get_close_matches(str(given), valid, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return ValueError(f"Unknown {kind} {given!r}.{hint} Valid names: {', '.join(valid)}")
