#!/usr/bin/env python3
"""Print CHANGELOG.md's section for a release tag: the GitHub release's notes.

    python .github/scripts/release_notes.py v1.2.3 [--changelog CHANGELOG.md]

The section is everything under ``## [1.2.3] - DATE`` up to the next ``## ``. Exit 1,
saying why, when the section is missing, empty, or still marked ``unreleased`` (the
changelog is dated before the tag is pushed). Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class NoNotes(Exception):
    """The changelog has no usable section for the version."""


def section(changelog: str, version: str) -> str:
    heading = re.compile(rf"^## \[{re.escape(version)}\](?P<rest>.*)$", re.MULTILINE)
    found = heading.search(changelog)
    if found is None:
        raise NoNotes(f"CHANGELOG.md has no '## [{version}]' section")
    if "unreleased" in found.group("rest").lower():
        raise NoNotes(f"CHANGELOG.md's {version} section is still marked unreleased: date it")
    following = re.compile(r"^## ", re.MULTILINE).search(changelog, found.end())
    body = changelog[found.end() : following.start() if following else None].strip()
    if not body:
        raise NoNotes(f"CHANGELOG.md's {version} section is empty")
    return body + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tag", help="the release tag, v + the version")
    parser.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    options = parser.parse_args(argv)
    version = options.tag.removeprefix("refs/tags/").removeprefix("v")
    try:
        notes = section(options.changelog.read_text("utf-8"), version)
    except (NoNotes, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
