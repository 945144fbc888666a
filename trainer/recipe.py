"""The training recipe, top to bottom: spec → data → model → LoRA → resume → loop → adapter
→ validation (stage 5: the plan's suites, base against trained, on the model in memory).

Each step is a call into a small module; the events a user sees (stages, data report,
progress, evaluations, checkpoints, completion or failure) are reported as they happen.
"""

from __future__ import annotations

import logging
import re
import sys
import tempfile
from pathlib import Path

import msgspec

from libs.common.storage import ObjectStore, open_store
from libs.common.training_format import TrainingFile, iter_examples
from proto.trainer_exit import TrainerExit
from proto.training import (
    Completed,
    DataReport,
    Failed,
    StageChanged,
    TrainingJobSpec,
    TrainingReady,
)
from trainer import activations, checkpoint, data, errors, loop, model, packing, progress
from trainer.batching import pass_sizes, steps_per_epoch
from trainer.report import Reporter
from trainer.validation import runner
from trainer.validation.context import Context

log = logging.getLogger("trainer")

MAX_SKIPPED_LISTED = 200  # keeps the DataReport body well under the webhook size limit


def load_spec(path: Path) -> TrainingJobSpec:
    return msgspec.json.decode(path.read_bytes(), type=TrainingJobSpec)


def printable_config(spec: TrainingJobSpec) -> str:
    """The resolved config, secrets masked (the spec carries the webhook secret, S3 keys)."""
    shown = msgspec.to_builtins(msgspec.structs.replace(spec, webhook_secret="***"))
    shown["storage"]["url"] = re.sub(r"//[^/@]*@", "//***@", spec.storage.url)
    return msgspec.json.format(msgspec.json.encode(shown), indent=2).decode()


def plan_steps(spec: TrainingJobSpec, n_train: int) -> tuple[int, bool]:
    """Total optimizer steps, and whether max_steps cut the epochs short."""
    hp = spec.hyperparameters
    full = hp.epochs * steps_per_epoch(n_train, hp.micro_batch_size, hp.grad_accumulation)
    if hp.max_steps and hp.max_steps < full:
        return hp.max_steps, True
    return full, False


def report_data(reporter: Reporter, prepared: data.PreparedData, conversations: int) -> None:
    skipped = dict(list(prepared.skipped.items())[:MAX_SKIPPED_LISTED])
    if len(prepared.skipped) > MAX_SKIPPED_LISTED:
        skipped["…"] = f"{len(prepared.skipped) - MAX_SKIPPED_LISTED} more not listed"
    reporter.emit(DataReport, train_examples=packing.pair_count(prepared.train),
                  val_examples=packing.pair_count(prepared.val),
                  train_sequences=len(prepared.train),
                  skipped=skipped, truncated_examples=prepared.truncated_examples,
                  dropped_tokens=prepared.dropped_tokens, total_tokens=prepared.total_tokens,
                  conversations=conversations)


def ready_summary(spec: TrainingJobSpec, peft_model: object, prepared: data.PreparedData,
                  conversations: int, total_steps: int, state: checkpoint.TrainerState,
                  pad_id: int, on: str, nf4: bool) -> TrainingReady:
    """UJ2.3.2: a resumed run's step time is its own, measured; a fresh one's is estimated
    from a timed forward pass."""
    hp = spec.hyperparameters
    if state.step > 0 and state.train_runtime_s > 0:
        step_s, measured = state.train_runtime_s / state.step, True
    else:
        forward_s = progress.timed_forward_s(peft_model, prepared.train, state.rows_per_pass,
                                             pad_id, on)
        step_s = progress.step_time_estimate(forward_s, hp.micro_batch_size * hp.grad_accumulation,
                                             state.rows_per_pass)
        measured = False
    return progress.ready(conversations=conversations, pairs=packing.pair_count(prepared.train),
                          sequences=len(prepared.train), model=spec.model.name, nf4=nf4,
                          epochs=hp.epochs, total_steps=total_steps, done_steps=state.step,
                          step_time_s=step_s, measured=measured)


def save_adapter(store: ObjectStore, output_prefix: str, peft_model: object) -> str:
    """adapter_config.json + adapter_model.safetensors under `{output_prefix}/adapter/`."""
    key = f"{output_prefix.rstrip('/')}/adapter"
    with tempfile.TemporaryDirectory(prefix="brightrun-adapter-") as tmp:
        peft_model.save_pretrained(tmp)  # type: ignore[attr-defined]
        for path in sorted(Path(tmp).iterdir()):
            store.put_file(f"{key}/{path.name}", path)
    return key


def read_data(spec: TrainingJobSpec, store: ObjectStore, reporter: Reporter
              ) -> tuple[TrainingFile, object, data.PreparedData]:
    """The training file, the model's tokenizer, and the file tokenised, split and packed;
    the tokenising reported as it goes (UJ2.2.1)."""
    training_file = data.load_training_file(store, spec.training_file_key)
    tokenizer = model.load_tokenizer(model.tokenizer_source(spec.model))
    pairs = list(iter_examples(training_file))
    conversations = len({p.conversation_id for p in pairs})
    reporter.stage("preprocessing", f"loading and tokenizing {conversations:,} conversations "
                                    f"({len(pairs):,} examples)")
    ticker = progress.StageTicker(reporter, "preprocessing", len(pairs), progress.tokenizing)
    ticker(0)
    hp = spec.hyperparameters
    prepared = data.prepare(pairs, tokenizer, hp.max_seq_len, hp.seed, on_progress=ticker)
    reporter.stage("preprocessing", f"splitting and packing {len(prepared.train):,} training "
                                    f"examples into sequences")
    return training_file, tokenizer, packing.packed(prepared)


def validate(spec: TrainingJobSpec, store: ObjectStore, reporter: Reporter, peft_model: object,
             tokenizer: object, training_file: TrainingFile, prepared: data.PreparedData,
             stop: loop.StopFlag, trained_val_loss: float | None = None) -> None:
    """Stage 5: the plan's suites on the model in memory (base = adapter off)."""
    plan, hp = spec.validation, spec.hyperparameters
    if plan is None or not plan.suites:
        return
    pairs = list(iter_examples(training_file))
    context = Context(model=peft_model, tokenizer=tokenizer, device=model.device(), plan=plan,
                      max_seq_len=hp.max_seq_len, val=prepared.val,
                      held_out=data.split_by_conversation(pairs, hp.seed)[1],
                      consultant_profile=training_file.consultant_profile,
                      progress=runner.progress_reporter(reporter),
                      trained_val_loss=trained_val_loss if prepared.val else None)
    runner.run_suites(context, store, spec.output_prefix, spec.attempt, reporter,
                      stopping=lambda: stop.requested)


def validate_only(spec: TrainingJobSpec, store: ObjectStore, reporter: Reporter,
                  stop: loop.StopFlag, work_dir: Path) -> Completed:
    """A re-run of validation on a fresh instance: the base model and the stored adapter,
    no training."""
    assert spec.validation is not None and spec.validation.adapter_key
    adapter_key, on = spec.validation.adapter_key, model.device()
    reporter.start_heartbeat(spec.heartbeat_s, on)
    reporter.stage("preprocessing", "reading the training file")
    training_file, tokenizer, prepared = read_data(spec, store, reporter)
    reporter.stage("model_loading", "loading the base model and the trained adapter")
    base = model.load_base(model.weights_source(spec.model), tokenizer, on,
                           model.use_nf4(spec.model, on))
    peft_model = model.load_adapter(base, store, adapter_key, work_dir / "adapter")
    validate(spec, store, reporter, peft_model, tokenizer, training_file, prepared, stop)
    reporter.stop_heartbeat()
    return reporter.emit(Completed, adapter_key=adapter_key, steps=0)


def run(spec: TrainingJobSpec, store: ObjectStore, reporter: Reporter, stop: loop.StopFlag,
        work_dir: Path) -> Completed:
    if spec.validation and spec.validation.adapter_key:
        return validate_only(spec, store, reporter, stop, work_dir)
    # A resumed run takes its shape from its checkpoint, so find that before anything else.
    found, corrupt = checkpoint.find_restorable(store, spec.output_prefix, spec.resume_from,
                                                work_dir)
    if found:
        spec, mismatches = checkpoint.resume_shape(spec, found.state.config)
        for mismatch in mismatches:
            log.warning("resuming %s with the checkpoint's setting: %s", found.key, mismatch)
    print(f"trainer config:\n{printable_config(spec)}", flush=True)
    hp, on = spec.hyperparameters, model.device()
    nf4 = model.use_nf4(spec.model, on)
    reporter.start_heartbeat(spec.heartbeat_s, on)

    reporter.stage("preprocessing", "reading the training file")
    training_file, tokenizer, prepared = read_data(spec, store, reporter)
    conversations = len({p.conversation_id for p in iter_examples(training_file)})
    report_data(reporter, prepared, conversations)
    if found and found.state.data_fingerprint != prepared.fingerprint():
        log.warning("the training data differ from those %s was trained on", found.key)

    reporter.stage("model_loading", "downloading/caching weights")
    source = model.weights_source(spec.model)
    cached, size = progress.weights_on_disk(source)
    reporter.emit(StageChanged, stage="model_loading", progress=progress.loading(0, size, cached),
                  detail=progress.loading_detail(spec.model.name, size, cached))
    if nf4:
        reporter.stage("model_loading", "quantizing")
    base = model.load_base(source, tokenizer, on, nf4)
    if not cached:  # now it is: what the hub sent is in the Hugging Face cache
        size = progress.weights_on_disk(source)[1]
    reporter.emit(StageChanged, stage="model_loading", progress=progress.loading(size, size),
                  detail=f"loaded {spec.model.name}")
    reporter.stage("model_loading", "initialising adapters")
    peft_model = model.attach_lora(base, spec.lora, hp.seed, on, nf4)
    # A resumed run keeps the pass size it checkpointed with: another one draws other dropout
    # masks, and the run would not replay the uninterrupted one.
    sizes = [found.state.rows_per_pass] if found and found.state.rows_per_pass else \
        pass_sizes(hp.micro_batch_size, hp.grad_accumulation, on)
    fitted = activations.plan(peft_model, on, examples=prepared.train, sizes=sizes,
                              mode=hp.gradient_checkpointing)
    reporter.stage("model_loading", fitted.describe())
    params = model.trainable_parameters(peft_model)
    log.info("base model %s: %d parameters, %d trainable (LoRA r=%d) on %s", spec.model.name,
             model.parameter_count(peft_model), sum(p.numel() for p in params), spec.lora.r, on)

    total_steps, capped = plan_steps(spec, len(prepared.train))
    optimizer = loop.make_optimizer(params, spec)
    scheduler = loop.make_scheduler(optimizer, spec, total_steps)
    state = checkpoint.TrainerState(config=checkpoint.run_config(spec),
                                    data_fingerprint=prepared.fingerprint())
    detail = ""
    if found:
        state = checkpoint.restore(found, peft_model, optimizer, scheduler)
        reporter.step, reporter.last_checkpoint_key = state.step, found.key
        detail = f"resumed from step-{found.step:08d}"
        if corrupt:
            detail = f"checkpoint {'; '.join(corrupt)}, {detail}"
    elif corrupt:
        detail = f"checkpoint {'; '.join(corrupt)}, no valid checkpoint: starting over"
    state.rows_per_pass = fitted.rows_per_pass
    reporter.emit(StageChanged, stage="training", detail=detail,
                  resumed_from_step=found.step if found else None,
                  ready=ready_summary(spec, peft_model, prepared, conversations, total_steps,
                                      state, tokenizer.pad_token_id, on, nf4))
    the_run = loop.Run(spec=spec, model=peft_model, optimizer=optimizer, scheduler=scheduler,
                       data=prepared, state=state, reporter=reporter, store=store, stop=stop,
                       device=on, pad_id=tokenizer.pad_token_id, total_steps=total_steps,
                       capped=capped,
                       last_checkpoint=(found.step, found.key, found.size_bytes) if found else None)
    state = loop.train(the_run)

    reporter.stage("finalizing", "saving the adapter")
    adapter_key = save_adapter(store, spec.output_prefix, peft_model)
    # The optimizer's state (two moments per trainable weight) is of no more use: free it
    # before validation asks for memory of its own (generation's cache, scoring batches).
    del the_run, optimizer, scheduler
    validate(spec, store, reporter, peft_model, tokenizer, training_file, prepared, stop,
             trained_val_loss=state.val_loss)
    reporter.stop_heartbeat()
    return reporter.emit(
        Completed, adapter_key=adapter_key, final_loss=state.losses[-1] if state.losses else None,
        final_val_loss=state.val_loss, final_perplexity=state.perplexity, steps=state.step,
        train_runtime_s=round(state.train_runtime_s, 3), tokens_trained=state.tokens_trained)


def main(spec_path: Path) -> int:
    """Run a job spec; report Failed (classified) before exiting non-zero."""
    spec = load_spec(spec_path)
    stop = loop.StopFlag(spec.stop_grace_s)
    stop.install()
    try:
        store = open_store(spec.storage.url)
        generation = checkpoint.claim_generation(store, spec.output_prefix)
    except Exception:
        store, generation = None, 0  # reported below as a storage failure
    reporter = Reporter(spec, generation)
    try:
        if store is None:
            store = open_store(spec.storage.url)  # raises again, now with a reporter to tell
        with tempfile.TemporaryDirectory(prefix="brightrun-run-") as work:
            run(spec, store, reporter, stop, Path(work))
        return 0
    except (Exception, KeyboardInterrupt) as exc:
        try:
            failure = errors.classify(exc, spec, model.device())
        except Exception as bug:  # the report must go out even if classifying fails
            failure = errors.Failure("internal", f"{type(exc).__name__}: {exc} (and {bug!r})")
        log.error("%s: %s", failure.failure_class, failure.message, exc_info=exc)
        reporter.stop_heartbeat()
        reporter.emit(Failed, failure_class=failure.failure_class, message=failure.message,
                      suggested_fix=failure.suggested_fix,
                      suggested_changes=failure.suggested_changes, step=reporter.step or None,
                      last_checkpoint_key=reporter.last_checkpoint_key)
        print(f"training failed ({failure.failure_class}): {failure.message}", file=sys.stderr)
        return TrainerExit.INTERRUPTED if failure.failure_class == "interrupted" else TrainerExit.FAILED
    finally:
        # After SIGTERM (a spot reclaim, `brightrun down`) the machine is going: deliver what
        # fits in its grace period rather than wait out an outage that may be the shutdown.
        reporter.close(max(stop.left_s() - 0.25, 0.25) if stop.requested else None)
