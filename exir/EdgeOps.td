//===- EdgeOps.td - Edge ops that are not ATen ----------------------------===//
//
// Hand-written semantic ops; the ATen-mirroring ops are generated from
// ops.yaml and included here.
//
//===----------------------------------------------------------------------===//
#ifndef EMBER_EDGE_OPS_TD
#define EMBER_EDGE_OPS_TD

include "exir/EdgeBase.td"
include "exir/EdgeAtenOps.td"

def Edge_ConstantOp : Edge_Op<"constant", [Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "A constant tensor: a weight, a buffer or a literal";
  let description = [{
    Holds the tensor's data as an elements attribute. Weights imported from
    torch are `dense_resource` blobs that point at the caller's memory (no
    copy); small literals may be `dense`. `name` is the fully-qualified name
    in the user's module, when it has one.

    Example:
    ```mlir
    %w = edge.constant {name = "conv.weight"} dense_resource<conv.weight> : tensor<8x3x3x3xf32>
    %two = edge.constant dense<2.0> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value, OptionalAttr<StrAttr>:$name);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "attr-dict $value";
}

def Edge_NoneOp : Edge_Op<"none", [Pure]> {
  let summary = "The absent value of an optional tensor argument";
  let description = [{
    ATen's `None` for a `Tensor?` argument, e.g. a convolution without bias.

    Example:
    ```mlir
    %none = edge.none
    %y = edge.convolution %x, %w, %none {...} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, none) -> tensor<1x4x6x6xf32>
    ```
  }];
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
}

def Edge_MutableBufferOp : Edge_Op<"mutable_buffer",
    [AllTypesMatch<["value", "result"]>, MemoryEffects<[MemRead, MemAlloc]>]> {
  let summary = "A registered buffer the program updates: state kept across calls";
  let description = [{
    A buffer that `forward` mutates (a running counter, a KV cache). It lives
    in planned memory for the whole program, starts as `value` (copied at load
    from the .pte's mutable-data segment) and keeps what `edge.write_back`
    stores into it from one call to the next. Not pure: two buffers with the
    same initial value are still two buffers.

    Example:
    ```mlir
    %count = edge.mutable_buffer {name = "count"} dense<0.0> : tensor<1xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value, StrAttr:$name);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "attr-dict $value";
}

def Edge_WriteBackOp : Edge_Op<"write_back",
    [MemoryEffects<[MemWrite]>, AllTypesMatch<["value", "buffer"]>]> {
  let summary = "Store a new value into a mutable buffer";
  let description = [{
    Copies `value` into the storage of `buffer` (an `edge.mutable_buffer`),
    after every other use of the buffer in the function. The runtime executes
    it as `aten::copy_`, as ExecuTorch writes buffer mutations back.

    Example:
    ```mlir
    %next = edge.add.Tensor %count, %one {alpha = 1 : i64} : ...
    edge.write_back %next into %count : tensor<1xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$value, AnyRankedTensor:$buffer);
  let assemblyFormat = "$value `into` $buffer attr-dict `:` type($buffer)";
  let hasVerifier = 1;
}

def Edge_DelegateCallOp : Edge_Op<"delegate_call"> {
  let summary = "Run a subgraph that a backend compiled ahead of time";
  let description = [{
    The partition phase replaces a run of Edge ops that a backend takes with
    one call. `backend` is the name the runtime backend registers under;
    `processed` is the blob the backend's preprocess step produced (bytes the
    runtime backend's init receives); `compile_specs` are key/value options
    passed along; `named_data` are blobs stored by key (program-wide, once per
    key) that the runtime backend looks up at init, e.g. weights shared by
    several delegates. Operands are the subgraph's inputs, results its outputs.
    Emitted as a BackendDelegate and a DelegateCall (arguments: inputs, then
    outputs).

    Example:
    ```mlir
    %y = edge.delegate_call "EmberTestBackend" (%x, %w) {processed = dense_resource<delegate_0> : tensor<1024xui8>}
        : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins StrAttr:$backend, Variadic<AnyRankedTensor>:$inputs,
                       ElementsAttr:$processed, OptionalAttr<DictionaryAttr>:$compile_specs,
                       OptionalAttr<DictionaryAttr>:$named_data);
  let results = (outs Variadic<AnyRankedTensor>:$outputs);
  let assemblyFormat = [{
    $backend `(` $inputs `)` attr-dict `:` functional-type($inputs, $outputs)
  }];
  let hasVerifier = 1;
}

def Edge_SymSizeOp : Edge_Op<"sym_size", [Pure]> {
  let summary = "One size of a tensor, read at run time (aten::sym_size.int)";
  let description = [{
    The size of `self` along `dim` when the method runs: how a dynamic-shape
    program learns its sizes. The runtime executes it as `aten::sym_size.int`.

    Example:
    ```mlir
    %t = edge.sym_size %x {dim = 1 : i64} : (tensor<1x128xi64>) -> i64
    ```
  }];
  let arguments = (ins AnyRankedTensor:$self, I64Attr:$dim);
  let results = (outs I64:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Edge_SymNumelOp : Edge_Op<"sym_numel", [Pure]> {
  let summary = "The element count of a tensor, read at run time (aten::sym_numel)";
  let arguments = (ins AnyRankedTensor:$self);
  let results = (outs I64:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Edge_SymConstantOp : Edge_Op<"sym_constant", [Pure]> {
  let summary = "A literal operand of size arithmetic";
  let description = [{
    An int or float that `edge.sym_op` combines with run-time sizes, e.g. the
    4 of `4 * s0`. Emitted as an Int or Double value, with no instruction.
  }];
  let arguments = (ins AnyAttrOf<[I64Attr, F64Attr]>:$value);
  let results = (outs Edge_SymValue:$result);
  let assemblyFormat = "attr-dict `(` $value `)` `:` type($result)";
  let hasVerifier = 1;
}

def Edge_SymOp : Edge_Op<"sym_op", [Pure]> {
  let summary = "Integer and float arithmetic on run-time sizes";
  let description = [{
    `fn` is one of add, sub, mul, floordiv, truediv, mod (two operands), neg,
    sym_float, ceil, round, trunc (one), with Python's semantics (floordiv
    and mod round toward negative infinity). The result is i64 when every
    operand is, f64 for truediv and sym_float, i64 for ceil, round and
    trunc. The runtime executes it as `executorch_prim::<fn>.Scalar`.

    Example:
    ```mlir
    %n = edge.sym_op "mul" (%b, %t) : (i64, i64) -> i64
    ```
  }];
  let arguments = (ins StrAttr:$fn, Variadic<Edge_SymValue>:$args);
  let results = (outs Edge_SymValue:$result);
  let assemblyFormat = "$fn `(` $args `)` attr-dict `:` functional-type($args, $result)";
  let hasVerifier = 1;
}

#endif // EMBER_EDGE_OPS_TD
