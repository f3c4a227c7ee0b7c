// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-quantized-embedding))' | FileCheck %s

// torchao 4w (group 2, int8 zero points): embedding_4bit on the table
// repacked in ET's order, element 2i in the HIGH nibble as value + 8:
// row [1, -2, 7, -8] -> [9, 6, 15, 0] -> bytes 0x96, 0xF0; row [-1, 0, 3, 4]
// -> 0x78, 0xBC. The zero points become float32; the int8 table and the
// dequantize are erased.
// CHECK-LABEL: func.func @int4_groups
// CHECK-DAG: %[[W:.*]] = edge.constant {name = "w.et_int4"} dense<{{\[}}[150, 240], [120, 188]]> : tensor<2x2xui8>
// CHECK-DAG: %[[S:.*]] = edge.constant {name = "ws"}
// CHECK-DAG: %[[Z:.*]] = edge.constant {name = "wz.f32"} dense<{{\[}}[0.000000e+00, 1.000000e+00], [-2.000000e+00, 0.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[Y:.*]] = edge.embedding_4bit %[[W]], %[[S]], %[[Z]], %arg0 {weight_quant_max = 7 : i64, weight_quant_min = -8 : i64} : (tensor<2x2xui8>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<3xi64>) -> tensor<3x4xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: edge.dequantize_affine
// CHECK-NOT: edge.constant {name = "w"}
func.func @int4_groups(%idx: tensor<3xi64>) -> tensor<3x4xf32> {
  %w = edge.constant {name = "w"} dense<[[1, -2, 7, -8], [-1, 0, 3, 4]]> : tensor<2x4xi8>
  %ws = edge.constant {name = "ws"} dense<[[0.5, 0.25], [0.125, 1.0]]> : tensor<2x2xf32>
  %wz = edge.constant {name = "wz"} dense<[[0, 1], [-2, 0]]> : tensor<2x2xi8>
  %wf = edge.dequantize_affine %w, %ws, %wz {block_size = array<i64: 1, 2>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<2x2xf32>, tensor<2x2xi8>) -> tensor<2x4xf32>
  %y = edge.embedding %wf, %idx {padding_idx = -1 : i64, scale_grad_by_freq = false, sparse = false} : (tensor<2x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// torchao 8w per axis (block [1, D]): values outside 4 bits keep the int8
// table (embedding_byte), scales [V, 1], zero points all 0 dropped.
// CHECK-LABEL: func.func @int8_per_axis
// CHECK-DAG: %[[W:.*]] = edge.constant {name = "w"} dense<{{.*}}> : tensor<2x4xi8>
// CHECK-DAG: %[[S:.*]] = edge.constant {name = "ws"}
// CHECK-DAG: %[[N:.*]] = edge.none
// CHECK: edge.embedding_byte %[[W]], %[[S]], %[[N]], %arg0 {weight_quant_max = 127 : i64, weight_quant_min = -128 : i64} : (tensor<2x4xi8>, tensor<2x1xf32>, none, tensor<2x3xi32>) -> tensor<2x3x4xf32>
// CHECK-NOT: edge.constant {name = "wz"}
func.func @int8_per_axis(%idx: tensor<2x3xi32>) -> tensor<2x3x4xf32> {
  %w = edge.constant {name = "w"} dense<[[100, -2, 7, -128], [-1, 0, 3, 4]]> : tensor<2x4xi8>
  %ws = edge.constant {name = "ws"} dense<[[0.5], [0.125]]> : tensor<2x1xf32>
  %wz = edge.constant {name = "wz"} dense<0> : tensor<2x1xi8>
  %wf = edge.dequantize_affine %w, %ws, %wz {block_size = array<i64: 1, 4>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<2x4xi8>, tensor<2x1xf32>, tensor<2x1xi8>) -> tensor<2x4xf32>
  %y = edge.embedding %wf, %idx {padding_idx = -1 : i64, scale_grad_by_freq = false, sparse = false} : (tensor<2x4xf32>, tensor<2x3xi32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// A 2-bit range ([-2, 1]): four per byte, element 4i + j in bits 2j..2j+1
// as value + 2: row [1, -2, 0, -1] -> [3, 0, 2, 1] -> 3 + 0 + 32 + 64 = 99;
// row [-2, -2, 1, 1] -> [0, 0, 3, 3] -> 48 + 192 = 240. Flat scales ([2])
// are reshaped to [V, D / G]; a lookup read twice shares one table.
// CHECK-LABEL: func.func @int2_shared
// CHECK-DAG: %[[W:.*]] = edge.constant {name = "w.et_int2"} dense<{{\[}}[99], [240]]> : tensor<2x1xui8>
// CHECK-DAG: %[[S:.*]] = edge.constant {name = "ws.groups"} dense<{{\[}}[5.000000e-01], [2.500000e-01]]> : tensor<2x1xf32>
// CHECK: edge.embedding_2bit %[[W]], %[[S]], %{{.*}}, %arg0 {weight_quant_max = 1 : i64, weight_quant_min = -2 : i64}
// CHECK: edge.embedding_2bit %[[W]], %[[S]], %{{.*}}, %arg1 {weight_quant_max = 1 : i64, weight_quant_min = -2 : i64}
// CHECK-NOT: edge.constant {name = "w.et_int2"}
func.func @int2_shared(%a: tensor<3xi64>, %b: tensor<1xi64>) -> (tensor<3x4xf32>, tensor<1x4xf32>) {
  %w = edge.constant {name = "w"} dense<[[1, -2, 0, -1], [-2, -2, 1, 1]]> : tensor<2x4xi8>
  %ws = edge.constant {name = "ws"} dense<[0.5, 0.25]> : tensor<2xf32>
  %none = edge.none
  %wf = edge.dequantize_affine %w, %ws, %none {block_size = array<i64: 1, 4>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 1 : i64, quant_min = -2 : i64} : (tensor<2x4xi8>, tensor<2xf32>, none) -> tensor<2x4xf32>
  %y = edge.embedding %wf, %a {padding_idx = -1 : i64, scale_grad_by_freq = false, sparse = false} : (tensor<2x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  %z = edge.embedding %wf, %b {padding_idx = -1 : i64, scale_grad_by_freq = false, sparse = false} : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<1x4xf32>
  return %y, %z : tensor<3x4xf32>, tensor<1x4xf32>
}

// -----

// PT2E per-channel weights (dequantize_per_channel along axis 0, int64 zero
// points): embedding_byte with one scale per row ([V]) and the zero points
// as float32.
// CHECK-LABEL: func.func @pt2e_per_channel
// CHECK-DAG: %[[W:.*]] = edge.constant {name = "w"} dense<{{.*}}> : tensor<2x4xui8>
// CHECK-DAG: %[[Z:.*]] = edge.constant {name = "z.f32"} dense<[1.280000e+02, 1.000000e+00]> : tensor<2xf32>
// CHECK: edge.embedding_byte %[[W]], %{{.*}}, %[[Z]], %arg0 {weight_quant_max = 255 : i64, weight_quant_min = 0 : i64} : (tensor<2x4xui8>, tensor<2xf32>, tensor<2xf32>, tensor<5xi64>) -> tensor<5x4xf32>
// CHECK-NOT: edge.dequantize_per_channel
func.func @pt2e_per_channel(%idx: tensor<5xi64>) -> tensor<5x4xf32> {
  %w = edge.constant {name = "w"} dense<[[0, 200, 128, 255], [1, 2, 3, 4]]> : tensor<2x4xui8>
  %s = edge.constant {name = "s"} dense<[0.5, 0.25]> : tensor<2xf32>
  %z = edge.constant {name = "z"} dense<[128, 1]> : tensor<2xi64>
  %wf = edge.dequantize_per_channel %w, %s, %z {axis = 0 : i64, dtype = 0 : i64, quant_max = 255 : i64, quant_min = 0 : i64} : (tensor<2x4xui8>, tensor<2xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  %y = edge.embedding %wf, %idx {padding_idx = -1 : i64, scale_grad_by_freq = false, sparse = false} : (tensor<2x4xf32>, tensor<5xi64>) -> tensor<5x4xf32>
  return %y : tensor<5x4xf32>
}

// -----

// A table that is not a constant stays on the reference path, and says why.
// CHECK-LABEL: func.func @table_not_constant
// CHECK: edge.dequantize_affine
// CHECK: edge.embedding {{.*}}edge.refused = {quantizer = "the quantized table is not a constant"}
func.func @table_not_constant(%w: tensor<2x4xi8>, %idx: tensor<3xi64>) -> tensor<3x4xf32> {
  %ws = edge.constant {name = "ws"} dense<0.5> : tensor<2x2xf32>
  %none = edge.none
  %wf = edge.dequantize_affine %w, %ws, %none {block_size = array<i64: 1, 2>, input_dtype = 1 : i64, output_dtype = 6 : i64, quant_max = 7 : i64, quant_min = -8 : i64} : (tensor<2x4xi8>, tensor<2x2xf32>, none) -> tensor<2x4xf32>
  %y = edge.embedding %wf, %idx {padding_idx = -1 : i64, scale_grad_by_freq = false, sparse = false} : (tensor<2x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
