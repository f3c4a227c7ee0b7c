// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-quantized-max-pool))' | FileCheck %s

// A PT2E max pool (one scale and zero point on both sides): the int8 pool,
// channels-last between two permutes; the dequantize, the float pool and
// the quantize go.
// CHECK-LABEL: func.func @pool
// CHECK-NEXT: %[[T:.*]] = edge.permute %arg0 {dims = array<i64: 0, 2, 3, 1>} : (tensor<1x8x6x6xi8>) -> tensor<1x6x6x8xi8>
// CHECK-NEXT: %[[P:.*]] = edge.quantized_max_pool2d_nhwc %[[T]] {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 3, 3>, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x6x6x8xi8>) -> tensor<1x3x3x8xi8>
// CHECK-NEXT: %[[Y:.*]] = edge.permute %[[P]] {dims = array<i64: 0, 3, 1, 2>} : (tensor<1x3x3x8xi8>) -> tensor<1x8x3x3xi8>
// CHECK-NEXT: return %[[Y]]
func.func @pool(%xq: tensor<1x8x6x6xi8>) -> tensor<1x8x3x3xi8> {
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = -3 : i64} : (tensor<1x8x6x6xi8>) -> tensor<1x8x6x6xf32>
  %p:2 = edge.max_pool2d_with_indices %xf {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 3, 3>, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x8x6x6xf32>) -> (tensor<1x8x3x3xf32>, tensor<1x8x3x3xi64>)
  %y = edge.quantize_per_tensor %p#0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = -3 : i64} : (tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xi8>
  return %y : tensor<1x8x3x3xi8>
}

// -----

// Refusals, recorded on the pool: a requantizing pool (another scale), a
// narrower quantize range, used indices.
// CHECK-LABEL: func.func @refusals
// CHECK: edge.max_pool2d_with_indices {{.*}}edge.refused = {quantizer = "it is requantized (the quantize's type, scale or zero point differ from the input's)"}
// CHECK: edge.max_pool2d_with_indices {{.*}}edge.refused = {quantizer = "the quantize clamps to a narrower range than its type"}
// CHECK: edge.max_pool2d_with_indices {{.*}}edge.refused = {quantizer = "its indices are used"}
// CHECK-NOT: edge.quantized_max_pool2d_nhwc
func.func @refusals(%xq: tensor<1x2x4x4xi8>) -> (tensor<1x2x2x2xi8>, tensor<1x2x2x2xi8>, tensor<1x2x2x2xi8>, tensor<1x2x2x2xi64>) {
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xf32>
  %p:2 = edge.max_pool2d_with_indices %xf {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xi64>)
  %y0 = edge.quantize_per_tensor %p#0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi8>
  %q:2 = edge.max_pool2d_with_indices %xf {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xi64>)
  %y1 = edge.quantize_per_tensor %q#0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = 0 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi8>
  %r:2 = edge.max_pool2d_with_indices %xf {ceil_mode = false, dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xi64>)
  %y2 = edge.quantize_per_tensor %r#0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi8>
  return %y0, %y1, %y2, %r#1 : tensor<1x2x2x2xi8>, tensor<1x2x2x2xi8>, tensor<1x2x2x2xi8>, tensor<1x2x2x2xi64>
}
