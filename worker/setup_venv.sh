#!/usr/bin/env bash
# Creates (once per machine) the worker's virtual environment from
# worker/requirements.lock and links it to ./.venv.
#
# The venv lives in a user cache folder keyed by the lock file's hash, so a
# fresh clone on the same machine reuses it instead of downloading torch
# (several GB) again; changing the lock makes a new one.
set -euo pipefail
cd "$(dirname "$0")/.."
lock=worker/requirements.lock
python=${PIXEL_BASE_PYTHON:-python3}
hash=$( (cat "$lock"; "$python" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)
cache=${PIXEL_VENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pixel/venvs}
dir=$cache/$hash
if [[ ! -f $dir/.complete ]]; then
  echo "setup: creating the worker environment in $dir (first time on this machine: torch is large, this takes a few minutes)"
  mkdir -p "$cache"
  rm -rf "$dir.partial"
  "$python" -m venv "$dir.partial"
  "$dir.partial/bin/python" -m pip install --quiet --no-input --requirement "$lock"
  # Built under .partial and renamed when complete, so an interrupted install
  # is never mistaken for a ready one. The interpreter finds its venv from
  # pyvenv.cfg beside it, so the rename is safe; the project always runs
  # `.venv/bin/python -m ...`, never the scripts whose shebangs name the old path.
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
  touch "$dir/.complete"
fi
ln -sfn "$dir" .venv
echo "setup: worker environment ready (.venv -> $dir)"
