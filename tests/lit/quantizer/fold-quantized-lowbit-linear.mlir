// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-quantized-lowbit-linear))' | FileCheck %s

// torchao 8da4w: the per-token asymmetric int8 round trip of x and a
// group-wise int4 weight (group 2, int8 zero points) become one
// linear_lowbit with quantize_input. The weight is rewritten to nibbles:
// row [1, -2, 7, -8] -> bytes 0xE1, 0x87; row [-1, 0, 3, 4] -> 0x0F, 0x43.
// The int8 weight, the chain and the dequantizes are erased.
// CHECK-LABEL: func.func @dynamic_int4
// CHECK-DAG: %[[S:.*]] = edge.constant {name = "ws"}
// CHECK-DAG: %[[Z:.*]] = edge.constant {name = "wz"}
// CHECK-DAG: %[[B:.*]] = edge.constant {name = "b"}
// CHECK-DAG: %[[W:.*]] = edge.constant {name = "w.int4"} dense<{{\[}}[225, 135], [15, 67]]> : tensor<2x2xui8>
// CHECK: %[[Y:.*]] = edge.linear_lowbit %arg0, %[[W]], %[[S]], %[[Z]], %[[B]] {bits = 4 : i64, group_size = 2 : i64, quantize_input = true} : (tensor<1x3x4xf32>, tensor<2x2xui8>, tensor<2x2xf32>, tensor<2x2xi8>, tensor<2xf32>) -> tensor<1x3x2xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: edge.constant {name = "w"}
// CHECK-NOT: edge.choose_qparams_affine
func.func @dynamic_int4(%x: tensor<1x3x4xf32>) -> tensor<1x3x2xf32> {
  %w = edge.constant {name = "w"} dense<[[1, -2, 7, -8], [-1, 0, 3, 4]]> : tensor<2x4xi8>
  %ws = edge.constant {name = "ws"} dense<[[0.5, 0.25], [0.125, 1.0]]> : tensor<2x2xf32>
  %wz = edge.constant {name = "wz"} dense<[[0, 1], [-2, 0]]> : tensor<2x2xi8>
  %b = edge.constant {name = "b"} dense<[1.0, -1.0]> : tensor<2xf32>
  %s, %z = edge.choose_qparams_affine %x {block_size = array<i64: 1, 1, 4>, keepdim = false, mapping_type = "ASYMMETRIC", quant_max = 127 : i64, quant_min = -128 : i64, target_dtype = 1 : i64, zero_point_dtype = 1 : i64} : (tensor<1x3x4xf32>) -> (tensor<1x3xf32>, tensor<1x3xi8>)
  %q = edge.quantize_affine %x, %s, %z {block_size = array<i64: 1, 1, 4>, output_dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<1x3x4xf32>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<1x3x4xi8>
  %xf = edge.dequantize_affine %q, %s, %z {block_size = array<i64: 1, 1, 4>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<1x3x4xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<1x3x4xf32>
  %wf = edge.dequantize_affine %w, %ws, %wz {block_size = array<i64: 1, 2>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<2x2xf32>, tensor<2x2xi8>) -> tensor<2x4xf32>
  %y = edge.linear %xf, %wf, %b : (tensor<1x3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<1x3x2xf32>
  return %y : tensor<1x3x2xf32>
}

// -----

// A linear on [1, 3, 4] as torch.export leaves it: the round trip of x,
// then a view to [3, 4] (rows kept), the linear, a view back. The fold
// quantizes x through the same view: linear_lowbit(view(x)).
// CHECK-LABEL: func.func @through_view
// CHECK: %[[V:.*]] = edge.view %arg0 {size = array<i64: 3, 4>} : (tensor<1x3x4xf32>) -> tensor<3x4xf32>
// CHECK: %[[Y:.*]] = edge.linear_lowbit %[[V]], {{.*}}quantize_input = true
// CHECK: edge.view %[[Y]] {size = array<i64: 1, 3, 2>}
// CHECK-NOT: edge.dequantize_affine
func.func @through_view(%x: tensor<1x3x4xf32>) -> tensor<1x3x2xf32> {
  %w = edge.constant {name = "w"} dense<[[1, -2, 7, -8], [-1, 0, 3, 4]]> : tensor<2x4xi8>
  %ws = edge.constant {name = "ws"} dense<0.5> : tensor<2x2xf32>
  %none = edge.none
  %s, %z = edge.choose_qparams_affine %x {block_size = array<i64: 1, 1, 4>, keepdim = false, mapping_type = "ASYMMETRIC", quant_max = 127 : i64, quant_min = -128 : i64, target_dtype = 1 : i64, zero_point_dtype = 1 : i64} : (tensor<1x3x4xf32>) -> (tensor<1x3xf32>, tensor<1x3xi8>)
  %q = edge.quantize_affine %x, %s, %z {block_size = array<i64: 1, 1, 4>, output_dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<1x3x4xf32>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<1x3x4xi8>
  %xf = edge.dequantize_affine %q, %s, %z {block_size = array<i64: 1, 1, 4>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<1x3x4xi8>, tensor<1x3xf32>, tensor<1x3xi8>) -> tensor<1x3x4xf32>
  %wf = edge.dequantize_affine %w, %ws, %none {block_size = array<i64: 1, 2>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<2x2xf32>, none) -> tensor<2x4xf32>
  %v = edge.view %xf {size = array<i64: 3, 4>} : (tensor<1x3x4xf32>) -> tensor<3x4xf32>
  %y = edge.linear %v, %wf, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  %o = edge.view %y {size = array<i64: 1, 3, 2>} : (tensor<3x2xf32>) -> tensor<1x3x2xf32>
  return %o : tensor<1x3x2xf32>
}

// -----

// The same with a dynamic sequence length (an LLM's prefill): the view's
// size is a run-time value, rows are still kept whole (last dim static), so
// the fold goes through it and keeps its size operand.
// CHECK-LABEL: func.func @through_dynamic_view
// CHECK: %[[T:.*]] = edge.sym_size %arg0 {dim = 1 : i64}
// CHECK: %[[V:.*]] = edge.view %arg0, %[[T]] {{.*}}sym_slots = array<i64: 1, 0>
// CHECK: %[[Y:.*]] = edge.linear_lowbit %[[V]], {{.*}}quantize_input = true
// CHECK-NOT: edge.dequantize_affine
// CHECK-NOT: edge.choose_qparams_affine
func.func @through_dynamic_view(%x: tensor<1x8x4xf32> {edge.dynamic}) -> tensor<8x2xf32> {
  %t = edge.sym_size %x {dim = 1 : i64} : (tensor<1x8x4xf32>) -> i64
  %w = edge.constant {name = "w"} dense<[[1, -2, 7, -8], [-1, 0, 3, 4]]> : tensor<2x4xi8>
  %ws = edge.constant {name = "ws"} dense<0.5> : tensor<2x2xf32>
  %none = edge.none
  %s, %z = edge.choose_qparams_affine %x {block_size = array<i64: 1, 1, 4>, keepdim = false, mapping_type = "ASYMMETRIC", quant_max = 127 : i64, quant_min = -128 : i64, target_dtype = 1 : i64, zero_point_dtype = 1 : i64, edge.dynamic_results = array<i1: true, true>} : (tensor<1x8x4xf32>) -> (tensor<1x8xf32>, tensor<1x8xi8>)
  %q = edge.quantize_affine %x, %s, %z {block_size = array<i64: 1, 1, 4>, output_dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, edge.dynamic_results = array<i1: true>} : (tensor<1x8x4xf32>, tensor<1x8xf32>, tensor<1x8xi8>) -> tensor<1x8x4xi8>
  %xf = edge.dequantize_affine %q, %s, %z {block_size = array<i64: 1, 1, 4>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 127 : i64, quant_min = -128 : i64, edge.dynamic_results = array<i1: true>} : (tensor<1x8x4xi8>, tensor<1x8xf32>, tensor<1x8xi8>) -> tensor<1x8x4xf32>
  %wf = edge.dequantize_affine %w, %ws, %none {block_size = array<i64: 1, 2>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<2x2xf32>, none) -> tensor<2x4xf32>
  %v = edge.view %xf, %t {size = array<i64: 8, 4>, sym_slots = array<i64: 1, 0>, edge.dynamic_results = array<i1: true>} : (tensor<1x8x4xf32>, i64) -> tensor<8x4xf32>
  %y = edge.linear %v, %wf, %none {edge.dynamic_results = array<i1: true>} : (tensor<8x4xf32>, tensor<2x4xf32>, none) -> tensor<8x2xf32>
  return %y : tensor<8x2xf32>
}

// -----

// torchao 8w (weight-only, per channel: block [1, K]): the int8 weight as
// it is, group K, zero points all 0 dropped, no input quantization.
// CHECK-LABEL: func.func @weight_only_int8
// CHECK-DAG: %[[W:.*]] = edge.constant {name = "w"} dense<{{.*}}> : tensor<2x4xi8>
// CHECK-DAG: %[[S:.*]] = edge.constant {name = "ws"}
// CHECK: %[[N:.*]] = edge.none
// CHECK: %[[Y:.*]] = edge.linear_lowbit %arg0, %[[W]], %[[S]], %[[N]], %[[N]] {bits = 8 : i64, group_size = 4 : i64, quantize_input = false} : (tensor<3x4xf32>, tensor<2x4xi8>, tensor<2x1xf32>, none, none) -> tensor<3x2xf32>
// CHECK-NOT: edge.constant {name = "wz"}
func.func @weight_only_int8(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = edge.constant {name = "w"} dense<[[100, -2, 7, -128], [-1, 0, 3, 4]]> : tensor<2x4xi8>
  %ws = edge.constant {name = "ws"} dense<[[0.5], [0.125]]> : tensor<2x1xf32>
  %wz = edge.constant {name = "wz"} dense<0> : tensor<2x1xi8>
  %none = edge.none
  %wf = edge.dequantize_affine %w, %ws, %wz {block_size = array<i64: 1, 4>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<2x4xi8>, tensor<2x1xf32>, tensor<2x1xi8>) -> tensor<2x4xf32>
  %y = edge.linear %x, %wf, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// torchao 4w read by two linears (a tied weight): one nibble constant,
// shared; scales given flat ([4]) are reshaped to [N, K / G]; no zero
// points. The int8 weight is gone: it is not stored twice.
// CHECK-LABEL: func.func @weight_only_int4_shared
// CHECK-DAG: %[[W:.*]] = edge.constant {name = "w.int4"} dense<{{.*}}> : tensor<2x2xui8>
// CHECK-DAG: %[[S:.*]] = edge.constant {name = "ws.groups"} dense<{{.*}}> : tensor<2x2xf32>
// CHECK: edge.linear_lowbit %arg0, %[[W]], %[[S]], %{{.*}}, %{{.*}} {bits = 4 : i64, group_size = 2 : i64, quantize_input = false}
// CHECK: edge.linear_lowbit %arg1, %[[W]], %[[S]], %{{.*}}, %{{.*}} {bits = 4 : i64, group_size = 2 : i64, quantize_input = false}
// CHECK-NOT: tensor<2x4xi8>
func.func @weight_only_int4_shared(%x: tensor<3x4xf32>, %x2: tensor<5x4xf32>) -> (tensor<3x2xf32>, tensor<5x2xf32>) {
  %w = edge.constant {name = "w"} dense<[[1, -2, 7, -8], [-1, 0, 3, 4]]> : tensor<2x4xi8>
  %ws = edge.constant {name = "ws"} dense<[0.5, 0.25, 0.125, 1.0]> : tensor<4xf32>
  %none = edge.none
  %wf = edge.dequantize_affine %w, %ws, %none {block_size = array<i64: 1, 2>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<4xf32>, none) -> tensor<2x4xf32>
  %y = edge.linear %x, %wf, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  %y2 = edge.linear %x2, %wf, %none : (tensor<5x4xf32>, tensor<2x4xf32>, none) -> tensor<5x2xf32>
  return %y, %y2 : tensor<3x2xf32>, tensor<5x2xf32>
}

// -----

// A 4-bit range with an odd group size (nibble pairs would straddle two
// groups) stays int8; so does a weight whose values leave [-8, 7] although
// its stated range is 4-bit. Both still fold, as 8-bit weights.
// CHECK-LABEL: func.func @int4_kept_as_int8
// CHECK: edge.linear_lowbit {{.*}}{bits = 8 : i64, group_size = 1 : i64, quantize_input = false} : (tensor<3x4xf32>, tensor<2x4xi8>
// CHECK: edge.linear_lowbit {{.*}}{bits = 8 : i64, group_size = 2 : i64, quantize_input = false} : (tensor<3x4xf32>, tensor<2x4xi8>
// CHECK-NOT: ui8
func.func @int4_kept_as_int8(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = edge.constant {name = "w"} dense<[[1, -2, 7, -8], [-1, 0, 3, 4]]> : tensor<2x4xi8>
  %wbig = edge.constant {name = "wbig"} dense<[[1, -2, 7, 9], [-1, 0, 3, 4]]> : tensor<2x4xi8>
  %ws8 = edge.constant {name = "ws8"} dense<0.5> : tensor<2x4xf32>
  %ws2 = edge.constant {name = "ws2"} dense<0.5> : tensor<2x2xf32>
  %none = edge.none
  %w1 = edge.dequantize_affine %w, %ws8, %none {block_size = array<i64: 1, 1>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<2x4xf32>, none) -> tensor<2x4xf32>
  %y = edge.linear %x, %w1, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  %w2 = edge.dequantize_affine %wbig, %ws2, %none {block_size = array<i64: 1, 2>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<2x2xf32>, none) -> tensor<2x4xf32>
  %y2 = edge.linear %x, %w2, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  return %y, %y2 : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// Refusals, recorded on the linear, which stays on the reference path with
// its chain: a SYMMETRIC activation mapping; another eps (the legacy
// Int8DynActInt4WeightQuantizer's 1.19e-7); one block for the whole input
// (per tensor, not per token); float weight zero points; a weight that is
// not a constant.
// CHECK-LABEL: func.func @refusals
// CHECK: edge.linear {{.*}}edge.refused = {quantizer = "the input is quantized SYMMETRIC; the kernel quantizes per token ASYMMETRIC"}
// CHECK: edge.linear {{.*}}edge.refused = {quantizer = "the input's eps is not torchao's default (float32's smallest normal)"}
// CHECK: edge.linear {{.*}}edge.refused = {quantizer = "the input is not quantized per token (one block per row of K)"}
// CHECK: edge.linear {{.*}}edge.refused = {quantizer = "the weight zero points are not integer constants with one per group"}
// CHECK: edge.linear {{.*}}edge.refused = {quantizer = "the quantized weight is not a constant"}
// CHECK-NOT: edge.linear_lowbit
func.func @refusals(%x: tensor<3x4xf32>, %wa: tensor<2x4xi8>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = edge.constant {name = "w"} dense<[[1, -2, 7, -8], [-1, 0, 3, 4]]> : tensor<2x4xi8>
  %ws = edge.constant {name = "ws"} dense<0.5> : tensor<2x2xf32>
  %wzf = edge.constant {name = "wzf"} dense<1.0> : tensor<2x2xf32>
  %none = edge.none
  %wf = edge.dequantize_affine %w, %ws, %none {block_size = array<i64: 1, 2>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<2x2xf32>, none) -> tensor<2x4xf32>
  %s0, %z0 = edge.choose_qparams_affine %x {block_size = array<i64: 1, 4>, keepdim = false, mapping_type = "SYMMETRIC", quant_max = 127 : i64, quant_min = -128 : i64, target_dtype = 1 : i64, zero_point_dtype = 1 : i64} : (tensor<3x4xf32>) -> (tensor<3xf32>, tensor<3xi8>)
  %q0 = edge.quantize_affine %x, %s0, %z0 {block_size = array<i64: 1, 4>, output_dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<3x4xf32>, tensor<3xf32>, tensor<3xi8>) -> tensor<3x4xi8>
  %x0 = edge.dequantize_affine %q0, %s0, %z0 {block_size = array<i64: 1, 4>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<3x4xi8>, tensor<3xf32>, tensor<3xi8>) -> tensor<3x4xf32>
  %y0 = edge.linear %x0, %wf, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  %s1, %z1 = edge.choose_qparams_affine %x {block_size = array<i64: 1, 4>, eps = 1.1920928955078125E-7 : f64, keepdim = false, mapping_type = "ASYMMETRIC", quant_max = 127 : i64, quant_min = -128 : i64, target_dtype = 1 : i64, zero_point_dtype = 1 : i64} : (tensor<3x4xf32>) -> (tensor<3xf32>, tensor<3xi8>)
  %q1 = edge.quantize_affine %x, %s1, %z1 {block_size = array<i64: 1, 4>, output_dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<3x4xf32>, tensor<3xf32>, tensor<3xi8>) -> tensor<3x4xi8>
  %x1 = edge.dequantize_affine %q1, %s1, %z1 {block_size = array<i64: 1, 4>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<3x4xi8>, tensor<3xf32>, tensor<3xi8>) -> tensor<3x4xf32>
  %y1 = edge.linear %x1, %wf, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  %s2, %z2 = edge.choose_qparams_affine %x {block_size = array<i64: 3, 4>, keepdim = false, mapping_type = "ASYMMETRIC", quant_max = 127 : i64, quant_min = -128 : i64, target_dtype = 1 : i64, zero_point_dtype = 1 : i64} : (tensor<3x4xf32>) -> (tensor<1xf32>, tensor<1xi8>)
  %q2 = edge.quantize_affine %x, %s2, %z2 {block_size = array<i64: 3, 4>, output_dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<3x4xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<3x4xi8>
  %x2 = edge.dequantize_affine %q2, %s2, %z2 {block_size = array<i64: 3, 4>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<3x4xi8>, tensor<1xf32>, tensor<1xi8>) -> tensor<3x4xf32>
  %y2 = edge.linear %x2, %wf, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  %wff = edge.dequantize_affine %w, %ws, %wzf {block_size = array<i64: 1, 2>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x4xf32>
  %y3 = edge.linear %x, %wff, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  %wv = edge.dequantize_affine %wa, %ws, %none {block_size = array<i64: 1, 2>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<2x2xf32>, none) -> tensor<2x4xf32>
  %y4 = edge.linear %x, %wv, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  return %y0, %y1, %y2, %y3, %y4 : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// float16 weight scales (torchao's weight_scale_dtype) stay float16 on the
// folded op: the kernels widen them exactly; weight-only int4, symmetric.
// CHECK-LABEL: func.func @half_scales
// CHECK: edge.linear_lowbit %arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {bits = 4 : i64, group_size = 2 : i64, quantize_input = false} : (tensor<3x4xf32>, tensor<2x2xui8>, tensor<2x2xf16>, none, none) -> tensor<3x2xf32>
// CHECK-NOT: edge.dequantize_affine
func.func @half_scales(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = edge.constant {name = "w"} dense<[[1, -2, 7, -8], [-1, 0, 3, 4]]> : tensor<2x4xi8>
  %ws = edge.constant {name = "ws"} dense<[[0.5, 0.25], [0.125, 1.0]]> : tensor<2x2xf16>
  %none = edge.none
  %wf = edge.dequantize_affine %w, %ws, %none {block_size = array<i64: 1, 2>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<2x2xf16>, none) -> tensor<2x4xf32>
  %y = edge.linear %x, %wf, %none : (tensor<3x4xf32>, tensor<2x4xf32>, none) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
