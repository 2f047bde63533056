"""Reading a TFLite flatbuffer: operators, tensors, constants (sparse ones made dense).

A thin layer over the ``tflite`` package's generated flatbuffer classes, for
:mod:`kiosk.mirror.convert_tflite` and the perception build. Build time only.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import tflite

_BUILTIN = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_TFL_TYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}


class ConversionError(Exception):
    """The TFLite model uses something this converter does not translate exactly."""


def options(op: Any, cls: Any) -> Any:
    table = op.BuiltinOptions()
    opts = cls()
    if table is not None:
        opts.Init(table.Bytes, table.Pos)
    return opts


def op_name(model: Any, op: Any) -> str:
    code = model.OperatorCodes(op.OpcodeIndex())
    name = _BUILTIN.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "?")
    if name == "CUSTOM":
        return "CUSTOM:" + code.CustomCode().decode()
    return str(name)


def load(data: bytes) -> Any:
    """The flatbuffer's root; one subgraph only (these models have one)."""
    model = tflite.Model.GetRootAsModel(data, 0)
    if model.SubgraphsLength() != 1:
        raise ConversionError(f"{model.SubgraphsLength()} subgraphs; only one is supported")
    return model


def op_census(data: bytes) -> dict[str, int]:
    """How many times each operator occurs, e.g. ``{"CONV_2D": 21, ...}``."""
    model = load(data)
    graph = model.Subgraphs(0)
    count = Counter(op_name(model, graph.Operators(i)) for i in range(graph.OperatorsLength()))
    return dict(sorted(count.items()))


def index_vector(table: Any, kind: int) -> np.ndarray:
    cls = {1: tflite.Int32Vector, 2: tflite.Uint16Vector, 3: tflite.Uint8Vector}.get(kind)
    if cls is None:
        raise ConversionError(f"sparse index vector type {kind}")
    vec = cls()
    vec.Init(table.Bytes, table.Pos)
    return np.asarray(vec.ValuesAsNumpy(), np.int64)


def densify(values: np.ndarray, shape: tuple[int, ...], sparsity: Any) -> np.ndarray:
    """A TFLite sparse tensor made dense, following TFLite's FormatConverter::SparseToDense.

    The traversal is done level by level over all paths at once (the same order as TFLite's
    depth-first walk), so the values are consumed in file order.
    """
    order = [int(v) for v in sparsity.TraversalOrderAsNumpy()]
    block_map = [int(v) for v in sparsity.BlockMapAsNumpy()] if sparsity.BlockMapLength() else []
    rank = len(shape)
    paths = np.zeros((1, 0), np.int64)
    prev = np.zeros(1, np.int64)
    block_sizes: list[int] = []
    for level in range(sparsity.DimMetadataLength()):
        meta = sparsity.DimMetadata(level)
        if meta.Format() == 0:  # dense
            size = int(meta.DenseSize())
            if level >= rank:
                block_sizes.append(size)
            paths = np.repeat(paths, size, axis=0)
            child = np.tile(np.arange(size), len(prev))
            prev = np.repeat(prev, size) * size + child
        else:  # CSR
            segments = index_vector(meta.ArraySegments(), meta.ArraySegmentsType())
            indices = index_vector(meta.ArrayIndices(), meta.ArrayIndicesType())
            starts, ends = segments[prev], segments[prev + 1]
            counts = ends - starts
            paths = np.repeat(paths, counts, axis=0)
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            prev = np.repeat(starts, counts) + offsets
            child = indices[prev]
            if level >= rank:
                raise ConversionError("sparse block dimensions are not supported")
        paths = np.concatenate([paths, child[:, None]], axis=1)
    dense_idx = np.zeros((len(paths), rank), np.int64)
    for i in range(rank):
        dense_idx[:, order[i]] = paths[:, i]
    for i in range(rank, len(order)):
        b = order[i] - rank
        dim = block_map[b]
        dense_idx[:, dim] = dense_idx[:, dim] * block_sizes[b] + paths[:, i]
    if len(paths) != values.size:
        raise ConversionError(f"sparse tensor has {values.size} values for {len(paths)} indices")
    out = np.zeros(shape, values.dtype)
    out[tuple(dense_idx.T)] = values.reshape(-1)
    return out


def constant(model: Any, tensor: Any, data: bytes) -> np.ndarray | None:
    """A tensor's stored value (dense, in its own shape), or None when it is computed."""
    buf = model.Buffers(tensor.Buffer())
    if buf.Offset() > 1:  # large models keep data after the flatbuffer
        raw = np.frombuffer(data, np.uint8, buf.Size(), buf.Offset())
    elif buf.DataLength():
        raw = buf.DataAsNumpy()
    else:
        return None
    dtype = _TFL_TYPES.get(tensor.Type())
    name = tensor.Name().decode()
    if dtype is None:
        raise ConversionError(f"{name}: tensor type {tensor.Type()}")
    values = np.frombuffer(raw.tobytes(), dtype)
    shape = tuple(int(v) for v in tensor.ShapeAsNumpy())
    if tensor.Sparsity() is not None:
        return densify(values, shape, tensor.Sparsity())
    return values.reshape(shape)


def io_signature(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """Names and shapes of a TFLite model's inputs and outputs (for manifests and checks)."""
    model = load(data)
    g = model.Subgraphs(0)

    def spec(idx: int) -> dict[str, Any]:
        t = g.Tensors(idx)
        return {"name": t.Name().decode(), "shape": [int(v) for v in t.ShapeAsNumpy()]}

    return {
        "inputs": [spec(g.Inputs(i)) for i in range(g.InputsLength())],
        "outputs": [spec(g.Outputs(i)) for i in range(g.OutputsLength())],
    }
