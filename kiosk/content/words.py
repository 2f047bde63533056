"""The kiosk's own words (buttons, headings, the "c." before an approximate date) and how a
word is found in a language.

The built-in table has Russian and English. A collection may carry words of its own for any of its
languages (``words:`` in collection.yaml, read by :mod:`kiosk.content.loader`); a word is looked
up in the collection's words for the language, then the built-in table for it, then the same two
for the collection's default language, then the built-in English. So a Sakha screen shows Sakha
words where the curator wrote them and Russian ones (the default language) where not, never
English buttons beside Russian text.

Pure data and lookup: the UI (:mod:`kiosk.ui.i18n`), the validator and the studio all read it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from types import MappingProxyType

Words = Mapping[str, Mapping[str, str]]
"""Words by language, then by key (the collection's own, or the built-in table)."""

BUILTIN: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "ru": MappingProxyType(
            {
                "touch": "Коснитесь экрана, чтобы начать",
                "choose": "Выберите путешественника",
                "back": "Назад",
                "still_there": "Вы ещё здесь?",
                "continue": "Продолжить",
                "returning": "Возврат к началу через {n} с",
                "page": "{i} из {n}",
                "facts": "Главное",
                "no_clip": "Видео сейчас недоступно",
                "mirror": "Морозное зеркало",
                "mirror_card": "Примерьте иней полярника",
                "mirror_invite": "Подойдите ближе — увидите себя в инее",
                "mirror_camera": "Камера включена: ничего не записывается",
                "unavailable": "Экспозиция временно недоступна",
                "story": "Рассказ",
                "circa": "ок.",
                "admin_title": "Служебный режим",
                "admin_enter_pin": "Введите PIN-код",
                "admin_no_pin": "PIN-код ещё не задан.",
                "admin_set_pin": "Задайте его командой: kiosk admin set-pin",
                "admin_wrong": "Неверный PIN-код. Осталось попыток: {n}",
                "admin_locked": "Слишком много ошибок: вход закрыт на {n} мин",
                "admin_unlocked": "Можно попробовать снова",
                "admin_pin_unreadable": "Файл PIN-кода не читается: задайте PIN-код заново",
                "admin_erase": "Стереть",
                "admin_ok": "Войти",
                "admin_cancel": "Отмена",
                "admin_close": "Закрыть",
                "admin_on": "вкл.",
                "admin_off": "выкл.",
                "admin_captions": "Субтитры сначала: {state}",
                "admin_mirror": "Зеркало: {state}",
                "admin_pattern": "Тестовая таблица",
                "admin_sound": "Проверка звука",
                "admin_rollback": "Откатить контент",
                "admin_restart": "Перезапустить",
                "admin_exit": "Выйти на рабочий стол",
                "admin_sure": "Точно? Нажмите ещё раз",
                "admin_no_sound": "Нет звукового выхода",
                "admin_tone": "Тон 1 кГц, 1 с: {device}",
                "admin_sound_failed": "Проверка звука не удалась: {error}",
                "admin_not_here": "Здесь это недоступно",
                "admin_busy": "Подождите: предыдущее действие ещё идёт",
                "admin_rolling_back": "Откатываем контент…",
                "admin_tone_preparing": "Готовим тестовый тон…",
                "admin_closes": "Закроется сам через {n} с без касаний",
                "admin_content": "Контент",
                "admin_fleet": "Сеть киосков",
                "admin_explorers": "путешественников: {n}",
                "admin_player": "Плеер",
                "admin_faults": "Сбои",
                "admin_none": "нет",
                "admin_mirror_status": "Зеркало",
                "admin_mirror_none": "не подключено",
                "admin_hidden": "скрыто",
                "admin_audio": "Звук",
                "admin_volume": "Громкость",
                "admin_frames": "Кадры",
                "admin_disk": "Свободно на диске",
                "admin_screen": "Экран",
                "admin_leave": "Коснитесь экрана, чтобы выйти",
                "admin_ruler": "Деления линейки: 1 мм",
            }
        ),
        "en": MappingProxyType(
            {
                "touch": "Touch the screen to begin",
                "choose": "Choose an explorer",
                "back": "Back",
                "still_there": "Are you still there?",
                "continue": "Continue",
                "returning": "Back to the start in {n} s",
                "page": "{i} of {n}",
                "facts": "Key facts",
                "no_clip": "The film is not available just now",
                "mirror": "Frost mirror",
                "mirror_card": "Try on a polar explorer's frost",
                "mirror_invite": "Step closer: see yourself in the frost",
                "mirror_camera": "Camera on: nothing is recorded",
                "unavailable": "The exhibit is temporarily unavailable",
                "story": "Story",
                "circa": "c.",
                "admin_title": "Staff mode",
                "admin_enter_pin": "Enter the PIN",
                "admin_no_pin": "No PIN has been set yet.",
                "admin_set_pin": "Set a PIN with: kiosk admin set-pin",
                "admin_wrong": "Wrong PIN. Attempts left: {n}",
                "admin_locked": "Too many wrong PINs: locked for {n} min",
                "admin_unlocked": "You may try again",
                "admin_pin_unreadable": "The PIN file cannot be read: set the PIN again",
                "admin_erase": "Erase",
                "admin_ok": "OK",
                "admin_cancel": "Cancel",
                "admin_close": "Close",
                "admin_on": "on",
                "admin_off": "off",
                "admin_captions": "Captions at start: {state}",
                "admin_mirror": "Mirror: {state}",
                "admin_pattern": "Test pattern",
                "admin_sound": "Sound check",
                "admin_rollback": "Roll back content",
                "admin_restart": "Restart",
                "admin_exit": "Exit to desktop",
                "admin_sure": "Sure? Tap again",
                "admin_no_sound": "No sound output",
                "admin_tone": "1 kHz tone for 1 s: {device}",
                "admin_sound_failed": "Sound check failed: {error}",
                "admin_not_here": "Not available here",
                "admin_busy": "Please wait: the last action is still running",
                "admin_rolling_back": "Rolling back…",
                "admin_tone_preparing": "Preparing the test tone…",
                "admin_closes": "Closes by itself after {n} s without a touch",
                "admin_content": "Content",
                "admin_fleet": "Fleet",
                "admin_explorers": "{n} explorers",
                "admin_player": "Player",
                "admin_faults": "Faults",
                "admin_none": "none",
                "admin_mirror_status": "Mirror",
                "admin_mirror_none": "not fitted",
                "admin_hidden": "hidden",
                "admin_audio": "Sound",
                "admin_volume": "Volume",
                "admin_frames": "Frames",
                "admin_disk": "Disk free",
                "admin_screen": "Screen",
                "admin_leave": "Touch the screen to leave",
                "admin_ruler": "Ruler ticks: 1 mm",
            }
        ),
    }
)


KEYS: tuple[str, ...] = tuple(BUILTIN["en"])
"""Every word the kiosk uses, in the table's order."""

CIRCA = "circa"
"""The word before an approximate year ("c. 1605", "ок. 1605")."""

LAST_RESORT = "en"


def placeholders(text: str) -> set[str]:
    """The ``{name}`` values ``text`` shows; ValueError if its braces are not well formed."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def chain(lang: str, default: str | None = None) -> tuple[str, ...]:
    """The languages a word is looked for in, in order: ``lang`` (and its base language, ``en``
    for ``en-GB``), the collection's ``default``, then English."""
    out: list[str] = []
    for code in (lang, lang.partition("-")[0], default, LAST_RESORT):
        if code and code not in out:
            out.append(code)
    return tuple(out)


def source(
    lang: str, key: str, *, default: str | None = None, words: Words | None = None
) -> tuple[str, bool] | None:
    """Where ``key`` in ``lang`` comes from: (language, True when from the collection's own
    words); None when no language has it."""
    for code in chain(lang, default):
        if words is not None and key in words.get(code, {}):
            return code, True
        if key in BUILTIN.get(code, {}):
            return code, False
    return None


def lookup(
    lang: str,
    key: str,
    *,
    default: str | None = None,
    words: Words | None = None,
    **values: object,
) -> str:
    """The word ``key`` in ``lang`` with ``values`` filled in; KeyError for an unknown key.

    A word whose placeholders cannot be filled (a hand-built collection the loader never
    checked) is passed over for the next one in the chain: a label is never a crash.
    """
    for code in chain(lang, default):
        for table in (words.get(code, {}) if words is not None else {}, BUILTIN.get(code, {})):
            text = table.get(key)
            if text is None:
                continue
            if not values:
                return text
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError):
                continue
    raise KeyError(key)


def missing(lang: str, words: Words | None = None) -> list[str]:
    """The keys that neither the collection's words nor the built-in table have in ``lang``."""
    own = words.get(lang, {}) if words is not None else {}
    builtin = BUILTIN.get(lang, {})
    return [k for k in KEYS if k not in own and k not in builtin]
