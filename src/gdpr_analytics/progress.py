"""Progress bars for long work: shown on a terminal, silent otherwise."""

from __future__ import annotations

from tqdm import tqdm


def progress(*, show: bool | None = None, **kwargs) -> tqdm:
    """A tqdm bar on stderr. show=None: only when stderr is a terminal (tqdm's disable=None);
    True: always; False: never."""
    return tqdm(disable=None if show is None else not show, leave=False, **kwargs)
