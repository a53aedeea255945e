"""The application interface: Steward evaluates any Python callable and never needs a vendor.

An application is ``generate(question, context)`` returning the answer text (or a ``Reply``: the text with its
model's token counts, ``mlsteward.llm.usage``), where ``context`` is a list of ``Document`` (id, text, updated);
if ``generate`` also takes ``prompt``, it receives the registered prompt version rendered with the question and
the context. ``retrieve(question)`` returning documents is optional: without it, an evaluation case's own
contexts are the documents.

With ``guardrails`` every generated answer passes through the output filters (``mlsteward.llm.guardrails``).
Each answer carries its provenance (the documents' ids and times), its tokens in and out and their cost at the
``price_of`` its model, and, with a cache (``mlsteward.llm.cache``), whether the cache gave it (then it cost nothing, and saved
what the cached answer cost).

``load_application("module:attribute")`` accepts a ``generate`` function, an object with ``generate`` (and
``retrieve``) methods, or a factory called with no arguments that returns either.
"""

from __future__ import annotations

import importlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.llm.cache import AnswerCache, CacheHit, CacheMiss, cache_scope
from mlsteward.llm.guardrails import apply_guardrails
from mlsteward.llm.prompt_text import render
from mlsteward.llm.usage import Reply, count_tokens

if TYPE_CHECKING:
    from mlsteward.spec_llm import Guardrails
    from mlsteward.spec_llm_ops import Price


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
    prompt: str | None = None  # NAME@VERSION
    model: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_counted: bool = False  # counted by Steward (an estimate), not reported by the application
    cost_usd: float = 0.0
    cache: str | None = None  # exact or semantic when the cache gave the answer
    saved_usd: float = 0.0  # what a cached answer did not cost
    guardrails: list[str] | None = None  # what the output filters did (None: not guarded, or from the cache)
    guardrail_ms: float | None = None  # the time the filters took


class Application:
    def __init__(self, generate: Callable[..., str | Reply], retrieve: Callable[[str], list[Document]] | None = None,
                 name: str = "application", *, price_of: Callable[[str | None], Price | None] | None = None,
                 cache: AnswerCache | None = None, guardrails: Guardrails | None = None) -> None:
        self.generate, self.retrieve, self.name = generate, retrieve, name
        self.price_of, self.cache = price_of, cache
        self.guardrails = guardrails if guardrails is not None and guardrails.active else None
        self._takes_prompt = "prompt" in _parameters(generate)

    def answer(self, question: str, *, contexts: list[str] | None = None, prompt: Any = None) -> Answer:
        """Ask one question; ``prompt`` (a ``PromptVersion``) is rendered for a generate that takes it."""
        started = time.perf_counter()
        if self.retrieve is not None and contexts is None:
            documents = list(self.retrieve(question))
        else:
            documents = [Document(id=f"context-{i + 1}", text=text) for i, text in enumerate(contexts or [])]
        given = {"question": question, "documents": [{"id": d.id, "updated": d.updated} for d in documents],
                 "contexts": [d.text for d in documents], "prompt": prompt.ref if prompt is not None else None}
        looked_up = self._cached(question, given) if self.cache is not None else None
        if isinstance(looked_up, CacheHit):
            return Answer(**given, answer=looked_up.answer, latency_ms=_since(started), cache=looked_up.kind,
                          saved_usd=looked_up.cost_usd)
        sent = "\n\n".join([question, *given["contexts"]])
        kwargs = {}
        if self._takes_prompt and prompt is not None:
            values = {"question": question, "context": "\n\n".join(f"[{d.id}] {d.text}" for d in documents)}
            kwargs["prompt"] = sent = render(prompt, **{k: v for k, v in values.items() if k in prompt.variables})
        reply = self.generate(question, documents, **kwargs)
        reply = reply if isinstance(reply, Reply) else Reply(text=reply)
        if not isinstance(reply.text, str):
            raise InvalidInput(f"{self.name}'s generate returned {type(reply.text).__name__}, not the answer's "
                               "text (str) or a mlsteward.llm.usage.Reply")
        answer = Answer(**given, answer=reply.text, latency_ms=0.0, model=reply.model, **_usage(reply, sent))
        if self.guardrails is not None:  # after counting: the tokens out are what the model was paid for
            guarded = apply_guardrails(reply.text, self.guardrails)
            answer.answer, answer.guardrails, answer.guardrail_ms = guarded.text, guarded.actions, guarded.latency_ms
        price = self.price_of(reply.model) if self.price_of is not None else None
        if price is not None:
            answer.cost_usd = price.cost(answer.tokens_in, answer.tokens_out)
        answer.latency_ms = _since(started)
        if looked_up is not None:
            self.cache.put(looked_up, answer=answer.answer, tokens_in=answer.tokens_in, tokens_out=answer.tokens_out,
                           cost_usd=answer.cost_usd, latency_ms=answer.latency_ms)
        return answer

    def _cached(self, question: str, given: dict) -> CacheHit | CacheMiss:
        documents = zip(given["documents"], given["contexts"], strict=True)
        setting = self.name if self.guardrails is None else f"{self.name} {self.guardrails.model_dump_json()}"
        scope = cache_scope(setting, given["prompt"], [(d["id"], d["updated"], text) for d, text in documents])
        return self.cache.lookup(question, scope)


def _usage(reply: Reply, sent: str) -> dict[str, Any]:
    """The reply's token counts, each counted by Steward when the application did not report it."""
    if reply.tokens_in is not None and reply.tokens_out is not None:
        return {"tokens_in": reply.tokens_in, "tokens_out": reply.tokens_out, "tokens_counted": False}
    counted_in, counted_out = count_tokens([sent, reply.text])
    return {"tokens_in": reply.tokens_in if reply.tokens_in is not None else counted_in,
            "tokens_out": reply.tokens_out if reply.tokens_out is not None else counted_out, "tokens_counted": True}


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def load_application(path: str, **options: Any) -> Application:
    """The application at ``module:attribute`` (module docstring) with ``options`` (``price_of``, ``cache``,
    ``guardrails``); a clear error for anything else."""
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
        return Application(target.generate, getattr(target, "retrieve", None), name=path, **options)
    if callable(target) and len(_required(target)) >= 2:
        return Application(target, name=path, **options)
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
