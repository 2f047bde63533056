"""One onnxruntime session, set up the same way for every model of the mirror.

The stylizer (:mod:`kiosk.mirror.stylizer`) and each perception model
(:mod:`kiosk.mirror.perception.session`) open their model through :func:`open_session`:

* providers are asked for explicitly (CUDA first where ``onnxruntime-gpu`` offers it, then the
  CPU) and filtered against what this onnxruntime has (:func:`choose_providers`);
* the provider actually in use is read back from the session; a CUDA request that ends on the
  CPU is kept in :attr:`OnnxSession.fallback` and logged, never silent;
* thread counts are set (intra-op as asked, one inter-op thread, sequential execution) and the
  pool does not spin while idle, so the screen's thread keeps its core;
* onnxruntime's own CPU memory arena is off: it kept every size of buffer the models ever asked
  for (~20 MB for the style model and the four perception models, ~25 MB once the mirror ran)
  where glibc, tuned by :mod:`kiosk.media.allocator`, already reuses freed blocks; each model's
  time per frame was the same without it.

onnxruntime is imported when a session is opened, with a clear message if it is missing. Every
problem is an :class:`OnnxSessionError`; each caller turns it into its own error type.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
PROVIDER_NAMES = {CUDA: "cuda", CPU: "cpu"}


class OnnxSessionError(Exception):
    """onnxruntime is missing, the provider asked for is unknown, or the model cannot load."""


def import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise OnnxSessionError(
            "the frost mirror needs onnxruntime (pip install onnxruntime, or onnxruntime-gpu)"
        ) from exc
    return onnxruntime


def choose_providers(requested: str, available: list[str]) -> tuple[list[Any], str | None]:
    """The provider list to ask for, and why CUDA is missing from it when it was asked for."""
    requested = requested.lower().strip()
    if requested not in ("auto", "cuda", "cpu"):
        raise OnnxSessionError(f"camera.provider: {requested!r} is not auto, cuda or cpu")
    if requested == "cpu":
        return [CPU], None
    if CUDA in available:
        return [(CUDA, {"device_id": 0}), CPU], None
    why = "CUDA is not available (onnxruntime-gpu is not installed or finds no GPU)"
    return [CPU], why if requested == "cuda" else None


@dataclass(frozen=True)
class OnnxSession:
    """An open session and where it runs.

    Attributes:
        session: the ``onnxruntime.InferenceSession``.
        provider: the provider in use, short (``cuda``, ``cpu``).
        provider_full: the provider in use as onnxruntime names it.
        fallback: why the session runs on the CPU although CUDA was asked for; None otherwise.
        threads: intra-op threads.
        ort: the onnxruntime module (for ``OrtValue`` and the like).
    """

    session: Any
    provider: str
    provider_full: str
    fallback: str | None
    threads: int
    ort: Any

    @property
    def on_gpu(self) -> bool:
        return self.provider_full == CUDA


def open_session(model: Path, provider: str, threads: int, label: str) -> OnnxSession:
    """``model`` in a session on ``provider`` (``auto``, ``cuda`` or ``cpu``) with ``threads``
    intra-op threads (at least one); ``label`` names the model in the log."""
    ort = import_onnxruntime()
    providers, fallback = choose_providers(provider, list(ort.get_available_providers()))
    threads = max(1, threads)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.enable_cpu_mem_arena = False  # see the module's docstring: memory, not speed
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(model), so, providers=providers)
    except Exception as exc:
        raise OnnxSessionError(f"{model}: cannot load: {exc}") from exc
    used = session.get_providers()
    provider_full = used[0] if used else CPU
    asked_cuda = any((p if isinstance(p, str) else p[0]) == CUDA for p in providers)
    if asked_cuda and provider_full != CUDA:
        fallback = "CUDA was offered but the session fell back to the CPU"
    if fallback:
        log.warning("%s: %s; running on the CPU", label, fallback)
    return OnnxSession(
        session=session,
        provider=PROVIDER_NAMES.get(provider_full, provider_full),
        provider_full=provider_full,
        fallback=fallback,
        threads=threads,
        ort=ort,
    )
