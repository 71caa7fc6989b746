"""Where the project's assets live: queries/, policies/, notebooks/ and docs/.

In a checkout (the editable install of `make install`) they are the top-level folders of the repository;
in an installed wheel they are package data under gdpr_analytics/_assets/ (pyproject.toml's
force-include puts them there). `package_root` is the installed package itself: the month results'
key hashes every module under it (analysis/store.py).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
_PACKAGED = _PACKAGE / "_assets"
_CHECKOUT = _PACKAGE.parents[1]


def package_root() -> Path:
    """The gdpr_analytics package folder (every module of the suite is under it)."""
    return _PACKAGE


def asset_dir(name: str) -> Path:
    for base in (_PACKAGED, _CHECKOUT):
        if (base / name).is_dir():
            return base / name
    raise FileNotFoundError(f"cannot find the {name}/ folder of gdpr-analytics (looked in {_PACKAGED} and "
                            f"{_CHECKOUT})")


def default_policy_path() -> Path:
    return asset_dir("policies") / "mystamp.yml"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of every module of the package and every query file: what computed a stored answer (the
    month results' key, the Spark engine's stored checks)."""
    digest = hashlib.sha256()
    for root, suffix in ((package_root(), ".py"), (asset_dir("queries"), ".sql")):
        for path in sorted(p for p in root.rglob(f"*{suffix}") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
