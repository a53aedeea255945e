"""The LLM application in service: its registered prompt, its guardrails and its response cache, every answer
priced, scored and written to the answer log (``mlsteward.lifecycle.llm_answer_log``) that `steward llm monitor` reads.

``steward llm serve`` puts an ``AnswerService`` behind HTTP; an application that serves itself uses it from
Python::

    with AnswerService.open(".") as service:   # the project of ./steward.yaml
        answer = service.ask("How many rows does the dataset mtcars have?")
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from mlsteward.lifecycle.llm_answer_log import AnswerLog
from mlsteward.lifecycle.llm_cache import ResponseCache
from mlsteward.lifecycle.llm_eval import application_under_test, resolve_prompt
from mlsteward.llm.app import Answer
from mlsteward.spec import Spec
from mlsteward.workspace import Workspace


class AnswerService:
    def __init__(self, workspace: Workspace, spec: Spec, *, app: str | None = None, prompt: str | None = None,
                 guardrails: bool = True, cache: bool | None = None, flush_seconds: float = 0.5) -> None:
        """``app`` / ``prompt`` default to ``llm.app`` / ``llm.prompt``; ``cache`` to ``llm.cache.enabled``."""
        self.workspace, self.spec = workspace, spec
        use_cache = spec.llm.cache.enabled if cache is None else cache
        responses = ResponseCache(workspace.store.llm, spec.project, spec.llm.cache) if use_cache else None
        self.application = application_under_test(spec, app, guardrails, purpose="serve", cache=responses)
        self.prompt = resolve_prompt(workspace, prompt or spec.llm.prompt)
        self.log = AnswerLog(workspace.store.llm, spec.project, self.application.name, support=spec.llm.support,
                             flush_seconds=flush_seconds)

    @classmethod
    def open(cls, path: str | Path = ".", **options: object) -> AnswerService:
        """The service of the project whose steward.yaml is in the folder ``path`` or above it."""
        from mlsteward.errors import InvalidInput
        from mlsteward.settings import resolve_settings
        from mlsteward.spec import load_spec

        settings = resolve_settings(Path(path))
        if settings.spec_path is None:
            raise InvalidInput(f"no steward.yaml in {path} or above it: run `steward init` there first")
        return cls(Workspace(settings), load_spec(settings.spec_path), **options)

    def ask(self, question: str, *, contexts: list[str] | None = None) -> Answer:
        """Answer one question and log the answer."""
        answer = self.application.answer(question, contexts=contexts, prompt=self.prompt)
        self.log.append(answer)
        return answer

    def close(self) -> None:
        """Write the answers still queued."""
        self.log.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["AnswerService"]
