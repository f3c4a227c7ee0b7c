// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-lower-to-xnnpack))' -verify-diagnostics | FileCheck %s

// A convolution runs in NHWC between two transposes; its OIHW weight
// becomes an OHWI filter (data moved: [o][i] -> [o][kh][kw][i]); PyTorch's
// [ph, pw] padding becomes [top, right, bottom, left].
// CHECK-LABEL: func.func @conv
// CHECK: %[[B:.*]] = edge.constant dense<[5.000000e-01, -5.000000e-01, 1.000000e+00]> : tensor<3xf32>
// CHECK: %[[T:.*]] = xnnpack.static_transpose %arg0 {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
// CHECK: %[[W:.*]] = edge.constant dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00]]], {{\[\[\[}}3.000000e+00, 4.000000e+00]]], {{\[\[\[}}5.000000e+00, 6.000000e+00]]]]> : tensor<3x1x1x2xf32>
// CHECK: %[[C:.*]] = xnnpack.convolution_2d %[[T]], %[[W]], %[[B]] {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 2, 1, 2, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<3x1x1x2xf32>, tensor<3xf32>) -> tensor<1x8x6x3xf32>
// CHECK: %[[Y:.*]] = xnnpack.static_transpose %[[C]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: return %[[Y]] : tensor<1x3x8x6xf32>
func.func @conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x8x6xf32> {
  %w = edge.constant dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]], [[[5.0]], [[6.0]]]]> : tensor<3x2x1x1xf32>
  %b = edge.constant dense<[0.5, -0.5, 1.0]> : tensor<3xf32>
  %c = edge.convolution %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 2, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, tensor<3xf32>) -> tensor<1x3x8x6xf32>
  return %c : tensor<1x3x8x6xf32>
}

// -----

// One input channel per group is a depthwise convolution: the [C, 1, KH, KW]
// weight becomes a [1, KH, KW, C] filter (channel innermost). No bias. (A
// window of 3 taps: XNNPACK 2022's depthwise kernels take 3, 4, 9 or 25.)
// CHECK-LABEL: func.func @depthwise
// CHECK: %[[W:.*]] = edge.constant dense<{{\[\[\[\[}}1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]]]> : tensor<1x1x3x2xf32>
// CHECK: xnnpack.depthwise_convolution_2d %{{.*}}, %[[W]] {dilation = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 2>} : (tensor<1x3x4x2xf32>, tensor<1x1x3x2xf32>) -> tensor<1x3x1x2xf32>
func.func @depthwise(%x: tensor<1x2x3x4xf32>) -> tensor<1x2x3x1xf32> {
  %w = edge.constant dense<[[[[1.0, 2.0, 3.0]]], [[[4.0, 5.0, 6.0]]]]> : tensor<2x1x1x3xf32>
  %none = edge.none
  %c = edge.convolution %x, %w, %none {dilation = array<i64: 1, 1>, groups = 2 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 2>, transposed = false} : (tensor<1x2x3x4xf32>, tensor<2x1x1x3xf32>, none) -> tensor<1x2x3x1xf32>
  return %c : tensor<1x2x3x1xf32>
}

// -----

// A transposed convolution's [C_in, C_out/g, KH, KW] weight becomes
// [g * C_out/g, KH, KW, C_in/g]: with 2 groups of 1 input and 2 outputs,
// w[i][o] moves to filter[2 * i + o][0][0][0].
// CHECK-LABEL: func.func @deconv
// CHECK: %[[W:.*]] = edge.constant dense<{{\[\[\[\[}}1.000000e+00]]], {{\[\[\[}}2.000000e+00]]], {{\[\[\[}}3.000000e+00]]], {{\[\[\[}}4.000000e+00]]]]> : tensor<4x1x1x1xf32>
// CHECK: xnnpack.deconvolution_2d %{{.*}}, %[[W]] {adjustment = array<i64: 1, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 1>}
func.func @deconv(%x: tensor<1x2x3x3xf32>) -> tensor<1x4x6x3xf32> {
  %w = edge.constant dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>
  %none = edge.none
  %c = edge.convolution %x, %w, %none {dilation = array<i64: 1, 1>, groups = 2 : i64, output_padding = array<i64: 1, 0>, padding = array<i64: 0, 0>, stride = array<i64: 2, 1>, transposed = true} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x4x6x3xf32>
  return %c : tensor<1x4x6x3xf32>
}

// -----

// Conv1d runs as a conv2d with H = 1: reshapes around it, 1-element stride,
// padding and dilation on the H side.
// CHECK-LABEL: func.func @conv1d
// CHECK: %[[R:.*]] = xnnpack.static_reshape %arg0 : (tensor<2x3x7xf32>) -> tensor<2x3x1x7xf32>
// CHECK: %[[T:.*]] = xnnpack.static_transpose %[[R]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x3x1x7xf32>) -> tensor<2x1x7x3xf32>
// CHECK: xnnpack.convolution_2d %[[T]], {{.*}} {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 1, 0, 1>, stride = array<i64: 1, 2>} : (tensor<2x1x7x3xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<2x1x4x4xf32>
// CHECK: %[[U:.*]] = xnnpack.static_transpose %{{.*}} {perm = array<i64: 0, 3, 1, 2>}
// CHECK: xnnpack.static_reshape %[[U]] : (tensor<2x4x1x4xf32>) -> tensor<2x4x4xf32>
func.func @conv1d(%x: tensor<2x3x7xf32>) -> tensor<2x4x4xf32> {
  %w = edge.constant dense<1.0> : tensor<4x3x3xf32>
  %b = edge.constant dense<0.0> : tensor<4xf32>
  %c = edge.convolution %x, %w, %b {dilation = array<i64: 1>, groups = 1 : i64, output_padding = array<i64: 0>, padding = array<i64: 1>, stride = array<i64: 2>, transposed = false} : (tensor<2x3x7xf32>, tensor<4x3x3xf32>, tensor<4xf32>) -> tensor<2x4x4xf32>
  return %c : tensor<2x4x4xf32>
}

// -----

// nn.Linear after to_edge: addmm(bias, x, W^T) with W^T a constant [K, N].
// The filter is [N, K] (transposed back) scaled by alpha, the bias scaled by
// beta and broadcast to one value per output feature.
// CHECK-LABEL: func.func @linear
// CHECK-DAG: %[[W:.*]] = edge.constant dense<{{\[\[}}2.000000e+00, 6.000000e+00], [4.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[B:.*]] = edge.constant dense<3.000000e+00> : tensor<2xf32>
// CHECK: %[[Y:.*]] = xnnpack.fully_connected %arg0, %[[W]], %[[B]] : (tensor<5x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<5x2xf32>
// CHECK: return %[[Y]]
func.func @linear(%x: tensor<5x2xf32>) -> tensor<5x2xf32> {
  %wt = edge.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = edge.constant dense<1.5> : tensor<f32>
  %y = edge.addmm %b, %x, %wt {alpha = 2 : i64, beta = 2.0 : f64} : (tensor<f32>, tensor<5x2xf32>, tensor<2x2xf32>) -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

// A batch norm after a convolution is folded into it in the edge phase
// (ember-fuse-conv-batch-norm), before partitioning; one that reaches the
// lowering (here: IR given straight to the pass) is still lowered right, as
// the per-channel multiply and add after the convolution.
// CHECK-LABEL: func.func @conv_bn
// CHECK: xnnpack.convolution_2d
// CHECK: xnnpack.multiply
// CHECK: xnnpack.add
// CHECK: return
func.func @conv_bn(%x: tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %w = edge.constant dense<3.0> : tensor<1x2x1x1xf32>
  %b = edge.constant dense<1.0> : tensor<1xf32>
  %gamma = edge.constant dense<4.0> : tensor<1xf32>
  %beta = edge.constant dense<1.0> : tensor<1xf32>
  %mean = edge.constant dense<0.5> : tensor<1xf32>
  %var = edge.constant dense<4.0> : tensor<1xf32>
  %c = edge.convolution %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  %y, %s1, %s2 = edge._native_batch_norm_legit_no_training %c, %gamma, %beta, %mean, %var {eps = 0.0 : f64, momentum = 0.1 : f64} : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> (tensor<1x1x2x2xf32>, tensor<0xf32>, tensor<0xf32>)
  return %y : tensor<1x1x2x2xf32>
}

// -----

// A batch norm with no convolution before it is a per-channel multiply and
// add (constants [C, 1, 1] broadcast over H and W).
// CHECK-LABEL: func.func @bn
// CHECK: %[[M:.*]] = xnnpack.multiply %arg0, %{{.*}} : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x3x3xf32>
// CHECK: xnnpack.add %[[M]], %{{.*}} : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x3x3xf32>
func.func @bn(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %none = edge.none
  %mean = edge.constant dense<0.5> : tensor<2xf32>
  %var = edge.constant dense<4.0> : tensor<2xf32>
  %y, %s1, %s2 = edge._native_batch_norm_legit_no_training %x, %none, %none, %mean, %var {eps = 0.0 : f64, momentum = 0.1 : f64} : (tensor<1x2x3x3xf32>, none, none, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x3x3xf32>, tensor<0xf32>, tensor<0xf32>)
  return %y : tensor<1x2x3x3xf32>
}

// -----

// PReLU after decomposition (x > 0, w * x, where) is one prelu node in NHWC
// with one slope per channel; the comparison and product go.
// CHECK-LABEL: func.func @prelu
// CHECK: %[[S:.*]] = edge.constant dense<2.500000e-01> : tensor<3xf32>
// CHECK: %[[P:.*]] = xnnpack.prelu %{{.*}}, %[[S]] : (tensor<1x4x4x3xf32>, tensor<3xf32>) -> tensor<1x4x4x3xf32>
// CHECK-NOT: edge.
// CHECK: return
func.func @prelu(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w = edge.constant dense<0.25> : tensor<1x1x1x1xf32>
  %gt = edge.gt.Scalar %x {other = 0 : i64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xi1>
  %m = edge.mul.Tensor %w, %x : (tensor<1x1x1x1xf32>, tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %y = edge.where.self %gt, %x, %m : (tensor<1x3x4x4xi1>, tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

// Max pooling with ceil_mode: extra bottom/right padding makes XNNPACK's
// floor division give PyTorch's output size (5 -> 3 with kernel 2, stride 2).
// Unused indices are dropped.
// CHECK-LABEL: func.func @max_pool_ceil
// CHECK: xnnpack.max_pooling_2d %{{.*}} {dilation = array<i64: 1, 1>, padding = array<i64: 0, 1, 1, 0>, pooling = array<i64: 2, 2>, stride = array<i64: 2, 2>} : (tensor<1x5x5x2xf32>) -> tensor<1x3x3x2xf32>
func.func @max_pool_ceil(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x3x3xf32> {
  %y, %i = edge.max_pool2d_with_indices %x {ceil_mode = true, dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64>} : (tensor<1x2x5x5xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xi64>)
  return %y : tensor<1x2x3x3xf32>
}

// -----

// Mean over H and W is global average pooling; without keepdim a reshape
// drops the two size-1 dims.
// CHECK-LABEL: func.func @mean
// CHECK: %[[G:.*]] = xnnpack.global_average_pooling_2d %{{.*}} : (tensor<2x4x5x3xf32>) -> tensor<2x1x1x3xf32>
// CHECK: %[[T:.*]] = xnnpack.static_transpose %[[G]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<2x1x1x3xf32>) -> tensor<2x3x1x1xf32>
// CHECK: xnnpack.static_reshape %[[T]] : (tensor<2x3x1x1xf32>) -> tensor<2x3xf32>
func.func @mean(%x: tensor<2x3x4x5xf32>) -> tensor<2x3xf32> {
  %y = edge.mean.dim %x {dim = array<i64: -1, -2>, keepdim = false} : (tensor<2x3x4x5xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Activations are clamps; PyTorch's padding list (last dim first) becomes
// per-dim pre/post paddings; scalar operands become rank-0 constants.
// CHECK-LABEL: func.func @elementwise
// CHECK: %[[R:.*]] = xnnpack.clamp %arg0 {output_min = 0.000000e+00 : f32}
// CHECK: %[[H:.*]] = xnnpack.clamp %[[R]] {output_max = 6.000000e+00 : f32, output_min = 0.000000e+00 : f32}
// CHECK: %[[P:.*]] = xnnpack.static_constant_pad %[[H]] {post = array<i64: 0, 3, 2>, pre = array<i64: 0, 0, 1>, value = 5.000000e-01 : f32} : (tensor<2x3x4xf32>) -> tensor<2x6x7xf32>
// CHECK: %[[C:.*]] = edge.constant dense<2.000000e+00> : tensor<f32>
// CHECK: xnnpack.multiply %[[P]], %[[C]] : (tensor<2x6x7xf32>, tensor<f32>) -> tensor<2x6x7xf32>
func.func @elementwise(%x: tensor<2x3x4xf32>) -> tensor<2x6x7xf32> {
  %r = edge.relu %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %h = edge.hardtanh %r {max_val = 6 : i64, min_val = 0 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %p = edge.constant_pad_nd %h {pad = array<i64: 1, 2, 0, 3>, value = 5.000000e-01 : f64} : (tensor<2x3x4xf32>) -> tensor<2x6x7xf32>
  %m = edge.mul.Scalar %p {other = 2 : i64} : (tensor<2x6x7xf32>) -> tensor<2x6x7xf32>
  return %m : tensor<2x6x7xf32>
}

// -----

// An op the partitioner refuses is an error, with the partitioner's reason.
func.func @refused(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'edge.tanh' op cannot be lowered to XNNPACK: tanh: not in XNNPACK 2022}}
  %y = edge.tanh %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// A declaration has nothing to lower.
// CHECK-LABEL: func.func private @declaration
func.func private @declaration(tensor<2xf32>) -> tensor<2xf32>
