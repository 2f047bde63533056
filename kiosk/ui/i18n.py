"""The interface's own words in the visitor's language, with fallback.

Content texts come from the collection; these are the few words of the interface itself
(buttons, headings, the idle countdown, the "c." before an approximate year). The built-in table
and the lookup are in the domain (:mod:`kiosk.content.words`), so the loader, the validator and the
studio read the same ones; a collection may carry words of its own for any of its languages. A
word missing in a language falls back to the collection's default language, then English, so a
button never shows an empty label nor English beside Russian text.
"""

from __future__ import annotations

from types import MappingProxyType

from kiosk.content import words as _words

LANGUAGE_NAMES = MappingProxyType(
    {"ru": "Русский", "en": "English", "sah": "Саха", "yrk": "Ненэця", "ckt": "Ԓыгъоравэтԓьэн"}
)


def t(
    lang: str,
    key: str,
    *,
    default: str | None = None,
    words: _words.Words | None = None,
    **values: object,
) -> str:
    """The interface word ``key`` in ``lang``: the collection's ``words`` for it, the built-in
    table for it, then the same along the collection's ``default`` language (so a Sakha screen
    shows Russian buttons beside Russian text), then English."""
    return _words.lookup(lang, key, default=default, words=words, **values)


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code.upper())
