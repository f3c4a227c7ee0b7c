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

def FoldQuantizedMaxPool
    : Pass<"ember-fold-quantized-max-pool", "mlir::func::FuncOp"> {
  let summary = "Run a PT2E int8 max pool on the int8 tensor, channels-last";
  let description = [{
    PT2E quantizes a max pool with its input's own parameters: the pattern is
    `quantize_per_tensor(max_pool2d_with_indices(dequantize_per_tensor(x_q))[0])`
    with one scale and zero point. Dequantize is monotone, so the max of the
    dequantized window is the dequantized max of the window, and the quantize
    gives back exactly the int8 value the pool picked (x_q's range lies in
    the quantize's). The pattern becomes a max pool of x_q itself,
    `edge.quantized_max_pool2d_nhwc` (kernel
    `ember::quantized_max_pool2d_nhwc.out`), between a permute to NHWC and one
    back, which ember-quantized-channels-last removes where the neighbours
    run channels-last.

    Matched: a 4-d input of static sizes dequantized per tensor (literal
    parameters) from int8 or uint8; the indices unused; the pooled values read
    by one quantize_per_tensor alone, to the input's type with its scale and
    zero point and a range covering the type. Otherwise the pool stays on the
    reference path and the reason is recorded on it (`edge.refused`), e.g. a
    requantizing pool.

    Example:
    ```mlir
    // before
    %xf = edge.dequantize_per_tensor %xq {scale = 0.05 : f64, zero_point = -3 : i64, ...}
    %y, %i = edge.max_pool2d_with_indices %xf {kernel_size = array<i64: 3, 3>, ...}
    %yq = edge.quantize_per_tensor %y {scale = 0.05 : f64, zero_point = -3 : i64, ...}
    // after
    %t = edge.permute %xq {dims = array<i64: 0, 2, 3, 1>}
    %p = edge.quantized_max_pool2d_nhwc %t {kernel_size = array<i64: 3, 3>, ...}
    %yq = edge.permute %p {dims = array<i64: 0, 3, 1, 2>}
    ```
  }];
}

def ChannelsLastQuantized
    : Pass<"ember-quantized-channels-last", "mlir::func::FuncOp"> {
  let summary = "Hand NHWC tensors between quantized ops instead of transposing around each";
  let description = [{
    Ember's int8 convolution computes channels-last (a pixel's channels are
    a row of its GEMM). Runs after the fold passes: each 2-d
    `edge.quantized_convolution` of static sizes becomes
    `edge.quantized_convolution_nhwc` between a permute to NHWC and one back
    to NCHW. Then every permute to NCHW moves down through what computes the
    same in either layout, and cancels against the next permute to NHWC:
    per-tensor quantize and dequantize (literal parameters), relu, hardtanh,
    clamp and the float activations (silu, sigmoid, hardswish, gelu, tanh,
    leaky relu, abs, neg), when their result moves on too (a permute is not
    moved below a dequantize to sit on four times the bytes); elementwise ops
    of two such permutes (`edge.quantized_add`, add, sub, mul, div,
    broadcasting alike in both layouts: a squeeze-excitation gate); a mean
    over H and W (global average
    pooling: over NHWC's dims 1 and 2; with keepdim its [N, 1, 1, C] result
    is permuted back at no cost, without it the result is [N, C] in both
    layouts). Permutes left without users are erased. A network of quantized
    convolutions, adds and pools thus transposes its input once and its
    feature map once, where it leaves for float ops.

    Example:
    ```mlir
    // before
    %a = edge.quantized_convolution %xq, ... : tensor<1x8x8x8xi8>
    %b = edge.quantized_convolution %a, ... : tensor<1x8x8x8xi8>
    // after
    %t = edge.permute %xq {dims = array<i64: 0, 2, 3, 1>}
    %a = edge.quantized_convolution_nhwc %t, ... : tensor<1x8x8x8xi8>
    %b = edge.quantized_convolution_nhwc %a, ... : tensor<1x8x8x8xi8>
    %y = edge.permute %b {dims = array<i64: 0, 3, 1, 2>}
    ```
  }];
}

def FoldQuantizedEmbedding
    : Pass<"ember-fold-quantized-embedding", "mlir::func::FuncOp"> {
  let summary = "Run quantized embedding tables as ExecuTorch's embedding_{byte,4bit,2bit}";
  let description = [{
    torchao's IntxWeightOnlyConfig on an nn.Embedding leaves
    `embedding(dequantize_affine(w_q, [1, G], scale [V, D / G], zero_point),
    indices)`; PT2E's per-channel weights leave `embedding(
    dequantize_per_channel(w_q, scales [V], zero_points [V], axis 0),
    indices)`. On the reference path the whole table is dequantized on every
    call. This pass makes it ExecuTorch's
    `quantized_decomposed::embedding_{4bit,2bit,byte}(w, scales,
    zero_points, quant_min, quant_max, indices)`, which dequantizes only the
    rows it reads (kernels `quantized_decomposed::embedding_*.out`, in ET's
    quantized kernel library too).

    The table: an int8 constant [V, D] (uint8 too for the per-channel form)
    dequantized to float32. A range within [-2, 1] whose values all fit (D a
    multiple of 4) makes a 2-bit table, within [-8, 7] (D even) a 4-bit one,
    each repacked in ET's order: uint8 [V, D / 2] with element 2i in the
    HIGH nibble of byte i and 2i + 1 in the low one, stored as value + 8;
    uint8 [V, D / 4] with element 4i + j in bits 2j..2j+1, stored as value +
    2. Any other table stays int8 (embedding_byte). Scales become [V, D / G]
    (per channel: [V]); integer zero points become float32 (ET's ops take
    them in the scales' dtype; exact for these small integers), and are
    dropped when all 0. The lookups are then bit for bit the eager ones.

    The int8 table and the dequantize go once their last reader is folded,
    so the file holds the packed table alone; a table read by several
    lookups is converted once. A lookup of a dequantized table that does not
    match (a table that is not a constant, blocks that are not row groups,
    zero points that are not integer constants) stays on the reference path
    with the reason recorded on it.

    Example:
    ```mlir
    // before
    %wf = edge.dequantize_affine %w, %ws, %wz {block_size = array<i64: 1, 32>, quant_min = -8 : i64, quant_max = 7 : i64, ...}
    %y = edge.embedding %wf, %idx {padding_idx = -1 : i64, ...}
    // after
    %w4 = edge.constant {name = "w.et_int4"} dense_resource<...> : tensor<1000x128xui8>
    %y = edge.embedding_4bit %w4, %ws, %wz_f32, %idx {weight_quant_max = 7 : i64, weight_quant_min = -8 : i64}
    ```
  }];
}

def FoldQuantizedMul : Pass<"ember-fold-quantized-mul", "mlir::func::FuncOp"> {
  let summary = "Fold dequantize, dequantize, mul, quantize into edge.quantized_mul";
  let description = [{
    A product of two dequantized tensors whose result is quantized (an
    EfficientNet squeeze-excitation gate [N, C, 1, 1] times its feature map)
    runs as `edge.quantized_mul` (kernel `ember::quantized_mul.out`): one
    pass reading the int8 operands and writing the int8 product, instead of
    a dequantize, the float product and a quantize. The kernel takes the
    same float32 steps (each operand dequantized, multiplied, quantized with
    half-to-even rounding), so the result is bit-identical to the chain it
    replaces. Matched: both operands dequantized per tensor with literal
    parameters from int8 or uint8, the product (broadcasting) quantized per
    tensor alone, directly or through one clamp activation. Runs after
    ember-fold-quantized-lut, which takes mul(x, sigmoid(x)) as silu.
    Otherwise the reason is recorded on the mul.

    Example:
    ```mlir
    // before
    %gf = edge.dequantize_per_tensor %gq {scale = 3.906250e-03 : f64, zero_point = -128 : i64, ...}
    %xf = edge.dequantize_per_tensor %xq {scale = 0.04 : f64, zero_point = -120 : i64, ...}
    %y = edge.mul.Tensor %gf, %xf : (tensor<1x96x1x1xf32>, tensor<1x96x56x56xf32>) -> tensor<1x96x56x56xf32>
    %yq = edge.quantize_per_tensor %y {scale = 0.02 : f64, zero_point = -120 : i64, ...}
    // after
    %yq = edge.quantized_mul %gq, %xq {self_scale = 3.906250e-03 : f64, self_zero_point = -128 : i64, other_scale = 0.04 : f64, other_zero_point = -120 : i64, output_scale = 0.02 : f64, output_zero_point = -120 : i64, quant_min = -128 : i64, quant_max = 127 : i64}
    ```
  }];
}

def FoldQuantizedMean : Pass<"ember-fold-quantized-mean", "mlir::func::FuncOp"> {
  let summary = "Fold dequantize, mean.dim, quantize into edge.quantized_mean";
  let description = [{
    A mean over a list of dims of a dequantized tensor whose result is
    quantized again to the same type (EfficientNet's squeeze-excitation
    pool, `[N, C, H, W]` over H and W) runs as `edge.quantized_mean`
    (kernel `ember::quantized_mean.out`): the int8 tensor is read once,
    instead of dequantized to float32 and read back. The kernel dequantizes
    with the dequantize kernel's float32 steps and adds in double as
    aten::mean's kernels do; such a sum of float32 multiples of one scale
    is exact, so the mean, and its quantized value, are the same bits.
    Matched: the input dequantized per tensor (literal parameters) from
    int8 or uint8, a non-empty dim list, no dtype other than float32, the
    result quantized per tensor alone to the input's type, directly or
    through one clamp activation. Otherwise the reason is recorded on the
    mean. ember-quantized-channels-last then runs it over NHWC's dims 1
    and 2.

    Example:
    ```mlir
    // before
    %xf = edge.dequantize_per_tensor %xq {scale = 0.04 : f64, zero_point = -120 : i64, ...}
    %m = edge.mean.dim %xf {dim = array<i64: 2, 3>, keepdim = true} : (tensor<1x96x56x56xf32>) -> tensor<1x96x1x1xf32>
    %mq = edge.quantize_per_tensor %m {scale = 0.04 : f64, zero_point = -120 : i64, ...}
    // after
    %mq = edge.quantized_mean %xq {dim = array<i64: 2, 3>, keepdim = true, self_scale = 0.04 : f64, self_zero_point = -120 : i64, output_scale = 0.04 : f64, output_zero_point = -120 : i64, quant_min = -128 : i64, quant_max = 127 : i64}
    ```
  }];
}

def FoldQuantizedLut : Pass<"ember-fold-quantized-lut", "mlir::func::FuncOp"> {
  let summary = "Run a quantized activation as a 256-entry table";
  let description = [{
    An activation PT2E quantized on its own is `quantize(f(dequantize(x_q)))`
    for f = silu, sigmoid, hardswish, tanh, gelu (erf or tanh) or leaky
    relu, or silu as torch.export leaves it, `mul(x, sigmoid(x))` (either
    order, the sigmoid read by the product alone; its sigmoid and product
    each rounded to float32): x_q takes at most 256 values, so the pattern is a table, computed
    here with torch's float32 steps (dequantize as (v - zp) in float32 times
    float32(scale), f in float32, an optional clamp activation, then
    quantize_per_tensor's half-to-even rounding) and stored as an int8 or
    uint8 constant [256]. `edge.quantized_lut` (kernel
    `ember::quantized_lut.out`) looks each byte up: one pass, no
    transcendental. f's float32 result may differ from PyTorch's vectorised
    one in the last bit, which can move an output across a rounding
    boundary: at most one step. Matched: the function's input dequantized per
    tensor (literal parameters) from int8 or uint8, its result quantized per
    tensor alone (directly or through one clamp activation); otherwise the
    reason is recorded on the op.

    Example:
    ```mlir
    // before
    %xf = edge.dequantize_per_tensor %xq {scale = 0.1 : f64, zero_point = 3 : i64, ...}
    %y = edge.silu %xf
    %yq = edge.quantize_per_tensor %y {scale = 0.05 : f64, zero_point = -100 : i64, ...}
    // after
    %t = edge.constant {name = "silu.table"} dense<...> : tensor<256xi8>
    %yq = edge.quantized_lut %xq, %t
    // before: the decomposed silu (EfficientNet's), the same table
    %xf = edge.dequantize_per_tensor %xq {...}
    %s = edge.sigmoid %xf
    %y = edge.mul.Tensor %xf, %s
    %yq = edge.quantize_per_tensor %y {...}
    ```
  }];
}

def FoldQuantizedCat : Pass<"ember-fold-quantized-cat", "mlir::func::FuncOp"> {
  let summary = "Fold the dequantizes of a cat's inputs, the cat and its quantize into edge.quantized_cat";
  let description = [{
    A cat whose inputs are all dequantized per tensor (literal parameters,
    int8 or uint8 of the result's type) and whose result is quantized per
    tensor alone, directly or through one clamp activation, runs as
    `edge.quantized_cat` (kernel `ember::quantized_cat.out`) on the int8
    inputs, each with its own scale and zero point. PT2E's quantizers
    (ExecuTorch's and Ember's) share the output's parameters with every
    input, so the kernel copies bytes; otherwise it requantizes each value
    with the pattern's float32 steps (bit-identical to the chain it
    replaces). The dim is stored normalised (not negative). Otherwise the
    reason is recorded on the cat.

    Example:
    ```mlir
    // before
    %af = edge.dequantize_per_tensor %aq {scale = 0.0155 : f64, zero_point = -3 : i64, ...}
    %bf = edge.dequantize_per_tensor %bq {scale = 0.0155 : f64, zero_point = -3 : i64, ...}
    %c = edge.cat %af, %bf {dim = 1 : i64} : (tensor<1x4x6x6xf32>, tensor<1x6x6x6xf32>) -> tensor<1x10x6x6xf32>
    %cq = edge.quantize_per_tensor %c {scale = 0.0155 : f64, zero_point = -3 : i64, ...}
    // after
    %cq = edge.quantized_cat %aq, %bq {dim = 1 : i64, scales = array<f64: 0.0155, 0.0155>, zero_points = array<i64: -3, -3>,
            output_scale = 0.0155 : f64, output_zero_point = -3 : i64, quant_min = -128 : i64, quant_max = 127 : i64}
    ```
  }];
}

def FoldQuantizedMatmul : Pass<"ember-fold-quantized-matmul", "mlir::func::FuncOp"> {
  let summary = "Fold dequantize, dequantize, bmm or mm, quantize into edge.quantized_matmul";
  let description = [{
    A product of two dequantized activations whose result is quantized
    (attention's Q @ K^T and P @ V, which Ember's quantizer annotates) runs
    as `edge.quantized_matmul` (kernel `ember::quantized_matmul.out`) on the
    two int8 tensors. torch.export writes a matmul as expand (and for
    multi-head operands a contiguous clone) and view of each operand, bmm,
    then a view of the result: per-tensor quantization commutes with those,
    so they are moved onto the int8 tensors (dropped where they keep the
    shape). Matched: bmm or mm, both operands dequantized per tensor with
    literal parameters from int8 or uint8 (through views, expands and
    clones), the result quantized per tensor alone
    (through views, then optionally one clamp activation). Runs after
    ember-fold-quantized-linear, which takes an mm by a constant weight.
    Otherwise the reason is recorded on the product.

    Example:
    ```mlir
    // before
    %qf = edge.dequantize_per_tensor %qq {scale = 0.0128 : f64, zero_point = -23 : i64, ...}
    %kf = edge.dequantize_per_tensor %kq {scale = 0.0128 : f64, zero_point = -1 : i64, ...}
    %e = edge.expand %qf {size = array<i64: 2, 5, 16>, implicit = false}
    %s = edge.bmm %e, %kf : (tensor<2x5x16xf32>, tensor<2x16x5xf32>) -> tensor<2x5x5xf32>
    %sq = edge.quantize_per_tensor %s {scale = 0.0224 : f64, zero_point = -14 : i64, ...}
    // after
    %sq = edge.quantized_matmul %qq, %kq {self_scale = 0.0128 : f64, self_zero_point = -23 : i64,
            other_scale = 0.0128 : f64, other_zero_point = -1 : i64, output_scale = 0.0224 : f64,
            output_zero_point = -14 : i64, quant_min = -128 : i64, quant_max = 127 : i64}
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
