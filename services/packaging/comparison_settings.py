"""The configuration differences between compared jobs, and whether they are comparable at all
(UJ6.4.1). No I/O."""

from __future__ import annotations

from typing import Any

from proto.comparisons import Difference


def settings_of(job: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """field → (label, value as shown) for every setting a comparison looks at."""
    out = {"training_file": ("Training file", job.get("training_file_name", "")),
           "model": ("Base model", job["model"]["name"]), "preset": ("Preset", job["preset"]),
           "gpu_type": ("GPU type", job["gpu_type"]), "pricing": ("Pricing", job["pricing"]),
           "gpu_count": ("GPUs", str(job.get("gpu_count", 1)))}
    for section, prefix in (("lora", "LoRA "), ("hyperparameters", "")):
        for key, value in job[section].items():
            shown = ", ".join(value) if isinstance(value, list) else str(value)
            out[f"{section}.{key}"] = (prefix + key.replace("_", " "), shown)
    return out


def differences(jobs: list[dict[str, Any]]) -> list[Difference]:
    each = [settings_of(j) for j in jobs]
    fields = list(dict.fromkeys(f for s in each for f in s))
    out = []
    for field in fields:
        values = [s.get(field, ("", "—"))[1] for s in each]
        if len(set(values)) > 1:
            label = next(s[field][0] for s in each if field in s)
            out.append(Difference(field=field, label=label, values=values))
    return out


def comparability_warnings(jobs: list[dict[str, Any]]) -> list[str]:
    """UJ6.4.1 "Jobs not comparable": losses on different data or from different base models
    do not measure the same thing; unfinished jobs' figures are not final."""
    warnings = []
    files = {j["training_file_id"] for j in jobs}
    if len(files) > 1:
        names = ", ".join(f"{j['name']}: {j.get('training_file_name', j['training_file_id'])}"
                          for j in jobs)
        warnings.append(f"Not comparable: the jobs trained on different training files "
                        f"({names}). Their losses are measured on different data, so the "
                        f"winner is only indicative.")
    models = {j["model"]["name"] for j in jobs}
    if len(models) > 1:
        names = ", ".join(f"{j['name']}: {j['model']['name']}" for j in jobs)
        warnings.append(f"Not comparable: the jobs fine-tuned different base models ({names}); "
                        f"losses and perplexities of different models are not on one scale.")
    for j in jobs:
        if j["status"] != "completed":
            warnings.append(f"{j['name']} is {j['status']}: its figures are not final.")
    return warnings
