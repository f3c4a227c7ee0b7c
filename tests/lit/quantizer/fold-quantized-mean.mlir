// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-quantized-mean))' | FileCheck %s

// A squeeze-excitation pool: the mean over H and W of a dequantized int8
// map, quantized again: one quantized_mean on the int8 map, its dims and
// keepdim kept; the dequantize, the mean and the quantize go.
// CHECK-LABEL: func.func @pool
// CHECK-NEXT: %[[Y:.*]] = edge.quantized_mean %arg0 {dim = array<i64: 2, 3>, keepdim = true, output_scale = 4.000000e-02 : f64, output_zero_point = -120 : i64, quant_max = 127 : i64, quant_min = -128 : i64, self_scale = 4.000000e-02 : f64, self_zero_point = -120 : i64} : (tensor<1x8x4x4xi8>) -> tensor<1x8x1x1xi8>
// CHECK-NEXT: return %[[Y]]
func.func @pool(%xq: tensor<1x8x4x4xi8>) -> tensor<1x8x1x1xi8> {
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.04 : f64, zero_point = -120 : i64} : (tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xf32>
  %m = edge.mean.dim %xf {dim = array<i64: 2, 3>, keepdim = true} : (tensor<1x8x4x4xf32>) -> tensor<1x8x1x1xf32>
  %y = edge.quantize_per_tensor %m {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.04 : f64, zero_point = -120 : i64} : (tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xi8>
  return %y : tensor<1x8x1x1xi8>
}

// -----

// uint8, no keepdim, new output parameters and a relu; the dequantize is
// also read by another op and stays for it.
// CHECK-LABEL: func.func @uint8_relu
// CHECK: %[[F:.*]] = edge.dequantize_per_tensor %arg0
// CHECK: %[[Y:.*]] = edge.quantized_mean %arg0 {dim = array<i64: -1>, keepdim = false, output_scale = 2.000000e-02 : f64, output_zero_point = 7 : i64, quant_max = 255 : i64, quant_min = 7 : i64, {{.*}}} : (tensor<2x5xui8>) -> tensor<2xui8>
// CHECK-NOT: edge.mean.dim
// CHECK: return %[[Y]], %[[F]]
func.func @uint8_relu(%xq: tensor<2x5xui8>) -> (tensor<2xui8>, tensor<2x5xf32>) {
  %xf = edge.dequantize_per_tensor %xq {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.1 : f64, zero_point = 128 : i64} : (tensor<2x5xui8>) -> tensor<2x5xf32>
  %m = edge.mean.dim %xf {dim = array<i64: -1>, keepdim = false} : (tensor<2x5xf32>) -> tensor<2xf32>
  %r = edge.relu %m : (tensor<2xf32>) -> tensor<2xf32>
  %y = edge.quantize_per_tensor %r {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.02 : f64, zero_point = 7 : i64} : (tensor<2xf32>) -> tensor<2xui8>
  return %y, %xf : tensor<2xui8>, tensor<2x5xf32>
}

// -----

// Refusals, each with its reason: a mean quantized to another type, a mean
// over every dim; a mean whose result is not quantized is not a candidate.
// CHECK-LABEL: func.func @refusals
// CHECK: edge.mean.dim {{.*}}edge.refused = {quantizer = "its quantized result's type is not its input's"}
// CHECK: edge.mean.dim {{.*}}edge.refused = {quantizer = "a mean over every dim (no dim list)"}
// CHECK: edge.mean.dim %{{.*}} {dim = array<i64: 0>, keepdim = false} :
// CHECK-NOT: edge.quantized_mean
func.func @refusals(%xq: tensor<4x6xi8>) -> (tensor<6xui8>, tensor<i8>, tensor<6xf32>) {
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<4x6xi8>) -> tensor<4x6xf32>
  %m = edge.mean.dim %xf {dim = array<i64: 0>, keepdim = false} : (tensor<4x6xf32>) -> tensor<6xf32>
  %y = edge.quantize_per_tensor %m {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.05 : f64, zero_point = 128 : i64} : (tensor<6xf32>) -> tensor<6xui8>
  %a = edge.mean.dim %xf {keepdim = false} : (tensor<4x6xf32>) -> tensor<f32>
  %z = edge.quantize_per_tensor %a {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<f32>) -> tensor<i8>
  %n = edge.mean.dim %xf {dim = array<i64: 0>, keepdim = false} : (tensor<4x6xf32>) -> tensor<6xf32>
  return %y, %z, %n : tensor<6xui8>, tensor<i8>, tensor<6xf32>
}
