"""The kiosk's own words: carried by the collection (``words:`` in collection.yaml), checked by the
loader, and looked up along the collection's default language, never falling to English beside
Russian text. A Sakha screen shows the Sakha words the curator wrote and Russian ones elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pygame
import pytest

from kiosk.app import make_context
from kiosk.content import words
from kiosk.content.loader import load_collection
from kiosk.content.model import Collection, LifeDate
from kiosk.content.validate import validate
from kiosk.settings import Settings
from kiosk.ui import i18n
from kiosk.ui.context import Context, Transition
from kiosk.ui.loop import Loop
from testkit.ui_fakes import FakePlayer

SAH = {"back": "Төнүн", "story": "Кэпсээн", "circa": "чуг.", "page": "{n} истэн {i}"}

SAKHA_YAML = """\
# A collection in three languages; Sakha is new and only some of the kiosk's words are written.
title: {ru: Белая дорога, en: White Road, sah: Маҥан суол}
languages: [ru, en, sah]
default_language: ru
masters:
  song: media/master.mp4
words:
  sah:
    back: Төнүн          # the button under every page
    story: Кэпсээн
    circa: чуг.
    page: "{n} истэн {i}"
attract:
  - alpha/clip
"""


@pytest.fixture
def sakha(make_collection: Callable[..., Path]) -> Path:
    root = make_collection()
    (root / "collection.yaml").write_text(SAKHA_YAML, encoding="utf-8")
    return root


def _load(root: Path) -> Collection:
    result = load_collection(root)
    assert result.ok, [str(p) for p in result.errors]
    assert result.collection is not None
    return result.collection


def _problems(root: Path) -> list[str]:
    return [f"{p.severity}: {p.line}: {p.message}" for p in load_collection(root).problems]


def test_the_built_in_table_has_every_word_in_russian_and_english() -> None:
    assert set(words.BUILTIN) == {"ru", "en"}
    assert list(words.BUILTIN["ru"]) == list(words.BUILTIN["en"]) == list(words.KEYS)
    assert (words.BUILTIN["ru"]["circa"], words.BUILTIN["en"]["circa"]) == ("ок.", "c.")
    for key in words.KEYS:  # the same values to fill in, in both languages
        ru, en = words.BUILTIN["ru"][key], words.BUILTIN["en"][key]
        assert words.placeholders(ru) == words.placeholders(en), key


def test_the_collection_carries_its_words_and_falls_back_to_its_default_language(
    sakha: Path,
) -> None:
    c = _load(sakha)
    assert dict(c.words["sah"]) == SAH
    assert c.word("sah", "back") == "Төнүн"
    assert c.word("sah", "page", i=2, n=5) == "5 истэн 2"
    # Every other word is the default language's (Russian), never English.
    for key in words.KEYS:
        expected = SAH.get(key, words.BUILTIN["ru"][key])
        assert c.word("sah", key) == expected, key
    assert c.word("en", "back") == "Back"
    assert c.word("ru", "back") == "Назад"
    with pytest.raises(TypeError):
        c.words["sah"]["back"] = "x"  # type: ignore[index]


def test_a_collection_word_overrides_the_built_in_one_in_every_language(
    sakha: Path,
) -> None:
    path = sakha / "collection.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("words:\n", "words:\n  en:\n    back: Return\n"),
        encoding="utf-8",
    )
    c = _load(sakha)
    assert c.word("en", "back") == "Return"
    assert c.word("en", "choose") == "Choose an explorer"
    assert c.word("sah", "back") == "Төнүн"


def test_the_ui_lookup_follows_the_same_order() -> None:
    own = {"sah": {"back": "Төнүн"}, "ru": {"story": "История"}}
    assert i18n.t("sah", "back", default="ru", words=own) == "Төнүн"
    assert i18n.t("sah", "story", default="ru", words=own) == "История"
    assert i18n.t("sah", "choose", default="ru", words=own) == "Выберите путешественника"
    assert i18n.t("sah", "page", default="ru", i=1, n=3) == "1 из 3"
    assert i18n.t("en", "back", default="ru") == "Back"
    assert i18n.t("en-GB", "back", default="ru") == "Back"  # the base language before the default
    assert i18n.t("sah", "back") == "Back"  # no collection at all: English is the last resort
    with pytest.raises(KeyError):
        i18n.t("ru", "no-such-word")


def test_a_word_that_cannot_be_filled_in_is_passed_over_not_a_crash() -> None:
    own = {"sah": {"page": "{i} {pages}"}}  # a hand-built collection the loader never checked
    assert i18n.t("sah", "page", default="ru", words=own, i=1, n=2) == "1 из 2"


def test_an_approximate_date_takes_the_word_of_the_visitors_language(sakha: Path) -> None:
    c = _load(sakha)
    alpha = c.explorer("alpha")
    assert alpha.born == LifeDate(1605, approximate=True)
    assert c.years(alpha, "sah") == "чуг. 1605 – 1673"
    assert c.years(alpha, "ru") == "ок. 1605 – 1673"
    assert c.years(alpha, "en") == "c. 1605 – 1673"
    assert LifeDate(1700).display(circa="чуг.") == "1700"
    path = sakha / "collection.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    circa: чуг.\n", ""), "utf-8")
    assert _load(sakha).years(alpha, "sah") == "ок. 1605 – 1673"  # the default language's word


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_mistakes_in_the_words_are_reported_with_their_lines(sakha: Path) -> None:
    path = sakha / "collection.yaml"
    text = (
        path.read_text(encoding="utf-8")
        .replace('    page: "{n} истэн {i}"\n', "")
        .replace(
            "    story: Кэпсээн\n",
            "    bakc: Төнүн\n"  # a typing mistake
            "    returning: Саҥаттан {seconds} с\n"  # a value this word does not have
            "    still_there: Манна баар дуо?\n"
            "    page: {i}\n"  # a mapping, not text
            "    continue: Салҕаа {\n"  # a lone brace
            "    admin_wrong: Сыыһа PIN\n",  # does not show {n}
        )
        .replace("attract:", "  yrk:\n    back: Нямд\nattract:")  # a language not listed
    )
    path.write_text(text, encoding="utf-8")
    problems = _problems(sakha)
    expected = [
        (
            "bakc:",
            "warning",
            "collection.words.sah: the kiosk has no word 'bakc' (did you mean 'back'?)",
        ),
        (
            "returning:",
            "error",
            "collection.words.sah.returning: {seconds} is unknown here (values: {n})",
        ),
        ("page:", "error", "collection.words.sah.page: expected text"),
        (
            "continue:",
            "error",
            "collection.words.sah.continue: braces { } only around a value (here: none)",
        ),
        ("admin_wrong:", "warning", "collection.words.sah.admin_wrong: does not show {n}"),
        ("yrk:", "warning", "collection.words: language 'yrk' is not listed in languages"),
    ]
    for needle, severity, message in expected:
        assert f"{severity}: {_line(text, needle)}: {message}" in problems
    c = load_collection(sakha).collection
    assert c is not None
    # A word with a mistake is left out (it falls back); the good ones are carried.
    assert set(c.words["sah"]) == {"back", "circa", "still_there", "admin_wrong"}
    assert c.word("sah", "returning", n=5) == "Возврат к началу через 5 с"
    assert c.word("sah", "admin_wrong", n=2) == "Сыыһа PIN"


def test_validate_warns_when_a_language_lacks_the_kiosks_words(sakha: Path) -> None:
    report = validate(sakha)
    assert report.ok
    lacking = [p for p in report.warnings if "own words have no" in p.message]
    assert len(lacking) == 1
    p = lacking[0]
    assert p.path == sakha / "collection.yaml"
    assert p.line == _line(SAKHA_YAML, "  sah:")  # the language's words
    n = len(words.KEYS) - len(SAH)
    assert p.message.startswith(
        f"collection: {n} of the kiosk's {len(words.KEYS)} own words have no 'sah' text "
        "(touch, choose, still_there, continue, returning, …); shown in 'ru' instead"
    )
    # Without any words for it, the warning points at the list of languages.
    path = sakha / "collection.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("words:")] + "attract:\n  - alpha/clip\n", "utf-8")
    lacking = [p for p in validate(sakha).warnings if "own words have no" in p.message]
    assert [(p.line, f"{len(words.KEYS)} of" in p.message) for p in lacking] == [
        (_line(SAKHA_YAML, "languages:"), True)
    ]


def test_russian_and_english_collections_need_no_words(
    make_collection: Callable[..., Path],
) -> None:
    assert not [p for p in load_collection(make_collection()).problems if "words" in p.message]


# -- the screens ---------------------------------------------------------------------------------
def _drawn_words(ctx: Context, loop: Loop, scenes: list[Transition]) -> set[str]:
    """Every string the scenes draw through the text cache."""
    seen: set[str] = set()
    render = ctx.cache.render

    def spy(text: str, kind: str, px: int, colour: tuple[int, int, int]) -> pygame.Surface:
        seen.add(text)
        return render(text, kind, px, colour)

    ctx.cache.render = spy  # type: ignore[method-assign]
    for to in scenes:
        loop.go(to)
        loop.step([])
        loop.draw()
    return seen


@pytest.mark.usefixtures("pygame_display")
def test_a_sakha_screen_shows_sakha_words_then_russian_never_english(sakha: Path) -> None:
    c = _load(sakha)
    size = (1920, 1080)
    ctx = make_context(c, Settings(), FakePlayer(), size)
    ctx.lang = "sah"
    loop = Loop(ctx, pygame.Surface(size), now=lambda: 1000.0)
    # The attract screen invites in every language: Sakha has no invitation nor word for it.
    invitations = _drawn_words(ctx, loop, [Transition("attract")])
    assert {"Коснитесь экрана, чтобы начать", "Touch the screen to begin"} <= invitations
    assert len(invitations & {"Коснитесь экрана, чтобы начать"}) == 1
    seen = _drawn_words(ctx, loop, [Transition("gallery"), Transition("explorer", "alpha")])
    text = "\n".join(seen)
    assert "Төнүн" in seen  # the back button, in Sakha
    assert "Кэпсээн" in seen  # the story tab
    assert "чуг. 1605 – 1673" in text  # the life dates on the gallery card and the page
    assert "Главное" in seen  # the key facts tab: no Sakha word, so the default language's
    assert "Выберите путешественника" in seen
    english = {v for k, v in words.BUILTIN["en"].items() if v != words.BUILTIN["ru"][k]}
    assert not {s for s in seen if s in english or s.startswith("c. ")}


def test_every_word_the_collection_carries_must_be_drawable(sakha: Path) -> None:
    from kiosk.ui import theme

    fonts = list(theme.FONTS.values())
    assert not [p for p in validate(sakha, fonts=fonts).problems if "cannot draw" in p.message]
    path = sakha / "collection.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Кэпсээн", "故事"), "utf-8")
    drawn = [p for p in validate(sakha, fonts=fonts).problems if "cannot draw" in p.message]
    assert [(p.line, p.message.split(":")[0]) for p in drawn] == [
        (_line(SAKHA_YAML, "story:"), "words.sah.story")
    ]
