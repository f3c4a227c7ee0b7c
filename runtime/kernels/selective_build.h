// Selective build: a runtime that registers only the kernels, and compiles
// only the dtypes, that given programs use.
//
// `ember selective-build model.pte ... -o DIR` writes DIR/selected_kernels.h;
// configuring with -DEMBER_SELECTED_KERNELS=DIR compiles every kernel library
// with EMBER_SELECTED_KERNELS_HEADER naming it. That header defines
//   EMBER_SELECTIVE_BUILD 1
//   EMBER_SELECT_<operator> 1        per operator kept ("aten::add.out" ->
//                                    EMBER_SELECT_aten__add_out; see
//                                    exir/gen_edge_ops.py selection_macro)
//   EMBER_SELECT_DTYPE_<ScalarType> 1 per dtype kept (Float, Long, ...)
//   EMBER_SELECTED_DTYPE_NAMES       "float32, int64": for error messages
// The registration tables (kernels.inc, op_writes.inc) then keep only the
// selected operators' lines, so the linker drops the other kernels, and the
// kernels' dtype switches (kernel_utils.h) compile only the kept dtypes: a
// call with another dtype fails with NotSupported, naming the operator and
// the dtype, like any dtype a kernel lacks. Without a selection header
// everything is kept.
#pragma once

#include <cstddef>

#include "runtime/core/scalar_type.h"
#include "runtime/core/span.h"

#ifdef EMBER_SELECTED_KERNELS_HEADER
#include EMBER_SELECTED_KERNELS_HEADER
#endif

#ifdef EMBER_SELECTIVE_BUILD
/// Keep the `#if !EMBER_SELECTING || EMBER_SELECT_<op>` lines of a
/// registration table (register.cpp defines it; the declarations in
/// portable_kernels.h stay complete).
#define EMBER_SELECTION_ACTIVE 1
#define EMBER_DTYPE_KEPT(ENUM) EMBER_SELECT_DTYPE_##ENUM
#ifndef EMBER_SELECT_DTYPE_Float
#define EMBER_SELECT_DTYPE_Float 0
#endif
#ifndef EMBER_SELECT_DTYPE_Double
#define EMBER_SELECT_DTYPE_Double 0
#endif
#ifndef EMBER_SELECT_DTYPE_Half
#define EMBER_SELECT_DTYPE_Half 0
#endif
#ifndef EMBER_SELECT_DTYPE_BFloat16
#define EMBER_SELECT_DTYPE_BFloat16 0
#endif
#ifndef EMBER_SELECT_DTYPE_Int
#define EMBER_SELECT_DTYPE_Int 0
#endif
#ifndef EMBER_SELECT_DTYPE_Long
#define EMBER_SELECT_DTYPE_Long 0
#endif
#ifndef EMBER_SELECT_DTYPE_Short
#define EMBER_SELECT_DTYPE_Short 0
#endif
#ifndef EMBER_SELECT_DTYPE_Char
#define EMBER_SELECT_DTYPE_Char 0
#endif
#ifndef EMBER_SELECT_DTYPE_Byte
#define EMBER_SELECT_DTYPE_Byte 0
#endif
#ifndef EMBER_SELECT_DTYPE_Bool
#define EMBER_SELECT_DTYPE_Bool 0
#endif
#ifndef EMBER_SELECTED_DTYPE_NAMES
#define EMBER_SELECTED_DTYPE_NAMES "no dtypes"
#endif

namespace ember {
/// Whether a selective build compiled the kernels' cases of `t`.
constexpr bool dtype_kept(ScalarType t) {
  switch (t) {
    case ScalarType::Float: return EMBER_SELECT_DTYPE_Float;
    case ScalarType::Double: return EMBER_SELECT_DTYPE_Double;
    case ScalarType::Half: return EMBER_SELECT_DTYPE_Half;
    case ScalarType::BFloat16: return EMBER_SELECT_DTYPE_BFloat16;
    case ScalarType::Int: return EMBER_SELECT_DTYPE_Int;
    case ScalarType::Long: return EMBER_SELECT_DTYPE_Long;
    case ScalarType::Short: return EMBER_SELECT_DTYPE_Short;
    case ScalarType::Char: return EMBER_SELECT_DTYPE_Char;
    case ScalarType::Byte: return EMBER_SELECT_DTYPE_Byte;
    case ScalarType::Bool: return EMBER_SELECT_DTYPE_Bool;
    default: return false;
  }
}
}  // namespace ember
#else
#define EMBER_SELECTION_ACTIVE 0
/// Whether the kernels' dtype switches compile the case of ScalarType::ENUM.
#define EMBER_DTYPE_KEPT(ENUM) 1
#endif

namespace ember {
/// A registration table without its end entry: each table ends with one, so
/// that a selection keeping none of its entries still compiles.
template <typename T, size_t N>
Span<const T> table_entries(const T (&table)[N]) {
  return Span<const T>(table, N - 1);
}
}  // namespace ember
