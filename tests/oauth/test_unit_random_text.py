"""token_formats.random_text: the random part of opaque tokens (fast path, same contract)."""

from __future__ import annotations

from collections import Counter

import pytest

from mockidp.model.token_formats import _ALPHABETS, random_text


@pytest.mark.parametrize("kind", sorted(_ALPHABETS))
def test_random_text_has_the_length_and_only_the_alphabets_characters(kind: str) -> None:
    alphabet = _ALPHABETS[kind]
    for length in (8, 43, 4096):
        text = random_text(alphabet, length)
        assert len(text) == length
        assert set(text) <= set(alphabet)


def test_random_text_uses_every_character_about_equally() -> None:
    # 62 characters do not divide 256: without rejection the first 8 would come ~25 %
    # more often than the rest.
    alphabet = _ALPHABETS["alnum"]
    counts = Counter(random_text(alphabet, 62 * 2000))
    assert set(counts) == set(alphabet)
    assert max(counts.values()) < 1.2 * min(counts.values())


def test_random_texts_differ() -> None:
    assert len({random_text(_ALPHABETS["base64url"], 32) for _ in range(100)}) == 100
