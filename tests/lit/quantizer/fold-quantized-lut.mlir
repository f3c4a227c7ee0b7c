// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-quantized-lut))' | FileCheck %s

// A silu quantized on its own: one table lookup on the int8 input, the
// table an int8 constant of 256 entries; the dequantize, the silu and the
// quantize go. A uint8 sigmoid with a relu after it: a uint8 table.
// CHECK-LABEL: func.func @silu
// CHECK-NEXT: %[[T:.*]] = edge.constant {name = "silu.table"} {{.*}} : tensor<256xi8>
// CHECK-NEXT: %[[Y:.*]] = edge.quantized_lut %arg0, %[[T]] : (tensor<1x8x4x4xi8>, tensor<256xi8>) -> tensor<1x8x4x4xi8>
// CHECK-NEXT: return %[[Y]]
func.func @silu(%xq: tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xi8> {
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 3 : i64} : (tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xf32>
  %s = edge.silu %xf : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %y = edge.quantize_per_tensor %s {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.03 : f64, zero_point = -100 : i64} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xi8>
  return %y : tensor<1x8x4x4xi8>
}

// -----

// CHECK-LABEL: func.func @sigmoid_uint8
// CHECK-NEXT: %[[T:.*]] = edge.constant {name = "sigmoid.table"} {{.*}} : tensor<256xui8>
// CHECK-NEXT: %[[Y:.*]] = edge.quantized_lut %arg0, %[[T]] : (tensor<2x3xui8>, tensor<256xui8>) -> tensor<2x3xui8>
func.func @sigmoid_uint8(%xq: tensor<2x3xui8>) -> tensor<2x3xui8> {
  %xf = edge.dequantize_per_tensor %xq {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.1 : f64, zero_point = 128 : i64} : (tensor<2x3xui8>) -> tensor<2x3xf32>
  %s = edge.sigmoid %xf : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %r = edge.relu %s : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = edge.quantize_per_tensor %r {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.004 : f64, zero_point = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xui8>
  return %y : tensor<2x3xui8>
}

// -----

// Refusal: a silu whose float result is also read by another op stays, and
// says why; a silu whose result is not quantized is not a candidate.
// CHECK-LABEL: func.func @refusal
// CHECK: edge.silu {{.*}}edge.refused = {quantizer = "its float result is also read by other ops"}
// CHECK: edge.silu %{{.*}} : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NOT: edge.quantized_lut
func.func @refusal(%xq: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xf32>, tensor<4xf32>) {
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<4xi8>) -> tensor<4xf32>
  %s = edge.silu %xf : (tensor<4xf32>) -> tensor<4xf32>
  %y = edge.quantize_per_tensor %s {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.03 : f64, zero_point = 0 : i64} : (tensor<4xf32>) -> tensor<4xi8>
  %t = edge.silu %xf : (tensor<4xf32>) -> tensor<4xf32>
  return %y, %s, %t : tensor<4xi8>, tensor<4xf32>, tensor<4xf32>
}

// -----

// silu as torch.export leaves it, mul(x, sigmoid(x)) in either order: the
// same table lookup; the sigmoid and the product go with the dequantize.
// (The table's values are checked against eager PyTorch in
// tests/python/test_quantized_models.py.)
// CHECK-LABEL: func.func @silu_product
// CHECK-NEXT: %[[T:.*]] = edge.constant {name = "silu.table"} {{.*}} : tensor<256xi8>
// CHECK-NEXT: %[[Y:.*]] = edge.quantized_lut %arg0, %[[T]] : (tensor<1x4x2x2xi8>, tensor<256xi8>) -> tensor<1x4x2x2xi8>
// CHECK-NEXT: %[[T2:.*]] = edge.constant {name = "silu.table"} {{.*}} : tensor<256xi8>
// CHECK-NEXT: %[[Z:.*]] = edge.quantized_lut %arg0, %[[T2]] : (tensor<1x4x2x2xi8>, tensor<256xi8>) -> tensor<1x4x2x2xi8>
// CHECK-NEXT: return %[[Y]], %[[Z]]
func.func @silu_product(%xq: tensor<1x4x2x2xi8>) -> (tensor<1x4x2x2xi8>, tensor<1x4x2x2xi8>) {
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.5 : f64, zero_point = 0 : i64} : (tensor<1x4x2x2xi8>) -> tensor<1x4x2x2xf32>
  %s = edge.sigmoid %xf : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  %p = edge.mul.Tensor %xf, %s : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  %y = edge.quantize_per_tensor %p {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xi8>
  %s2 = edge.sigmoid %xf : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  %p2 = edge.mul.Tensor %s2, %xf : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  %z = edge.quantize_per_tensor %p2 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xi8>
  return %y, %z : tensor<1x4x2x2xi8>, tensor<1x4x2x2xi8>
}

// -----

// Not a silu: the sigmoid of one tensor times another, or a sigmoid also
// read elsewhere; nothing is tabulated.
// CHECK-LABEL: func.func @not_silu
// CHECK-NOT: edge.quantized_lut
// CHECK: edge.mul.Tensor
// CHECK: edge.mul.Tensor
// CHECK-NOT: edge.quantized_lut
func.func @not_silu(%xq: tensor<4xi8>, %wq: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi8>, tensor<4xf32>) {
  %xf = edge.dequantize_per_tensor %xq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.5 : f64, zero_point = 0 : i64} : (tensor<4xi8>) -> tensor<4xf32>
  %wf = edge.dequantize_per_tensor %wq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.5 : f64, zero_point = 0 : i64} : (tensor<4xi8>) -> tensor<4xf32>
  %s = edge.sigmoid %wf : (tensor<4xf32>) -> tensor<4xf32>
  %p = edge.mul.Tensor %xf, %s : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %y = edge.quantize_per_tensor %p {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<4xf32>) -> tensor<4xi8>
  %t = edge.sigmoid %xf : (tensor<4xf32>) -> tensor<4xf32>
  %q = edge.mul.Tensor %xf, %t : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %z = edge.quantize_per_tensor %q {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.05 : f64, zero_point = 0 : i64} : (tensor<4xf32>) -> tensor<4xi8>
  return %y, %z, %t : tensor<4xi8>, tensor<4xi8>, tensor<4xf32>
}
