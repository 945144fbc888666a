"""An LLM judge through any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama,
llama.cpp's server all speak it): `POST {BRIGHTRUN_JUDGE_URL}/chat/completions`.

Rules that make its scores worth showing:
- temperature 0 and a JSON answer validated with msgspec: anything else is not a score;
- every base/trained comparison is judged twice, the answers swapped, and the two averaged, so
  a judge that favours a position (they do) favours both models equally;
- an error, timeout or unparseable answer is retried with backoff, `judge_max_tries` times in
  all, and then raises `JudgeError`: the caller marks the scenario failed, never scores it;
- the prompt is versioned (`PROMPT_IDS`) and recorded with the results beside the judge model.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from libs.common.settings import Settings
from proto.validation import EI_DIMENSIONS, Rubric, ScenarioAnswers, Score
from services.validation.answer_figures import BrandScore, EIScore

PROMPT_IDS = {"emotional_intelligence": "ei-pair-v1", "brand_voice": "brand-voice-v1"}


class JudgeError(Exception):
    pass


class DimensionScores(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    empathy: Score
    clarity: Score
    appropriateness: Score


class PairVerdict(msgspec.Struct, frozen=True):
    A: DimensionScores
    B: DimensionScores
    rationale: str = ""


class BrandVerdict(msgspec.Struct, frozen=True):
    scores: dict[str, Score]  # "1".."10": the rubric's characteristics by number
    violations: list[int] = msgspec.field(default_factory=list)  # numbers of `avoid` items
    rationale: str = ""


@dataclass
class Tally:
    """Judge calls made for one scenario (tries included) and the tokens the endpoint reported."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


EI_SYSTEM = (
    "You are an impartial evaluator of financial-advisor replies. Score each of two replies, "
    "A and B, to the same client message from 1 (poor) to 5 (excellent) on: empathy (recognises "
    "and responds to the client's feelings), clarity (easy to follow, plain language) and "
    "appropriateness (suitable, safe and relevant advice). Judge content, not length or order. "
    'Answer with JSON only: {"A": {"empathy": n, "clarity": n, "appropriateness": n}, '
    '"B": {"empathy": n, "clarity": n, "appropriateness": n}, "rationale": "one sentence"}')

BRAND_SYSTEM = (
    "You are an impartial evaluator of brand voice. Score the advisor's reply from 1 (absent) "
    "to 5 (fully present) on each numbered characteristic, and list the numbers of any "
    'avoided behaviours the reply shows. Answer with JSON only: {"scores": {"1": n, ...}, '
    '"violations": [numbers], "rationale": "one sentence"}')


def _context(s: ScenarioAnswers) -> str:
    history = "\n".join(f"{t.role}: {t.content}" for t in s.history)
    return (f"Advisor instructions:\n{s.system_prompt}\n\nConversation so far:\n"
            f"{history or '(none)'}\n\nClient's message:\n{s.user_input}")


def ei_prompt(s: ScenarioAnswers, first: str, second: str) -> list[dict[str, str]]:
    user = f"{_context(s)}\n\nReply A:\n<<<\n{first}\n>>>\n\nReply B:\n<<<\n{second}\n>>>"
    return [{"role": "system", "content": EI_SYSTEM}, {"role": "user", "content": user}]


def brand_prompt(s: ScenarioAnswers, rubric: Rubric) -> list[dict[str, str]]:
    chars = "\n".join(f"{i}. {c.name}: {c.description}"
                      for i, c in enumerate(rubric.characteristics, 1))
    avoid = "\n".join(f"{i}. {a}" for i, a in enumerate(rubric.avoid, 1)) or "(none)"
    user = (f"{_context(s)}\n\nAdvisor's reply:\n<<<\n{s.trained_answer}\n>>>\n\n"
            f"Characteristics:\n{chars}\n\nAvoided behaviours:\n{avoid}")
    return [{"role": "system", "content": BRAND_SYSTEM}, {"role": "user", "content": user}]


def _json_text(content: str) -> str:
    """The JSON object in a reply, without the Markdown fence some models put around it."""
    start, end = content.find("{"), content.rfind("}")
    return content[start:end + 1] if 0 <= start < end else content


class Judge:
    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.url = settings.judge_url.rstrip("/") + "/chat/completions"
        self.model = settings.judge_model
        self.max_tries = max(1, settings.judge_max_tries)
        self.retry_base_s = settings.judge_retry_base_s
        headers = ({"Authorization": f"Bearer {settings.judge_api_key}"}
                   if settings.judge_api_key else {})
        self.client = client or httpx.AsyncClient(timeout=settings.judge_timeout_s, headers=headers)

    async def close(self) -> None:
        await self.client.aclose()

    async def _complete(self, messages: list[dict[str, str]], tally: Tally) -> str:
        body = {"model": self.model, "messages": messages, "temperature": 0,
                "response_format": {"type": "json_object"}}
        tally.calls += 1
        try:
            response = await self.client.post(self.url, json=body)
            response.raise_for_status()
            data: dict[str, Any] = response.json()
        except (httpx.HTTPError, json.JSONDecodeError) as exc:
            raise JudgeError(f"judge call failed: {type(exc).__name__}: {exc}") from exc
        usage = data.get("usage") or {}
        tally.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        tally.completion_tokens += int(usage.get("completion_tokens") or 0)
        try:
            return data["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise JudgeError("judge answered without a message") from exc

    async def _ask(self, messages: list[dict[str, str]], type_: type, tally: Tally,
                   check: Callable[[Any], None] | None = None) -> Any:
        """A validated answer; `check` raises `msgspec.ValidationError` on a wrong content."""
        reason = ""
        for attempt in range(self.max_tries):
            if attempt:
                await asyncio.sleep(self.retry_base_s * 2 ** (attempt - 1))
            try:
                content = await self._complete(messages, tally)
                answer = msgspec.json.decode(_json_text(content), type=type_)
                if check is not None:
                    check(answer)
                return answer
            except JudgeError as exc:
                reason = str(exc)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                reason = f"unparseable judge answer: {exc}"
        raise JudgeError(f"{reason} (after {self.max_tries} tries)")

    async def score_pair(self, s: ScenarioAnswers, tally: Tally) -> EIScore:
        """Both orders: base as A then trained as A; each model's scores averaged over both."""
        assert s.base_answer is not None
        first = await self._ask(ei_prompt(s, s.base_answer, s.trained_answer), PairVerdict, tally)
        second = await self._ask(ei_prompt(s, s.trained_answer, s.base_answer), PairVerdict, tally)

        def mean(x: DimensionScores, y: DimensionScores) -> dict[str, float]:
            return {d: (getattr(x, d) + getattr(y, d)) / 2 for d in EI_DIMENSIONS}

        return EIScore(scenario_id=s.scenario_id, base=mean(first.A, second.B),
                       trained=mean(first.B, second.A),
                       rationale=" / ".join(r for r in (first.rationale, second.rationale) if r))

    async def score_brand(self, s: ScenarioAnswers, rubric: Rubric, tally: Tally) -> BrandScore:
        names = [c.name for c in rubric.characteristics]

        def covers_all(verdict: BrandVerdict) -> None:
            if set(verdict.scores) != {str(i) for i in range(1, len(names) + 1)}:
                raise msgspec.ValidationError("scores must cover every characteristic, 1 to "
                                              f"{len(names)}")

        verdict = await self._ask(brand_prompt(s, rubric), BrandVerdict, tally, covers_all)
        return BrandScore(
            scenario_id=s.scenario_id,
            scores={names[int(k) - 1]: float(v) for k, v in verdict.scores.items()},
            violations=[rubric.avoid[i - 1] for i in verdict.violations
                        if 1 <= i <= len(rubric.avoid)])
