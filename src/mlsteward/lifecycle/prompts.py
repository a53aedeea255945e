"""`steward llm prompts`: prompts as versioned records, read from a prompt file, rendered, compared and traced to
the evaluations that used them.

A prompt file is YAML::

    name: dataset-qa
    description: Answers questions about R datasets from their documentation only.
    template: |
      Answer from the documents below only. If they do not say, answer "I don't know".
      Documents:
      {context}
      Question: {question}
    params: {model: extractive-v1, temperature: 0, max_tokens: 200}   # passed to the application as given
    variables: [context, question]        # optional: checked against the template's {placeholders}

Placeholders are ``{name}``; a literal brace is written ``{{`` or ``}}`` (``mlsteward.llm.prompt_text``).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlsteward.errors import InvalidInput
from mlsteward.llm.prompt_text import render, template_variables
from mlsteward.store.prompts import PromptVersion
from mlsteward.store.runs import RunRecord
from mlsteward.workspace import Workspace


class PromptFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    template: str = Field(min_length=1)
    description: str = ""
    params: dict[str, Any] = {}
    variables: list[str] | None = None


def read_prompt_file(path: str | Path) -> PromptFile:
    """A prompt file, checked: its YAML, its keys, and its declared variables against the template."""
    source = Path(path)
    if not source.is_file():
        raise InvalidInput(f"no prompt file at {str(source)!r}: write one (name, template, params) — "
                           "`steward llm prompts register --help` shows the format")
    try:
        prompt = PromptFile.model_validate(yaml.safe_load(source.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source} is not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'the file'}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"{source} is not a prompt file: {problems}") from exc
    found = template_variables(prompt.template)
    if prompt.variables is not None and sorted(prompt.variables) != sorted(found):
        raise InvalidInput(f"{source}: variables {prompt.variables} do not match the template's placeholders "
                           f"{found}")
    return prompt


def register_prompt(workspace: Workspace, project: str, path: str | Path) -> tuple[PromptVersion, bool]:
    """Register the prompt file's content as a new version (or find the version that has it)."""
    prompt = read_prompt_file(path)
    return workspace.store.prompts.register(project=project, name=prompt.name, template=prompt.template,
                                            variables=template_variables(prompt.template), params=prompt.params,
                                            description=prompt.description)


def prompt_diff(old: PromptVersion, new: PromptVersion) -> str:
    """A unified diff of the template, the parameters and the description, old to new."""
    def lines(p: PromptVersion) -> list[str]:
        return [*p.template.splitlines(), "", "# params", *json.dumps(p.params, indent=2, sort_keys=True).splitlines(),
                "", "# description", *p.description.splitlines()]

    diff = difflib.unified_diff(lines(old), lines(new), fromfile=old.ref, tofile=new.ref, lineterm="")
    return "\n".join(diff) or f"{old.ref} and {new.ref} have the same content"


def evaluations_of(workspace: Workspace, project: str, prompt: PromptVersion) -> list[RunRecord]:
    """The runs that evaluated or red-teamed this version (runs with ``params.prompt`` = its ref), newest first."""
    return workspace.store.runs.search(f"params.prompt = '{prompt.ref}'", experiment=project, limit=1000)


__all__ = ["PromptFile", "evaluations_of", "prompt_diff", "read_prompt_file", "register_prompt"]
