//===- XnnpackOps.td - XNNPACK subgraph nodes as MLIR ops -----------------===//
//
// The XNNPACK backend lowers an outlined Edge subgraph to these ops, one per
// node of ExecuTorch's XNNPACK delegate format (the blob's flatbuffer), then
// rewrites them (layout, activation fusion) and serializes them. Every value
// has the type of the tensor XNNPACK sees: ops that XNNPACK runs in NHWC
// (convolutions, pooling, resize, prelu) take and give NHWC tensors, and
// `xnnpack.static_transpose` converts at their edges. Constants are
// `edge.constant` ops holding data already in XNNPACK's layout.
//
//===----------------------------------------------------------------------===//
#ifndef EMBER_XNNPACK_OPS_TD
#define EMBER_XNNPACK_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Xnnpack_Dialect : Dialect {
  let name = "xnnpack";
  let summary = "Nodes of an XNNPACK subgraph (ExecuTorch's XNNPACK delegate format)";
  let description = [{
    The XNNPACK backend's lowering target. One op per node kind of the
    delegate blob; attributes are the node's parameters, in XNNPACK's
    conventions (padding as [top, right, bottom, left], NHWC activations,
    filters as XNNPACK wants them). Values are fp32, or 8-bit static
    quantized: an int8 (or uint8) activation carries its scale and zero
    point on the node that makes it (`result_scale`, `result_zero_point`;
    transposes, reshapes, max pooling and clamps keep their input's), or on
    the function argument (`xnnpack.scale`, `xnnpack.zero_point`); an int8
    filter has `filter_scales` on its node (one, or one per output channel)
    and an int32 bias the scale input_scale * filter_scale.
  }];
  let cppNamespace = "::ember::xnnpack";
}

/// The node can clamp its output to [output_min, output_max] (the blob's
/// per-node output_min_max): activations fuse into it.
def Xnnpack_ClampsOutput : NativeOpTrait<"ClampsOutput"> {
  let cppNamespace = "::ember::xnnpack";
}

/// The node computes each output element from the input elements at the
/// same position (after broadcasting): it runs in any layout.
def Xnnpack_Elementwise : NativeOpTrait<"Elementwise"> {
  let cppNamespace = "::ember::xnnpack";
}

def Xnnpack_Tensor : RankedTensorOf<[F32, I8, UI8, I32]>;

class Xnnpack_Op<string mnemonic, list<Trait> traits = []>
    : Op<Xnnpack_Dialect, mnemonic, !listconcat(traits, [Pure])> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

/// The optional output clamp of a node with Xnnpack_ClampsOutput.
defvar ClampAttrs = (ins OptionalAttr<F32Attr>:$output_min, OptionalAttr<F32Attr>:$output_max);

/// The quantization of an 8-bit result (absent for fp32).
defvar ResultQuantAttrs = (ins OptionalAttr<F64Attr>:$result_scale,
                               OptionalAttr<I64Attr>:$result_zero_point);

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Xnnpack_BinaryOp<string mnemonic, list<Trait> traits = []>
    : Xnnpack_Op<mnemonic, !listconcat(traits, [Xnnpack_Elementwise])> {
  let summary = "Elementwise " # mnemonic # " with NumPy broadcasting";
  let description = [{
    Both inputs broadcast to the output's shape (trailing dims aligned, each
    dim equal or 1), as in PyTorch.

    Example (a per-channel constant on an NHWC value):
    ```mlir
    %y = xnnpack.multiply %x, %scale : (tensor<1x8x8x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x8x8x4xf32>
    ```
  }];
  let arguments = (ins Xnnpack_Tensor:$lhs, Xnnpack_Tensor:$rhs);
  let results = (outs Xnnpack_Tensor:$result);
}

class Xnnpack_ClampedBinaryOp<string mnemonic>
    : Xnnpack_BinaryOp<mnemonic, [Xnnpack_ClampsOutput]> {
  let arguments = !con((ins Xnnpack_Tensor:$lhs, Xnnpack_Tensor:$rhs), ClampAttrs);
}

def Xnnpack_AddOp : Xnnpack_BinaryOp<"add", [Xnnpack_ClampsOutput]> {
  let description = [{
    Both inputs broadcast to the output's shape, as in PyTorch. On int8
    inputs (each with its own scale and zero point) the result is
    requantized to `result_scale` and `result_zero_point`.

    Example (a quantized residual add with its relu as the clamp):
    ```mlir
    %y = xnnpack.add %a, %b {output_min = 0.0 : f32, result_scale = 0.05 : f64, result_zero_point = -128 : i64}
        : (tensor<1x8x8x4xi8>, tensor<1x8x8x4xi8>) -> tensor<1x8x8x4xi8>
    ```
  }];
  let arguments = !con((ins Xnnpack_Tensor:$lhs, Xnnpack_Tensor:$rhs), ClampAttrs,
                       ResultQuantAttrs);
  let hasVerifier = 1;
}
def Xnnpack_SubtractOp : Xnnpack_ClampedBinaryOp<"subtract">;
def Xnnpack_MultiplyOp : Xnnpack_ClampedBinaryOp<"multiply">;
def Xnnpack_DivideOp : Xnnpack_ClampedBinaryOp<"divide">;
def Xnnpack_MaximumOp : Xnnpack_BinaryOp<"maximum">;
def Xnnpack_MinimumOp : Xnnpack_BinaryOp<"minimum">;

class Xnnpack_UnaryOp<string mnemonic, list<Trait> traits = []>
    : Xnnpack_Op<mnemonic, !listconcat(traits, [Xnnpack_Elementwise])> {
  let summary = "Elementwise " # mnemonic;
  let description = [{
    The result has the input's shape; runs in any layout.

    Example:
    ```mlir
    %y = xnnpack.sigmoid %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Xnnpack_Tensor:$input);
  let results = (outs Xnnpack_Tensor:$result);
}

def Xnnpack_AbsOp : Xnnpack_UnaryOp<"abs">;
def Xnnpack_NegateOp : Xnnpack_UnaryOp<"negate">;
def Xnnpack_SquareOp : Xnnpack_UnaryOp<"square">;
def Xnnpack_SquareRootOp : Xnnpack_UnaryOp<"square_root">;
def Xnnpack_CeilingOp : Xnnpack_UnaryOp<"ceiling">;
def Xnnpack_FloorOp : Xnnpack_UnaryOp<"floor">;
def Xnnpack_SigmoidOp : Xnnpack_UnaryOp<"sigmoid">;
def Xnnpack_HardswishOp : Xnnpack_UnaryOp<"hardswish">;

def Xnnpack_ClampOp : Xnnpack_UnaryOp<"clamp", [Xnnpack_ClampsOutput]> {
  let summary = "Clamp to [output_min, output_max] (relu, relu6, hardtanh, clamp)";
  let description = [{
    An absent bound is infinite. Fuses into a producer that clamps its own
    output (ember-xnnpack-fuse-activations).

    Example (relu):
    ```mlir
    %r = xnnpack.clamp %x {output_min = 0.0 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
    ```
  }];
  let arguments = !con((ins Xnnpack_Tensor:$input), ClampAttrs);
}

def Xnnpack_LeakyReluOp : Xnnpack_UnaryOp<"leaky_relu"> {
  let summary = "x if x > 0 else negative_slope * x";
  let arguments = (ins Xnnpack_Tensor:$input, F32Attr:$negative_slope);
}

def Xnnpack_EluOp : Xnnpack_UnaryOp<"elu"> {
  let summary = "x if x > 0 else alpha * (exp(x) - 1)";
  let arguments = (ins Xnnpack_Tensor:$input, F32Attr:$alpha);
}

def Xnnpack_ConvertOp : Xnnpack_UnaryOp<"convert"> {
  let summary = "Quantize fp32 to int8, or dequantize int8 to fp32";
  let description = [{
    PT2E's quantize_per_tensor (fp32 -> int8 or uint8, parameters
    `result_scale`, `result_zero_point`) and dequantize_per_tensor (the
    input's parameters, from its producer) at the edges of a quantized
    region.

    Example:
    ```mlir
    %q = xnnpack.convert %x {result_scale = 0.02 : f64, result_zero_point = -3 : i64}
        : (tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xi8>
    ```
  }];
  let arguments = !con((ins Xnnpack_Tensor:$input), ResultQuantAttrs);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Layout-bound nodes
//===----------------------------------------------------------------------===//

def Xnnpack_SoftmaxOp : Xnnpack_Op<"softmax"> {
  let summary = "Softmax over the last dim";
  let description = [{
    Example:
    ```mlir
    %p = xnnpack.softmax %logits : (tensor<2x10xf32>) -> tensor<2x10xf32>
    ```
  }];
  let arguments = (ins Xnnpack_Tensor:$input);
  let results = (outs Xnnpack_Tensor:$result);
}

def Xnnpack_PreluOp : Xnnpack_Op<"prelu"> {
  let summary = "Parametric ReLU of an NHWC tensor, one slope per channel";
  let description = [{
    `input` is [N, H, W, C], `slope` is [C]: x if x > 0 else slope[c] * x.

    Example:
    ```mlir
    %y = xnnpack.prelu %x, %slope : (tensor<1x4x4x3xf32>, tensor<3xf32>) -> tensor<1x4x4x3xf32>
    ```
  }];
  let arguments = (ins Xnnpack_Tensor:$input, Xnnpack_Tensor:$slope);
  let results = (outs Xnnpack_Tensor:$result);
  let hasVerifier = 1;
}

def Xnnpack_FullyConnectedOp : Xnnpack_Op<"fully_connected", [Xnnpack_ClampsOutput]> {
  let summary = "input [..., K] times filter [N, K] transposed, plus bias [N]";
  let description = [{
    Example (nn.Linear(8, 4) on a batch of 2):
    ```mlir
    %y = xnnpack.fully_connected %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ```
    Quantized: an int8 input, an int8 filter with one scale
    (`filter_scales`; Debian's XNNPACK has no per-channel fully-connected),
    an int32 bias of scale input_scale * filter_scale, an int8 result.
  }];
  let arguments = !con((ins Xnnpack_Tensor:$input, Xnnpack_Tensor:$filter,
                            Optional<Xnnpack_Tensor>:$bias), ClampAttrs, ResultQuantAttrs,
                       (ins OptionalAttr<DenseF32ArrayAttr>:$filter_scales));
  let results = (outs Xnnpack_Tensor:$result);
  let hasVerifier = 1;
}

class Xnnpack_ConvOp<string mnemonic> : Xnnpack_Op<mnemonic, [Xnnpack_ClampsOutput]> {
  let results = (outs Xnnpack_Tensor:$result);
  let hasVerifier = 1;
}

def Xnnpack_Convolution2dOp : Xnnpack_ConvOp<"convolution_2d"> {
  let summary = "2-d convolution of an NHWC input, optionally grouped";
  let description = [{
    `filter` is [groups * group_output_channels, KH, KW, group_input_channels]
    (PyTorch's OIHW weight with I moved last); `padding` is [top, right,
    bottom, left]. Quantized: int8 input and result, an int8 filter with
    `filter_scales` (one, or one per output channel: qcint8) and an int32
    bias of scale input_scale * filter_scales[c].

    Example:
    ```mlir
    %y = xnnpack.convolution_2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64,
        padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>}
        : (tensor<1x8x8x3xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x8x8x16xf32>
    ```
  }];
  let arguments = !con((ins Xnnpack_Tensor:$input, Xnnpack_Tensor:$filter,
                            Optional<Xnnpack_Tensor>:$bias, DenseI64ArrayAttr:$padding,
                            DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$dilation,
                            I64Attr:$groups), ClampAttrs, ResultQuantAttrs,
                       (ins OptionalAttr<DenseF32ArrayAttr>:$filter_scales));
}

def Xnnpack_DepthwiseConvolution2dOp
    : Xnnpack_ConvOp<"depthwise_convolution_2d"> {
  let summary = "2-d depthwise convolution of an NHWC input";
  let description = [{
    One group per input channel, `C_out / C_in` output channels each;
    `filter` is [1, KH, KW, C_out].

    Example:
    ```mlir
    %y = xnnpack.depthwise_convolution_2d %x, %w, %b {dilation = array<i64: 1, 1>,
        padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>}
        : (tensor<1x8x8x4xf32>, tensor<1x3x3x4xf32>, tensor<4xf32>) -> tensor<1x8x8x4xf32>
    ```
  }];
  let arguments = !con((ins Xnnpack_Tensor:$input, Xnnpack_Tensor:$filter,
                            Optional<Xnnpack_Tensor>:$bias, DenseI64ArrayAttr:$padding,
                            DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$dilation),
                       ClampAttrs, ResultQuantAttrs,
                       (ins OptionalAttr<DenseF32ArrayAttr>:$filter_scales));
}

def Xnnpack_Deconvolution2dOp : Xnnpack_ConvOp<"deconvolution_2d"> {
  let summary = "2-d transposed convolution of an NHWC input";
  let description = [{
    `filter` is [groups * group_output_channels, KH, KW, group_input_channels];
    `padding` [top, right, bottom, left] crops the output as PyTorch's padding
    does, `adjustment` is PyTorch's output_padding.

    Example:
    ```mlir
    %y = xnnpack.deconvolution_2d %x, %w {adjustment = array<i64: 0, 0>, dilation = array<i64: 1, 1>,
        groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>}
        : (tensor<1x4x4x8xf32>, tensor<3x2x2x8xf32>) -> tensor<1x8x8x3xf32>
    ```
  }];
  let arguments = !con((ins Xnnpack_Tensor:$input, Xnnpack_Tensor:$filter,
                            Optional<Xnnpack_Tensor>:$bias, DenseI64ArrayAttr:$padding,
                            DenseI64ArrayAttr:$adjustment, DenseI64ArrayAttr:$stride,
                            DenseI64ArrayAttr:$dilation, I64Attr:$groups), ClampAttrs);
}

def Xnnpack_MaxPooling2dOp : Xnnpack_Op<"max_pooling_2d", [Xnnpack_ClampsOutput]> {
  let summary = "2-d max pooling of an NHWC input";
  let description = [{
    Padding ([top, right, bottom, left]) never wins the maximum; PyTorch's
    ceil_mode is extra bottom/right padding.

    Example:
    ```mlir
    %y = xnnpack.max_pooling_2d %x {dilation = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>,
        pooling = array<i64: 3, 3>, stride = array<i64: 2, 2>} : (tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32>
    ```
  }];
  let arguments = !con((ins Xnnpack_Tensor:$input, DenseI64ArrayAttr:$padding,
                            DenseI64ArrayAttr:$pooling, DenseI64ArrayAttr:$stride,
                            DenseI64ArrayAttr:$dilation), ClampAttrs);
  let results = (outs Xnnpack_Tensor:$result);
}

def Xnnpack_AveragePooling2dOp : Xnnpack_Op<"average_pooling_2d", [Xnnpack_ClampsOutput]> {
  let summary = "2-d average pooling of an NHWC input (padding not counted)";
  let description = [{
    Example:
    ```mlir
    %y = xnnpack.average_pooling_2d %x {padding = array<i64: 0, 0, 0, 0>, pooling = array<i64: 2, 2>,
        stride = array<i64: 2, 2>} : (tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32>
    ```
  }];
  let arguments = !con((ins Xnnpack_Tensor:$input, DenseI64ArrayAttr:$padding,
                            DenseI64ArrayAttr:$pooling, DenseI64ArrayAttr:$stride), ClampAttrs);
  let results = (outs Xnnpack_Tensor:$result);
}

def Xnnpack_GlobalAveragePooling2dOp
    : Xnnpack_Op<"global_average_pooling_2d", [Xnnpack_ClampsOutput]> {
  let summary = "Mean over H and W of an NHWC input, to [N, 1, 1, C]";
  let description = [{
    Example:
    ```mlir
    %y = xnnpack.global_average_pooling_2d %x : (tensor<1x7x7x32xf32>) -> tensor<1x1x1x32xf32>
    ```
  }];
  let arguments = !con((ins Xnnpack_Tensor:$input), ClampAttrs);
  let results = (outs Xnnpack_Tensor:$result);
}

def Xnnpack_StaticResizeBilinear2dOp : Xnnpack_Op<"static_resize_bilinear_2d"> {
  let summary = "Bilinear resize of an NHWC input to the result's H and W";
  let description = [{
    Half-pixel centers as PyTorch's align_corners=False, or align_corners.

    Example:
    ```mlir
    %y = xnnpack.static_resize_bilinear_2d %x {align_corners = false} : (tensor<1x4x4x3xf32>) -> tensor<1x8x8x3xf32>
    ```
  }];
  let arguments = (ins Xnnpack_Tensor:$input, BoolAttr:$align_corners);
  let results = (outs Xnnpack_Tensor:$result);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Xnnpack_StaticTransposeOp : Xnnpack_Op<"static_transpose"> {
  let summary = "Permute dims: result dim i is input dim perm[i]";
  let description = [{
    The layout changes at the edges of NHWC nodes: perm [0, 2, 3, 1] takes
    NCHW to NHWC, [0, 3, 1, 2] takes it back.

    Example:
    ```mlir
    %t = xnnpack.static_transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x8x8xf32>) -> tensor<1x8x8x3xf32>
    ```
  }];
  let arguments = (ins Xnnpack_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Xnnpack_Tensor:$result);
  let hasVerifier = 1;
}

def Xnnpack_StaticReshapeOp : Xnnpack_Op<"static_reshape"> {
  let summary = "The same elements in the same order under the result's shape";
  let description = [{
    Also a copy (same shape), which keeps a delegate input from being an
    output as it is.

    Example:
    ```mlir
    %y = xnnpack.static_reshape %x : (tensor<1x1x1x32xf32>) -> tensor<1x32xf32>
    ```
  }];
  let arguments = (ins Xnnpack_Tensor:$input);
  let results = (outs Xnnpack_Tensor:$result);
  let hasVerifier = 1;
}

def Xnnpack_StaticConstantPadOp : Xnnpack_Op<"static_constant_pad"> {
  let summary = "Pad every dim with `value`: `pre` elements before, `post` after";
  let description = [{
    Example:
    ```mlir
    %y = xnnpack.static_constant_pad %x {post = array<i64: 0, 1, 1, 0>, pre = array<i64: 0, 1, 1, 0>,
        value = 0.0 : f32} : (tensor<1x4x4x3xf32>) -> tensor<1x6x6x3xf32>
    ```
  }];
  let arguments = (ins Xnnpack_Tensor:$input, DenseI64ArrayAttr:$pre, DenseI64ArrayAttr:$post,
                       F32Attr:$value);
  let results = (outs Xnnpack_Tensor:$result);
  let hasVerifier = 1;
}

#endif // EMBER_XNNPACK_OPS_TD
