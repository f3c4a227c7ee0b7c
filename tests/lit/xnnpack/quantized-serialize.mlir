// RUN: ember-opt %s --pass-pipeline='builtin.module(func.func(ember-lower-to-xnnpack,ember-xnnpack-propagate-nhwc,ember-xnnpack-fuse-activations,ember-xnnpack-serialize{dump=true}))' -o /dev/null | FileCheck %s

// Quantized values in ExecuTorch's blob format: activations are
// QuantizedTensorValues with per-tensor parameters (qint8, scale, zero
// point), a per-channel convolution filter is qcint8 with its scales on
// dim 0 (on dim 3 for a depthwise filter [1, KH, KW, C]), its bias qcint32
// with scales input_scale * filter_scale[c] on dim 0; a per-tensor
// fully-connected filter is qint8 and its bias qint32. The NCHW -> NHWC
// transposes of the int8 activations cancel (the quantize moves after the
// input's transpose); the quantize and the
// dequantize are Convert nodes; the relu is the convolution's clamp in
// real units, (-100 - -128) * 0.05 = 1.4.
// CHECK: xnnpack blob: {{.*}} 2 externals, inputs [0] outputs [[[OUT:[0-9]+]]]
// CHECK: value 0: fp32 [1, 3, 4, 4] external input 0
// CHECK: value [[Q:[0-9]+]]: qint8 [1, 4, 4, 3] scale 1.000000e-01 zero_point -3
// CHECK: value [[F:[0-9]+]]: qcint8 [2, 1, 1, 3] channel_dim 0 scales [5.000000e-01, 2.500000e-01] constant {{.*}} = [1, 2, 3, -1, -2, -3]
// CHECK: value [[B:[0-9]+]]: qcint32 [2] channel_dim 0 scales [5.000000e-02, 2.500000e-02] constant {{.*}} = [10, -12]
// CHECK: value [[C:[0-9]+]]: qint8 [1, 4, 4, 2] scale 5.000000e-02 zero_point -128
// CHECK: value [[DF:[0-9]+]]: qcint8 [1, 3, 3, 2] channel_dim 3 scales [5.000000e-01, 2.500000e-01] constant
// CHECK: value [[FC:[0-9]+]]: qint8 [3, 8] scale 1.250000e-01 zero_point 0 constant
// CHECK: value [[FB:[0-9]+]]: qint32 [3] scale 2.500000e-03 zero_point 0 constant {{.*}} = [400, 400, 400]
// CHECK: value [[L:[0-9]+]]: qint8 [1, 3] scale 3.000000e-01 zero_point 1
// CHECK: value [[OUT]]: fp32 [1, 3] external output 1
// CHECK: Convert input {{[0-9]+}} output [[Q]]
// CHECK: Conv2d {{.*}} groups 1 group_input_channels 3 group_output_channels 2 input [[Q]] filter [[F]] bias [[B]] output [[C]] clamp [1.400000e+00, INF]
// CHECK: DepthwiseConv2d {{.*}} groups 2 group_input_channels 1 group_output_channels 1 input [[C]] filter [[DF]] bias none
// CHECK: FullyConnected input {{[0-9]+}} filter [[FC]] bias [[FB]] output [[L]]
// CHECK: Convert input [[L]] output [[OUT]]
func.func @forward(%x: tensor<1x3x4x4xf32>) -> tensor<1x3xf32> {
  %w = edge.constant {name = "w"} dense<[[[[1]], [[2]], [[3]]], [[[-1]], [[-2]], [[-3]]]]> : tensor<2x3x1x1xi8>
  %s = edge.constant {name = "s"} dense<[0.5, 0.25]> : tensor<2xf32>
  %b = edge.constant {name = "b"} dense<[0.5, -0.3]> : tensor<2xf32>
  %dw = edge.constant {name = "dw"} dense<1> : tensor<2x1x3x3xi8>
  %fw = edge.constant {name = "fw"} dense<1> : tensor<3x8xi8>
  %fs = edge.constant {name = "fs"} dense<0.125> : tensor<1xf32>
  %fb = edge.constant {name = "fb"} dense<1.0> : tensor<3xf32>
  %none = edge.none
  %q = edge.quantize_per_tensor %x {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.1 : f64, zero_point = -3 : i64} : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xi8>
  %t = edge.permute %q {dims = array<i64: 0, 2, 3, 1>} : (tensor<1x3x4x4xi8>) -> tensor<1x4x4x3xi8>
  %c = edge.quantized_convolution_nhwc %t, %w, %s, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.1 : f64, input_zero_point = -3 : i64, output_scale = 0.05 : f64, output_zero_point = -128 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -100 : i64, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi8>, tensor<2x3x1x1xi8>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xi8>
  %d = edge.quantized_convolution_nhwc %c, %dw, %s, %none {dilation = array<i64: 1, 1>, groups = 2 : i64, input_scale = 0.05 : f64, input_zero_point = -128 : i64, output_scale = 0.02 : f64, output_zero_point = 0 : i64, padding = array<i64: 0, 0>, quant_max = 127 : i64, quant_min = -128 : i64, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xi8>, tensor<2x1x3x3xi8>, tensor<2xf32>, none) -> tensor<1x2x2x2xi8>
  %p = edge.permute %d {dims = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xi8>
  %v = edge.view %p {size = array<i64: 1, 8>} : (tensor<1x2x2x2xi8>) -> tensor<1x8xi8>
  %l = edge.quantized_linear %v, %fw, %fs, %fb {input_scale = 0.02 : f64, input_zero_point = 0 : i64, output_scale = 0.3 : f64, output_zero_point = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : (tensor<1x8xi8>, tensor<3x8xi8>, tensor<1xf32>, tensor<3xf32>) -> tensor<1x3xi8>
  %y = edge.dequantize_per_tensor %l {dtype = 1 : i64, quant_max = 127 : i64, quant_min = -128 : i64, scale = 0.3 : f64, zero_point = 1 : i64} : (tensor<1x3xi8>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
