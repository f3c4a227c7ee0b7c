// Declarations of every portable kernel, for the registration table in
// register.cpp and for the optimized kernels that hand calls over to them.
// Each is an out-variant operator with the calling convention of
// runtime/kernel/kernel.h. The kernels of Edge ops are listed in kernels.inc,
// generated from exir/ops.yaml (`python exir/gen_edge_ops.py
// --portable-kernels runtime/kernels/portable/kernels.inc`): the function is
// the out overload's name in lower case (aten::sum.IntList_out ->
// sum_intlist_out, aten::_softmax.out -> softmax_out). What each accepts is
// in README.md and docs/ops.md; a kernel fails with NotSupported for the
// dtypes it lacks.
#pragma once

#include "runtime/core/evalue.h"
#include "runtime/core/span.h"
#include "runtime/kernel/kernel.h"

namespace ember {
namespace portable {

#define EMBER_PORTABLE_KERNEL(function, op) void function(KernelContext& ctx, Span<EValue*> args);
#include "runtime/kernels/portable/kernels.inc"
#undef EMBER_PORTABLE_KERNEL

// Kernels of operators that are not Edge ops: ExecuTorch's programs and
// mutable buffers call them (README.md).
void squeeze_copy_dim_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::squeeze_copy.dim_out
void to_dim_order_copy_out(KernelContext& ctx, Span<EValue*> args);  ///< dim_order_ops::_to_dim_order_copy.out
void clone_dim_order_out(KernelContext& ctx, Span<EValue*> args);    ///< dim_order_ops::_clone_dim_order.out
/// aten::copy_ (in place; args [self, src, non_blocking, self]): src broadcasts
/// to self, cast to self's dtype.
void copy_(KernelContext& ctx, Span<EValue*> args);

}  // namespace portable
}  // namespace ember
