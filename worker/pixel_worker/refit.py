"""A temperature for fine-tuned heads that have no rows their encoder never
saw (empathy and MI train on every training-side row): the group's encoder
is trained again, with the same recipe and seed, on each of k parts of its
training rows that leave one fold of groups (transcripts, posts) out, and
each such encoder predicts the fold it never saw. One temperature per head
is fitted on those out-of-fold predictions (scorers.fit_temperature) and
applied to the head trained on every row, as scikit-learn's
CalibratedClassifierCV(ensemble=False) does for the frozen heads.

The Go core assigns the folds by group ({"folds": k, "fold_of": {row id:
fold}} under each task's "calibration"."refit", for its own rows), so a
transcript's therapist and client turns fall in one fold for every head of
the MI coder. Each fold's
encoder goes through the fine-tune cache and its checkpoints like any
other, so a killed run resumes and a rerun reuses it. A seed ensemble's
folds are trained with its first seed only, and the temperature is then
applied to the ensemble's mean (the json says so)."""

import json
import shutil
from pathlib import Path

import numpy as np

from . import events
from .errors import WorkerError


def refit_spec(members: list[dict]) -> dict | None:
    """The group's refit settings: every member's must agree (the Go core
    sends one per scorer)."""
    specs = [(m.get("calibration") or {}).get("refit") for m in members]
    if not any(specs):
        return None
    if not all(specs) or any(int(s.get("folds") or 0) != int(specs[0].get("folds") or 0) for s in specs):
        raise WorkerError(f"fine-tuned heads {[m['name'] for m in members]} differ in calibration.refit",
                          "the Go core sends one refit setting per scorer; rerun `pixel scorers train`")
    k = int(specs[0].get("folds") or 0)
    if k < 2:
        raise WorkerError(f"calibration.refit of {members[0]['name']} has {k} fold(s)", "set scorers.calibration_refit_folds to 2 or more")
    return specs[0]


def split_rows(rows: list[dict], fold_of: dict, fold: int, name: str) -> tuple[list[dict], list[dict]]:
    """(rows outside fold, rows in it); a row without a fold is an error, so
    no row is silently left out of both."""
    missing = [str(r.get("id")) for r in rows if str(r.get("id")) not in fold_of]
    if missing:
        raise WorkerError(f"calibration.refit of {name}: {len(missing)} training row(s) have no fold (first id {missing[0]!r})",
                          "the Go core assigns every training row a fold; rerun `pixel scorers train`")
    inside = [r for r in rows if int(fold_of[str(r["id"])]) == fold]
    return [r for r in rows if int(fold_of[str(r["id"])]) != fold], inside


def calibrate_refit(group: str, members: list[dict], enc, out_dir: Path, seed: int, cache_root: str, checkpoint_s: float = 0.0) -> None:
    """Fit and record each member head's temperature from out-of-fold
    predictions of encoders trained on the other folds (module docstring)."""
    from . import scorers

    spec = refit_spec(members)
    if spec is None:
        return
    k = int(spec["folds"])
    fold_of = {m["name"]: {str(i): int(f) for i, f in m["calibration"]["refit"]["fold_of"].items()} for m in members}
    ft = {key: v for key, v in members[0]["finetune"].items() if key != "seeds"}
    inputs, cf = members[0]["inputs"], members[0].get("counterfactual")
    names = sorted(m["name"] for m in members)
    oof: dict[str, list[np.ndarray]] = {n: [] for n in names}
    gold: dict[str, list[int]] = {n: [] for n in names}
    left_out = {n: 0 for n in names}
    metas = {n: json.loads((out_dir / f"{n}.json").read_text()) for n in names}  # the heads trained on every row
    for f in range(k):
        parts = {m["name"]: split_rows(m["rows"], fold_of[m["name"]], f, m["name"]) for m in members}
        for n, (train, held) in parts.items():
            if not held or len({str(r["label"]) for r in train}) < 2:
                raise WorkerError(f"calibration.refit of {n}: fold {f + 1} of {k} leaves {len(held)} rows to predict and "
                                  f"{len({str(r['label']) for r in train})} label(s) to train on",
                                  "use fewer folds (scorers.calibration_refit_folds), more training rows, or leave the scorer out of scorers.calibration_refit")
        fold_dir = out_dir / f".refit-{group}-{f}"
        shutil.rmtree(fold_dir, ignore_errors=True)
        fold_dir.mkdir(parents=True)
        fold_members = [{**m, "rows": parts[m["name"]][0]} for m in members]
        scorers._fit_member(group, fold_members, names, enc, ft, inputs, cf, fold_dir, seed, cache_root,
                            f"{group} (calibration fold {f + 1} of {k})", checkpoint_s)
        tuned: dict = {}
        for m in members:
            n, held = m["name"], scorers.rows_it_reads(m, parts[m["name"]][1])
            if not held:  # every held row is a short turn its frozen head reads
                continue
            classes = metas[n]["classes"]
            head = scorers.load_head(fold_dir, n)
            # A rare label can be missing from a fold's training rows (small
            # slices): that encoder gives it no probability, and its rows of
            # that label are left out of the fit (counted in the json).
            probs = np.zeros((len(held), len(classes)))
            probs[:, [classes.index(c) for c in head["classes"]]] = scorers._finetuned_probs(head, held, tuned, f"{n} calibration fold {f + 1}")
            known = [i for i, r in enumerate(held) if str(r["label"]) in head["classes"]]
            left_out[n] += len(held) - len(known)
            oof[n].append(probs[known])
            gold[n].extend(classes.index(str(held[i]["label"])) for i in known)
        shutil.rmtree(fold_dir, ignore_errors=True)
    for n in names:
        meta = metas[n]
        if gold[n]:
            probs, y = np.concatenate(oof[n]), np.array(gold[n])
            t, before, after = scorers.fit_temperature(probs, y)
            meta.update(temperature=round(t, 4), temperature_rows=len(y), temperature_log_loss=[round(before, 4), round(after, 4)],
                        temperature_refit=k, temperature_left_out=left_out[n])
            if meta.get("seeds"):
                meta["temperature_refit_seed"] = seed
            events.log(f"{n}: temperature {t:.3f} fitted on {len(y)} out-of-fold predictions of {k} refitted encoders "
                       f"(log loss {before:.3f} -> {after:.3f})" + (f"; {left_out[n]} rows of labels their fold never trained on left out" if left_out[n] else ""))
        else:  # e.g. persona with every held turn short: its frozen head reads them
            meta["temperature_refit_short"] = k  # the table's note says why no temperature
            events.log(f"{n}: every out-of-fold row of its {k} refitted encoders is a short turn its frozen head reads; no temperature fitted")
        scorers.write_meta(out_dir, n, meta)
