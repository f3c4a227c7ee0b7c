// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-quantized-mul))' | FileCheck %s

// A squeeze-excitation gate [1, C, 1, 1] times its feature map, both int8:
// one quantized_mul on the two int8 tensors with their own parameters; the
// dequantizes, the product and the quantize go.
// CHECK-LABEL: func.func @gate
// CHECK-NEXT: %[[Y:.*]] = edge.quantized_mul %arg0, %arg1 {other_scale = 4.000000e-02 : f64, other_zero_point = -120 : i64, output_scale = 2.000000e-02 : f64, output_zero_point = -118 : i64, quant_max = 127 : i64, quant_min = -128 : i64, self_scale = 3.906250e-03 : f64, self_zero_point = -128 : i64} : (tensor<1x8x1x1xi8>, tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xi8>
// CHECK-NEXT: return %[[Y]]
func.func @gate(%gq: tensor<1x8x1x1xi8>, %xq: tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xi8> {
  %gf = edge.dequantize_per_tensor %gq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.00390625 : f64, zero_point = -128 : i64} : (tensor<1x8x1x1xi8>) -> tensor<1x8x1x1xf32>
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.04 : f64, zero_point = -120 : i64} : (tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xf32>
  %p = edge.mul.Tensor %gf, %xf : (tensor<1x8x1x1xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %y = edge.quantize_per_tensor %p {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.02 : f64, zero_point = -118 : i64} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xi8>
  return %y : tensor<1x8x4x4xi8>
}

// -----

// uint8 operands with a relu: quant_min rises to the output zero point; a
// dequantize also read by another op (the feature map's mean) stays for it.
// CHECK-LABEL: func.func @relu_shared_dequantize
// CHECK: %[[X:.*]] = edge.dequantize_per_tensor %arg1
// CHECK: %[[M:.*]] = edge.mean.dim %[[X]]
// CHECK: %[[Y:.*]] = edge.quantized_mul %arg0, %arg1 {{{.*}}quant_max = 255 : i64, quant_min = 10 : i64{{.*}}} : (tensor<3xui8>, tensor<2x3xui8>) -> tensor<2x3xui8>
// CHECK-NOT: edge.mul.Tensor
// CHECK: return %[[Y]], %[[M]]
func.func @relu_shared_dequantize(%gq: tensor<3xui8>, %xq: tensor<2x3xui8>) -> (tensor<2x3xui8>, tensor<3xf32>) {
  %gf = edge.dequantize_per_tensor %gq {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.1 : f64, zero_point = 128 : i64} : (tensor<3xui8>) -> tensor<3xf32>
  %xf = edge.dequantize_per_tensor %xq {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.2 : f64, zero_point = 100 : i64} : (tensor<2x3xui8>) -> tensor<2x3xf32>
  %m = edge.mean.dim %xf {dim = array<i64: 0>, keepdim = false} : (tensor<2x3xf32>) -> tensor<3xf32>
  %p = edge.mul.Tensor %gf, %xf : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %r = edge.relu %p : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = edge.quantize_per_tensor %r {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.3 : f64, zero_point = 10 : i64} : (tensor<2x3xf32>) -> tensor<2x3xui8>
  return %y, %m : tensor<2x3xui8>, tensor<3xf32>
}

// -----

// Refusal: a product of a dequantized tensor and a float one stays, with
// the reason; a silu (x times its own sigmoid) is not this pass's.
// CHECK-LABEL: func.func @refusal
// CHECK: edge.mul.Tensor {{.*}}edge.refused = {quantizer = "operand 2: {{.*}}"}
// CHECK: edge.sigmoid
// CHECK: edge.mul.Tensor {{.*}}edge.refused
// CHECK-NOT: edge.quantized_mul
func.func @refusal(%xq: tensor<4xi8>, %f: tensor<4xf32>) -> (tensor<4xi8>, tensor<4xi8>) {
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<4xi8>) -> tensor<4xf32>
  %p = edge.mul.Tensor %xf, %f : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %y = edge.quantize_per_tensor %p {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.03 : f64, zero_point = 0 : i64} : (tensor<4xf32>) -> tensor<4xi8>
  %s = edge.sigmoid %xf : (tensor<4xf32>) -> tensor<4xf32>
  %q = edge.mul.Tensor %xf, %s : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %z = edge.quantize_per_tensor %q {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.03 : f64, zero_point = 0 : i64} : (tensor<4xf32>) -> tensor<4xi8>
  return %y, %z : tensor<4xi8>, tensor<4xi8>
}
