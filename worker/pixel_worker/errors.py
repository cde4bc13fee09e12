"""The one error type the worker reports: what went wrong and how to fix it."""


class WorkerError(Exception):
    """A failure the user can act on; `fix` says how."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix
