"""Curators' form fields -> changes to the round-trip YAML document, touching only what changed.

A value is written only when it differs from what the file holds (after the trimming the loader
does), and in the file's own style: a double-quoted date stays double-quoted, a block text stays a
block, a flow map stays a flow map. So saving a page without changes writes nothing, and changing
one field changes one line (or one block of text).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

Form = Mapping[str, str]


def clean(value: str | None) -> str:
    """Browsers send textareas with CRLF; the files use LF. Outer spaces mean nothing here."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def styled(old: Any, new: str) -> Any:
    """``new`` in the quoting style of ``old``; a text of several lines becomes a block."""
    if isinstance(old, LiteralScalarString) or "\n" in new:
        return LiteralScalarString(new + "\n")
    if isinstance(old, DoubleQuotedScalarString):
        return DoubleQuotedScalarString(new)
    if isinstance(old, SingleQuotedScalarString):
        return SingleQuotedScalarString(new)
    return new


def flow_map(**values: Any) -> CommentedMap:
    m = CommentedMap(values)
    m.fa.set_flow_style()
    return m


def text_value(data: Any, key: str, lang: str) -> str:
    value = data.get(key) if isinstance(data, Mapping) else None
    if isinstance(value, Mapping):
        return str(value.get(lang) or "").strip()
    return ""


def set_text(data: CommentedMap, key: str, lang: str, new: str, default_lang: str) -> bool:
    """Set one language of a per-language text; False when nothing changed."""
    new = clean(new)
    value = data.get(key)
    if isinstance(value, str):
        # A bare string is the default language's text (as the loader reads it).
        if lang == default_lang:
            if value.strip() == new:
                return False
            data[key] = styled(value, new)
            return True
        if not new:
            return False
        value = flow_map(**{default_lang: value})
        data[key] = value
    if not isinstance(value, CommentedMap):
        if not new:
            return False
        data[key] = flow_map(**{lang: new})
        return True
    old = value.get(lang)
    if str(old or "").strip() == new:
        return False
    if not new:
        del value[lang]
        return True
    # A new translation takes the quoting of its neighbours, so the line keeps one style.
    model = old if old is not None else next(iter(value.values()), None)
    value[lang] = styled(model, new)
    return True


def set_scalar(data: CommentedMap, key: str, new: str, *, as_int: bool = False) -> bool:
    """Set (or remove, when empty) a plain field: a date, the order, the portrait file."""
    new = clean(new)
    old = data.get(key)
    if str(old if old is not None else "").strip() == new:
        return False
    if not new:
        if key in data:
            del data[key]
            return True
        return False
    value: Any = new
    if as_int:
        try:
            value = int(new)
        except ValueError:
            value = new  # kept as typed: the validator will say what is wrong with it
    else:
        value = styled(old if old is not None else DoubleQuotedScalarString(""), new)
    data[key] = value
    return True


def apply_explorer(data: CommentedMap, form: Form, languages: Sequence[str], default: str) -> int:
    """Apply the explorer page's fields; the number of fields changed."""
    changed = 0
    for key in ("name", "summary", "body"):
        for lang in languages:
            name = f"{key}.{lang}"
            if name in form:
                changed += set_text(data, key, lang, form[name], default)
    for key in ("born", "died", "portrait"):
        if key in form:
            changed += set_scalar(data, key, form[key])
    if "order" in form:
        changed += set_scalar(data, "order", form["order"], as_int=True)
    changed += _apply_facts(data, form, languages, default)
    if "sources" in form:
        changed += _apply_sources(data, form["sources"])
    return changed


def _apply_facts(data: CommentedMap, form: Form, languages: Sequence[str], default: str) -> int:
    facts = data.get("facts")
    changed = 0
    if isinstance(facts, CommentedSeq):
        for i, fact in enumerate(facts):
            if not isinstance(fact, CommentedMap):
                continue
            if f"fact.{i}.date" in form:
                changed += set_scalar(fact, "date", form[f"fact.{i}.date"])
            for lang in languages:
                name = f"fact.{i}.text.{lang}"
                if name in form:
                    changed += set_text(fact, "text", lang, form[name], default)
        drop = form.get("delete_fact")
        if drop is not None and drop.isdigit() and int(drop) < len(facts):
            del facts[int(drop)]
            changed += 1
    if "add_fact" in form:
        if not isinstance(facts, CommentedSeq):
            facts = CommentedSeq()
            data["facts"] = facts
        texts = flow_map(**{lang: DoubleQuotedScalarString("") for lang in languages})
        facts.append(flow_map(date=DoubleQuotedScalarString(""), text=texts))
        changed += 1
    return changed


def _apply_sources(data: CommentedMap, raw: str) -> int:
    wanted = [line.strip() for line in clean(raw).splitlines() if line.strip()]
    sources = data.get("sources")
    if not isinstance(sources, CommentedSeq):
        if not wanted:
            return 0
        sources = CommentedSeq()
        data["sources"] = sources
    current = [str(s).strip() for s in sources]
    if current == wanted:
        return 0
    # Change items in place (keeps each line's quoting), then add or drop the tail.
    for i, text in enumerate(wanted):
        if i < len(sources):
            if current[i] != text:
                sources[i] = styled(sources[i], text)
        else:
            model = sources[0] if len(sources) else DoubleQuotedScalarString("")
            sources.append(styled(model, text))
    del sources[len(wanted) :]
    return 1


def apply_words(
    data: CommentedMap, form: Form, languages: Sequence[str], keys: Sequence[str]
) -> int:
    """Apply the words editor (``w.<lang>.<key>``) to collection.yaml's ``words``; the number of
    words changed. An emptied word is removed (it falls back again), and so are a language and
    ``words`` itself once empty."""
    changed = 0
    for lang in languages:
        for key in keys:
            name = f"w.{lang}.{key}"
            if name not in form:
                continue
            changed += _set_word(data, lang, key, clean(form[name]))
    return changed


def _set_word(data: CommentedMap, lang: str, key: str, new: str) -> bool:
    words = data.get("words")
    table = words.get(lang) if isinstance(words, CommentedMap) else None
    old = table.get(key) if isinstance(table, CommentedMap) else None
    if str(old if old is not None else "").strip() == new:
        return False
    if not new:
        assert isinstance(words, CommentedMap) and isinstance(table, CommentedMap)
        del table[key]
        if not table:
            del words[lang]
        if not words:
            del data["words"]
        return True
    if not isinstance(words, CommentedMap):
        if words is not None:
            raise ValueError("words in collection.yaml is not a mapping; fix it there")
        words = CommentedMap()
        data["words"] = words
    if not isinstance(table, CommentedMap):
        if table is not None:
            raise ValueError(f"words.{lang} in collection.yaml is not a mapping; fix it there")
        table = CommentedMap()
        words[lang] = table
    table[key] = styled(old, new) if isinstance(old, str) else new
    return True
