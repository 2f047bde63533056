"""The studio's own words, in Russian and English (the curator's language, not the exhibit's)."""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

LANGUAGES = ("ru", "en")

_WORDS: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "studio": ("Студия куратора", "Curator studio"),
        "collection": ("Коллекция", "Collection"),
        "explorers": ("Путешественники", "Explorers"),
        "texts": ("Тексты", "Texts"),
        "route": ("Маршрут", "Route"),
        "segments": ("Фрагменты", "Segments"),
        "captions": ("Субтитры", "Captions"),
        "preview": ("Просмотр", "Preview"),
        "history": ("История", "History"),
        "media": ("Медиафайлы", "Media"),
        "publish": ("Публикация", "Publish"),
        "languages": ("Языки", "Languages"),
        "save": ("Сохранить", "Save"),
        "saved": ("Сохранено.", "Saved."),
        "added": ("Добавлено.", "Added."),
        "moved": ("Порядок изменён.", "Order changed."),
        "deleted": ("Удалено.", "Deleted."),
        "restored": ("Версия восстановлена.", "Version restored."),
        "uploaded": ("Файл загружен.", "File uploaded."),
        "imported": ("Файл добавлен.", "File added."),
        "add": ("Добавить", "Add"),
        "delete": ("Удалить", "Delete"),
        "up": ("Выше", "Up"),
        "down": ("Ниже", "Down"),
        "edit": ("Изменить", "Edit"),
        "add_explorer": ("Новый путешественник", "New explorer"),
        "folder_name": ("Имя папки (латиница)", "Folder name (latin letters)"),
        "name": ("Имя", "Name"),
        "born": ("Родился", "Born"),
        "died": ("Умер", "Died"),
        "order": ("Место в галерее", "Place in the gallery"),
        "portrait": ("Портрет (файл)", "Portrait (file)"),
        "summary": ("Кратко", "Summary"),
        "body": ("Рассказ", "Story"),
        "facts": ("Главное (факты)", "Key facts"),
        "fact_date": ("Год", "Year"),
        "add_fact": ("Добавить факт", "Add a fact"),
        "sources": ("Источники (по одному в строке)", "Sources (one a line)"),
        "date_hint": (
            "1648, 1648-06-20 или «c. 1605» для приблизительной даты",
            "1648, 1648-06-20, or “c. 1605” for an approximate date",
        ),
        "missing": ("нет перевода", "translation missing"),
        "problems": ("Замечания проверки", "Validation problems"),
        "no_problems": ("Проверка замечаний не нашла.", "The validator found no problems."),
        "errors_n": ("ошибок: {n}", "{n} errors"),
        "warnings_n": ("предупреждений: {n}", "{n} warnings"),
        "error": ("ошибка", "error"),
        "warning": ("предупреждение", "warning"),
        "broken_title": ("Файл не читается", "The file cannot be read"),
        "broken_help": (
            "Исправьте текст файла ниже (строка указана в сообщении) и сохраните. "
            "Пока файл не читается, ничего не записывается.",
            "Fix the file's text below (the message names the line) and save. "
            "Nothing is written while the file cannot be read.",
        ),
        "changed_elsewhere": (
            "Этот файл изменён в другой вкладке или программе после того, как вы открыли "
            "страницу. Ваши правки не записаны, чтобы не стереть чужие. Откройте страницу "
            "заново и внесите их ещё раз.",
            "This file was changed in another tab or program after you opened the page. "
            "Your changes were not written, so as not to overwrite the others. Open the page "
            "again and make them once more.",
        ),
        "reopen": ("Открыть заново", "Open again"),
        "delete_confirm": (
            "Удалить путешественника «{slug}»? Его папка уйдёт в корзину студии (.studio/trash). "
            "Для подтверждения введите имя папки.",
            "Delete the explorer “{slug}”? Its folder goes to the studio's trash "
            "(.studio/trash). Type the folder name to confirm.",
        ),
        "cancel": ("Отмена", "Cancel"),
        "saves": ("Сохранённые версии", "Saved versions"),
        "no_saves": ("Сохранений ещё не было.", "Nothing saved yet."),
        "show": ("Показать", "Show"),
        "restore": ("Восстановить", "Restore"),
        "current": ("Текущая версия", "Current version"),
        "login_title": ("Вход в студию", "Studio sign-in"),
        "login_help": (
            "Студия открыта для сети. Введите код доступа, который она напечатала при запуске.",
            "The studio is open to the network. Enter the access code it printed when it started.",
        ),
        "access_code": ("Код доступа", "Access code"),
        "wrong_code": ("Код не подошёл.", "That code is not right."),
        "enter": ("Войти", "Enter"),
        "scene": ("Сцена", "Scene"),
        "scene_attract": ("Заставка", "Attract"),
        "scene_gallery": ("Галерея", "Gallery"),
        "scene_explorer": ("Страница путешественника", "Explorer page"),
        "scene_facts": ("Главное", "Key facts"),
        "scene_still-there": ("«Вы ещё здесь?»", "“Still there?”"),
        "landscape": ("Горизонтально", "Landscape"),
        "portrait_mode": ("Вертикально", "Portrait"),
        "large_text": ("Крупный текст", "Large text"),
        "language": ("Язык", "Language"),
        "preview_help": (
            "Так рисует экран сам киоск. Картинка обновляется после каждого сохранения.",
            "This is what the kiosk itself draws. The picture is redrawn after each save.",
        ),
        "route_help": (
            "Щёлкните по карте, чтобы добавить точку; перетащите точку, чтобы передвинуть её.",
            "Click the map to add a point; drag a point to move it.",
        ),
        "lat": ("Широта", "Latitude"),
        "lon": ("Долгота", "Longitude"),
        "label": ("Подпись", "Label"),
        "year": ("Год", "Year"),
        "segment": ("Фрагмент", "Segment"),
        "at": ("Момент, с", "At, s"),
        "new_point": ("Новая точка", "New point"),
        "seg_id": ("Код фрагмента", "Segment id"),
        "title": ("Название", "Title"),
        "clip_file": ("Файл клипа", "Clip file"),
        "master": ("Из общего видео", "From the master video"),
        "clip_help": (
            "Либо отрезок общего видео, либо клип из папки путешественника. Новый клип "
            "загрузите на странице",
            "Either a cut of the master video or a clip from the explorer's folder. Upload a new "
            "clip on the page",
        ),
        "in": ("Начало", "In"),
        "out": ("Конец", "Out"),
        "set_in": ("Начало здесь", "Set in here"),
        "set_out": ("Конец здесь", "Set out here"),
        "frame_back": ("− кадр", "− frame"),
        "frame_fwd": ("+ кадр", "+ frame"),
        "play_range": ("Проиграть фрагмент", "Play the segment"),
        "add_segment": ("Добавить фрагмент", "Add a segment"),
        "cut_help": (
            "Выберите начало и конец на шкале: кадры показаны такими, как их декодирует сервер.",
            "Choose the in and out points on the scrubber: frames are shown as the server "
            "decodes them.",
        ),
        "cues": ("Реплики", "Cues"),
        "start": ("Начало", "Start"),
        "end": ("Конец", "End"),
        "text": ("Текст", "Text"),
        "cps": ("зн./с", "chars/s"),
        "add_cue": ("Добавить реплику", "Add a cue"),
        "fix": ("Исправить", "Fix"),
        "fix_extend": ("Удлинить до следующей", "Extend to the next"),
        "captions_ok": ("Все реплики читаются.", "Every cue can be read."),
        "upload": ("Загрузить файл", "Upload a file"),
        "upload_to": ("Куда", "Where"),
        "from_folder": ("Из папки медиафайлов", "From the media folder"),
        "no_media_dir": (
            "Папка медиафайлов не задана (запустите студию с --media ПАПКА).",
            "No media folder given (start the studio with --media FOLDER).",
        ),
        "files": ("Файлы коллекции", "The collection's files"),
        "key_file": ("Файл секретного ключа", "Secret key file"),
        "password": ("Пароль ключа", "Key password"),
        "out_dir": ("Куда записать пакет (папка или флешка)", "Write the pack to (folder or USB)"),
        "make_pack": ("Собрать и подписать пакет", "Pack and sign"),
        "publish_blocked": (
            "Публикация невозможна, пока есть ошибки: исправьте их (список ниже).",
            "Cannot publish while there are errors: fix them (listed below).",
        ),
        "changes": ("Изменения с прошлого пакета", "Changes since the last pack"),
        "first_pack": ("Это первый пакет студии.", "This is the studio's first pack."),
        "added_n": ("добавлены", "added"),
        "changed_n": ("изменены", "changed"),
        "removed_n": ("удалены", "removed"),
        "no_changes": ("Изменений нет.", "No changes."),
        "packed": ("Пакет записан", "Pack written"),
        "pack_in": ("в папке", "in"),
        "version": ("версия", "version"),
        "add_language": ("Добавить язык", "Add a language"),
        "lang_code": ("Код языка (ru, en, sah…)", "Language code (ru, en, sah…)"),
        "kiosk_words": ("Слова самого киоска", "The kiosk's own words"),
        "words_help": (
            "Кнопки, заголовки и «ок.» перед приблизительной датой. Серым показано, что видят "
            "посетители, пока поле пусто: слово, встроенное в киоск, или слово языка коллекции "
            "по умолчанию ({default}).",
            "Buttons, headings and the “c.” before an approximate year. In grey: what visitors "
            "see while a field is empty, the kiosk's built-in word or the word of the "
            "collection's default language ({default}).",
        ),
        "words_missing_help": (
            "Оранжевые поля: в киоске нет этого слова на этом языке; пока оно не написано, "
            "показывается слово языка по умолчанию ({default}).",
            "Orange fields: the kiosk has no such word in this language; until it is written, "
            "the default language's word ({default}) is shown.",
        ),
        "words_missing_n": ("не хватает {n}", "{n} missing"),
        "words_complete": ("все есть", "complete"),
        "words_staff": ("Служебный режим (для сотрудников)", "Staff mode"),
        "word_key": ("Слово", "Word"),
        "words_where": (
            "кнопки и заголовки на каждом языке, на странице коллекции.",
            "buttons and headings in every language, on the collection page.",
        ),
        "raw_text": ("Текст файла", "The file's text"),
        "open": ("Открыть", "Open"),
        "gallery_order": ("Порядок в галерее", "Gallery order"),
        "errors_block": ("есть ошибки", "has errors"),
        "unreadable": ("не показывается в киоске", "not shown on the kiosk"),
    }
)


def word(lang: str, key: str, **values: object) -> str:
    pair = _WORDS.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "ru" else pair[1]
    return text.format(**values) if values else text


def for_lang(lang: str) -> Callable[..., str]:
    """The templates' ``_()``: a word in the curator's language."""

    def _(key: str, **values: object) -> str:
        return word(lang, key, **values)

    return _
