"""What every scene shares for one kiosk: content, settings, the ports and the visitor's choices.

:class:`Context` is built once by ``kiosk.app`` (or a test) and handed to every scene. It holds
the typed ports (player, mirror, diagnostics, admin hooks), the page layout for the screen, the
visit's choices (language, captions, volume, text size), and the caches that outlive a visit.
:func:`visit_defaults` is the one place that says how a new visitor finds the kiosk.
:class:`Transition` is what a scene returns to change scene.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pygame

from kiosk.analytics.events import Event
from kiosk.content.model import Collection
from kiosk.ops.admin import AdminGate
from kiosk.settings import Settings
from kiosk.ui import i18n, theme
from kiosk.ui.jobs import JobRunner
from kiosk.ui.layout import PageLayout
from kiosk.ui.ports import AdminHooks, DiagnosticsPort, MirrorPort, PlayerPort
from kiosk.ui.text import TextCache
from kiosk.ui.widgets import Palette

Emit = Callable[[Event], None]


def _ignore(event: Event) -> None:
    """The default sink for events when no recorder is attached."""


@dataclass(frozen=True)
class Transition:
    """Go to scene ``to`` (a name in :data:`kiosk.ui.scenes.SCENES`); ``slug``: the explorer."""

    to: str
    slug: str | None = None


@dataclass(frozen=True)
class VisitDefaults:
    """How the kiosk greets a new visitor."""

    lang: str
    captions_on: bool
    large_text: bool
    volume: float


def offered_languages(collection: Collection, settings: Settings) -> list[str]:
    """The languages visitors may choose: the settings' list within the collection's, in order."""
    return list(settings.visitor_start(collection.languages, collection.default_language).languages)


def visit_defaults(
    collection: Collection,
    settings: Settings,
    captions_default: bool | None = None,
) -> VisitDefaults:
    """A new visitor's language, captions, text size and volume, as the settings say
    (:meth:`kiosk.settings.Settings.visitor_start`), with staff's captions choice from admin mode
    (``captions_default``; None: the settings'), which holds until the kiosk restarts.
    """
    start = settings.visitor_start(collection.languages, collection.default_language)
    return VisitDefaults(
        lang=start.language,
        captions_on=start.captions_on if captions_default is None else captions_default,
        large_text=start.large_text,
        volume=start.volume,
    )


@dataclass
class Context:
    """One kiosk's shared state. Build it with :meth:`create`."""

    collection: Collection
    settings: Settings
    player: PlayerPort
    size: tuple[int, int]
    lang: str
    languages: list[str]
    emit: Emit = field(default=_ignore)
    captions_on: bool = True
    large_text: bool = False
    volume: float = 0.7
    cache: TextCache = field(default_factory=TextCache)
    map_backgrounds: dict[tuple[str, tuple[int, int]], pygame.Surface] = field(default_factory=dict)
    portraits: dict[tuple[str, int], pygame.Surface | None] = field(default_factory=dict)
    mirror_available: bool = False  # a camera is there now (the loop asks every few seconds)
    mirror: MirrorPort | None = None  # the frost mirror's pipeline, if this kiosk has one
    mirror_enabled: bool = True  # staff can hide the mirror (admin panel) even with a camera
    captions_default: bool | None = None  # staff's choice for new visits; None: the settings'
    admin_gate: AdminGate | None = None  # built from the settings when first needed
    admin_hooks: AdminHooks = field(default_factory=AdminHooks)
    diagnostics: DiagnosticsPort | None = None  # the running kiosk's figures, for the admin panel
    jobs: JobRunner = field(default_factory=JobRunner)  # blocking staff actions run here
    now: Callable[[], float] = time.monotonic  # the loop's clock (frozen in tests)

    @classmethod
    def create(
        cls, collection: Collection, settings: Settings, player: PlayerPort, size: tuple[int, int]
    ) -> Context:
        """A context for ``collection`` that greets its first visitor with the defaults."""
        langs = offered_languages(collection, settings)
        d = visit_defaults(collection, settings)
        return cls(
            collection=collection,
            settings=settings,
            player=player,
            size=size,
            lang=d.lang,
            languages=langs,
            captions_on=d.captions_on,
            large_text=d.large_text,
            volume=d.volume,
        )

    def __post_init__(self) -> None:
        self._theme()

    def _theme(self) -> None:
        th = self.collection.theme
        self.pal = Palette(th.background, th.surface, th.text, th.accent)
        self.metrics = theme.Metrics(self.size, self.settings.display.screen_width_mm)
        self.layout = PageLayout(self.size, self.metrics, self.large_text)

    def defaults(self) -> VisitDefaults:
        return visit_defaults(self.collection, self.settings, self.captions_default)

    def welcome(self) -> None:
        """Forget the last visitor's choices: the next one starts with the kiosk's defaults."""
        d = self.defaults()
        self.lang, self.captions_on, self.volume = d.lang, d.captions_on, d.volume
        if self.large_text != d.large_text:
            self.set_large_text(d.large_text)

    def set_collection(self, collection: Collection) -> None:
        """Show another collection from now on (a new release, at an attract boundary)."""
        self.collection = collection
        self.map_backgrounds.clear()  # its theme may differ
        self.portraits.clear()
        self.languages = offered_languages(collection, self.settings)
        self._theme()
        if self.lang not in self.languages:
            self.lang = self.defaults().lang

    def set_large_text(self, on: bool) -> None:
        self.large_text = on
        self.layout = PageLayout(self.size, self.metrics, on)

    def gate(self) -> AdminGate:
        """The admin PIN gate, built from the settings the first time staff need it."""
        if self.admin_gate is None:
            self.admin_gate = AdminGate.from_settings(self.settings)
        return self.admin_gate

    def t(self, key: str, *, lang: str | None = None, **values: object) -> str:
        """The kiosk's word ``key`` in the visitor's language (or ``lang``): the collection's
        own words first, then the built-in ones, along the collection's default language."""
        c = self.collection
        return i18n.t(lang or self.lang, key, default=c.default_language, words=c.words, **values)
