//===- Passes.td - The quantize phase: Q/DQ patterns to quantized ops -----===//
#ifndef EMBER_QUANTIZER_PASSES_TD
#define EMBER_QUANTIZER_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldQuantizedConvolution
    : Pass<"ember-fold-quantized-convolution", "mlir::func::FuncOp"> {
  let summary = "Run a PT2E static int8 convolution as ember.quantized_convolution";
  let description = [{
    PT2E's static quantization leaves each convolution as
    `quantize_per_tensor(act?(convolution(dequantize_per_tensor(x_q),
    dequantize_per_channel(w_q), b)))`: on the reference path that is a
    dequantize of the input, a float convolution over a dequantized copy of
    the weight and a quantize of the result. This pass makes it one
    `edge.quantized_convolution` (kernel `ember::quantized_convolution.out`)
    reading x_q and the int8 weight directly.

    Matched: a forward (not transposed) convolution (1-d or 2-d, as every
    edge.convolution) without
    run-time sizes; its input from a `dequantize_per_tensor` of an int8 or
    uint8 tensor with a float32 result; its weight from a
    `dequantize_per_channel` along axis 0 or a `dequantize_per_tensor` of an
    int8 constant whose zero points are compile-time zeros (symmetric); a
    float32 bias of one value per output channel, or none; the result used by
    a `quantize_per_tensor` to int8 or uint8 alone, directly or through one
    relu, hardtanh (relu6) or clamp with compile-time bounds used by it
    alone. A per-tensor weight scale becomes `weight_scales` [1].

    The activation becomes the output's clamp: quantize is monotone, so
    quantize(clamp(y, lo, hi)) = clamp(quantize(y), quantize(lo),
    quantize(hi)), where quantize(b) rounds float32(b) * float32(1 / scale)
    half to even and adds the zero point, as torch's quantize does; the result
    is intersected with [quant_min, quant_max]. A bound that falls between
    two steps is thus rounded exactly as the quantize would round it. A relu
    raises quant_min to the zero point.

    A convolution that reads a dequantized input or whose result is quantized
    but does not match is left on the reference path, and why is recorded on
    it (`edge.refused = {quantizer = "..."}`), so the delegation summary shows
    it with its source line: asymmetric weights, a weight that is not a
    constant, a transposed convolution, a float result read by other
    ops. Dequantizes, quantizes and constants left without users are erased;
    a weight dequantized once for several convolutions is folded into each.

    Example:
    ```mlir
    // before
    %xf = edge.dequantize_per_tensor %xq {scale = 0.02 : f64, zero_point = -4 : i64, ...}
    %wf = edge.dequantize_per_channel %w, %s, %z {axis = 0 : i64, ...}
    %c = edge.convolution %xf, %wf, %b {stride = array<i64: 1, 1>, ...}
    %r = edge.relu %c
    %y = edge.quantize_per_tensor %r {scale = 0.007 : f64, zero_point = -128 : i64, quant_min = -128 : i64, quant_max = 127 : i64, ...}
    // after
    %y = edge.quantized_convolution %xq, %w, %s, %b {input_scale = 0.02 : f64, input_zero_point = -4 : i64,
           output_scale = 0.007 : f64, output_zero_point = -128 : i64, quant_min = -128 : i64, quant_max = 127 : i64, ...}
    ```
  }];
}

def FoldQuantizedLinear : Pass<"ember-fold-quantized-linear", "mlir::func::FuncOp"> {
  let summary = "Run a PT2E static int8 linear as ember.quantized_linear";
  let description = [{
    `quantize_per_tensor(act?(linear(dequantize_per_tensor(x_q),
    dequantize_per_channel(w_q), b)))` becomes one `edge.quantized_linear`
    (kernel `ember::quantized_linear.out`) on x_q and the int8 weight [N, K].
    The product may also be `addmm(b, x, permute(w, [1, 0]))` or
    `mm(x, permute(w, [1, 0]))` (beta and alpha 1, b of shape [N]), the form
    the front end leaves when `fuse_linear` is off. A linear on [B, S, K],
    which torch.export runs as view to [B * S, K], linear, view back, reads
    the int8 [B, S, K] directly (the op takes [..., K]). The rules for the
    input, the weight (symmetric int8 constant, per channel along axis 0 or per
    tensor), the bias, the output quantize and a fused relu, hardtanh or clamp
    are those of ember-fold-quantized-convolution, and so are the refusals
    recorded on a linear that reads a dequantized input or whose result is
    quantized but does not match.

    Example:
    ```mlir
    // before
    %xf = edge.dequantize_per_tensor %xq {scale = 0.011 : f64, zero_point = -48 : i64, ...}
    %wf = edge.dequantize_per_channel %w, %s, %z {axis = 0 : i64, ...}
    %l = edge.linear %xf, %wf, %b
    %y = edge.quantize_per_tensor %l {scale = 0.0027 : f64, zero_point = -16 : i64, ...}
    // after
    %y = edge.quantized_linear %xq, %w, %s, %b {input_scale = 0.011 : f64, input_zero_point = -48 : i64,
           output_scale = 0.0027 : f64, output_zero_point = -16 : i64, quant_min = -128 : i64, quant_max = 127 : i64}
    ```
  }];
}

def FoldQuantizedAdd : Pass<"ember-fold-quantized-add", "mlir::func::FuncOp"> {
  let summary = "Run a PT2E static int8 residual add as ember.quantized_add";
  let description = [{
    `quantize_per_tensor(act?(add.Tensor(dequantize_per_tensor(a_q),
    dequantize_per_tensor(b_q))))` with alpha 1 becomes one
    `edge.quantized_add` (kernel `ember::quantized_add.out`) on a_q and b_q,
    each with its own scale and zero point (int8 or uint8, broadcasting as
    add does). A relu, hardtanh or clamp between the add and the quantize
    becomes the output's clamp, as in ember-fold-quantized-convolution. An add
    with a dequantized operand or a quantized result that does not match (an
    alpha other than 1, an operand that is not dequantized per tensor, a
    float result read by other ops) stays on the reference path with the
    reason recorded on it.

    Example:
    ```mlir
    // before
    %af = edge.dequantize_per_tensor %aq {scale = 0.006 : f64, zero_point = 22 : i64, ...}
    %bf = edge.dequantize_per_tensor %bq {scale = 0.007 : f64, zero_point = -128 : i64, ...}
    %s = edge.add.Tensor %af, %bf {alpha = 1 : i64}
    %y = edge.quantize_per_tensor %s {scale = 0.011 : f64, zero_point = -48 : i64, ...}
    // after
    %y = edge.quantized_add %aq, %bq {self_scale = 0.006 : f64, self_zero_point = 22 : i64,
           other_scale = 0.007 : f64, other_zero_point = -128 : i64,
           output_scale = 0.011 : f64, output_zero_point = -48 : i64, quant_min = -128 : i64, quant_max = 127 : i64}
    ```
  }];
}

def FoldDynamicLinear : Pass<"ember-fold-quantized-dynamic-linear", "mlir::func::FuncOp"> {
  let summary = "Run a PT2E dynamically quantized linear as ember.linear_dynamic_int8";
  let description = [{
    PT2E's dynamic quantization quantizes a linear's float input at run time:
    `(s, z) = choose_qparams.tensor(x)`, `q = quantize_per_tensor.tensor(x,
    s, z)`, `linear(dequantize_per_tensor.tensor(q, s, z),
    dequantize_per_channel(w_q), b)`. That is what
    `edge.linear_dynamic_int8(x, w_q, scales, b)` (kernel
    `ember::linear_dynamic_int8.out`) computes in one op, with the
    choose_qparams's quant_min, quant_max and eps. Matched: one
    choose_qparams feeding the quantize and the dequantize of the same x,
    the same int8 range everywhere, a float32 x and result; the weight as in
    ember-fold-quantized-linear (symmetric int8 constant [N, K], per channel
    or per tensor); a float32 bias [N] or none; also the addmm/mm form,
    and a view between the dequantize and the product that keeps the rows
    (torch.export's linear on [B, S, K]: the view is applied to x instead). A
    linear on such a dequantized input that does not match stays on the
    reference path with the reason recorded on it.

    Example:
    ```mlir
    // before
    %s, %z = edge.choose_qparams.tensor %x {eps = 2.44140625E-4 : f64, quant_min = -128 : i64, quant_max = 127 : i64, ...}
    %q = edge.quantize_per_tensor.tensor %x, %s, %z {...}
    %xf = edge.dequantize_per_tensor.tensor %q, %s, %z {...}
    %wf = edge.dequantize_per_channel %w, %ws, %wz {axis = 0 : i64, ...}
    %y = edge.linear %xf, %wf, %b
    // after
    %y = edge.linear_dynamic_int8 %x, %w, %ws, %b {eps = 2.44140625E-4 : f64, quant_max = 127 : i64, quant_min = -128 : i64}
    ```
  }];
}

def FoldLowbitLinear : Pass<"ember-fold-quantized-lowbit-linear", "mlir::func::FuncOp"> {
  let summary = "Run torchao's group-wise int4/int8 linears as ember.linear_lowbit";
  let description = [{
    torchao's `quantize_` configs that ExecuTorch's LLM recipes use
    (Int8DynamicActivationIntxWeightConfig: 8da4w, 8da8w;
    IntxWeightOnlyConfig: 4w, 8w) leave `linear(x', dequantize_affine(w_q,
    [1, G], scale [N, K / G], zero_point [N, K / G] or none))`, where x' is
    either the float input (weight-only) or its per-token int8 round trip
    `dequantize_affine(quantize_affine(x, choose_qparams_affine(x)))`. This
    pass makes it `edge.linear_lowbit(x, w, scales, zero_points, bits, G,
    quantize_input, b)` (kernel `ember::linear_lowbit.out`).

    The weight: an int8 constant [N, K] with a block size [1, G] (G = K for
    per channel), float32 scales and integer zero points that are constants
    (or none). A range within [-8, 7] whose values all fit makes a 4-bit
    weight, rewritten to Ember's storage: uint8 [N, K / 2], element 2i in the
    low nibble of byte i of its row and 2i + 1 in the high nibble, two's
    complement, so the file holds 4 bits per weight (G must be even); any
    other int8 weight stays as it is (8 bits). Zero points that are all 0
    are dropped (symmetric); others become int8.

    The activation round trip is folded only when it is exactly what the
    kernel computes: one choose_qparams_affine with mapping ASYMMETRIC, one
    block per token ([1, ..., 1, K]), int8 over [-128, 127], eps unset (or
    float32's smallest normal, its default), float32 scales; the quantize and
    dequantize using its results over the same blocks and range. A
    dequantize_affine input that differs (SYMMETRIC, another eps, another
    dtype) leaves the linear on the reference path, with the reason recorded
    on it; any other input is used as is (weight-only, quantize_input =
    false). A view between the dequantize and the product that keeps rows
    whole (torch.export's linear on [B, S, K] runs on [B * S, K]) is applied
    to x instead: per-token quantization commutes with it.

    Dead dequantizes and the original int8 weight are erased, so the 4-bit
    weight is the only copy in the file; a weight read by several linears is
    converted once.

    Example:
    ```mlir
    // before
    %s, %z = edge.choose_qparams_affine %x {block_size = array<i64: 1, 128>, mapping_type = "ASYMMETRIC", ...}
    %q = edge.quantize_affine %x, %s, %z {block_size = array<i64: 1, 128>, ...}
    %xf = edge.dequantize_affine %q, %s, %z {block_size = array<i64: 1, 128>, ...}
    %wf = edge.dequantize_affine %w, %ws, %wz {block_size = array<i64: 1, 32>, quant_min = -8 : i64, quant_max = 7 : i64, ...}
    %y = edge.linear %xf, %wf, %b
    // after
    %w4 = edge.constant {name = "w.int4"} dense<...> : tensor<64x64xui8>
    %y = edge.linear_lowbit %x, %w4, %ws, %wz, %b {bits = 4 : i64, group_size = 32 : i64, quantize_input = true}
    ```
  }];
}

def ReportUnfoldedQuantized
    : Pass<"ember-report-unfolded-quantized", "mlir::func::FuncOp"> {
  let summary = "Say why float ops between a dequantize and a quantize stay there";
  let description = [{
    Runs after the ember-fold-* passes. Every Edge op that reads a dequantized
    tensor and whose result is quantized again (directly or through one
    relu, hardtanh or clamp), and that no fold took, runs in float on the
    reference path between the two; unless a fold pass already said why, it
    gets `edge.refused = {quantizer = "no quantized kernel for <op>: ..."}`,
    which the delegation summary lists with the op's source line (a pooling,
    a view, a matrix product, an activation PT2E quantized on its own).
    Float ops outside quantized regions are not marked.

    Example:
    ```mlir
    %xf = edge.dequantize_per_tensor %xq {...}
    %m = edge.mean.dim %xf {...} {edge.refused = {quantizer = "no quantized kernel for edge.mean.dim: runs in float between dequantize and quantize"}}
    %y = edge.quantize_per_tensor %m {...}
    ```
  }];
}

#endif // EMBER_QUANTIZER_PASSES_TD
