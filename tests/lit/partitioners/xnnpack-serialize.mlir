// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-xnnpack-serialize{dump=true}))' -verify-diagnostics -o /dev/null | FileCheck %s

// The blob decoded back from its bytes. External ids are the delegate call's
// argument positions: inputs 0 and 1, then outputs 2 and 3 in result order
// (whatever order the nodes define them in). Constants follow the
// flatbuffer, each at a 16-byte boundary (12 bytes at 0, the next at 16),
// entry 0 reserved; the same data twice is stored once. The relu is the
// fully-connected node's output clamp; pooling nodes carry XNN_FLAG_KEEP_DIMS.
// CHECK-LABEL: // two_in_two_out
// CHECK-NEXT: xnnpack blob: {{[0-9]+}} bytes (flatbuffer {{[0-9]+}} at 32, constants 52 at {{[0-9]+}}), 4 externals, inputs [0, 1] outputs [5, 8]
// CHECK-NEXT: value 0: fp32 [2, 3] external input 0
// CHECK-NEXT: value 1: fp32 [1, 2, 2, 3] external input 1
// CHECK-NEXT: value 2: fp32 [3, 3] constant 1 (36 bytes at 0) = [1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, ...]
// CHECK-NEXT: value 3: fp32 [2, 3]
// CHECK-NEXT: value 4: fp32 [3, 3] constant 1 (36 bytes at 0)
// CHECK-NEXT: value 5: fp32 [2, 3] external output 3
// CHECK-NEXT: value 6: fp32 [1, 1, 1, 3]
// CHECK-NEXT: value 7: fp32 [1] constant 2 (4 bytes at 48) = [2.000000e+00]
// CHECK-NEXT: value 8: fp32 [1, 1, 1, 3] external output 2
// CHECK-NEXT: node 0: FullyConnected input 0 filter 2 bias none output 3 flags 0 clamp [0.000000e+00, INF]
// CHECK-NEXT: node 1: FullyConnected input 3 filter 4 bias none output 5 flags 0
// CHECK-NEXT: node 2: GlobalAvgPooling2d input 1 output 6 flags 64
// CHECK-NEXT: node 3: Multiply inputs 6, 7 output 8
func.func @two_in_two_out(%x: tensor<2x3xf32>, %y: tensor<1x2x2x3xf32>) -> (tensor<1x1x1x3xf32>, tensor<2x3xf32>) {
  %w = edge.constant dense<[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]> : tensor<3x3xf32>
  %w2 = edge.constant dense<[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]> : tensor<3x3xf32>
  %two = edge.constant dense<2.0> : tensor<f32>
  %f = xnnpack.fully_connected %x, %w {output_min = 0.0 : f32} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32>
  %a = xnnpack.fully_connected %f, %w2 : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32>
  %g = xnnpack.global_average_pooling_2d %y : (tensor<1x2x2x3xf32>) -> tensor<1x1x1x3xf32>
  %m = xnnpack.multiply %g, %two : (tensor<1x1x1x3xf32>, tensor<f32>) -> tensor<1x1x1x3xf32>
  return %m, %a : tensor<1x1x1x3xf32>, tensor<2x3xf32>
}

// -----

// Node fields: convolution (kernel from the filter, groups and channels per
// group), transposes, pooling, clamp (always with its range), pad.
// CHECK-LABEL: // fields
// CHECK: node 0: StaticTranspose perm [0, 2, 3, 1] input 0 output 1
// CHECK-NEXT: node 1: Conv2d pad [1, 0, 1, 0] kernel [3, 1] stride [2, 1] dilation [1, 1] groups 2 group_input_channels 1 group_output_channels 2 input 1 filter 2 bias 3 output 4 clamp [-1.000000e+00, 1.000000e+00]
// CHECK-NEXT: node 2: MaxPooling2d pad [0, 0, 0, 0] pool [2, 1] stride [2, 1] dilation [1, 1] input 4 output 5 flags 64
// CHECK-NEXT: node 3: Clamp input 5 output 6 clamp [-INF, INF]
// CHECK-NEXT: node 4: StaticConstantPad pre [0, 1, 0, 0] post [0, 0, 0, 2] value 5.000000e-01 input 6 output 7
// CHECK-NEXT: node 5: StaticTranspose perm [0, 3, 1, 2] input 7 output 8
func.func @fields(%x: tensor<1x2x4x1xf32>) -> tensor<1x6x2x1xf32> {
  %w = edge.constant dense<1.0> : tensor<4x3x1x1xf32>
  %b = edge.constant dense<0.0> : tensor<4xf32>
  %t = xnnpack.static_transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x1xf32>) -> tensor<1x4x1x2xf32>
  %c = xnnpack.convolution_2d %t, %w, %b {dilation = array<i64: 1, 1>, groups = 2 : i64, output_max = 1.0 : f32, output_min = -1.0 : f32, padding = array<i64: 1, 0, 1, 0>, stride = array<i64: 2, 1>} : (tensor<1x4x1x2xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<1x2x1x4xf32>
  %p = xnnpack.max_pooling_2d %c {dilation = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, pooling = array<i64: 2, 1>, stride = array<i64: 2, 1>} : (tensor<1x2x1x4xf32>) -> tensor<1x1x1x4xf32>
  %k = xnnpack.clamp %p : (tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32>
  %q = xnnpack.static_constant_pad %k {post = array<i64: 0, 0, 0, 2>, pre = array<i64: 0, 1, 0, 0>, value = 0.5 : f32} : (tensor<1x1x1x4xf32>) -> tensor<1x2x1x6xf32>
  %y = xnnpack.static_transpose %q {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x1x6xf32>) -> tensor<1x6x2x1xf32>
  return %y : tensor<1x6x2x1xf32>
}

// -----

// XNNPACK values have one external id: an input returned as it is cannot be
// expressed (ember-xnnpack-propagate-nhwc gives it a copy first).
func.func @pass_through(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'func.return' op returns input 0 unchanged: XNNPACK cannot pass a value through}}
  return %x : tensor<2xf32>
}

// -----

// Everything must be lowered first.
func.func @not_lowered(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'edge.relu' op was not lowered to an XNNPACK node}}
  %y = edge.relu %x : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}
