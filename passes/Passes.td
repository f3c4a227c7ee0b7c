//===- Passes.td - Ember's Edge passes ------------------------------------===//
#ifndef EMBER_PASSES_TD
#define EMBER_PASSES_TD

include "mlir/Pass/PassBase.td"

def VerifyEdgeContract : Pass<"ember-verify-edge-contract", "mlir::ModuleOp"> {
  let summary = "Check that the IR is what the emitter and runtime accept";
  let description = [{
    The Edge contract: every function is one block of Edge ops ending in
    `func.return`; every value is a statically shaped ranked tensor of rank
    at most 16 (or `none` from `edge.none`) with an element type the .pte
    format has; every ATen-mirroring op's result element type is one its
    kernels take (exir/ops.yaml `dtypes`); constants carry their data.
    Runs after import and again before emission. Failing IR is rejected
    with a diagnostic at the op.

    Example of a rejection:
    ```mlir
    // error: 'edge.convolution' op has no kernel for element type f64 (kernels take f32, f16, bf16)
    %y = edge.convolution %x, %w, %b {...} : (tensor<1x3x8x8xf64>, ...) -> tensor<1x4x6x6xf64>
    ```
  }];
}

def ChannelsLast : Pass<"ember-channels-last", "mlir::func::FuncOp"> {
  let summary = "Run float32 CNNs channels-last: NHWC convolutions, one transpose in, one out";
  let description = [{
    Ember's optimized convolutions compute on channels-last images: a
    pixel's channels are one row of the GEMM's A (read in place by a 1x1
    convolution, gathered tap by tap for the others), the weight is the
    GEMM's B packed once at load, and a depthwise convolution takes 16
    channels a vector. Each forward 2-d float32 `edge.convolution` and
    `edge.convolution_clamp` of static sizes becomes an
    `edge.convolution_nhwc` (kernel `ember::convolution_nhwc.out`, the clamp
    kept as its min / max) between a permute to NHWC and one back; the
    permutes back then move down through what computes the same in either
    layout (activations, residual adds, squeeze-excitation gates, max pools,
    which become `edge.max_pool2d_nhwc`, global average pools, cats) and
    cancel against the next permute to NHWC, as in
    ember-quantized-channels-last. A network transposes its input once and
    its last feature map once; a chain ends, with a permute to NCHW, at the
    first op that needs NCHW (a view, an average pool, a transposed
    convolution). Last, an `edge.silu` or `edge.hardswish` (made by
    ember-fuse-activations) whose operand is an unclamped
    `edge.convolution_nhwc` read by nothing else becomes that convolution's
    `activation`, applied to its output rows while they are in cache
    (EfficientNet-B0's SiLUs were 17% of its run as ops of their own).

    Runs in the memory-plan phase, after partitioning (a backend keeps the
    convolutions it claims) and ember-fuse-activations
    (`EdgeCompileConfig.channels_last`, off for files ExecuTorch must run:
    its kernel library has no channels-last convolution).

    Example:
    ```mlir
    // before
    %a = edge.convolution_clamp %x, %w1, %b1 {..., max = 6.0, min = 0.0}
    %y = edge.convolution %a, %w2, %b2 {...}
    // after
    %t = edge.permute %x {dims = array<i64: 0, 2, 3, 1>}
    %a = edge.convolution_nhwc %t, %w1, %b1 {..., max = 6.0, min = 0.0}
    %c = edge.convolution_nhwc %a, %w2, %b2 {...}
    %y = edge.permute %c {dims = array<i64: 0, 3, 1, 2>}
    ```
  }];
}

def FuseConvBatchNorm : Pass<"ember-fuse-conv-batch-norm", "mlir::func::FuncOp"> {
  let summary = "Fold inference batch norm into the convolution that feeds it";
  let description = [{
    `_native_batch_norm_legit_no_training(conv(x, W, b), gamma, beta, mean,
    var)` is a per-channel affine map of the convolution's output, so it is
    folded into the convolution's weight and bias (computed in double, stored
    as f32):

      s = gamma / sqrt(var + eps)
      W'[o, ...] = W[o, ...] * s[o]   (o: the output channel of the element)
      b'[o] = (b[o] - mean[o]) * s[o] + beta[o]

    It applies (to plain and transposed convolutions) when the convolution's
    only user is the batch norm, the batch norm's statistics outputs are unused, and every
    tensor involved is an f32 constant (gamma and beta may be absent; so may
    b) whose weight no other op uses, so no bytes are ever added. Ember's
    portable kernels and its backends then run one op instead of two.
    f16 and bf16 convolutions are left alone: their weights were rounded to
    16 bits already, and rounding W * s a second time costs more than the
    batch norm's own rounding (MobileNetV2 in f16: 25.9 ulps from the fp32
    model folded, 15.2 not folded, eager 14.5).

    Example:
    ```mlir
    // before
    %c = edge.convolution %x, %w, %b {...}
    %y, %m, %v = edge._native_batch_norm_legit_no_training %c, %g, %beta, %mean, %var {eps = 1.0e-05 : f64, ...}
    // after
    %y = edge.convolution %x, %w_fused, %b_fused {...}
    ```
  }];
}

def FuseRmsNorm : Pass<"ember-fuse-rms-norm", "mlir::func::FuncOp"> {
  let summary = "Run decomposed RMS norm as one op";
  let description = [{
    Llama, Qwen, Mistral and Gemma normalise with RMS norm,
    `weight * (x * rsqrt(mean(x^2, -1, keepdim=True) + eps))`, which
    torch.export decomposes into six ops, each a pass over the hidden state
    on Ember's kernels. This pass makes them one `edge.rms_norm(x, [D],
    weight, eps)` (kernel `ember::rms_norm.out`), or `edge.rms_norm(x, [D],
    none, eps)` without the weight. Matched: pow(x, 2) or x * x; a mean
    over the last dim with keepdim and no dtype; eps >= 0 added with alpha 1
    (add.Tensor of a one-element constant, or add.Scalar, torch's own
    nn.RMSNorm); rsqrt; the products in either order; a weight
    of shape [D] (D the last dim) and the input's element type. Every op of
    the chain but x's producer is used by the chain alone; floating types
    only; the fused op keeps the last op's run-time sizes
    (edge.dynamic_results). A model that upcasts to float32 inside the norm
    (a cast in the chain) is left alone.

    Runs in the memory-plan phase, after partitioning, with
    ember-fuse-activations (`EdgeCompileConfig.fuse_activations`, off for
    files ExecuTorch must run: its kernel library has no RMS norm).

    Example:
    ```mlir
    // before
    %sq = edge.pow.Tensor_Scalar %x {exponent = 2 : i64} : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
    %m = edge.mean.dim %sq {dim = array<i64: -1>, keepdim = true} : (tensor<1x16x64xf32>) -> tensor<1x16x1xf32>
    %a = edge.add.Tensor %m, %eps {alpha = 1 : i64} : (tensor<1x16x1xf32>, tensor<f32>) -> tensor<1x16x1xf32>
    %r = edge.rsqrt %a : (tensor<1x16x1xf32>) -> tensor<1x16x1xf32>
    %n = edge.mul.Tensor %x, %r : (tensor<1x16x64xf32>, tensor<1x16x1xf32>) -> tensor<1x16x64xf32>
    %y = edge.mul.Tensor %w, %n : (tensor<64xf32>, tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
    // after
    %y = edge.rms_norm %x, %w {eps = 1.0e-06 : f64, normalized_shape = array<i64: 64>} : ...
    ```
  }];
}

def FoldCacheUpdate : Pass<"ember-fold-cache-update", "mlir::func::FuncOp"> {
  let summary = "Run a KV-cache write (index_put of one index tensor) as edge.update_cache";
  let description = [{
    A static KV cache is written with `index_copy_(dim, positions, kv)`,
    which torch.export functionalizes into
    `index_put(cache, [None, ..., positions], kv)` and a write-back of the
    result into the cache's buffer. This pass makes such an index_put
    `edge.update_cache(cache, positions, kv, dim)` (kernel
    `ember::update_cache.out`: one contiguous copy per slice, where
    index_put's kernel goes element by element). Matched: accumulate false,
    every index None up to one 1-d int64/int32 tensor at `dim`, values of the
    cache's element type and sizes with the index's length at `dim` (no
    broadcasting). The memory plan then runs it in place when the cache is a
    mutable buffer the result is written back into and nothing reads the
    buffer after the update (ember-plan-memory), so a decode step writes one
    position instead of copying the cache twice.

    Example:
    ```mlir
    // before
    %u = edge.index_put %cache, %none, %none, %pos, %kv {accumulate = false}
         : (tensor<1x2x40x16xf32>, none, none, tensor<3xi64>, tensor<1x2x3x16xf32>)
         -> tensor<1x2x40x16xf32>
    // after
    %u = edge.update_cache %cache, %pos, %kv {dim = 2 : i64}
         : (tensor<1x2x40x16xf32>, tensor<3xi64>, tensor<1x2x3x16xf32>) -> tensor<1x2x40x16xf32>
    ```
  }];
}

def FuseActivations : Pass<"ember-fuse-activations", "mlir::func::FuncOp"> {
  let summary = "Fuse activations on Ember's kernels: SiLU, hardswish, convolution + clamp";
  let description = [{
    torch.export decomposes silu into `mul(x, sigmoid(x))` and hardswish into
    `div(mul(x, clamp(clamp(add(x, 3), min=0), max=6)), 6)`; each op is a
    pass over the whole tensor on Ember's kernels. This pass makes them
    `edge.silu(x)` (kernel `aten::silu.out`) and `edge.hardswish(x)`
    (`aten::hardswish.out`) again: floating types only, every op of the
    chain used by the chain alone, the constants known at compile time (the
    add's alpha 1; one clamp with both bounds or hardtanh(0, 6) also match,
    and add.Scalar / div.Scalar forms). The fused op keeps the last op's
    run-time sizes (edge.dynamic_results).

    GELU's tanh approximation written out (Hugging Face's NewGELU, GPT-2:
    `0.5 x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))`, eight ops)
    becomes `edge.gelu(x, approximate="tanh")`.

    A relu, hardtanh (relu6) or clamp with compile-time bounds (min <= max)
    whose input is a convolution read by nothing else becomes one
    `edge.convolution_clamp` (kernel `ember::convolution_clamp.out`): the
    optimized kernel clamps each tile in the GEMM's epilogue, or each
    depthwise plane while it is in cache.

    Runs in the memory-plan phase, after partitioning, so that it only
    fuses what the backends left (XNNPACK takes the pieces and fuses them
    itself), when `EdgeCompileConfig.fuse_activations` is True (the
    default); ExecuTorch's portable kernel library has neither kernel, so
    set it False for files that must also run there.

    Example:
    ```mlir
    // before
    %s = edge.sigmoid %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
    %y = edge.mul.Tensor %x, %s : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
    // after
    %y = edge.silu %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
    ```
  }];
}

def FuseLinear : Pass<"ember-fuse-linear", "mlir::func::FuncOp"> {
  let summary = "Run a matrix product with a transposed right operand as linear";
  let description = [{
    `mm(x, permute(w, [1, 0]))` and `addmm(b, x, permute(w, [1, 0]))` (beta
    and alpha 1 at compile time, b of shape [N]) become `edge.linear(x, w, b)`,
    keeping the product's run-time sizes (edge.dynamic_results) (kernel
    `aten::linear.out`), which reads w [N, K] in place, so the transpose,
    a copy of all of w on every run, is never made; the permute is erased
    when nothing else uses it. f32, f16 or bf16 (the matrix product's
    operands share one element type).

    Constant folding already stores the transpose of a weight that one op
    reads, so the products left with a run-time transpose are those whose
    weight folding must not duplicate (a language model's tied embedding and
    LM head: the embedding reads the weight too) and products of run-time
    values.

    Runs in the edge phase when `EdgeCompileConfig.fuse_linear` is True (the
    default); ExecuTorch's portable kernel library has no linear.out, so set
    it False for files that must also run there.

    Example:
    ```mlir
    // before
    %wt = edge.permute %wte {dims = array<i64: 1, 0>} : (tensor<50x8xf32>) -> tensor<8x50xf32>
    %y = edge.mm %x, %wt : (tensor<4x8xf32>, tensor<8x50xf32>) -> tensor<4x50xf32>
    // after
    %none = edge.none
    %y = edge.linear %x, %wte, %none : (tensor<4x8xf32>, tensor<50x8xf32>, none) -> tensor<4x50xf32>
    ```
  }];
}

def FuseAttention : Pass<"ember-fuse-attention", "mlir::func::FuncOp"> {
  let summary = "Rewrite attention written out in core ATen ops to one fused op";
  let description = [{
    Recognises softmax(q k^T * scale + mask) v in its math form, as torch's
    decomposition of scaled_dot_product_attention and hand-written attention
    leave it (views and no-op expands around two bmm, scalar multiplications
    or divisions of q, k^T or the scores, an optional f32 mask added to the
    scores, a softmax over the last dim, optionally torch's guard that sets a
    fully masked row to 0), and rewrites it to
    `edge.scaled_dot_product_attention` (kernel `ember::sdpa.out`: one pass
    over the keys, no score matrix stored). The scale is the product of the
    scalars found. It fires only when the result is the same: the kernel
    gives 0 for a row whose every score is -inf, as the guard does, so
    without the guard the mask must be absent or a constant without a row of
    -inf; run-time sizes (symbolic views) are left alone. Ops of the pattern
    that nothing else uses are erased. Then on every attention op, key and
    value heads repeated for grouped-query attention (repeat_kv's unsqueeze,
    expand, clone, view) become its grouped heads (`enable_gqa = true`, head h
    reading head h / g), so the repeated copies are never made.

    Runs in the edge phase when `EdgeCompileConfig.fuse_attention` is True
    (the default).

    Example:
    ```mlir
    // before
    %qs = edge.mul.Scalar %q {other = 5.000000e-01 : f64}
    %kt = edge.permute %k {dims = array<i64: 0, 1, 3, 2>}
    %ks = edge.mul.Scalar %kt {other = 5.000000e-01 : f64}
    %a = edge.view %qs {size = array<i64: 4, 16, 16>}
    %b = edge.view %ks {size = array<i64: 4, 16, 16>}
    %s = edge.bmm %a, %b
    %s4 = edge.view %s {size = array<i64: 1, 4, 16, 16>}
    %x = edge.add.Tensor %s4, %mask {alpha = 1 : i64}
    %p = edge._softmax %x {dim = -1 : i64, half_to_float = false}
    // ... guard: eq.Scalar -inf, logical_not, any.dim, logical_not, full_like, where.self
    %pf = edge.view %p {size = array<i64: 4, 16, 16>}
    %vf = edge.view %v {size = array<i64: 4, 16, 16>}
    %o = edge.bmm %pf, %vf
    %o4 = edge.view %o {size = array<i64: 1, 4, 16, 16>}
    // after
    %o4 = edge.scaled_dot_product_attention %q, %k, %v, %mask
          {dropout_p = 0.0 : f64, enable_gqa = false, is_causal = false, scale = 2.500000e-01 : f64}
    ```
  }];
}

def PlanMemory : Pass<"ember-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Place every non-constant tensor in planned arenas";
  let description = [{
    Computes each tensor's lifetime in program order (definition to last
    use; function results live to the end; inputs from the start; mutable
    buffers for the whole program, so their state persists across calls)
    and gives it an aligned offset in its arena (`edge.memory_id`, default 1)
    so that no two tensors alive at the same time overlap. A view
    (`edge.view`) of a planned tensor shares its memory: the base lives as
    long as the view is used, and the view is emitted as
    `executorch_prim::et_view` (`alias-views`).

    The algorithms of passes/MemoryPlanner.h (ExecuTorch 1.4's greedy shared
    objects, greedy by size with best-fit offset search, greedy by breadth,
    then `refined`: a bounded search over placement orders starting from the
    best of them, exhaustive for arenas of at most 8 tensors) all run with
    `algorithm=best` and the smallest plan is kept, so no plan is larger than
    ExecuTorch's greedy one; the checker then proves it (no two tensors alive
    at once share a byte). The plan is recorded as attributes:

    ```mlir
    func.func @forward(%x: tensor<2x3xf32>) -> tensor<2x3xf32>
        attributes {edge.arg_offsets = array<i64: 0>, edge.memory_algorithm = "greedy_by_size",
                    edge.memory_candidates = {greedy = 64 : i64, ...},
                    edge.memory_lower_bound = array<i64: 48>, edge.planned_sizes = array<i64: 64>} {
      %0 = edge.relu %x {edge.offsets = array<i64: 32>} : ...
    ```
    An offset of -1 means "not planned" (the caller provides the memory). A
    view that shares memory (`edge.view_alias`) has its input's offset.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", "16", "Byte alignment of every tensor">,
    Option<"planInputs", "plan-inputs", "bool", "true",
           "Place user inputs in the arena (else the caller provides them)">,
    Option<"planOutputs", "plan-outputs", "bool", "true",
           "Place user outputs in the arena (else the caller provides them)">,
    Option<"algorithm", "algorithm", "std::string", "\"best\"",
           "best (every algorithm, the smallest plan), greedy, greedy_by_size, greedy_by_size_first_fit, greedy_by_breadth or refined">,
    Option<"aliasViews", "alias-views", "bool", "true",
           "Let a view share its input's memory instead of copying it">,
  ];
  let dependentDialects = ["ember::edge::EdgeDialect"];
}

#endif // EMBER_PASSES_TD
