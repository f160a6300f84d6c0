"""Time, injected: the provider never reads the system clock directly.

Tests move a :class:`Clock` forward (or freeze it) to exercise expiry without sleeping.
"""

from __future__ import annotations

import time


class Clock:
    """Wall-clock time plus an offset, optionally frozen.

    ``now()`` returns seconds since the epoch as a float, like :func:`time.time`.
    """

    def __init__(self, *, offset: float = 0.0, frozen_at: float | None = None) -> None:
        self._offset = offset
        self._frozen_at = frozen_at

    def now(self) -> float:
        if self._frozen_at is not None:
            return self._frozen_at + self._offset
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move time forward (or back, with a negative number) by ``seconds``."""
        self._offset += seconds

    def freeze(self, at: float | None = None) -> None:
        """Stop time at ``at`` (epoch seconds), or at the present moment."""
        self._frozen_at = self.now() if at is None else at
        self._offset = 0.0

    def set(self, at: float, *, frozen: bool = False) -> None:
        """Make the clock read ``at`` (epoch seconds): standing still there if ``frozen``,
        else running on from it."""
        if frozen:
            self._frozen_at, self._offset = at, 0.0
        else:
            self._frozen_at, self._offset = None, at - time.time()

    def unfreeze(self) -> None:
        """Let time run again from where it stood."""
        if self._frozen_at is not None:
            self._offset = self._frozen_at + self._offset - time.time()
            self._frozen_at = None

    def reset(self) -> None:
        """Back to real time: no offset, not frozen."""
        self._offset = 0.0
        self._frozen_at = None

    def snapshot(self) -> tuple[float, float | None]:
        """(offset, frozen_at): what :meth:`restore` needs to make another clock read alike."""
        return self._offset, self._frozen_at

    def restore(self, offset: float, frozen_at: float | None) -> None:
        self._offset, self._frozen_at = offset, frozen_at

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None
