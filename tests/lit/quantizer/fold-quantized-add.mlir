// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-quantized-add))' | FileCheck %s

// A residual add with its relu: one quantized_add on the two int8 tensors,
// each with its own parameters; the relu raises quant_min to the output
// zero point; the dequantizes go.
// CHECK-LABEL: func.func @residual_relu
// CHECK-NEXT: %[[Y:.*]] = edge.quantized_add %arg0, %arg1 {other_scale = 7.000000e-03 : f64, other_zero_point = -128 : i64, output_scale = 1.100000e-02 : f64, output_zero_point = -48 : i64, quant_max = 127 : i64, quant_min = -48 : i64, self_scale = 6.000000e-03 : f64, self_zero_point = 22 : i64} : (tensor<1x8x4x4xi8>, tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xi8>
// CHECK-NEXT: return %[[Y]]
func.func @residual_relu(%aq: tensor<1x8x4x4xi8>, %bq: tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xi8> {
  %af = edge.dequantize_per_tensor %aq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.006 : f64, zero_point = 22 : i64} : (tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xf32>
  %bf = edge.dequantize_per_tensor %bq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.007 : f64, zero_point = -128 : i64} : (tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xf32>
  %s = edge.add.Tensor %af, %bf {alpha = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %r = edge.relu %s : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %y = edge.quantize_per_tensor %r {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.011 : f64, zero_point = -48 : i64} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xi8>
  return %y : tensor<1x8x4x4xi8>
}

// -----

// Broadcasting uint8 operands, no activation; a dequantize read by the add
// and by another op stays for that op.
// CHECK-LABEL: func.func @broadcast_uint8
// CHECK: %[[A:.*]] = edge.dequantize_per_tensor %arg0
// CHECK: %[[Y:.*]] = edge.quantized_add %arg0, %arg1 {{{.*}}quant_max = 255 : i64, quant_min = 0 : i64{{.*}}} : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xui8>
// CHECK: return %[[Y]], %[[A]]
func.func @broadcast_uint8(%aq: tensor<2x3xui8>, %bq: tensor<3xui8>) -> (tensor<2x3xui8>, tensor<2x3xf32>) {
  %af = edge.dequantize_per_tensor %aq {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.1 : f64, zero_point = 128 : i64} : (tensor<2x3xui8>) -> tensor<2x3xf32>
  %bf = edge.dequantize_per_tensor %bq {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.2 : f64, zero_point = 100 : i64} : (tensor<3xui8>) -> tensor<3xf32>
  %s = edge.add.Tensor %af, %bf {alpha = 1 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %y = edge.quantize_per_tensor %s {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.3 : f64, zero_point = 120 : i64} : (tensor<2x3xf32>) -> tensor<2x3xui8>
  return %y, %af : tensor<2x3xui8>, tensor<2x3xf32>
}

// -----

// Refusals, recorded on the add: alpha 2; an operand that is not
// dequantized (a float constant); an operand dequantized at run time
// (dynamic parameters); a float result also read by another op. A float add
// outside quantized regions is not marked.
// CHECK-LABEL: func.func @refusals
// CHECK: edge.add.Tensor {{.*}}edge.refused = {quantizer = "alpha is not 1"}
// CHECK: edge.add.Tensor {{.*}}edge.refused = {quantizer = "operand 2: the input is not dequantized"}
// CHECK: edge.add.Tensor {{.*}}edge.refused = {quantizer = "operand 2: the input is not dequantized per tensor with literal parameters"}
// CHECK: edge.add.Tensor {{.*}}edge.refused = {quantizer = "its float result is also read by other ops"}
// CHECK: edge.add.Tensor %arg1, %arg1 {alpha = 1 : i64} :
// CHECK-NOT: edge.quantized_add
func.func @refusals(%aq: tensor<4xi8>, %x: tensor<4xf32>, %sc: tensor<1xf64>, %zp: tensor<1xi64>) -> (tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xf32>, tensor<4xf32>) {
  %c = edge.constant {name = "c"} dense<1.0> : tensor<4xf32>
  %af = edge.dequantize_per_tensor %aq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<4xi8>) -> tensor<4xf32>
  %s0 = edge.add.Tensor %af, %af {alpha = 2 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %y0 = edge.quantize_per_tensor %s0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<4xf32>) -> tensor<4xi8>
  %s1 = edge.add.Tensor %af, %c {alpha = 1 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %y1 = edge.quantize_per_tensor %s1 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<4xf32>) -> tensor<4xi8>
  %df = edge.dequantize_per_tensor.tensor %aq, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4xi8>, tensor<1xf64>, tensor<1xi64>) -> tensor<4xf32>
  %s2 = edge.add.Tensor %af, %df {alpha = 1 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %y2 = edge.quantize_per_tensor %s2 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<4xf32>) -> tensor<4xi8>
  %s3 = edge.add.Tensor %af, %af {alpha = 1 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %y3 = edge.quantize_per_tensor %s3 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<4xf32>) -> tensor<4xi8>
  %f = edge.add.Tensor %x, %x {alpha = 1 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y0, %y1, %y2, %y3, %s3, %f : tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xf32>, tensor<4xf32>
}
