"""Where the project's assets live: queries/, policies/, notebooks/ and docs/.

In a checkout (the editable install of `make install`) they are the top-level folders of the repository;
in an installed wheel they are package data under gdpr_analytics/_assets/ (pyproject.toml's
force-include puts them there). `package_root` is the installed package itself: the month results'
key hashes every module under it (analysis/store.py).
"""

from __future__ import annotations

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
