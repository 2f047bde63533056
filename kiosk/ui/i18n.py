"""The interface's own words in every language, with fallback.

Content texts come from the collection; these are the few words of the interface itself
(buttons, the idle countdown). A language the collection adds but this table lacks falls back to
English, then Russian, so a button never shows an empty label.
"""

from __future__ import annotations

from types import MappingProxyType

_STRINGS: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {
        "ru": MappingProxyType(
            {
                "touch": "Коснитесь экрана, чтобы начать",
                "choose": "Выберите путешественника",
                "back": "Назад",
                "play": "Смотреть",
                "pause": "Пауза",
                "replay": "Сначала",
                "next": "Дальше",
                "captions": "Субтитры",
                "volume": "Громкость",
                "larger": "Крупный текст",
                "still_there": "Вы ещё здесь?",
                "continue": "Продолжить",
                "returning": "Возврат к началу через {n} с",
                "page": "{i} из {n}",
                "facts": "Главное",
                "route": "Маршрут",
                "no_clip": "Видео сейчас недоступно",
                "mirror": "Морозное зеркало",
                "unavailable": "Экспозиция временно недоступна",
                "language": "Язык",
                "more": "Ещё",
                "story": "Рассказ",
            }
        ),
        "en": MappingProxyType(
            {
                "touch": "Touch the screen to begin",
                "choose": "Choose an explorer",
                "back": "Back",
                "play": "Play",
                "pause": "Pause",
                "replay": "Replay",
                "next": "Next",
                "captions": "Captions",
                "volume": "Volume",
                "larger": "Large text",
                "still_there": "Are you still there?",
                "continue": "Continue",
                "returning": "Back to the start in {n} s",
                "page": "{i} of {n}",
                "facts": "Key facts",
                "route": "Route",
                "no_clip": "The film is not available just now",
                "mirror": "Frost mirror",
                "unavailable": "The exhibit is temporarily unavailable",
                "language": "Language",
                "more": "More",
                "story": "Story",
            }
        ),
    }
)

LANGUAGE_NAMES = MappingProxyType(
    {"ru": "Русский", "en": "English", "sah": "Саха", "yrk": "Ненэця", "ckt": "Ԓыгъоравэтԓьэн"}
)

FALLBACK = ("en", "ru")


def t(lang: str, key: str, **values: object) -> str:
    """The interface string ``key`` in ``lang``, falling back to English, then Russian."""
    for code in (lang, *FALLBACK):
        table = _STRINGS.get(code)
        if table is not None and key in table:
            return table[key].format(**values) if values else table[key]
    raise KeyError(key)


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code.upper())
