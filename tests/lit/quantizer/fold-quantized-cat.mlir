// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-quantized-cat))' | FileCheck %s

// Two conv branches on one shared scale (what PT2E's quantizers give a
// cat): one quantized_cat on the int8 tensors, the dim normalised, the
// dequantizes and the quantize gone.
// CHECK-LABEL: func.func @shared_scale
// CHECK-NEXT: %[[Y:.*]] = edge.quantized_cat %arg0, %arg1 {dim = 1 : i64, output_scale = 1.550000e-02 : f64, output_zero_point = -3 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scales = array<f64: 1.550000e-02, 1.550000e-02>, zero_points = array<i64: -3, -3>} : (tensor<1x4x6x6xi8>, tensor<1x6x6x6xi8>) -> tensor<1x10x6x6xi8>
// CHECK-NEXT: return %[[Y]]
func.func @shared_scale(%aq: tensor<1x4x6x6xi8>, %bq: tensor<1x6x6x6xi8>) -> tensor<1x10x6x6xi8> {
  %af = edge.dequantize_per_tensor %aq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.0155 : f64, zero_point = -3 : i64} : (tensor<1x4x6x6xi8>) -> tensor<1x4x6x6xf32>
  %bf = edge.dequantize_per_tensor %bq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.0155 : f64, zero_point = -3 : i64} : (tensor<1x6x6x6xi8>) -> tensor<1x6x6x6xf32>
  %c = edge.cat %af, %bf {dim = -3 : i64} : (tensor<1x4x6x6xf32>, tensor<1x6x6x6xf32>) -> tensor<1x10x6x6xf32>
  %y = edge.quantize_per_tensor %c {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.0155 : f64, zero_point = -3 : i64} : (tensor<1x10x6x6xf32>) -> tensor<1x10x6x6xi8>
  return %y : tensor<1x10x6x6xi8>
}

// -----

// Three uint8 inputs each on its own scale, then a relu: each input keeps
// its parameters (the kernel requantizes), the relu raises quant_min to the
// output zero point; a dequantize also read elsewhere stays for that reader.
// CHECK-LABEL: func.func @own_scales_relu
// CHECK: %[[A:.*]] = edge.dequantize_per_tensor %arg0
// CHECK: %[[Y:.*]] = edge.quantized_cat %arg0, %arg1, %arg0 {dim = 0 : i64, output_scale = 3.000000e-01 : f64, output_zero_point = 120 : i64, quant_max = 255 : i64, quant_min = 120 : i64, scales = array<f64: 1.000000e-01, 2.000000e-01, 1.000000e-01>, zero_points = array<i64: 128, 100, 128>} : (tensor<2x3xui8>, tensor<1x3xui8>, tensor<2x3xui8>) -> tensor<5x3xui8>
// CHECK-NOT: edge.cat
// CHECK: return %[[Y]], %[[A]]
func.func @own_scales_relu(%aq: tensor<2x3xui8>, %bq: tensor<1x3xui8>) -> (tensor<5x3xui8>, tensor<2x3xf32>) {
  %af = edge.dequantize_per_tensor %aq {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.1 : f64, zero_point = 128 : i64} : (tensor<2x3xui8>) -> tensor<2x3xf32>
  %bf = edge.dequantize_per_tensor %bq {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.2 : f64, zero_point = 100 : i64} : (tensor<1x3xui8>) -> tensor<1x3xf32>
  %c = edge.cat %af, %bf, %af {dim = 0 : i64} : (tensor<2x3xf32>, tensor<1x3xf32>, tensor<2x3xf32>) -> tensor<5x3xf32>
  %r = edge.relu %c : (tensor<5x3xf32>) -> tensor<5x3xf32>
  %y = edge.quantize_per_tensor %r {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.3 : f64, zero_point = 120 : i64} : (tensor<5x3xf32>) -> tensor<5x3xui8>
  return %y, %af : tensor<5x3xui8>, tensor<2x3xf32>
}

// -----

// Refusals, recorded on the cat: an input that is not dequantized (a float
// constant); int8 and uint8 inputs of one cat; a float result also read by
// another op. A float cat outside quantized regions is not marked.
// CHECK-LABEL: func.func @refusals
// CHECK: edge.cat {{.*}}edge.refused = {quantizer = "tensor 2: the input is not dequantized"}
// CHECK: edge.cat {{.*}}edge.refused = {quantizer = "tensor 2 is quantized to another type than the result"}
// CHECK: edge.cat {{.*}}edge.refused = {quantizer = "its float result is also read by other ops"}
// CHECK: edge.cat %arg2, %arg2 {dim = 0 : i64} :
// CHECK-NOT: edge.quantized_cat
func.func @refusals(%aq: tensor<4xi8>, %uq: tensor<4xui8>, %x: tensor<4xf32>) -> (tensor<8xi8>, tensor<8xi8>, tensor<8xi8>, tensor<8xf32>, tensor<8xf32>) {
  %k = edge.constant {name = "k"} dense<1.0> : tensor<4xf32>
  %af = edge.dequantize_per_tensor %aq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<4xi8>) -> tensor<4xf32>
  %uf = edge.dequantize_per_tensor %uq {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.1 : f64, zero_point = 128 : i64} : (tensor<4xui8>) -> tensor<4xf32>
  %c0 = edge.cat %af, %k {dim = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
  %y0 = edge.quantize_per_tensor %c0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<8xf32>) -> tensor<8xi8>
  %c1 = edge.cat %af, %uf {dim = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
  %y1 = edge.quantize_per_tensor %c1 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<8xf32>) -> tensor<8xi8>
  %c2 = edge.cat %af, %af {dim = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
  %y2 = edge.quantize_per_tensor %c2 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<8xf32>) -> tensor<8xi8>
  %f = edge.cat %x, %x {dim = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
  return %y0, %y1, %y2, %c2, %f : tensor<8xi8>, tensor<8xi8>, tensor<8xi8>, tensor<8xf32>, tensor<8xf32>
}
