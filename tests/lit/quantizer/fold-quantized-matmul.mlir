// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-quantized-matmul))' | FileCheck %s

// Q @ K^T as torch.export writes a 3-d matmul: expand and view of each
// operand and a view of the result, all keeping the shape. One
// quantized_matmul on the int8 operands; the no-op views and expands go.
// CHECK-LABEL: func.func @attention_scores
// CHECK-NEXT: %[[Y:.*]] = edge.quantized_matmul %arg0, %arg1 {other_scale = 1.280000e-02 : f64, other_zero_point = -1 : i64, output_scale = 2.240000e-02 : f64, output_zero_point = -14 : i64, quant_max = 127 : i64, quant_min = -128 : i64, self_scale = 1.290000e-02 : f64, self_zero_point = -23 : i64} : (tensor<2x5x16xi8>, tensor<2x16x5xi8>) -> tensor<2x5x5xi8>
// CHECK-NEXT: return %[[Y]]
func.func @attention_scores(%qq: tensor<2x5x16xi8>, %kq: tensor<2x16x5xi8>) -> tensor<2x5x5xi8> {
  %qf = edge.dequantize_per_tensor %qq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.0129 : f64, zero_point = -23 : i64} : (tensor<2x5x16xi8>) -> tensor<2x5x16xf32>
  %kf = edge.dequantize_per_tensor %kq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.0128 : f64, zero_point = -1 : i64} : (tensor<2x16x5xi8>) -> tensor<2x16x5xf32>
  %qe = edge.expand %qf {implicit = false, size = array<i64: 2, 5, 16>} : (tensor<2x5x16xf32>) -> tensor<2x5x16xf32>
  %qv = edge.view %qe {size = array<i64: 2, 5, 16>} : (tensor<2x5x16xf32>) -> tensor<2x5x16xf32>
  %ke = edge.expand %kf {implicit = false, size = array<i64: 2, 16, 5>} : (tensor<2x16x5xf32>) -> tensor<2x16x5xf32>
  %kv = edge.view %ke {size = array<i64: 2, 16, 5>} : (tensor<2x16x5xf32>) -> tensor<2x16x5xf32>
  %s = edge.bmm %qv, %kv : (tensor<2x5x16xf32>, tensor<2x16x5xf32>) -> tensor<2x5x5xf32>
  %sv = edge.view %s {size = array<i64: 2, 5, 5>} : (tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %y = edge.quantize_per_tensor %sv {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.0224 : f64, zero_point = -14 : i64} : (tensor<2x5x5xf32>) -> tensor<2x5x5xi8>
  return %y : tensor<2x5x5xi8>
}

// -----

// Multi-head [B, H, S, D] operands: the views that merge and split the
// leading dims (and an expand that broadcasts) move onto the int8 tensors;
// the contiguous clone torch.export puts before a view goes.
// CHECK-LABEL: func.func @heads
// CHECK-NOT: edge.dequantize_per_tensor
// CHECK-NOT: edge.clone
// CHECK: %[[A:.*]] = edge.view %arg0 {size = array<i64: 2, 4, 8>} : (tensor<1x2x4x8xui8>) -> tensor<2x4x8xui8>
// CHECK: %[[E:.*]] = edge.expand %arg1 {{.*}} : (tensor<1x1x8x3xui8>) -> tensor<1x2x8x3xui8>
// CHECK: %[[B:.*]] = edge.view %[[E]] {size = array<i64: 2, 8, 3>} : (tensor<1x2x8x3xui8>) -> tensor<2x8x3xui8>
// CHECK: %[[P:.*]] = edge.quantized_matmul %[[A]], %[[B]] {{.*}}quant_max = 255 : i64, quant_min = 0 : i64{{.*}} : (tensor<2x4x8xui8>, tensor<2x8x3xui8>) -> tensor<2x4x3xui8>
// CHECK: %[[Y:.*]] = edge.view %[[P]] {size = array<i64: 1, 2, 4, 3>} : (tensor<2x4x3xui8>) -> tensor<1x2x4x3xui8>
// CHECK-NOT: edge.bmm
// CHECK: return %[[Y]]
func.func @heads(%aq: tensor<1x2x4x8xui8>, %bq: tensor<1x1x8x3xui8>) -> tensor<1x2x4x3xui8> {
  %af = edge.dequantize_per_tensor %aq {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.1 : f64, zero_point = 128 : i64} : (tensor<1x2x4x8xui8>) -> tensor<1x2x4x8xf32>
  %bf = edge.dequantize_per_tensor %bq {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.2 : f64, zero_point = 100 : i64} : (tensor<1x1x8x3xui8>) -> tensor<1x1x8x3xf32>
  %be = edge.expand %bf {implicit = false, size = array<i64: 1, 2, 8, 3>} : (tensor<1x1x8x3xf32>) -> tensor<1x2x8x3xf32>
  %bc = edge.clone %be {memory_format = 0 : i64} : (tensor<1x2x8x3xf32>) -> tensor<1x2x8x3xf32>
  %av = edge.view %af {size = array<i64: 2, 4, 8>} : (tensor<1x2x4x8xf32>) -> tensor<2x4x8xf32>
  %bv = edge.view %bc {size = array<i64: 2, 8, 3>} : (tensor<1x2x8x3xf32>) -> tensor<2x8x3xf32>
  %p = edge.bmm %av, %bv : (tensor<2x4x8xf32>, tensor<2x8x3xf32>) -> tensor<2x4x3xf32>
  %pv = edge.view %p {size = array<i64: 1, 2, 4, 3>} : (tensor<2x4x3xf32>) -> tensor<1x2x4x3xf32>
  %y = edge.quantize_per_tensor %pv {dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64, scale = 0.3 : f64, zero_point = 120 : i64} : (tensor<1x2x4x3xf32>) -> tensor<1x2x4x3xui8>
  return %y : tensor<1x2x4x3xui8>
}

// -----

// A 2-d mm of two activations with a relu before the quantize: the relu
// raises quant_min to the output zero point.
// CHECK-LABEL: func.func @mm_relu
// CHECK-NEXT: %[[Y:.*]] = edge.quantized_matmul %arg0, %arg1 {{{.*}}quant_max = 127 : i64, quant_min = 5 : i64{{.*}}} : (tensor<3x4xi8>, tensor<4x2xi8>) -> tensor<3x2xi8>
// CHECK-NEXT: return %[[Y]]
func.func @mm_relu(%aq: tensor<3x4xi8>, %bq: tensor<4x2xi8>) -> tensor<3x2xi8> {
  %af = edge.dequantize_per_tensor %aq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 3 : i64} : (tensor<3x4xi8>) -> tensor<3x4xf32>
  %bf = edge.dequantize_per_tensor %bq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.2 : f64, zero_point = -4 : i64} : (tensor<4x2xi8>) -> tensor<4x2xf32>
  %p = edge.mm %af, %bf : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %r = edge.relu %p : (tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = edge.quantize_per_tensor %r {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.5 : f64, zero_point = 5 : i64} : (tensor<3x2xf32>) -> tensor<3x2xi8>
  return %y : tensor<3x2xi8>
}

// -----

// Refusals, recorded on the product: an operand that is not dequantized
// (P @ V with a float P); a float result also read by another op. A float
// bmm outside quantized regions is not marked.
// CHECK-LABEL: func.func @refusals
// CHECK: edge.bmm {{.*}}edge.refused = {quantizer = "operand 1: the input is not dequantized"}
// CHECK: edge.bmm {{.*}}edge.refused = {quantizer = "its float result is also read by other ops"}
// CHECK: edge.bmm %arg2, %arg2 :
// CHECK-NOT: edge.quantized_matmul
func.func @refusals(%aq: tensor<1x4x4xi8>, %p: tensor<1x4x4xf32>, %x: tensor<1x4x4xf32>) -> (tensor<1x4x4xi8>, tensor<1x4x4xi8>, tensor<1x4x4xf32>, tensor<1x4x4xf32>) {
  %af = edge.dequantize_per_tensor %aq {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x4x4xi8>) -> tensor<1x4x4xf32>
  %m0 = edge.bmm %p, %af : (tensor<1x4x4xf32>, tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  %y0 = edge.quantize_per_tensor %m0 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x4x4xf32>) -> tensor<1x4x4xi8>
  %m1 = edge.bmm %af, %af : (tensor<1x4x4xf32>, tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  %y1 = edge.quantize_per_tensor %m1 {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = 0 : i64} : (tensor<1x4x4xf32>) -> tensor<1x4x4xi8>
  %f = edge.bmm %x, %x : (tensor<1x4x4xf32>, tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  return %y0, %y1, %m1, %f : tensor<1x4x4xi8>, tensor<1x4x4xi8>, tensor<1x4x4xf32>, tensor<1x4x4xf32>
}
