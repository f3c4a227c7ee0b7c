"""What the `ember export` and `ember bench` commands share: their one-line
errors and their progress bars.

A command fails with `CliError("what was wrong")`; `report` turns any
exception into one line on stderr (with the traceback first under --debug).
Progress bars are tqdm's when tqdm is installed (the `quantizer` extra),
stderr is a terminal and --quiet was not given; otherwise nothing is drawn.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any


class CliError(Exception):
    """A user error the command reports as one line: a missing file, a bad
    flag value, a function that returned the wrong thing."""


def report(command: str, error: BaseException, debug: bool) -> int:
    """Print `error` as one line on stderr (`ember <command>: ...`) and return
    the exit status, 1. A CliError is the whole message; any other exception
    (from torch.export, the user's own code) is named by its type and its
    first line, since torch's messages run to dozens of lines; Ember's own
    errors name what is at fault and need no traceback hint."""
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    from .errors import EmberError

    text = str(error).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if isinstance(error, EmberError):  # Ember's messages name what is at fault
        first = f"{type(error).__name__}: {first}"
    elif not isinstance(error, CliError):
        first = f"{type(error).__name__}: {first}" if first else type(error).__name__
        if not debug:
            first += " (--debug shows the traceback)"
    print(f"ember {command}: {first}", file=sys.stderr)
    return 1


class _NoBar:
    """The part of tqdm's interface the commands use, doing nothing."""

    def update(self, n: float = 1) -> None:
        pass

    def set_description_str(self, desc: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def show_progress(quiet: bool) -> bool:
    """Whether to draw progress bars: not --quiet, and stderr a terminal."""
    try:
        return not quiet and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def progress_bar(enabled: bool, **kwargs: Any) -> Any:
    """A tqdm bar on stderr with tqdm's keyword arguments, or a bar that draws
    nothing when `enabled` is false or tqdm is not installed."""
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(file=sys.stderr, leave=False, **kwargs)
