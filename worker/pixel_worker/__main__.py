"""python -m pixel_worker <job> --spec job.json

Runs one job and reports through JSON-lines events on stdout: start, then
progress / metric / artifact / log / data events, then done (exit 0) or
error (exit 1). Nothing else is written to stdout.
"""

import argparse
import os
import sys
import traceback

from . import __version__, events
from .errors import WorkerError


def _jobs() -> dict:
    # Imported lazily so that `--help` and errors in the spec are fast.
    from . import chat, generate, loss, merge, scorers, tokens, train

    return {"train": train.run, "generate": generate.run, "loss": loss.run, "tokens": tokens.run, "merge": merge.run, "chat": chat.run,
            "scorer_fit": scorers.fit, "scorer_predict": scorers.predict}


JOB_NAMES = ("train", "generate", "loss", "tokens", "merge", "chat", "scorer_fit", "scorer_predict")


def _close_process_group() -> None:
    """Under torchrun, wait for every rank (rank 0 is still writing the
    checkpoint when the others finish) and tear the process group down
    before exit; a rank that exits with it alive can abort in gloo's
    destructor ("terminate called without an active exception")."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pixel_worker", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("job", choices=JOB_NAMES)
    parser.add_argument("--spec", required=True, help="the JSON job spec written by `pixel`")
    args = parser.parse_args(argv)
    events.claim_stdout()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    events.emit("start", job=args.job, pid=os.getpid(), version=__version__)
    try:
        from . import spec

        job = spec.load(args.spec, args.job)
        summary = _jobs()[args.job](job)
        _close_process_group()
    except WorkerError as e:
        events.emit("error", job=args.job, error=str(e), kind="WorkerError", fix=e.fix)
        return 1
    except Exception as e:  # noqa: BLE001 - every failure must reach Go as an event
        traceback.print_exc(file=sys.stderr)
        events.emit("error", job=args.job, error=f"{type(e).__name__}: {e}", kind=type(e).__name__, fix="see the run log for the traceback")
        return 1
    events.emit("done", job=args.job, ok=True, summary=summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
