"""The adapter bundle's documents (no I/O): the model card and the three-line README.txt."""

from __future__ import annotations

from services.packaging.domain import TrainingSummary, fmt


def model_card(s: TrainingSummary) -> str:
    """A filled-in model card (Hugging Face's README.md with YAML front matter)."""
    m, hp, lora = s.final_metrics, s.configuration["hyperparameters"], s.configuration["lora"]
    base = s.base_model
    front = ["---", "library_name: peft", "pipeline_tag: text-generation",
             "tags: [lora, peft, brightrun]"]
    if base.on_hub:
        front.append(f"base_model: {base.name_or_path}")
    front.append("---")
    data_lines = [f"- {k.replace('_', ' ')}: {v}" for k, v in s.data.items() if v is not None]
    suites = [f"- {line.suite.replace('_', ' ')}: {line.headline}"
              + (f" ({line.badge})" if line.badge else "") for line in s.validation.suites]
    return "\n".join([
        *front, "",
        f"# {s.job_name}", "",
        f"A LoRA adapter for **{base.name_or_path}**, fine-tuned with Bright Run "
        f"(job `{s.job_id}`) to answer clients the way the consultant's training conversations do.",
        "", "## Base model", "", base.note, "",
        "## Training data", "", *(data_lines or ["- not recorded"]), "",
        "## Hyperparameters", "",
        f"- LoRA: r={lora['r']}, alpha={lora['alpha']}, dropout={lora['dropout']}, "
        f"target modules: {', '.join(lora['target_modules'])}",
        f"- learning rate {hp['learning_rate']}, {hp['epochs']} epochs, micro-batch "
        f"{hp['micro_batch_size']} × {hp['grad_accumulation']} accumulation, max sequence "
        f"{hp['max_seq_len']} tokens, warmup {hp['warmup_ratio']}, seed {hp['seed']}",
        f"- preset: {s.configuration['preset']}; trained on {s.configuration['gpu_type']}", "",
        "## Final metrics", "",
        f"- steps: {m.steps}",
        f"- training loss: {fmt(m.initial_train_loss)} → {fmt(m.final_train_loss)}",
        f"- validation loss: {fmt(m.final_val_loss)} (best {fmt(m.best_val_loss)})",
        f"- validation perplexity: {fmt(m.final_perplexity, 2)}", "",
        "## Validation", "", f"**{s.validation.headline}**", "", *suites, "",
        "## Intended use", "",
        "Drafting replies in the consultant's domain and voice, for a person to review before "
        "they reach a client. Load it on top of the base model named above (README.txt).", "",
        "## Limitations", "",
        "- It knows what the base model knows plus the style of its training conversations; it "
        "is not a source of facts, figures or regulated advice.",
        "- Quality was measured on held-out conversations from the same training file; other "
        "topics and clients may fare worse.",
        "- Answers can be wrong, outdated or overconfident. Keep a human in the loop.", "",
    ])


def readme_txt(s: TrainingSummary) -> str:
    base = s.base_model.name_or_path
    local = "" if s.base_model.on_hub else (
        "\nThe base model is not on a public hub: replace the name in the first line with the "
        "path of your copy of it.\n")
    return f"""{s.job_name}: a LoRA adapter for {base}
{s.base_model.note}

Load it with transformers + peft (pip install transformers peft torch), from this folder:

    from transformers import AutoModelForCausalLM, AutoTokenizer; from peft import PeftModel
    base = AutoModelForCausalLM.from_pretrained("{base}"); tok = AutoTokenizer.from_pretrained("{base}")
    model = PeftModel.from_pretrained(base, ".")  # "." = this folder
{local}
Then answer as usual:

    ids = tok.apply_chat_template([{{"role": "user", "content": "Hello"}}], add_generation_prompt=True, return_tensors="pt")
    print(tok.decode(model.generate(ids, max_new_tokens=200)[0, ids.shape[1]:], skip_special_tokens=True))

Files: adapter_model.safetensors (weights), adapter_config.json (how to load them),
README.md (model card), training_summary.json (metrics, validation, configuration, data).
Validation: {s.validation.headline}
"""
