"""Machine settings: defaults for everything, every mistake named by key and line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kiosk import settings
from kiosk.settings import Settings, SettingsError


def test_defaults_file_is_complete_and_round_trips(tmp_path: Path) -> None:
    text = settings.defaults_yaml()
    data = yaml.safe_load(text)
    assert set(data) >= {"display", "audio", "camera", "languages", "timeouts", "captions", "paths"}
    assert data["audio"]["volume_cap"] == 0.9
    # Every key carries a comment line above it.
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("  ") and not line.lstrip().startswith("#"):
            assert lines[i - 1].lstrip().startswith("#"), line
    path = tmp_path / "kiosk.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = settings.load(path)
    assert loaded == Settings()  # base_dir is not compared


def test_values_are_read_and_paths_resolved(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.yaml"
    path.write_text(
        "display: {fullscreen: false, width: 1080, height: 1920}\n"
        "audio: {volume: 0.5, volume_cap: 1}\n"
        "camera: {device: 1}\n"
        "languages: {enabled: [en, ru]}\n"
        "paths: {content: exhibit}\n",
        encoding="utf-8",
    )
    s = settings.load(path)
    assert (s.display.fullscreen, s.display.width, s.display.height) == (False, 1080, 1920)
    assert s.audio.volume_cap == 1.0 and isinstance(s.audio.volume_cap, float)
    assert s.camera.device == "1"
    assert s.languages.enabled == ["en", "ru"]
    assert s.path("content") == tmp_path / "exhibit"
    assert s.path("releases") == Path("/var/lib/kiosk/releases")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("display:\n  widht: 1920\n", 2, "display.widht: unknown key"),
        ("screen: {}\n", 1, "screen: unknown section"),
        ("audio:\n  volume: loud\n", 2, "audio.volume: expected a number"),
        ("audio:\n  volume: 1.5\n", 2, "audio.volume: 1.5 is outside 0.0..1.0"),
        ("display:\n  fullscreen: 1\n", 2, "display.fullscreen: expected true or false"),
        ("languages:\n  enabled: ru\n", 2, "languages.enabled: expected a list of text"),
        ("display: [1, 2]\n", 1, "display: must be a mapping"),
        ("display:\n  fps: 60\n  fps: 30\n", 3, "duplicate key 'fps'"),
        ("display:\n\twidth: 1\n", 2, "tabs are not allowed"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "kiosk.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        settings.load(path)
    assert any(
        str(p).startswith(f"{path}:{line}:") and message in str(p) for p in info.value.problems
    ), info.value.problems


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.yaml"
    path.write_text("display: {widht: 1}\naudio: {volume: 7}\n", encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        settings.load(path)
    assert len(info.value.problems) == 2


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.yaml"
    path.write_text("# nothing set\n", encoding="utf-8")
    assert settings.load(path) == Settings()


def test_paths_in_the_settings_are_taken_from_the_file_s_folder(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "kiosk.yaml"
    path.parent.mkdir()
    path.write_text("admin: {pin_file: secret/admin.pin}\n", encoding="utf-8")
    s = settings.load(path)
    assert s.resolve(s.admin.pin_file) == tmp_path / "etc" / "secret" / "admin.pin"
    assert s.resolve(Path("/var/lib/kiosk/x")) == Path("/var/lib/kiosk/x")
    assert s.path("content") == s.resolve("content") == tmp_path / "etc" / "content"


def _configured(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "kiosk.yaml"
    path.write_text(text, encoding="utf-8")
    return settings.load(path)


def test_every_visitor_starts_with_the_kiosk_s_own_defaults(tmp_path: Path) -> None:
    start = Settings().visitor_start(("ru", "en", "sah"), "ru")
    assert start.languages == ("ru", "en", "sah") and start.language == "ru"
    assert start.captions_on and not start.large_text
    assert start.volume == 0.7

    s = _configured(
        tmp_path,
        "languages: {enabled: [en, de, ru], default: en}\n"
        "captions: {default_on: false}\n"
        "audio: {volume: 1.0, volume_cap: 0.8}\n"
        "display: {large_text: true}\n",
    )
    start = s.visitor_start(("ru", "en", "sah"), "ru")
    # Only languages the collection has, in the settings' order; the volume never above the cap.
    assert start.languages == ("en", "ru") and start.language == "en"
    assert not start.captions_on and start.large_text
    assert start.volume == 0.8


def test_a_default_language_that_is_not_offered_gives_way(tmp_path: Path) -> None:
    # The settings name a language this collection lacks: the collection's default instead...
    s = _configured(tmp_path, "languages: {default: de}\n")
    assert s.visitor_start(("ru", "en"), "en").language == "en"
    # ...unless that is not offered either: then the first language offered.
    s = _configured(tmp_path, "languages: {enabled: [sah, en]}\n")
    assert s.visitor_start(("ru", "en", "sah"), "ru").language == "sah"
    # No enabled language in the collection: all of the collection's are offered.
    s = _configured(tmp_path, "languages: {enabled: [de]}\n")
    assert s.visitor_start(("ru", "en"), "ru").languages == ("ru", "en")


def test_the_fleet_is_off_until_a_technician_turns_it_on(tmp_path: Path) -> None:
    fleet = Settings().fleet
    assert (fleet.enabled, fleet.home, fleet.export_every_s) == (False, "/var/lib/kiosk/fleet", 300)
    text = settings.defaults_yaml()
    assert "\nfleet:\n" in text and "  export_every_s: 300.0\n" in text
    path = tmp_path / "kiosk.yaml"
    path.write_text("fleet: {enabled: true, home: fleet, export_every_s: 60}\n", encoding="utf-8")
    s = settings.load(path)
    assert s.fleet.enabled and s.resolve(s.fleet.home) == tmp_path / "fleet"
    path.write_text("fleet:\n  export_every_s: 1\n", encoding="utf-8")
    with pytest.raises(
        SettingsError, match=r"kiosk.yaml:2: .*fleet.export_every_s: 1.0 is outside"
    ):
        settings.load(path)
