// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-report-unfolded-quantized))' | FileCheck %s

// Ops between a dequantize and a quantize that no fold took: a pooling, a
// view, an activation quantized on its own (through a relu too). Each says
// why it runs in float.
// CHECK-LABEL: func.func @between_dequantize_and_quantize
// CHECK: edge.mean.dim {{.*}}edge.refused = {quantizer = "no quantized kernel for edge.mean.dim: runs in float between dequantize and quantize"}
// CHECK: edge.view {{.*}}edge.refused = {quantizer = "no quantized kernel for edge.view: runs in float between dequantize and quantize"}
// CHECK: edge.sigmoid {{.*}}edge.refused = {quantizer = "no quantized kernel for edge.sigmoid: runs in float between dequantize and quantize"}
// CHECK: edge.relu %{{[^ ]*}} :
func.func @between_dequantize_and_quantize(%xq: tensor<1x8x2x2xi8>) -> (tensor<1x8xi8>, tensor<1x8x2x2xi8>) {
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x8x2x2xi8>) -> tensor<1x8x2x2xf32>
  %m = edge.mean.dim %xf {dim = array<i64: -1, -2>, keepdim = true} : (tensor<1x8x2x2xf32>) -> tensor<1x8x1x1xf32>
  %mq = edge.quantize_per_tensor %m {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xi8>
  %mf = edge.dequantize_per_tensor %mq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x8x1x1xi8>) -> tensor<1x8x1x1xf32>
  %v = edge.view %mf {size = array<i64: 1, 8>} : (tensor<1x8x1x1xf32>) -> tensor<1x8xf32>
  %vq = edge.quantize_per_tensor %v {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x8xf32>) -> tensor<1x8xi8>
  %s = edge.sigmoid %xf : (tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  %r = edge.relu %s : (tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  %sq = edge.quantize_per_tensor %r {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xi8>
  return %vq, %sq : tensor<1x8xi8>, tensor<1x8x2x2xi8>
}

// -----

// Not marked: a float op after the last dequantize (its result is not
// quantized), a float op before the first quantize (it reads no
// dequantized tensor), and an op a fold pass already explained (its reason
// is kept).
// CHECK-LABEL: func.func @not_between
// CHECK: edge._softmax
// CHECK-NOT: no quantized kernel for edge._softmax
// CHECK: edge.tanh
// CHECK-NOT: no quantized kernel for edge.tanh
// CHECK: edge.add.Tensor {{.*}}edge.refused = {quantizer = "alpha is not 1"}
func.func @not_between(%xq: tensor<2x4xi8>, %x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xi8>, tensor<2x4xi8>) {
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<2x4xi8>) -> tensor<2x4xf32>
  %sm = edge._softmax %xf {dim = -1 : i64, half_to_float = false} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %t = edge.tanh %x : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %tq = edge.quantize_per_tensor %t {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<2x4xf32>) -> tensor<2x4xi8>
  %a = edge.add.Tensor %xf, %xf {alpha = 2 : i64, edge.refused = {quantizer = "alpha is not 1"}} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %aq = edge.quantize_per_tensor %a {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<2x4xf32>) -> tensor<2x4xi8>
  return %sm, %tq, %aq : tensor<2x4xf32>, tensor<2x4xi8>, tensor<2x4xi8>
}
