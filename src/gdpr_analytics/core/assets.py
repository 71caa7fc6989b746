"""Where the project's data assets live: queries/, policies/, notebooks/.

In a checkout (editable install) they are the top-level folders of the repository; in a wheel they
are packaged under gdpr_analytics/_assets/.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "_assets"
_CHECKOUT = Path(__file__).resolve().parents[2]


def asset_dir(name: str) -> Path:
    for base in (_PACKAGED, _CHECKOUT):
        if (base / name).is_dir():
            return base / name
    raise FileNotFoundError(f"cannot find the {name}/ folder of gdpr-analytics")


def default_policy_path() -> Path:
    return asset_dir("policies") / "mystamp.yml"
