"""Prompt templates: their ``{name}`` placeholders and rendering. A literal brace is written ``{{`` or ``}}``."""

from __future__ import annotations

import string
from typing import Protocol

from mlsteward.errors import InvalidInput


class Template(Protocol):
    template: str
    variables: list[str]
    ref: str


def template_variables(template: str) -> list[str]:
    """The template's placeholders, in order of first use; malformed braces or positional ``{}`` are refused."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidInput(f"the template's braces do not match ({exc}): a placeholder is {{name}}, a literal "
                           "brace is {{ or }}") from exc
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise InvalidInput(f"placeholder {{{field}{'!' + conversion if conversion else ''}"
                               f"{':' + spec if spec else ''}}} is not a plain {{name}}: use a name such as "
                               "{question}")
        if field not in names:
            names.append(field)
    return names


def render(prompt: Template, **values: object) -> str:
    """The template filled in; a missing value is an error naming it."""
    missing = [v for v in prompt.variables if v not in values]
    if missing:
        raise InvalidInput(f"{prompt.ref} needs {', '.join(missing)} to render")
    return prompt.template.format(**{v: values[v] for v in prompt.variables})


__all__ = ["Template", "render", "template_variables"]
