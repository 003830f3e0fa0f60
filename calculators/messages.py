"""Text that the calculators hand to people (notes, method labels, error messages), kept
translatable without the calculators knowing about languages.

A :class:`Message` *is* the English text (a ``str``, so the CLI, JSON output and every existing
comparison see plain English) and also carries its template and parameters, so the dashboard can
look the template up in a gettext catalog and fill in the same parameters. ``N_`` marks a constant
string for extraction (``pybabel extract``, keywords ``Message`` and ``N_``; see babel.cfg) without
changing it. No catalog is read here: translation happens at the edge (dashboard/i18n.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Message(str):
    """English text from ``template.format(**params)``, remembering template and parameters.

    Parameters may themselves be Messages (e.g. a file name around an error), translated in turn.
    """

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Message:
        self = super().__new__(cls, template.format(**params) if params else template)
        self.template = template
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # copy/pickle keep template and parameters
        return (_rebuild, (self.template, dict(self.params)))


def _rebuild(template: str, params: dict[str, Any]) -> Message:
    return Message(template, **params)


def N_(text: str) -> str:
    """Mark a constant string for extraction into the catalogs; returns it unchanged."""
    return text


def message_of(error: BaseException) -> str:
    """The error's text, as the Message it was raised with when there is one."""
    if len(error.args) == 1 and isinstance(error.args[0], str):
        return error.args[0]
    return str(error)
