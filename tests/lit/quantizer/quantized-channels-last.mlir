// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-quantized-channels-last))' | FileCheck %s

// A quantized float input, two convolutions, a residual add of the two, a
// global average pool in float: one permute to NHWC after the input's
// quantize (on int8), none between the convolutions and the add, the
// dequantize and the mean channels-last, and no permute left after the
// mean without keepdim ([N, C] in both layouts).
// CHECK-LABEL: func.func @chain
// CHECK-NEXT: %[[Q:.*]] = edge.quantize_per_tensor %arg0 {{.*}} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xi8>
// CHECK-NEXT: %[[T:.*]] = edge.permute %[[Q]] {dims = array<i64: 0, 2, 3, 1>} : (tensor<1x8x6x6xi8>) -> tensor<1x6x6x8xi8>
// CHECK-NEXT: %[[A:.*]] = edge.quantized_convolution_nhwc %[[T]], %arg1, %arg2, %arg3 {{.*}} : (tensor<1x6x6x8xi8>, tensor<8x8x3x3xi8>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x6x6x8xi8>
// CHECK-NEXT: %[[B:.*]] = edge.quantized_convolution_nhwc %[[A]], %arg1, %arg2, %arg3 {{.*}} : (tensor<1x6x6x8xi8>, tensor<8x8x3x3xi8>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x6x6x8xi8>
// CHECK-NEXT: %[[S:.*]] = edge.quantized_add %[[A]], %[[B]] {{.*}} : (tensor<1x6x6x8xi8>, tensor<1x6x6x8xi8>) -> tensor<1x6x6x8xi8>
// CHECK-NEXT: %[[F:.*]] = edge.dequantize_per_tensor %[[S]] {{.*}} : (tensor<1x6x6x8xi8>) -> tensor<1x6x6x8xf32>
// CHECK-NEXT: %[[M:.*]] = edge.mean.dim %[[F]] {dim = array<i64: 1, 2>, keepdim = false} : (tensor<1x6x6x8xf32>) -> tensor<1x8xf32>
// CHECK-NEXT: return %[[M]]
func.func @chain(%x: tensor<1x8x6x6xf32>, %w: tensor<8x8x3x3xi8>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<1x8xf32> {
  %xq = edge.quantize_per_tensor %x {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.02 : f64, zero_point = 0 : i64} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xi8>
  %a = edge.quantized_convolution %xq, %w, %s, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.02 : f64, input_zero_point = 0 : i64, output_scale = 0.1 : f64, output_zero_point = -128 : i64, padding = array<i64: 1, 1>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x8x6x6xi8>, tensor<8x8x3x3xi8>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x6x6xi8>
  %c = edge.quantized_convolution %a, %w, %s, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.1 : f64, input_zero_point = -128 : i64, output_scale = 0.1 : f64, output_zero_point = 3 : i64, padding = array<i64: 1, 1>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x8x6x6xi8>, tensor<8x8x3x3xi8>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x6x6xi8>
  %sum = edge.quantized_add %a, %c {other_scale = 0.1 : f64, other_zero_point = 3 : i64, output_scale = 0.2 : f64, output_zero_point = 0 : i64, quant_max = 127 : i64, quant_min = 0 : i64, self_scale = 0.1 : f64, self_zero_point = -128 : i64} : (tensor<1x8x6x6xi8>, tensor<1x8x6x6xi8>) -> tensor<1x8x6x6xi8>
  %f = edge.dequantize_per_tensor %sum {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.2 : f64, zero_point = 0 : i64} : (tensor<1x8x6x6xi8>) -> tensor<1x8x6x6xf32>
  %m = edge.mean.dim %f {dim = array<i64: -1, -2>, keepdim = false} : (tensor<1x8x6x6xf32>) -> tensor<1x8xf32>
  return %m : tensor<1x8xf32>
}

// -----

// The end of a chain read by an op that needs NCHW (a view): the permute
// back stays on the int8 tensor, before the dequantize, not moved below it
// onto four times the bytes. With keepdim the mean is channels-last and its
// [N, 1, 1, C] result permuted back.
// CHECK-LABEL: func.func @ends
// CHECK: %[[A:.*]] = edge.quantized_convolution_nhwc
// CHECK-NEXT: %[[P:.*]] = edge.permute %[[A]] {dims = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x8xi8>) -> tensor<1x8x4x4xi8>
// CHECK-NEXT: %[[F:.*]] = edge.dequantize_per_tensor %[[P]] {{.*}} -> tensor<1x8x4x4xf32>
// CHECK-NEXT: %[[V:.*]] = edge.view %[[F]]
// CHECK-NEXT: %[[G:.*]] = edge.dequantize_per_tensor %[[A]] {{.*}} -> tensor<1x4x4x8xf32>
// CHECK-NEXT: %[[M:.*]] = edge.mean.dim %[[G]] {dim = array<i64: 1, 2>, keepdim = true} : (tensor<1x4x4x8xf32>) -> tensor<1x1x1x8xf32>
// CHECK-NEXT: %[[MP:.*]] = edge.permute %[[M]] {dims = array<i64: 0, 3, 1, 2>} : (tensor<1x1x1x8xf32>) -> tensor<1x8x1x1xf32>
// CHECK-NEXT: return %[[V]], %[[MP]]
func.func @ends(%xq: tensor<1x8x4x4xi8>, %w: tensor<8x8x1x1xi8>, %s: tensor<1xf32>) -> (tensor<1x128xf32>, tensor<1x8x1x1xf32>) {
  %none = edge.none
  %a = edge.quantized_convolution %xq, %w, %s, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.1 : f64, input_zero_point = 0 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x8x4x4xi8>, tensor<8x8x1x1xi8>, tensor<1xf32>, none) -> tensor<1x8x4x4xi8>
  %f = edge.dequantize_per_tensor %a {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xf32>
  %v = edge.view %f {size = array<i64: 1, 128>} : (tensor<1x8x4x4xf32>) -> tensor<1x128xf32>
  %g = edge.dequantize_per_tensor %a {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xf32>
  %m = edge.mean.dim %g {dim = array<i64: 2, 3>, keepdim = true} : (tensor<1x8x4x4xf32>) -> tensor<1x8x1x1xf32>
  return %v, %m : tensor<1x128xf32>, tensor<1x8x1x1xf32>
}

// -----

// EfficientNet's squeeze-excitation after its folds: a convolution, the
// silu table, the quantized pool over H and W, a 1x1 convolution and the
// sigmoid table, then the gate's quantized_mul times the map and the
// projection. All of it runs channels-last: the pool over NHWC's dims 1 and
// 2 ([N, 1, 1, C]), the gate [N, 1, 1, C] times [N, H, W, C]; one permute
// in, one out.
// CHECK-LABEL: func.func @squeeze_excite
// CHECK-NEXT: %[[N:.*]] = edge.none
// CHECK-NEXT: %[[T:.*]] = edge.permute %arg0 {dims = array<i64: 0, 2, 3, 1>}
// CHECK-NEXT: %[[C:.*]] = edge.quantized_convolution_nhwc %[[T]], %arg1
// CHECK-NEXT: %[[S:.*]] = edge.quantized_lut %[[C]], %arg3 : (tensor<1x6x6x8xi8>, tensor<256xi8>) -> tensor<1x6x6x8xi8>
// CHECK-NEXT: %[[M:.*]] = edge.quantized_mean %[[S]] {dim = array<i64: 1, 2>, keepdim = true, {{.*}}} : (tensor<1x6x6x8xi8>) -> tensor<1x1x1x8xi8>
// CHECK-NEXT: %[[R:.*]] = edge.quantized_convolution_nhwc %[[M]], %arg1
// CHECK-NEXT: %[[G:.*]] = edge.quantized_lut %[[R]], %arg3 : (tensor<1x1x1x8xi8>, tensor<256xi8>) -> tensor<1x1x1x8xi8>
// CHECK-NEXT: %[[P:.*]] = edge.quantized_mul %[[G]], %[[S]] {{.*}} : (tensor<1x1x1x8xi8>, tensor<1x6x6x8xi8>) -> tensor<1x6x6x8xi8>
// CHECK-NEXT: %[[O:.*]] = edge.quantized_convolution_nhwc %[[P]], %arg1
// CHECK-NEXT: %[[B:.*]] = edge.permute %[[O]] {dims = array<i64: 0, 3, 1, 2>}
// CHECK-NEXT: return %[[B]]
func.func @squeeze_excite(%x: tensor<1x8x6x6xi8>, %w: tensor<8x8x1x1xi8>, %s: tensor<8xf32>, %t: tensor<256xi8>) -> tensor<1x8x6x6xi8> {
  %none = edge.none
  %c = edge.quantized_convolution %x, %w, %s, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.05 : f64, input_zero_point = -3 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x8x6x6xi8>, tensor<8x8x1x1xi8>, tensor<8xf32>, none) -> tensor<1x8x6x6xi8>
  %y = edge.quantized_lut %c, %t : (tensor<1x8x6x6xi8>, tensor<256xi8>) -> tensor<1x8x6x6xi8>
  %m = edge.quantized_mean %y {dim = array<i64: 2, 3>, keepdim = true, output_scale = 0.05 : f64, output_zero_point = -3 : i64, quant_max = 127 : i64, quant_min = -128 : i64, self_scale = 0.05 : f64, self_zero_point = -3 : i64} : (tensor<1x8x6x6xi8>) -> tensor<1x8x1x1xi8>
  %r = edge.quantized_convolution %m, %w, %s, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.05 : f64, input_zero_point = -3 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x8x1x1xi8>, tensor<8x8x1x1xi8>, tensor<8xf32>, none) -> tensor<1x8x1x1xi8>
  %g = edge.quantized_lut %r, %t : (tensor<1x8x1x1xi8>, tensor<256xi8>) -> tensor<1x8x1x1xi8>
  %p = edge.quantized_mul %g, %y {other_scale = 0.05 : f64, other_zero_point = -3 : i64, output_scale = 0.04 : f64, output_zero_point = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, self_scale = 0.00390625 : f64, self_zero_point = -128 : i64} : (tensor<1x8x1x1xi8>, tensor<1x8x6x6xi8>) -> tensor<1x8x6x6xi8>
  %o = edge.quantized_convolution %p, %w, %s, %none {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.04 : f64, input_zero_point = 1 : i64, output_scale = 0.1 : f64, output_zero_point = 0 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x8x6x6xi8>, tensor<8x8x1x1xi8>, tensor<8xf32>, none) -> tensor<1x8x6x6xi8>
  return %o : tensor<1x8x6x6xi8>
}
