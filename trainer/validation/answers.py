"""UJ5.2.2 / UJ5.2.4: held-out scenarios answered by the base and the trained model.

A scenario is a held-out training pair: system prompt, history and user input rendered with the
model's chat template exactly as training renders them (data.build_example: same template, same
truncation), the expert's target response kept as the reference. Answers are greedy (no
sampling, so the same model always answers the same) and generated in left-padded batches: on a
CPU one scenario at a time would leave most of each matrix multiply idle.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from typing import Literal

import torch

from libs.common.training_format import TrainingPair
from proto.validation import AnswersDetail, ChatTurn, Decoding, ScenarioAnswers
from trainer.data import IGNORE_INDEX, Example, SkippedRecord, build_example
from trainer.validation import likelihood
from trainer.validation.context import Context

GENERATE_ROWS = {"cpu": 8, "cuda": 16}  # scenarios a generate() call answers together

SUITE_LABEL = {"emotional_intelligence": "emotional intelligence", "brand_voice": "brand voice"}

@dataclass(frozen=True)
class Scenario:
    pair: TrainingPair
    example: Example  # prompt + reference, as training saw them

    @property
    def prompt_ids(self) -> list[int]:
        first_target = next(i for i, label in enumerate(self.example.labels)
                            if label != IGNORE_INDEX)
        return self.example.input_ids[:first_target]

def _rank(seed: int, pair_id: str) -> bytes:
    return hashlib.sha256(f"{seed}:scenario:{pair_id}".encode()).digest()

def select(ctx: Context, count: int) -> list[Scenario]:
    """Up to `count` held-out pairs the template can render, in an order fixed by the seed, so
    a smaller set is always the start of a larger one (brand voice reuses EI's answers)."""
    chosen: list[Scenario] = []
    for pair in sorted(ctx.held_out, key=lambda p: _rank(ctx.plan.seed, p.id)):
        if len(chosen) == count:
            break
        try:
            example, _ = build_example(pair, ctx.tokenizer, ctx.max_seq_len)
        except SkippedRecord:
            continue
        chosen.append(Scenario(pair, example))
    if not chosen:
        raise ValueError("no held-out scenarios: the training file has no held-out pair the "
                         "model's chat template can render")
    return chosen

def _left_padded(prompts: list[list[int]], pad_id: int) -> dict[str, torch.Tensor]:
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt):] = torch.tensor(prompt)
        mask[row, width - len(prompt):] = 1
    return {"input_ids": ids, "attention_mask": mask}

@torch.no_grad()
def _generate(ctx: Context, prompts: list[list[int]]) -> list[tuple[str, int]]:
    eos = ctx.tokenizer.eos_token_id
    batch = {k: v.to(ctx.device) for k, v in _left_padded(prompts, ctx.pad_id).items()}
    with warnings.catch_warnings():  # the model's generation config names sampling knobs
        warnings.simplefilter("ignore")
        out = ctx.model.generate(**batch, do_sample=False, max_new_tokens=ctx.plan.max_new_tokens,
                                 pad_token_id=ctx.pad_id, eos_token_id=eos, use_cache=True)
    answers = []
    for row in out[:, batch["input_ids"].shape[1]:].tolist():
        tokens = row[:row.index(eos)] if eos in row else row
        answers.append((ctx.tokenizer.decode(tokens, skip_special_tokens=True).strip(),
                        len(tokens)))
    return answers

def answer(ctx: Context, scenarios: list[Scenario], trained: bool, label: str
           ) -> list[tuple[str, int]]:
    """(answer, tokens) per scenario, in order. Batches go in prompt-length order (least
    padding); progress is reported after each."""
    order = sorted(range(len(scenarios)), key=lambda i: len(scenarios[i].prompt_ids))
    rows = GENERATE_ROWS.get(ctx.device, 8)
    out: list[tuple[str, int]] = [("", 0)] * len(scenarios)
    torch.manual_seed(ctx.plan.seed)  # greedy needs no randomness; recorded all the same
    with likelihood.adapter(ctx.model, trained):
        for start in range(0, len(order), rows):
            chunk = order[start:start + rows]
            for i, result in zip(chunk, _generate(ctx, [scenarios[i].prompt_ids for i in chunk]),
                                 strict=True):
                out[i] = result
            model = "trained" if trained else "base"
            ctx.progress(f"{label}: {start + len(chunk)} of {len(order)} scenarios answered by "
                         f"the {model} model")
    return out

def reference_nll(ctx: Context, scenarios: list[Scenario], trained: bool) -> list[float]:
    """Mean NLL per token of each expert reply: a judge-free signal of how much closer the
    trained model came to writing it."""
    with likelihood.adapter(ctx.model, trained):
        scored = likelihood.sequence_nll(ctx.model, [s.example for s in scenarios], ctx.pad_id,
                                         ctx.device)
    return [total / count if count else float("nan") for total, count in scored]

def _record(s: Scenario, trained: tuple[str, int], base: tuple[str, int] | None = None,
            nll: tuple[float, float] | None = None) -> ScenarioAnswers:
    pair = s.pair
    return ScenarioAnswers(
        scenario_id=pair.id, conversation_id=pair.conversation_id,
        system_prompt=pair.system_prompt,
        history=[ChatTurn(t.role, t.content) for t in pair.history],
        user_input=pair.current_user_input, reference=pair.target_response or "",
        base_answer=base[0] if base else None, trained_answer=trained[0],
        base_reference_nll=nll[0] if nll else None, trained_reference_nll=nll[1] if nll else None,
        base_answer_tokens=base[1] if base else 0, trained_answer_tokens=trained[1])

def _decoding(ctx: Context) -> Decoding:
    return Decoding(seed=ctx.plan.seed, max_new_tokens=ctx.plan.max_new_tokens)

def emotional_intelligence(ctx: Context) -> AnswersDetail:
    scenarios = select(ctx, ctx.plan.ei_scenarios)
    label = SUITE_LABEL["emotional_intelligence"]
    base = answer(ctx, scenarios, trained=False, label=label)
    trained = answer(ctx, scenarios, trained=True, label=label)
    ctx.trained_answers.update((s.pair.id, t) for s, t in zip(scenarios, trained, strict=True))
    ctx.progress(f"{label}: scoring the expert replies under both models")
    nll = list(zip(reference_nll(ctx, scenarios, False), reference_nll(ctx, scenarios, True),
                   strict=True))
    return AnswersDetail(suite="emotional_intelligence", decoding=_decoding(ctx), scenarios=[
        _record(s, t, b, n) for s, t, b, n in zip(scenarios, trained, base, nll, strict=True)])

def brand_voice(ctx: Context) -> AnswersDetail:
    """Trained answers only (the rubric scores the trained model's voice); those emotional
    intelligence already generated are reused."""
    scenarios = select(ctx, ctx.plan.brand_voice_answers)
    missing = [s for s in scenarios if s.pair.id not in ctx.trained_answers]
    if missing:
        new = answer(ctx, missing, trained=True, label=SUITE_LABEL["brand_voice"])
        ctx.trained_answers.update((s.pair.id, t) for s, t in zip(missing, new, strict=True))
    return AnswersDetail(suite="brand_voice", decoding=_decoding(ctx),
                         scenarios=[_record(s, ctx.trained_answers[s.pair.id]) for s in scenarios],
                         consultant_profile=ctx.consultant_profile)

Kind = Literal["emotional_intelligence", "brand_voice"]
