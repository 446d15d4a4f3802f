"""The workflow's profiles and the notice each one prints on every output it makes.

* ``quick``: offline stand-in datasets and tiny sibling networks; accuracies are not comparable.
* ``paper``: the paper's datasets, architectures and epochs; nothing faked.
* ``rehearsal``: the paper profile's own DAG at full scale, on fake data written in the real file
  formats (``qsnn data fake``), a few optimizer steps per run. It proves the paper profile runs;
  none of its numbers mean anything, and every output says so.

Figures, tables, the reproduction report and ``paper.tex`` take their profile notice from here, so
one wording is used everywhere.
"""

from __future__ import annotations

PROFILES = ("quick", "paper", "rehearsal")
REHEARSAL_NOTICE = "rehearsal: fake data, not results"
STAND_IN_NOTICE = "stand-in data, not comparable to the paper"


def check_profile(profile: str, flag: str = "--profile") -> str:
    if profile not in PROFILES:
        raise ValueError(f"{flag} {profile!r}: use one of {', '.join(PROFILES)}")
    return profile


def profile_notice(profile: str) -> str:
    """What a reader must know about the numbers of ``profile`` ('' for the paper profile)."""
    if profile == "rehearsal":
        return REHEARSAL_NOTICE
    if profile == "quick":
        return STAND_IN_NOTICE
    return ""


def notice_suffix(profile: str) -> str:
    """`` (notice)`` to append to a caption or title, or '' for the paper profile."""
    notice = profile_notice(profile)
    return f" ({notice})" if notice else ""
