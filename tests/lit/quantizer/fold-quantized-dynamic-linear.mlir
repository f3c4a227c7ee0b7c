// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fold-quantized-dynamic-linear))' | FileCheck %s

// PT2E dynamic: choose_qparams, quantize, dequantize of x, then a linear on
// a per-channel weight: one linear_dynamic_int8 on x with the range and eps
// of the choose_qparams. The run-time chain and the zero points go.
// CHECK-LABEL: func.func @dynamic_linear
// CHECK-DAG: %[[W:.*]] = edge.constant {name = "w"}
// CHECK-DAG: %[[S:.*]] = edge.constant {name = "s"}
// CHECK-DAG: %[[B:.*]] = edge.constant {name = "b"}
// CHECK: %[[Y:.*]] = edge.linear_dynamic_int8 %arg0, %[[W]], %[[S]], %[[B]] {eps = 2.44140625E-4 : f64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xf32>, tensor<2x4xi8>, tensor<2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: edge.choose_qparams
// CHECK-NOT: edge.constant {name = "z"}
func.func @dynamic_linear(%x: tensor<4x4xf32>) -> tensor<4x2xf32> {
  %w = edge.constant {name = "w"} dense<[[1, 2, 3, 4], [-5, -6, 7, 8]]> : tensor<2x4xi8>
  %s = edge.constant {name = "s"} dense<[0.5, 0.25]> : tensor<2xf32>
  %z = edge.constant {name = "z"} dense<0> : tensor<2xi64>
  %b = edge.constant {name = "b"} dense<[1.0, -1.0]> : tensor<2xf32>
  %wf = edge.dequantize_per_channel %w, %s, %z {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<2x4xi8>, tensor<2xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  %sc, %zp = edge.choose_qparams.tensor %x {dtype = 1 : i64, eps = 2.44140625E-4 : f64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xf32>) -> (tensor<1xf64>, tensor<1xi64>)
  %q = edge.quantize_per_tensor.tensor %x, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xf32>, tensor<1xf64>, tensor<1xi64>) -> tensor<4x4xi8>
  %xf = edge.dequantize_per_tensor.tensor %q, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xi8>, tensor<1xf64>, tensor<1xi64>) -> tensor<4x4xf32>
  %y = edge.linear %xf, %wf, %b : (tensor<4x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// One run-time quantization of x read by two linears (Q and K projections),
// one of them with a per-tensor weight and no bias: each folds; the chain
// goes with the last.
// CHECK-LABEL: func.func @shared_input
// CHECK-DAG: %[[S:.*]] = edge.constant {name = "v.scale"} dense<1.250000e-01> : tensor<1xf32>
// CHECK-DAG: edge.linear_dynamic_int8 %arg0, {{.*}} -> tensor<4x2xf32>
// CHECK: edge.linear_dynamic_int8 %arg0, %{{.*}}, %[[S]], %{{.*}} {{.*}} : (tensor<4x4xf32>, tensor<3x4xi8>, tensor<1xf32>, none) -> tensor<4x3xf32>
// CHECK-NOT: edge.quantize_per_tensor.tensor
// CHECK-NOT: edge.dequantize
func.func @shared_input(%x: tensor<4x4xf32>) -> (tensor<4x2xf32>, tensor<4x3xf32>) {
  %w = edge.constant {name = "w"} dense<1> : tensor<2x4xi8>
  %v = edge.constant {name = "v"} dense<2> : tensor<3x4xi8>
  %s = edge.constant {name = "s"} dense<[0.5, 0.25]> : tensor<2xf32>
  %none = edge.none
  %wf = edge.dequantize_per_channel %w, %s, %none {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<2x4xi8>, tensor<2xf32>, none) -> tensor<2x4xf32>
  %vf = edge.dequantize_per_tensor %v {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64, scale = 0.125 : f64, zero_point = 0 : i64} : (tensor<3x4xi8>) -> tensor<3x4xf32>
  %sc, %zp = edge.choose_qparams.tensor %x {dtype = 1 : i64, eps = 2.44140625E-4 : f64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xf32>) -> (tensor<1xf64>, tensor<1xi64>)
  %q = edge.quantize_per_tensor.tensor %x, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xf32>, tensor<1xf64>, tensor<1xi64>) -> tensor<4x4xi8>
  %xf = edge.dequantize_per_tensor.tensor %q, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xi8>, tensor<1xf64>, tensor<1xi64>) -> tensor<4x4xf32>
  %a = edge.linear %xf, %wf, %none : (tensor<4x4xf32>, tensor<2x4xf32>, none) -> tensor<4x2xf32>
  %c = edge.linear %xf, %vf, %none : (tensor<4x4xf32>, tensor<3x4xf32>, none) -> tensor<4x3xf32>
  return %a, %c : tensor<4x2xf32>, tensor<4x3xf32>
}

// -----

// A linear on [2, 3, 4]: torch.export views the round trip of x to [6, 4];
// the fold views x itself (per-tensor quantization commutes with a view).
// CHECK-LABEL: func.func @through_view
// CHECK: %[[V:.*]] = edge.view %arg0 {size = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
// CHECK: edge.linear_dynamic_int8 %[[V]],
// CHECK-NOT: edge.choose_qparams
func.func @through_view(%x: tensor<2x3x4xf32>) -> tensor<6x2xf32> {
  %w = edge.constant {name = "w"} dense<1> : tensor<2x4xi8>
  %s = edge.constant {name = "s"} dense<[0.5, 0.25]> : tensor<2xf32>
  %none = edge.none
  %wf = edge.dequantize_per_channel %w, %s, %none {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<2x4xi8>, tensor<2xf32>, none) -> tensor<2x4xf32>
  %sc, %zp = edge.choose_qparams.tensor %x {dtype = 1 : i64, eps = 2.44140625E-4 : f64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<2x3x4xf32>) -> (tensor<1xf64>, tensor<1xi64>)
  %q = edge.quantize_per_tensor.tensor %x, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<2x3x4xf32>, tensor<1xf64>, tensor<1xi64>) -> tensor<2x3x4xi8>
  %xf = edge.dequantize_per_tensor.tensor %q, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<2x3x4xi8>, tensor<1xf64>, tensor<1xi64>) -> tensor<2x3x4xf32>
  %v = edge.view %xf {size = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %y = edge.linear %v, %wf, %none : (tensor<6x4xf32>, tensor<2x4xf32>, none) -> tensor<6x2xf32>
  return %y : tensor<6x2xf32>
}

// -----

// Refusals, recorded on the linear: the quantize's range differs from the
// choose_qparams's; the dequantize reads parameters another choose_qparams
// computed (of another tensor); asymmetric weights.
// CHECK-LABEL: func.func @refusals
// CHECK: edge.linear {{.*}}edge.refused = {quantizer = "choose_qparams, quantize and dequantize use different ranges"}
// CHECK: edge.linear {{.*}}edge.refused = {quantizer = "the input is not quantized with parameters choose_qparams computed from it"}
// CHECK: edge.linear {{.*}}edge.refused = {quantizer = "asymmetric weights (a zero point is 1, not 0)"}
// CHECK-NOT: edge.linear_dynamic_int8
func.func @refusals(%x: tensor<4x4xf32>, %x2: tensor<4x4xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>) {
  %w = edge.constant {name = "w"} dense<1> : tensor<2x4xi8>
  %s = edge.constant {name = "s"} dense<[0.5, 0.25]> : tensor<2xf32>
  %z = edge.constant {name = "z"} dense<[0, 1]> : tensor<2xi64>
  %none = edge.none
  %wf = edge.dequantize_per_channel %w, %s, %none {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<2x4xi8>, tensor<2xf32>, none) -> tensor<2x4xf32>
  %wz = edge.dequantize_per_channel %w, %s, %z {axis = 0 : i64, dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<2x4xi8>, tensor<2xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  %sc, %zp = edge.choose_qparams.tensor %x {dtype = 1 : i64, eps = 2.44140625E-4 : f64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xf32>) -> (tensor<1xf64>, tensor<1xi64>)
  %q0 = edge.quantize_per_tensor.tensor %x, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -127 : i64} : (tensor<4x4xf32>, tensor<1xf64>, tensor<1xi64>) -> tensor<4x4xi8>
  %x0 = edge.dequantize_per_tensor.tensor %q0, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xi8>, tensor<1xf64>, tensor<1xi64>) -> tensor<4x4xf32>
  %y0 = edge.linear %x0, %wf, %none : (tensor<4x4xf32>, tensor<2x4xf32>, none) -> tensor<4x2xf32>
  %q1 = edge.quantize_per_tensor.tensor %x2, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xf32>, tensor<1xf64>, tensor<1xi64>) -> tensor<4x4xi8>
  %x1 = edge.dequantize_per_tensor.tensor %q1, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xi8>, tensor<1xf64>, tensor<1xi64>) -> tensor<4x4xf32>
  %y1 = edge.linear %x1, %wf, %none : (tensor<4x4xf32>, tensor<2x4xf32>, none) -> tensor<4x2xf32>
  %q2 = edge.quantize_per_tensor.tensor %x, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xf32>, tensor<1xf64>, tensor<1xi64>) -> tensor<4x4xi8>
  %x2f = edge.dequantize_per_tensor.tensor %q2, %sc, %zp {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<4x4xi8>, tensor<1xf64>, tensor<1xi64>) -> tensor<4x4xf32>
  %y2 = edge.linear %x2f, %wz, %none : (tensor<4x4xf32>, tensor<2x4xf32>, none) -> tensor<4x2xf32>
  return %y0, %y1, %y2 : tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>
}
