"""The `train` job: one curriculum stage, LoRA through PEFT on the
transformers Trainer, starting from the previous stage's adapter when given.

Spec fields: run_dir, stage, train_file, val_file, output_dir, lr, epochs,
max_steps, init_adapter (optional), data_manifest_hash (optional),
max_val_conversations (optional: validate on an evenly spaced sample).
"""

import json
import math
import os
import shutil
import time
from pathlib import Path

from . import __version__, events
from .dataset import Collator, encode_file, pack
from .errors import WorkerError
from .model import chat_format, device_for, load_adapter, load_base, merged_chain, setup_threads
from .spec import Job


def run(job: Job) -> dict:
    import peft
    import torch
    import transformers
    from transformers import EarlyStoppingCallback, Trainer, TrainerCallback, TrainingArguments, set_seed

    cfg, tr = job.cfg, job.cfg["train"]
    run_dir, stage, out = job.need("run_dir"), job.need("stage"), Path(job.need("output_dir"))
    seed = int(cfg["run"]["seed"])
    setup_threads(cfg)
    set_seed(seed)
    fmt = chat_format(cfg, run_dir)
    train_rows, train_stats = encode_file(job.need("train_file"), fmt, tr["max_seq_len"])
    val_rows, val_stats = encode_file(job.need("val_file"), fmt, tr["max_seq_len"])
    cap = int(job.get("max_val_conversations") or 0)
    if 0 < cap < len(val_rows):  # an evenly spaced sample keeps every source represented
        step = len(val_rows) / cap
        val_rows = [val_rows[int(i * step)] for i in range(cap)]
        val_stats["sampled"] = cap
    if not train_rows:
        raise WorkerError(f"stage {stage}: no training conversation fits train.max_seq_len={tr['max_seq_len']}", "raise train.max_seq_len")
    if tr.get("packing"):
        before = len(train_rows)
        train_rows = pack(train_rows, tr["max_seq_len"])
        train_stats["packed_rows"] = len(train_rows)
        events.log(f"stage {stage}: packed {before} conversations into {len(train_rows)} rows of <= {tr['max_seq_len']} tokens")
    for split, st in (("train", train_stats), ("val", val_stats)):
        events.emit("data", stage=stage, split=split, **dict(st))

    model = load_base(cfg, run_dir, fmt)
    # Seed again: building the tiny base (first job of a run only) draws from
    # the RNG, and the LoRA init must not depend on whether that happened.
    set_seed(seed)
    init = job.get("init_adapter")
    merged: list[str] = []
    if init and tr.get("stage_init") == "merge":
        # Fold the previous stages into the base, then train a fresh adapter.
        merged = merged_chain(init) + [init]
        model = load_adapter(model, init, trainable=False).merge_and_unload()
    if init and not merged:
        model = load_adapter(model, init, trainable=True)
    else:
        lc = cfg["lora"]
        model = peft.get_peft_model(model, peft.LoraConfig(
            r=lc["r"], lora_alpha=lc["alpha"], lora_dropout=lc["dropout"],
            target_modules=lc["target_modules"], use_dora=bool(lc.get("use_dora")), task_type="CAUSAL_LM"))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)

    epochs, max_steps = float(job.get("epochs") or 0), int(job.get("max_steps") or 0)
    per_epoch = math.ceil(len(train_rows) / (tr["batch_size"] * tr["grad_accum"]))
    total = max_steps if max_steps > 0 else max(1, math.ceil(per_epoch * epochs))
    device = device_for(cfg)
    eval_every = int(tr.get("eval_every") or 0) or max(1, per_epoch)
    patience = int(tr.get("early_stopping_patience") or 0) if val_rows else 0
    save_every = eval_every if patience else int(tr.get("save_every") or 0)
    # Trainer checkpoints live in <checkpoint>.partial/ until the stage is
    # done, so a killed job re-run with the same spec resumes from the last one.
    work = out.with_name(out.name + ".partial")
    scratch = out.with_name(out.name + f".tmp-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    args = TrainingArguments(
        output_dir=str(work / "trainer"), per_device_train_batch_size=tr["batch_size"],
        per_device_eval_batch_size=tr["batch_size"], gradient_accumulation_steps=tr["grad_accum"],
        learning_rate=float(job.need("lr")), lr_scheduler_type=tr["scheduler"],
        warmup_steps=int(round(tr["warmup_ratio"] * total)), max_grad_norm=tr["max_grad_norm"],
        weight_decay=tr["weight_decay"], num_train_epochs=epochs if epochs > 0 else 1, max_steps=total,
        logging_steps=tr["log_every"], eval_strategy="steps" if val_rows else "no", eval_steps=eval_every,
        # Early stopping keeps the best adapter: the Trainer saves at every
        # validation and reloads the best one at the end.
        save_strategy="steps" if save_every else "no", save_steps=save_every or None, save_total_limit=2 if patience else 1,
        load_best_model_at_end=bool(patience), metric_for_best_model="eval_loss", greater_is_better=False,
        gradient_checkpointing=bool(tr.get("gradient_checkpointing")), gradient_checkpointing_kwargs={"use_reentrant": False},
        report_to=trackers(cfg, run_dir, stage),
        run_name=f"{Path(run_dir).name}-{stage}", seed=seed, data_seed=seed, disable_tqdm=True,
        use_cpu=device.type == "cpu", dataloader_num_workers=0, remove_unused_columns=False,
        fsdp=tr.get("fsdp") or "", fsdp_config={"transformer_layer_cls_to_wrap": ["MistralDecoderLayer"], "use_orig_params": True} if tr.get("fsdp") else None,
        bf16=cfg["model"]["dtype"] == "bfloat16" and device.type == "cuda",
    )
    task = f"train {stage}"
    emitted: list[dict] = []  # what the live events reported

    crash_at = int(os.environ.get("PIXEL_CRASH_AT_STEP") or 0)  # crash-safety tests: die like `kill -9` here

    class Events(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            events.progress(task, state.global_step, total)
            if state.global_step == crash_at:
                os._exit(137)

        def on_log(self, args, state, control, logs=None, **kw):
            logs = logs or {}
            row = {"step": state.global_step, "epoch": round(state.epoch or 0, 4)}
            if "loss" in logs:
                row.update(split="train", loss=logs["loss"], lr=logs.get("learning_rate"), grad_norm=logs.get("grad_norm"))
            elif "eval_loss" in logs:
                if emitted and emitted[-1]["split"] == "val" and emitted[-1]["step"] == state.global_step:
                    return  # the closing evaluate() repeats the last scheduled one
                row.update(split="val", loss=logs["eval_loss"])
            else:
                return
            emitted.append(row)
            events.metric(f"{row['split']}_loss", row["loss"], stage=stage, step=row["step"], epoch=row["epoch"])

    events.log(f"stage {stage}: {len(train_rows)} train / {len(val_rows)} val conversations, {total} steps, {trainable} trainable parameters on {device}")
    started = time.time()
    callbacks = [Events()] + ([EarlyStoppingCallback(early_stopping_patience=patience)] if patience else [])
    trainer = Trainer(model=model, args=args, train_dataset=train_rows, eval_dataset=val_rows or None,
                      data_collator=Collator(fmt.pad_id), callbacks=callbacks)
    resume = last_checkpoint(work / "trainer")
    if resume:
        events.log(f"stage {stage}: resuming from {resume.name} of an interrupted run")
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    # The MLflow run ends with training; the closing evaluation would open a second one.
    from transformers.integrations import MLflowCallback

    trainer.remove_callback(MLflowCallback)
    final_val = trainer.evaluate()["eval_loss"] if val_rows else None
    history = history_of(trainer.state.log_history)

    if not trainer.is_world_process_zero():
        return {"stage": stage, "rank": int(os.environ.get("RANK", "0"))}  # rank 0 writes the checkpoint
    # Everything is written to a scratch folder and renamed into place, so a
    # crash never leaves a half-written checkpoint.
    model.save_pretrained(scratch / "adapter")
    if getattr(fmt, "path", None):
        shutil.copy(fmt.path, scratch / Path(fmt.path).name)
    steps = trainer.state.global_step
    metrics = {
        "stage": stage, "steps": steps, "planned_steps": total, "stopped_early": steps < total,
        "best_val_loss": trainer.state.best_metric, "replayed_conversations": int(job.get("replayed") or 0), "train_seconds": round(time.time() - started, 2),
        "final_train_loss": next((h["loss"] for h in reversed(history) if h["split"] == "train"), None),
        "final_val_loss": final_val, "trainable_parameters": trainable,
        "data": {"train": dict(train_stats), "val": dict(val_stats)}, "history": history,
    }
    (scratch / "metrics.json").write_text(json.dumps(events.jsonable(metrics), indent=2, allow_nan=False) + "\n")
    card = {
        "format": "pixel-checkpoint/1", "stage": stage, "base_model": cfg["model"]["base"],
        "base_path": str(Path(run_dir) / "base_model") if cfg["model"]["base"] == "tiny-mistral" else cfg["model"]["base"],
        "tokenizer": Path(fmt.path).name if getattr(fmt, "path", None) else cfg["model"]["base"],
        "chat_format": fmt.name, "init_adapter": init, "merged_adapters": merged, "persona_prompting": "system prompt only",
        "hyperparameters": {"lr": float(job.need("lr")), "epochs": epochs, "steps": steps, "lora": cfg["lora"],
                            "early_stopping_patience": patience, "replayed_conversations": int(job.get("replayed") or 0),
                            **{k: tr[k] for k in ("batch_size", "grad_accum", "max_seq_len", "scheduler", "warmup_ratio", "max_grad_norm", "weight_decay")}},
        "data": {"train_file": job.need("train_file"), "val_file": job.need("val_file"), "manifest_hash": job.get("data_manifest_hash")},
        "config": job.get("config"), "seed": seed,
        "versions": {"pixel_worker": __version__, "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
    }
    (scratch / "checkpoint.json").write_text(json.dumps(card, indent=2) + "\n")
    if out.exists():
        shutil.rmtree(out)
    os.replace(scratch, out)
    shutil.rmtree(work, ignore_errors=True)
    events.artifact("checkpoint", str(out), stage=stage)
    return {"stage": stage, "final_val_loss": final_val, "steps": steps}


def last_checkpoint(folder: Path) -> Path | None:
    """The newest complete Trainer checkpoint (its trainer_state.json is
    written last), or None."""
    done = [d for d in folder.glob("checkpoint-*") if (d / "trainer_state.json").is_file() and d.name.split("-")[-1].isdigit()]
    return max(done, key=lambda d: int(d.name.split("-")[-1]), default=None)


def history_of(log_history: list[dict]) -> list[dict]:
    """Loss curves from the Trainer's log, which a resumed run restores."""
    rows: list[dict] = []
    for e in log_history:
        row = {"step": e.get("step"), "epoch": round(e.get("epoch") or 0, 4)}
        if "loss" in e:
            row.update(split="train", loss=e["loss"], lr=e.get("learning_rate"), grad_norm=e.get("grad_norm"))
        elif "eval_loss" in e:
            if rows and rows[-1]["split"] == "val" and rows[-1]["step"] == row["step"]:
                continue  # the closing evaluate() repeats the last scheduled one
            row.update(split="val", loss=e["eval_loss"])
        else:
            continue
        rows.append(row)
    return rows


def trackers(cfg: dict, run_dir: str, stage: str) -> list[str]:
    """The Trainer's reporting integrations from the tracking section (they
    read their settings from the environment)."""
    t = cfg.get("tracking") or {}
    out = []
    if t.get("tensorboard"):
        os.environ["TENSORBOARD_LOGGING_DIR"] = str(Path(run_dir) / "tensorboard" / stage)
        out.append("tensorboard")
    if t.get("mlflow"):
        uri = t.get("mlflow_uri") or (Path(run_dir).resolve() / "mlruns").as_uri()
        os.environ.setdefault("MLFLOW_TRACKING_URI", uri)
        if uri.startswith("file:"):
            # The local default: MLflow's file store (kept up by MLflow, though it
            # recommends a database for new features; set mlflow_uri for one).
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        os.environ.setdefault("MLFLOW_EXPERIMENT_NAME", "pixel-" + cfg["run"]["name"])
        out.append("mlflow")
    return out or ["none"]
