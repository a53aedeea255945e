"""The application interface: Steward evaluates any Python callable and never needs a vendor.

An application is ``generate(question, context)`` returning the answer text, where ``context`` is a list of
``Document`` (id, text, updated); if ``generate`` also takes ``prompt``, it receives the registered prompt
version rendered with the question and the context. ``retrieve(question)`` returning documents is optional:
without it, an evaluation case's own contexts are the documents.

``load_application("module:attribute")`` accepts a ``generate`` function, an object with ``generate`` (and
``retrieve``) methods, or a factory called with no arguments that returns either.
"""

from __future__ import annotations

import importlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.llm.prompt_text import render


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    updated: str | None = None  # when the document last changed (ISO 8601): retrieval provenance, index freshness


class Answer(BaseModel):
    question: str
    answer: str
    documents: list[dict[str, str | None]]  # id and updated of each document the answer was given
    contexts: list[str]
    latency_ms: float


class Application:
    def __init__(self, generate: Callable[..., str], retrieve: Callable[[str], list[Document]] | None = None,
                 name: str = "application") -> None:
        self.generate, self.retrieve, self.name = generate, retrieve, name
        self._takes_prompt = "prompt" in _parameters(generate)

    def answer(self, question: str, *, contexts: list[str] | None = None, prompt: Any = None) -> Answer:
        """Ask one question; ``prompt`` (a ``PromptVersion``) is rendered for a generate that takes it."""
        started = time.perf_counter()
        if self.retrieve is not None and contexts is None:
            documents = list(self.retrieve(question))
        else:
            documents = [Document(id=f"context-{i + 1}", text=text) for i, text in enumerate(contexts or [])]
        kwargs = {}
        if self._takes_prompt and prompt is not None:
            values = {"question": question, "context": "\n\n".join(f"[{d.id}] {d.text}" for d in documents)}
            kwargs["prompt"] = render(prompt, **{k: v for k, v in values.items() if k in prompt.variables})
        text = self.generate(question, documents, **kwargs)
        if not isinstance(text, str):
            raise InvalidInput(f"{self.name}'s generate returned {type(text).__name__}, not the answer's text (str)")
        return Answer(question=question, answer=text, documents=[{"id": d.id, "updated": d.updated} for d in documents],
                      contexts=[d.text for d in documents], latency_ms=(time.perf_counter() - started) * 1000)


def load_application(path: str) -> Application:
    """The application at ``module:attribute`` (module docstring); a clear error for anything else."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise InvalidInput(f"{path!r} is not module:attribute, e.g. mlsteward.llm.example_app:example_application")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except ImportError as exc:
        raise InvalidInput(f"cannot import {module_name!r} for the application {path!r}: {exc}") from exc
    except AttributeError as exc:
        raise InvalidInput(f"module {module_name!r} has no {attribute!r} (llm.app = {path!r})") from exc
    if inspect.isclass(target) or (callable(target) and not hasattr(target, "generate") and not _required(target)):
        target = target()  # a factory
    if hasattr(target, "generate"):
        return Application(target.generate, getattr(target, "retrieve", None), name=path)
    if callable(target) and len(_required(target)) >= 2:
        return Application(target, name=path)
    raise InvalidInput(f"{path} is not an application: give generate(question, context), an object with a "
                       "generate method, or a factory of one")


def _parameters(function: Callable) -> dict[str, inspect.Parameter]:
    try:
        return dict(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return {}


def _required(function: Callable) -> list[str]:
    return [n for n, p in _parameters(function).items() if p.default is p.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


__all__ = ["Answer", "Application", "Document", "load_application"]
