"""The interface's own words in every language, with fallback.

Content texts come from the collection; these are the few words of the interface itself
(buttons, the idle countdown). A language the collection adds but this table lacks falls back to
the collection's default language, then English, then Russian, so a button never shows an empty
label.
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
                "still_there": "Вы ещё здесь?",
                "continue": "Продолжить",
                "returning": "Возврат к началу через {n} с",
                "page": "{i} из {n}",
                "facts": "Главное",
                "no_clip": "Видео сейчас недоступно",
                "mirror": "Морозное зеркало",
                "unavailable": "Экспозиция временно недоступна",
                "story": "Рассказ",
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
                "unavailable": "The exhibit is temporarily unavailable",
                "story": "Story",
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

LANGUAGE_NAMES = MappingProxyType(
    {"ru": "Русский", "en": "English", "sah": "Саха", "yrk": "Ненэця", "ckt": "Ԓыгъоравэтԓьэн"}
)

FALLBACK = ("en", "ru")


def t(lang: str, key: str, *, default: str | None = None, **values: object) -> str:
    """The interface string ``key`` in ``lang``, falling back to the collection's ``default``
    language (so a Sakha screen shows Russian buttons beside Russian text), then English, then
    Russian."""
    for code in (lang, *((default,) if default else ()), *FALLBACK):
        table = _STRINGS.get(code)
        if table is not None and key in table:
            return table[key].format(**values) if values else table[key]
    raise KeyError(key)


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code.upper())
