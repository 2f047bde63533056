"""TFLite -> ONNX for the mirror's perception models (build time only, never at kiosk run time).

Converts exactly the operators that MediaPipe's face detectors, face-landmark model and selfie
segmentation use (see :data:`SUPPORTED`); any other operator is a :class:`ConversionError` naming
it, never a silent guess. The ONNX graph computes what the TFLite graph computes, op for op:

* Inputs and outputs keep TFLite's NHWC shapes and names; inside, 4-D activations are NCHW
  (ONNX's convolution layout), with one Transpose at each end that onnxruntime folds away.
* Weights stored as float16 stay float16 in the file (a Cast, folded when the session loads, does
  TFLite's DEQUANTIZE): the conversion is exact and the file no bigger than the original.
* Sparse weights (DENSIFY, in the full-range detector) are made dense here, with TFLite's own
  traversal rules.
* SAME padding is written out as explicit pads computed like TFLite (extra pixel at the end).
* MediaPipe's custom ``Convolution2DTransposeBias`` becomes ConvTranspose with a bias.

Needs ``onnx`` and the ``tflite`` flatbuffer reader (the ``models`` extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

from kiosk.mirror import tflite_model
from kiosk.mirror.tflite_model import ConversionError

OPSET = 17
IR_VERSION = 8  # opset 17's IR: loadable by every onnxruntime the kiosk allows (>= 1.18)
NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)
AXIS_NHWC_TO_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}

_ACTIVATIONS = {0: None, 1: "Relu", 3: "Relu6"}  # fused activations these models use
SUPPORTED = frozenset(
    {
        "ADD",
        "AVERAGE_POOL_2D",
        "CONCATENATION",
        "CONV_2D",
        "CUSTOM:Convolution2DTransposeBias",
        "DENSIFY",
        "DEPTH_TO_SPACE",
        "DEPTHWISE_CONV_2D",
        "DEQUANTIZE",
        "HARD_SWISH",
        "LOGISTIC",
        "MAX_POOL_2D",
        "MEAN",
        "MUL",
        "PAD",
        "PRELU",
        "RELU",
        "RESHAPE",
        "RESIZE_BILINEAR",
    }
)


@dataclass(frozen=True)
class Dyn:
    """A tensor computed at run time: its ONNX name, and whether it is held as NCHW."""

    name: str
    nchw: bool


def _same_pads(size: int, k: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TFLite's SAME padding for one axis: (before, after), the odd pixel at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


class _Converter:
    """One pass over the TFLite operators, emitting ONNX nodes in the same order."""

    def __init__(self, data: bytes, keep_fp16: bool) -> None:
        self.model = tflite_model.load(data)
        self.graph = self.model.Subgraphs(0)
        self.data = data
        self.keep_fp16 = keep_fp16
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.values: dict[int, Dyn | np.ndarray] = {}
        self.count = 0

    # -- tensors -------------------------------------------------------------------------------
    def shape(self, idx: int) -> tuple[int, ...]:
        return tuple(int(v) for v in self.graph.Tensors(idx).ShapeAsNumpy())

    def tensor_name(self, idx: int) -> str:
        return str(self.graph.Tensors(idx).Name().decode())

    def _const(self, idx: int) -> np.ndarray | None:
        return tflite_model.constant(self.model, self.graph.Tensors(idx), self.data)

    def value(self, idx: int) -> Dyn | np.ndarray:
        if idx not in self.values:
            const = self._const(idx)
            if const is None:
                raise ConversionError(f"{self.tensor_name(idx)} is used before it is computed")
            self.values[idx] = const
        return self.values[idx]

    def const(self, idx: int) -> np.ndarray:
        v = self.value(idx)
        if isinstance(v, Dyn):
            raise ConversionError(f"{self.tensor_name(idx)}: a constant was expected")
        return v

    def dyn(self, idx: int) -> Dyn:
        v = self.value(idx)
        if not isinstance(v, Dyn):
            raise ConversionError(f"{self.tensor_name(idx)}: a computed tensor was expected")
        return v

    def fresh(self, hint: str) -> str:
        self.count += 1
        return f"{hint}{self.count}"

    def init(self, arr: np.ndarray, hint: str = "c") -> str:
        """A constant input: float16 stays float16 in the file behind a Cast (exact)."""
        name = self.fresh(hint)
        if arr.dtype == np.float16 and self.keep_fp16:
            self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name + "h"))
            self.node("Cast", [name + "h"], [name], to=TensorProto.FLOAT)
        else:
            if arr.dtype in (np.float16, np.float64):
                arr = arr.astype(np.float32)
            self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(self, op: str, inputs: list[str], outputs: list[str], **attrs: Any) -> None:
        self.nodes.append(helper.make_node(op, inputs, outputs, self.fresh(op.lower()), **attrs))

    def out(self, op: Any, i: int = 0) -> int:
        return int(op.Outputs(i))

    def emit_act(self, x: str, act: int, out_idx: int, nchw: bool = True) -> None:
        if act not in _ACTIVATIONS:
            raise ConversionError(f"fused activation {act}")
        name = f"t{out_idx}"
        kind = _ACTIVATIONS[act]
        if kind == "Relu":
            self.node("Relu", [x], [name])
        elif kind == "Relu6":
            self.node(
                "Clip",
                [x, self.init(np.array(0, np.float32)), self.init(np.array(6, np.float32))],
                [name],
            )
        else:
            self.node("Identity", [x], [name])
        self.values[out_idx] = Dyn(name, nchw)

    def as_operand(self, v: Dyn | np.ndarray, nchw: bool) -> str:
        """An ADD/MUL operand; a constant is broadcast the way TFLite's NHWC would."""
        if isinstance(v, Dyn):
            if v.nchw != nchw:
                raise ConversionError("elementwise operands in different layouts")
            return v.name
        if nchw:
            v = v.reshape((1,) * (4 - v.ndim) + v.shape).transpose(NHWC_TO_NCHW)
        return self.init(v)

    # -- operators -----------------------------------------------------------------------------
    def convert_op(self, op: Any) -> None:
        name = tflite_model.op_name(self.model, op)
        if name not in SUPPORTED:
            raise ConversionError(f"operator {name} is not supported")
        handler = getattr(self, "op_" + name.replace("CUSTOM:", "custom_").lower())
        handler(op)

    def op_dequantize(self, op: Any) -> None:
        src = self.value(op.Inputs(0))
        if isinstance(src, Dyn) or src.dtype != np.float16:
            raise ConversionError("only DEQUANTIZE of float16 constants is supported")
        self.values[self.out(op)] = src  # stays float16 until written (see init)

    def op_densify(self, op: Any) -> None:
        self.values[self.out(op)] = self.const(op.Inputs(0))

    def _conv(self, op: Any, weights: np.ndarray, group: int, opts: Any) -> None:
        x = self.dyn(op.Inputs(0))
        _, h, w, _ = self.shape(op.Inputs(0))
        kh, kw = weights.shape[2:]
        sh, sw = opts.StrideH(), opts.StrideW()
        dh, dw = opts.DilationHFactor(), opts.DilationWFactor()
        if opts.Padding() == 0:
            (pt, pb), (pl, pr) = _same_pads(h, kh, sh, dh), _same_pads(w, kw, sw, dw)
        else:
            pt = pb = pl = pr = 0
        inputs = [x.name, self.init(weights, "w")]
        if op.InputsLength() > 2 and op.Inputs(2) >= 0:
            inputs.append(self.init(self.const(op.Inputs(2)), "b"))
        y = self.fresh("conv")
        self.node(
            "Conv",
            inputs,
            [y],
            kernel_shape=[kh, kw],
            strides=[sh, sw],
            dilations=[dh, dw],
            pads=[pt, pl, pb, pr],
            group=group,
        )
        self.emit_act(y, opts.FusedActivationFunction(), self.out(op))

    def op_conv_2d(self, op: Any) -> None:
        weights = self.const(op.Inputs(1)).transpose(0, 3, 1, 2)  # OHWI -> OIHW
        self._conv(op, weights, 1, tflite_model.options(op, tflite.Conv2DOptions))

    def op_depthwise_conv_2d(self, op: Any) -> None:
        channels = self.shape(op.Inputs(0))[3]
        weights = self.const(op.Inputs(1)).transpose(3, 0, 1, 2)  # 1HW(C*M) -> (C*M)1HW
        self._conv(op, weights, channels, tflite_model.options(op, tflite.DepthwiseConv2DOptions))

    def op_custom_convolution2dtransposebias(self, op: Any) -> None:
        # MediaPipe's op: its options are TfLiteTransposeConvParams {padding, stride_w, stride_h}.
        padding, sw, sh = np.frombuffer(op.CustomOptionsAsNumpy().tobytes(), np.int32)[:3]
        x = self.dyn(op.Inputs(0))
        weights = self.const(op.Inputs(1)).transpose(3, 0, 1, 2)  # OHWI -> IOHW
        _, h, w, _ = self.shape(op.Inputs(0))
        _, oh, ow, _ = self.shape(self.out(op))
        kh, kw = weights.shape[2:]
        pads = []
        for size, out, k, s in ((h, oh, kh, sh), (w, ow, kw, sw)):
            total = (size - 1) * s + k - out
            if total < 0 or (padding == 2 and total):
                raise ConversionError("transpose convolution output size does not fit")
            pads.append((total // 2, total - total // 2))
        inputs = [x.name, self.init(weights, "w"), self.init(self.const(op.Inputs(2)), "b")]
        y = f"t{self.out(op)}"
        self.node(
            "ConvTranspose",
            inputs,
            [y],
            kernel_shape=[int(kh), int(kw)],
            strides=[int(sh), int(sw)],
            pads=[pads[0][0], pads[1][0], pads[0][1], pads[1][1]],
        )
        self.values[self.out(op)] = Dyn(y, True)

    def _pool(self, op: Any, kind: str) -> None:
        opts = tflite_model.options(op, tflite.Pool2DOptions)
        x = self.dyn(op.Inputs(0))
        _, h, w, _ = self.shape(op.Inputs(0))
        kh, kw, sh, sw = opts.FilterHeight(), opts.FilterWidth(), opts.StrideH(), opts.StrideW()
        if opts.Padding() == 0:
            (pt, pb), (pl, pr) = _same_pads(h, kh, sh), _same_pads(w, kw, sw)
        else:
            pt = pb = pl = pr = 0
        y = self.fresh("pool")
        extra = {"count_include_pad": 0} if kind == "AveragePool" else {}
        self.node(
            kind,
            [x.name],
            [y],
            kernel_shape=[kh, kw],
            strides=[sh, sw],
            pads=[pt, pl, pb, pr],
            **extra,
        )
        self.emit_act(y, opts.FusedActivationFunction(), self.out(op))

    def op_max_pool_2d(self, op: Any) -> None:
        self._pool(op, "MaxPool")

    def op_average_pool_2d(self, op: Any) -> None:
        self._pool(op, "AveragePool")

    def _binary(self, op: Any, kind: str, cls: Any) -> None:
        a, b = self.value(op.Inputs(0)), self.value(op.Inputs(1))
        nchw = any(isinstance(v, Dyn) and v.nchw for v in (a, b))
        y = self.fresh(kind.lower())
        self.node(kind, [self.as_operand(a, nchw), self.as_operand(b, nchw)], [y])
        self.emit_act(
            y, tflite_model.options(op, cls).FusedActivationFunction(), self.out(op), nchw
        )

    def op_add(self, op: Any) -> None:
        self._binary(op, "Add", tflite.AddOptions)

    def op_mul(self, op: Any) -> None:
        self._binary(op, "Mul", tflite.MulOptions)

    def _unary(self, op: Any, kind: str) -> None:
        x = self.dyn(op.Inputs(0))
        name = f"t{self.out(op)}"
        self.node(kind, [x.name], [name])
        self.values[self.out(op)] = Dyn(name, x.nchw)

    def op_relu(self, op: Any) -> None:
        self._unary(op, "Relu")

    def op_logistic(self, op: Any) -> None:
        self._unary(op, "Sigmoid")

    def op_hard_swish(self, op: Any) -> None:
        self._unary(op, "HardSwish")

    def op_prelu(self, op: Any) -> None:
        x = self.dyn(op.Inputs(0))
        slope = self.as_operand(self.const(op.Inputs(1)), x.nchw)
        name = f"t{self.out(op)}"
        self.node("PRelu", [x.name, slope], [name])
        self.values[self.out(op)] = Dyn(name, x.nchw)

    def op_pad(self, op: Any) -> None:
        x = self.dyn(op.Inputs(0))
        pads = self.const(op.Inputs(1)).astype(np.int64)  # [[before, after]] per NHWC axis
        if x.nchw:
            pads = pads[list(NHWC_TO_NCHW)]
        name = f"t{self.out(op)}"
        self.node("Pad", [x.name, self.init(np.concatenate([pads[:, 0], pads[:, 1]]))], [name])
        self.values[self.out(op)] = Dyn(name, x.nchw)

    def to_nhwc(self, x: Dyn) -> str:
        if not x.nchw:
            return x.name
        y = self.fresh("nhwc")
        self.node("Transpose", [x.name], [y], perm=list(NCHW_TO_NHWC))
        return y

    def to_nchw(self, name: str, out_idx: int) -> None:
        final = f"t{out_idx}"
        self.node("Transpose", [name], [final], perm=list(NHWC_TO_NCHW))
        self.values[out_idx] = Dyn(final, True)

    def op_reshape(self, op: Any) -> None:
        x = self.dyn(op.Inputs(0))
        out_shape = self.shape(self.out(op))
        src = self.to_nhwc(x)
        target = self.init(np.array(out_shape, np.int64))
        if len(out_shape) == 4:
            y = self.fresh("reshape")
            self.node("Reshape", [src, target], [y])
            self.to_nchw(y, self.out(op))
        else:
            name = f"t{self.out(op)}"
            self.node("Reshape", [src, target], [name])
            self.values[self.out(op)] = Dyn(name, False)

    def op_concatenation(self, op: Any) -> None:
        opts = tflite_model.options(op, tflite.ConcatenationOptions)
        parts = [self.dyn(op.Inputs(i)) for i in range(op.InputsLength())]
        nchw = parts[0].nchw
        if any(p.nchw != nchw for p in parts):
            raise ConversionError("CONCATENATION of tensors in different layouts")
        rank = len(self.shape(self.out(op)))
        axis = opts.Axis() % rank
        if nchw:
            axis = AXIS_NHWC_TO_NCHW[axis]
        y = self.fresh("concat")
        self.node("Concat", [p.name for p in parts], [y], axis=axis)
        self.emit_act(y, opts.FusedActivationFunction(), self.out(op), nchw)

    def op_resize_bilinear(self, op: Any) -> None:
        opts = tflite_model.options(op, tflite.ResizeBilinearOptions)
        x = self.dyn(op.Inputs(0))
        n, h, w, c = self.shape(self.out(op))
        if opts.AlignCorners():
            mode = "align_corners"
        elif opts.HalfPixelCenters():
            mode = "half_pixel"  # onnxruntime clamps the source coordinate as TFLite does
        else:
            mode = "asymmetric"
        sizes = self.init(np.array([n, c, h, w], np.int64))
        name = f"t{self.out(op)}"
        self.node(
            "Resize",
            [x.name, "", "", sizes],
            [name],
            mode="linear",
            coordinate_transformation_mode=mode,
        )
        self.values[self.out(op)] = Dyn(name, True)

    def op_depth_to_space(self, op: Any) -> None:
        block = tflite_model.options(op, tflite.DepthToSpaceOptions).BlockSize()
        x = self.dyn(op.Inputs(0))
        name = f"t{self.out(op)}"
        self.node("DepthToSpace", [x.name], [name], blocksize=block, mode="DCR")  # TF's order
        self.values[self.out(op)] = Dyn(name, True)

    def op_mean(self, op: Any) -> None:
        keep = bool(tflite_model.options(op, tflite.ReducerOptions).KeepDims())
        x = self.dyn(op.Inputs(0))
        axes = [int(a) % 4 for a in self.const(op.Inputs(1)).reshape(-1)]
        name = f"t{self.out(op)}"
        if x.nchw and keep:
            axes = [AXIS_NHWC_TO_NCHW[a] for a in axes]
            self.node("ReduceMean", [x.name], [name], axes=sorted(axes), keepdims=1)
            self.values[self.out(op)] = Dyn(name, True)
        else:
            self.node("ReduceMean", [self.to_nhwc(x)], [name], axes=sorted(axes), keepdims=0)
            self.values[self.out(op)] = Dyn(name, False)

    # -- the whole graph -----------------------------------------------------------------------
    def run(self, graph_name: str) -> onnx.ModelProto:
        g = self.graph
        inputs, outputs = [], []
        for i in range(g.InputsLength()):
            idx = int(g.Inputs(i))
            shape = self.shape(idx)
            inputs.append(helper.make_tensor_value_info(self.tensor_name(idx), 1, list(shape)))
            if len(shape) == 4:
                self.to_nchw(self.tensor_name(idx), idx)
            else:
                self.values[idx] = Dyn(self.tensor_name(idx), False)
        for i in range(g.OperatorsLength()):
            self.convert_op(g.Operators(i))
        for i in range(g.OutputsLength()):
            idx = int(g.Outputs(i))
            v = self.dyn(idx)
            name = self.tensor_name(idx)
            if v.nchw:
                self.node("Transpose", [v.name], [name], perm=list(NCHW_TO_NHWC))
            else:
                self.node("Identity", [v.name], [name])
            outputs.append(helper.make_tensor_value_info(name, 1, list(self.shape(idx))))
        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs, self.inits)
        model = helper.make_model(
            graph,
            producer_name="white-road convert_tflite",
            opset_imports=[helper.make_opsetid("", OPSET)],
        )
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model)
        return model


def convert(data: bytes, graph_name: str = "model", keep_fp16: bool = True) -> onnx.ModelProto:
    """The TFLite flatbuffer ``data`` as an ONNX model (opset 17, same I/O names and shapes)."""
    return _Converter(data, keep_fp16).run(graph_name)
