"""UJ5.2.3's option: standard benchmarks through lm-evaluation-harness, base against trained.

lm-evaluation-harness is the reference implementation of these tasks (their prompts, few-shot
setups and acc / acc_norm scoring); numbers from our own re-implementation would not be
comparable with anyone else's. It is an optional extra (`pip install 'brightrun[benchmarks]'`):
it brings datasets, pandas, pyarrow, scipy and scikit-learn, which a trainer that measures only
its own 100 questions does not need, so it is imported here, lazily, and only when a plan names
tasks. Its tasks load their data from the hub unless a task YAML in `lm_eval_include_path`
points at local files.

The model is the one already in memory, wrapped by lm-eval's HFLM (no second load); the base
figures are the same weights with the adapter disabled. A task that cannot run (lm-eval missing,
the hub unreachable, an unknown name) is reported with a plain message and no figures; the
suite's own questions still count.
"""

from __future__ import annotations

import logging
from typing import Any

from proto.validation import StandardTaskResult
from trainer.validation import likelihood
from trainer.validation.context import Context

log = logging.getLogger("trainer.validation.standard")

BATCH_ROWS = {"cpu": 8, "cuda": 32}
MESSAGE_MAX = 300
NOT_INSTALLED = ("lm-evaluation-harness is not installed on this machine "
                 "(install the trainer with the 'benchmarks' extra)")


def measure(ctx: Context) -> list[StandardTaskResult]:
    tasks = ctx.plan.lm_eval_tasks
    if not tasks:
        return []
    try:
        from lm_eval.models.huggingface import HFLM
        from lm_eval.tasks import TaskManager
    except ImportError:
        return [StandardTaskResult(task=t, error=NOT_INSTALLED) for t in tasks]
    lm = HFLM(pretrained=ctx.model, tokenizer=ctx.tokenizer,
              batch_size=BATCH_ROWS.get(ctx.device, 8))
    manager = TaskManager(include_path=ctx.plan.lm_eval_include_path)
    results = []
    for number, task in enumerate(tasks, 1):
        ctx.progress(f"knowledge retention: standard task {task} ({number} of {len(tasks)})")
        try:
            results.append(task_result(ctx, lm, manager, task))
        except Exception as exc:
            log.exception("lm-eval task %s failed", task)
            results.append(StandardTaskResult(task=task, error=plain(exc)))
    return results


def task_result(ctx: Context, lm: Any, manager: Any, task: str) -> StandardTaskResult:
    base, documents = score(ctx, lm, manager, task, trained=False)
    trained, _ = score(ctx, lm, manager, task, trained=True)
    metric = "acc_norm" if "acc_norm" in base else "acc"
    if metric not in base or metric not in trained:
        raise ValueError(f"task {task} reports no accuracy (it reports {sorted(base)})")
    b, t = base[metric], trained[metric]
    return StandardTaskResult(task=task, metric=metric, base=b, trained=t,
                              retention=t / b if b > 0 else None, documents=documents)


def score(ctx: Context, lm: Any, manager: Any, task: str, trained: bool
          ) -> tuple[dict[str, float], int]:
    """One task's metrics for one model ({"acc": 0.4, "acc_norm": 0.45}) and its documents."""
    from lm_eval import simple_evaluate

    with likelihood.adapter(ctx.model, trained):
        out = simple_evaluate(model=lm, tasks=[task], task_manager=manager,
                              limit=ctx.plan.lm_eval_limit, random_seed=ctx.plan.seed,
                              bootstrap_iters=0, log_samples=False)
    figures = out["results"][task]
    metrics = {key.split(",")[0]: float(value) for key, value in figures.items()
               if "," in key and isinstance(value, int | float) and "_stderr" not in key}
    return metrics, int(out.get("n-samples", {}).get(task, {}).get("effective", 0))


def plain(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:MESSAGE_MAX]
