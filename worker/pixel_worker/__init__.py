"""Pixel's thin Python worker: trains a curriculum stage, generates, and
measures loss, driven by the Go `pixel` binary through a JSON job spec and
JSON-lines events on stdout (docs/worker-protocol.md)."""

__version__ = "0.1.0"
