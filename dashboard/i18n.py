"""The dashboard's languages: one gettext catalog per language, loaded once per process.

Catalogs live in ``locale/<lang>/LC_MESSAGES/messages.po`` (committed) and are compiled to
``messages.mo`` by ``make catalogs`` (``make run`` and ``make test`` do it first); the strings are
extracted from the source with ``pybabel extract`` (babel.cfg). English is the source language:
its catalog lists every message with an empty translation, so gettext shows the source text.
Adding a language is adding a catalog: ``pybabel init -i locale/messages.pot -d locale -l <lang>``,
translate, ``make catalogs``; the language switch lists every catalog it finds.

The current language is per script run (a ContextVar: Streamlit runs each session's script in its
own thread), so two sessions in two languages never see each other's text.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, Final

from calculators.messages import Message

LOCALE_DIR: Final[Path] = Path(__file__).resolve().parents[1] / "locale"
DOMAIN: Final[str] = "messages"
SOURCE_LANGUAGE: Final[str] = "en"
# Names of the languages in themselves (the switch shows each in its own script).
_NATIVE_NAMES: Final[dict[str, str]] = {"en": "English", "zh": "中文"}

_current: ContextVar[str] = ContextVar("dashboard_language", default=SOURCE_LANGUAGE)


def _discover() -> tuple[str, ...]:
    found = sorted(
        p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
    )
    if SOURCE_LANGUAGE in found:
        found.remove(SOURCE_LANGUAGE)
    return (SOURCE_LANGUAGE, *found)


LANGUAGES: Final[tuple[str, ...]] = _discover()


def native_name(lang: str) -> str:
    """'中文', 'English'; a language without an entry above is named by Babel's CLDR data."""
    if lang in _NATIVE_NAMES:
        return _NATIVE_NAMES[lang]
    from babel import Locale

    return str(Locale.parse(lang).get_display_name(lang) or lang)


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(lang: str) -> bytes:
    """The .mo bytes of a language's committed .po (Babel's compiler, as `pybabel compile`)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang``, read once per process. The compiled .mo is used when present; a
    fresh checkout without one compiles the committed .po in memory instead."""
    if lang not in LANGUAGES:
        raise ValueError(f"no catalog for language {lang!r}; have {', '.join(LANGUAGES)}")
    mo = po_path(lang).with_suffix(".mo")
    data = mo.read_bytes() if mo.is_file() else compile_po(lang)
    return gettext.GNUTranslations(io.BytesIO(data))


def language() -> str:
    """The language of the current script run."""
    return _current.get()


def set_language(lang: str) -> None:
    _current.set(lang if lang in LANGUAGES else SOURCE_LANGUAGE)


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Run a block in ``lang`` (tests, exports), then restore the previous language."""
    token = _current.set(lang if lang in LANGUAGES else SOURCE_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """The current language's translation of a constant message (the msgid is the English)."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


class Joined(str):
    """Several messages shown as one text (e.g. a pin's notices): each item translated on its
    own, its final full stop dropped, joined by ``sep``. As a ``str`` it is the English."""

    items: tuple[str, ...]
    sep: str

    def __new__(cls, sep: str, items: Sequence[str]) -> Joined:
        self = super().__new__(cls, sep.join(_unstop(i) for i in items))
        self.items = tuple(items)
        self.sep = sep
        return self


def _unstop(text: str) -> str:
    return text.rstrip(".。")


def tr(text: str) -> str:
    """Translate text produced elsewhere: a calculators :class:`Message` by its template (its
    parameters translated in turn), any other string as a msgid (unchanged when unknown, e.g.
    a model name)."""
    if isinstance(text, Joined):
        return text.sep.join(_unstop(tr(i)) for i in text.items)
    if isinstance(text, Message):
        if not text.params:
            return _(text.template)
        params: dict[str, Any] = {
            k: tr(v) if isinstance(v, (Message, Joined)) else v for k, v in text.params.items()
        }
        return _(text.template).format(**params)
    return _(text)


def locale_language(locale: str | None) -> str:
    """The catalog for a browser locale ('zh-CN', 'zh_Hans', 'en-GB'); English when none fits."""
    if not locale:
        return SOURCE_LANGUAGE
    primary = re.split(r"[-_]", locale.strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else SOURCE_LANGUAGE
