// Kernel-level tests of the binary family (op_elementwise.cpp,
// op_compare.cpp): torch's promotion tables, mixed dtypes over permuted dim
// orders and long strided rows, integer edge cases (wrapping, MIN / -1,
// division by zero), bool bytes other than 0/1, and rejections.
#include <cmath>
#include <limits>

#include "runtime/kernels/portable/binary_util.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

using portable::Operand;
using ST = ScalarType;

constexpr ST B = ST::Bool, U8 = ST::Byte, I8 = ST::Char, I16 = ST::Short, I32 = ST::Int,
             I64 = ST::Long, F16 = ST::Half, BF16 = ST::BFloat16, F32 = ST::Float,
             F64 = ST::Double;
constexpr ST kDtypes[10] = {B, U8, I8, I16, I32, I64, F16, BF16, F32, F64};

// Tables printed by torch (torch.promote_types / torch.result_type), rows and
// columns in kDtypes order.
constexpr ST kPromote[10][10] = {
    {B, U8, I8, I16, I32, I64, F16, BF16, F32, F64},
    {U8, U8, I16, I16, I32, I64, F16, BF16, F32, F64},
    {I8, I16, I8, I16, I32, I64, F16, BF16, F32, F64},
    {I16, I16, I16, I16, I32, I64, F16, BF16, F32, F64},
    {I32, I32, I32, I32, I32, I64, F16, BF16, F32, F64},
    {I64, I64, I64, I64, I64, I64, F16, BF16, F32, F64},
    {F16, F16, F16, F16, F16, F16, F16, F32, F32, F64},
    {BF16, BF16, BF16, BF16, BF16, BF16, F32, BF16, F32, F64},
    {F32, F32, F32, F32, F32, F32, F32, F32, F32, F64},
    {F64, F64, F64, F64, F64, F64, F64, F64, F64, F64},
};
// A dimensioned tensor (row) with a 0-d tensor (column).
constexpr ST kWithZeroDim[10][10] = {
    {B, U8, I8, I16, I32, I64, F16, BF16, F32, F64},
    {U8, U8, U8, U8, U8, U8, F16, BF16, F32, F64},
    {I8, I8, I8, I8, I8, I8, F16, BF16, F32, F64},
    {I16, I16, I16, I16, I16, I16, F16, BF16, F32, F64},
    {I32, I32, I32, I32, I32, I32, F16, BF16, F32, F64},
    {I64, I64, I64, I64, I64, I64, F16, BF16, F32, F64},
    {F16, F16, F16, F16, F16, F16, F16, F16, F16, F16},
    {BF16, BF16, BF16, BF16, BF16, BF16, BF16, BF16, BF16, BF16},
    {F32, F32, F32, F32, F32, F32, F32, F32, F32, F32},
    {F64, F64, F64, F64, F64, F64, F64, F64, F64, F64},
};
// A tensor (dimensioned or 0-d alike) with the Scalars True, 2 and 2.5.
constexpr ST kWithScalar[10][3] = {
    {B, I64, F32},   {U8, U8, F32},    {I8, I8, F32},    {I16, I16, F32}, {I32, I32, F32},
    {I64, I64, F32}, {F16, F16, F16}, {BF16, BF16, BF16}, {F32, F32, F32}, {F64, F64, F64},
};

Operand scalar_operand(int kind) {
  Operand s;
  s.scalar = kind == 0   ? Scalar::of_bool(true)
             : kind == 1 ? Scalar::of_int(2)
                         : Scalar::of_double(2.5);
  s.dtype = s.scalar.dtype();
  return s;
}

TEST(BinaryPromotion, MatchesTorchTables) {
  for (int i = 0; i < 10; ++i) {
    auto dimmed = make(kDtypes[i], {2});
    auto zero_dim = make(kDtypes[i], {});
    for (int j = 0; j < 10; ++j) {
      EXPECT_EQ(promote_types(kDtypes[i], kDtypes[j]), kPromote[i][j]) << i << "," << j;
      auto other_dimmed = make(kDtypes[j], {2});
      auto other_zero = make(kDtypes[j], {});
      Operand ops[2];
      ops[0].tensor = &dimmed->t();
      ops[0].dtype = kDtypes[i];
      ops[1].tensor = &other_dimmed->t();
      ops[1].dtype = kDtypes[j];
      EXPECT_EQ(portable::result_type(ops, 2), kPromote[i][j]) << i << "," << j;
      ops[1].tensor = &other_zero->t();
      EXPECT_EQ(portable::result_type(ops, 2), kWithZeroDim[i][j]) << i << "," << j;
      std::swap(ops[0], ops[1]);  // order does not matter
      EXPECT_EQ(portable::result_type(ops, 2), kWithZeroDim[i][j]) << i << "," << j;
    }
    for (int k = 0; k < 3; ++k) {
      Operand ops[2];
      ops[0].tensor = &dimmed->t();
      ops[0].dtype = kDtypes[i];
      ops[1] = scalar_operand(k);
      EXPECT_EQ(portable::result_type(ops, 2), kWithScalar[i][k]) << i << "," << k;
      ops[0].tensor = &zero_dim->t();
      EXPECT_EQ(portable::result_type(ops, 2), kWithScalar[i][k]) << i << "," << k;
    }
  }
}

TEST(BinaryPromotion, KernelWritesThePromotedDtypeOnly) {
  // int32 [3] + int64 [3] -> int64; int16 [3] * 0-d float64 -> float64;
  // float16 [3] with a 0-d float64 stays float16.
  Values v;
  auto i32 = make_typed<int32_t>(I32, {3}, {1, -2, 2147483647});
  auto i64 = make_typed<int64_t>(I64, {3}, {10, 20, 1});
  auto o64 = make(I64, {3});
  ASSERT_EQ(run("aten::add.out", {i32->ev(), i64->ev(), v.integer(1), o64->ev(), o64->ev()}),
            Error::Ok);
  EXPECT_EQ(o64->get<int64_t>(), (std::vector<int64_t>{11, 18, 2147483648LL}));
  auto o32 = make(I32, {3});
  EXPECT_EQ(run("aten::add.out", {i32->ev(), i64->ev(), v.integer(1), o32->ev(), o32->ev()}),
            Error::NotSupported);

  auto i16 = make_typed<int16_t>(I16, {3}, {1, 2, 3});
  auto tenth = make_typed<double>(F64, {}, {0.1});
  auto of64 = make(F64, {3});
  ASSERT_EQ(run("aten::mul.out", {i16->ev(), tenth->ev(), of64->ev(), of64->ev()}), Error::Ok);
  EXPECT_EQ(of64->get<double>(), (std::vector<double>{0.1, 0.2, 0.1 * 3}));

  auto f16 = make_typed<Half>(F16, {3}, {Half(1.0f), Half(2.0f), Half(65504.0f)});
  auto of16 = make(F16, {3});
  ASSERT_EQ(run("aten::mul.out", {f16->ev(), tenth->ev(), of16->ev(), of16->ev()}), Error::Ok);
  const std::vector<Half> got = of16->get<Half>();
  EXPECT_EQ(static_cast<float>(got[0]), static_cast<float>(Half(0.1f)));
  EXPECT_EQ(static_cast<float>(got[1]), static_cast<float>(Half(0.2f)));
}

TEST(BinaryMixedDtypes, PermutedOrdersAndLongStridedRows) {
  // a: float32 [3, 5, 70] channels-last-like order; b: int32 [70] broadcast;
  // out: float32 in yet another order. Rows of 70 exceed the conversion
  // block, so blocks are converted in pieces.
  const std::vector<int32_t> shape = {3, 5, 70};
  const int64_t n = 3 * 5 * 70;
  const std::vector<float> av = random_floats(n, 11);
  std::vector<int32_t> bv(70);
  for (int i = 0; i < 70; ++i) bv[i] = i - 35;
  auto a = make_f(shape, av, {2, 0, 1});
  auto b = make_typed<int32_t>(I32, {70}, bv);
  auto out = make(F32, shape, {1, 2, 0});
  Values v;
  ASSERT_EQ(run("aten::sub.out", {a->ev(), b->ev(), v.integer(2), out->ev(), out->ev()}),
            Error::Ok);
  std::vector<float> want(n);
  for (int64_t i = 0; i < n; ++i) want[i] = av[i] - 2.0f * static_cast<float>(bv[i % 70]);
  expect_close(out->get<float>(), want, 1e-6f);

  // The same through a comparison (bool out, permuted) and where.
  auto mask = make(B, shape, {2, 1, 0});
  ASSERT_EQ(run("aten::gt.Tensor_out", {a->ev(), b->ev(), mask->ev(), mask->ev()}), Error::Ok);
  const std::vector<bool> m = [&] {
    std::vector<bool> r;
    for (uint8_t x : mask->get<uint8_t>()) r.push_back(x != 0);
    return r;
  }();
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(m[i], av[i] > bv[i % 70]) << i;
  auto picked = make(F32, shape);
  ASSERT_EQ(run("aten::where.self_out", {mask->ev(), b->ev(), a->ev(), picked->ev(), picked->ev()}),
            Error::Ok);
  const std::vector<float> p = picked->get<float>();
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(p[i], m[i] ? static_cast<float>(bv[i % 70]) : av[i]) << i;
  }
}

TEST(BinaryMixedDtypes, OutAliasingSelfWhileOtherIsConverted) {
  std::vector<float> av(150);
  std::vector<int64_t> bv(150);
  for (int i = 0; i < 150; ++i) {
    av[i] = 0.5f * i;
    bv[i] = 3 * i;
  }
  auto a = make_f({150}, av);
  auto b = make_typed<int64_t>(I64, {150}, bv);
  ASSERT_EQ(run("aten::mul.out", {a->ev(), b->ev(), a->ev(), a->ev()}), Error::Ok);
  const std::vector<float> got = a->get<float>();
  for (int i = 0; i < 150; ++i) ASSERT_EQ(got[i], 0.5f * i * 3.0f * i) << i;
}

TEST(BinaryScalar, ScalarOperandsPromoteAsWrappedNumbers) {
  Values v;
  auto i = make_typed<int32_t>(I32, {3}, {1, 2, 3});
  auto f = make(F32, {3});
  // int32 tensor + 2.5 -> float32.
  ASSERT_EQ(run("aten::add.Scalar_out", {i->ev(), v.real(2.5), v.integer(1), f->ev(), f->ev()}),
            Error::Ok);
  EXPECT_EQ(f->get<float>(), (std::vector<float>{3.5f, 4.5f, 5.5f}));
  // int32 tensor * an int64 Scalar stays int32, wrapping.
  auto o = make(I32, {3});
  ASSERT_EQ(run("aten::mul.Scalar_out", {i->ev(), v.integer(0x100000001LL), o->ev(), o->ev()}),
            Error::Ok);
  EXPECT_EQ(o->get<int32_t>(), (std::vector<int32_t>{1, 2, 3}));
  // A bool tensor times 3 gives int64; 2 ** tensor (pow.Scalar) stays int32.
  auto bits = make_typed<bool>(B, {2}, {true, false});
  auto l = make(I64, {2});
  ASSERT_EQ(run("aten::mul.Scalar_out", {bits->ev(), v.integer(3), l->ev(), l->ev()}), Error::Ok);
  EXPECT_EQ(l->get<int64_t>(), (std::vector<int64_t>{3, 0}));
  ASSERT_EQ(run("aten::pow.Scalar_out", {v.integer(2), i->ev(), o->ev(), o->ev()}), Error::Ok);
  EXPECT_EQ(o->get<int32_t>(), (std::vector<int32_t>{2, 4, 8}));
  // 7 % tensor with the sign of the divisor.
  auto d = make_typed<int32_t>(I32, {3}, {-2, 3, -5});
  ASSERT_EQ(run("aten::remainder.Scalar_Tensor_out", {v.integer(7), d->ev(), o->ev(), o->ev()}),
            Error::Ok);
  EXPECT_EQ(o->get<int32_t>(), (std::vector<int32_t>{-1, 1, -3}));
  // uint8 > -1: the Scalar converts to uint8 (255), as torch does.
  auto u = make_typed<uint8_t>(U8, {2}, {0, 255});
  auto bo = make(B, {2});
  ASSERT_EQ(run("aten::ge.Scalar_out", {u->ev(), v.integer(-1), bo->ev(), bo->ev()}), Error::Ok);
  EXPECT_EQ(bo->get<uint8_t>(), (std::vector<uint8_t>{0, 1}));
}

TEST(BinaryIntegers, WrapDivideAndRemainderEdges) {
  Values v;
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  auto a = make_typed<int64_t>(I64, {6}, {kMin, kMin, 7, -7, 7, -7});
  auto b = make_typed<int64_t>(I64, {6}, {-1, 3, -2, 2, 2, -2});
  auto out = make(I64, {6});
  ASSERT_EQ(run("aten::div.out_mode", {a->ev(), b->ev(), v.str("floor"), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<int64_t>(),
            (std::vector<int64_t>{kMin, -3074457345618258603LL, -4, -4, 3, 3}));
  ASSERT_EQ(run("aten::remainder.Tensor_out", {a->ev(), b->ev(), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<int64_t>(), (std::vector<int64_t>{0, 1, -1, 1, 1, -1}));
  ASSERT_EQ(run("aten::fmod.Tensor_out", {a->ev(), b->ev(), out->ev(), out->ev()}), Error::Ok);
  EXPECT_EQ(out->get<int64_t>(), (std::vector<int64_t>{0, -2, 1, -1, 1, -1}));
  // int8 wraps modulo 256; pow with negative exponents gives 0 except for +-1.
  auto c = make_typed<int8_t>(I8, {4}, {100, -128, 1, -1});
  auto e = make_typed<int8_t>(I8, {4}, {2, 3, -5, -3});
  auto o8 = make(I8, {4});
  ASSERT_EQ(run("aten::mul.out", {c->ev(), c->ev(), o8->ev(), o8->ev()}), Error::Ok);
  EXPECT_EQ(o8->get<int8_t>(), (std::vector<int8_t>{16, 0, 1, 1}));
  ASSERT_EQ(run("aten::pow.Tensor_Tensor_out", {c->ev(), e->ev(), o8->ev(), o8->ev()}), Error::Ok);
  EXPECT_EQ(o8->get<int8_t>(), (std::vector<int8_t>{16, 0, 1, -1}));
  // uint8 subtraction wraps.
  auto u = make_typed<uint8_t>(U8, {2}, {1, 200});
  auto w = make_typed<uint8_t>(U8, {2}, {2, 100});
  auto ou = make(U8, {2});
  ASSERT_EQ(run("aten::sub.out", {u->ev(), w->ev(), v.integer(3), ou->ev(), ou->ev()}), Error::Ok);
  EXPECT_EQ(ou->get<uint8_t>(), (std::vector<uint8_t>{251, 156}));
}

// alpha converts to the result dtype as torch's Scalar::to (sub negates it
// first): a negative int wraps into uint8 down to -255, and int8 sub takes
// alpha = 128 (-128 fits).
TEST(BinaryIntegers, AlphaConvertsAsTorch) {
  Values v;
  auto u = make_typed<uint8_t>(U8, {2}, {1, 2});
  auto one = make_typed<uint8_t>(U8, {2}, {1, 1});
  auto ou = make(U8, {2});
  ASSERT_EQ(run("aten::add.out", {u->ev(), one->ev(), v.integer(-255), ou->ev(), ou->ev()}),
            Error::Ok);
  EXPECT_EQ(ou->get<uint8_t>(), (std::vector<uint8_t>{2, 3}));
  auto c = make_typed<int8_t>(I8, {1}, {2});
  auto c1 = make_typed<int8_t>(I8, {1}, {1});
  auto o8 = make(I8, {1});
  ASSERT_EQ(run("aten::sub.out", {c->ev(), c1->ev(), v.integer(128), o8->ev(), o8->ev()}),
            Error::Ok);
  EXPECT_EQ(o8->get<int8_t>(), (std::vector<int8_t>{-126}));
}

TEST(BinaryIntegers, DivisionByZeroFailsWithoutTrapping) {
  Values v;
  auto a = make_typed<int32_t>(I32, {2}, {1, 2});
  auto z = make_typed<int32_t>(I32, {2}, {1, 0});
  auto out = make(I32, {2});
  for (const char* op : {"aten::remainder.Tensor_out", "aten::fmod.Tensor_out"}) {
    LogCapture log;
    EXPECT_EQ(run(op, {a->ev(), z->ev(), out->ev(), out->ev()}), Error::KernelFailed) << op;
    EXPECT_TRUE(log.contains(op));
  }
  EXPECT_EQ(run("aten::remainder.Scalar_out", {a->ev(), v.integer(0), out->ev(), out->ev()}),
            Error::KernelFailed);
  EXPECT_EQ(run("aten::div.Scalar_mode_out",
                {a->ev(), v.integer(0), v.str("trunc"), out->ev(), out->ev()}),
            Error::KernelFailed);
  // Float division by zero is IEEE: inf and nan.
  auto f = make_f({3}, {1, -1, 0});
  auto fo = make(F32, {3});
  ASSERT_EQ(run("aten::remainder.Scalar_out", {f->ev(), v.real(0.0), fo->ev(), fo->ev()}),
            Error::Ok);
  for (float x : fo->get<float>()) EXPECT_TRUE(std::isnan(x));
}

TEST(BinaryFloats, NanPropagationAndPowSpecialCases) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  auto a = make_f({4}, {1, nan, -0.0f, -inf});
  auto b = make_f({4}, {nan, 2, 0.0f, 1});
  auto out = make(F32, {4});
  ASSERT_EQ(run("aten::maximum.out", {a->ev(), b->ev(), out->ev(), out->ev()}), Error::Ok);
  std::vector<float> got = out->get<float>();
  EXPECT_TRUE(std::isnan(got[0]) && std::isnan(got[1]));
  EXPECT_EQ(got[3], 1.0f);
  ASSERT_EQ(run("aten::minimum.out", {a->ev(), b->ev(), out->ev(), out->ev()}), Error::Ok);
  got = out->get<float>();
  EXPECT_TRUE(std::isnan(got[0]) && std::isnan(got[1]));
  EXPECT_EQ(got[3], -inf);
  // x ** 0.5 is sqrt (sqrt(-inf) is nan where pow gives inf; sqrt(-0) is -0).
  Values v;
  ASSERT_EQ(run("aten::pow.Tensor_Scalar_out", {a->ev(), v.real(0.5), out->ev(), out->ev()}),
            Error::Ok);
  got = out->get<float>();
  EXPECT_TRUE(std::isnan(got[3]));
  EXPECT_TRUE(got[2] == 0.0f && std::signbit(got[2]));
  ASSERT_EQ(run("aten::pow.Tensor_Scalar_out", {a->ev(), v.integer(-1), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>()[2], -inf);
}

TEST(BinaryBool, BytesOtherThanZeroOrOneAreTrue) {
  auto a = make(B, {3});
  auto b = make(B, {3});
  const uint8_t ra[3] = {2, 0, 0x80};
  const uint8_t rb[3] = {1, 3, 0};
  std::memcpy(a->t().mutable_data(), ra, 3);
  std::memcpy(b->t().mutable_data(), rb, 3);
  auto out = make(B, {3});
  ASSERT_EQ(run("aten::eq.Tensor_out", {a->ev(), b->ev(), out->ev(), out->ev()}), Error::Ok);
  EXPECT_EQ(out->get<uint8_t>(), (std::vector<uint8_t>{1, 0, 0}));
  ASSERT_EQ(run("aten::bitwise_and.Tensor_out", {a->ev(), b->ev(), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<uint8_t>(), (std::vector<uint8_t>{1, 0, 0}));
  ASSERT_EQ(run("aten::logical_xor.out", {a->ev(), b->ev(), out->ev(), out->ev()}), Error::Ok);
  EXPECT_EQ(out->get<uint8_t>(), (std::vector<uint8_t>{0, 1, 1}));
  auto x = make_f({3}, {1, 2, 3});
  auto y = make_f({3}, {-1, -2, -3});
  auto f = make(F32, {3});
  ASSERT_EQ(run("aten::where.self_out", {a->ev(), x->ev(), y->ev(), f->ev(), f->ev()}), Error::Ok);
  EXPECT_EQ(f->get<float>(), (std::vector<float>{1, -2, 3}));
}

TEST(BinaryShapes, WhereBroadcastsThreeWaysIntoADynamicOut) {
  auto cond = make_typed<uint8_t>(U8, {2, 1, 1}, {1, 0});
  auto a = make_typed<int64_t>(I64, {3, 1}, {1, 2, 3});
  auto b = make_typed<int32_t>(I32, {4}, {-1, -2, -3, -4});
  auto out = make_dynamic(I64, 3, 32);
  ASSERT_EQ(run("aten::where.self_out", {cond->ev(), a->ev(), b->ev(), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->shape(), (std::vector<int32_t>{2, 3, 4}));
  const std::vector<int64_t> got = out->get<int64_t>();
  for (int i = 0; i < 24; ++i) {
    EXPECT_EQ(got[i], i < 12 ? (i / 4) + 1 : -((i % 4) + 1)) << i;
  }
}

TEST(BinaryShapes, EmptyAndZeroDim) {
  Values v;
  auto e = make(F32, {0, 3});
  auto r = make_f({3}, {1, 2, 3});
  auto out = make_dynamic(B, 2, 8);
  ASSERT_EQ(run("aten::lt.Tensor_out", {e->ev(), r->ev(), out->ev(), out->ev()}), Error::Ok);
  EXPECT_EQ(out->shape(), (std::vector<int32_t>{0, 3}));
  auto s = make_typed<int16_t>(I16, {}, {-7});
  auto so = make(I16, {});
  ASSERT_EQ(run("aten::remainder.Scalar_out", {s->ev(), v.integer(3), so->ev(), so->ev()}),
            Error::Ok);
  EXPECT_EQ(so->get<int16_t>(), (std::vector<int16_t>{2}));
}

TEST(BinaryRejections, BadDtypesShapesAndArguments) {
  Values v;
  auto f = make_f({2, 3}, std::vector<float>(6, 1.0f));
  auto i = make_typed<int32_t>(I32, {2, 3}, std::vector<int32_t>(6, 1));
  auto bits = make(B, {2, 3});
  auto fo = make(F32, {2, 3});
  auto io = make(I32, {2, 3});
  auto bo = make(B, {2, 3});
  struct Case {
    const char* what;
    const char* op;
    std::vector<EValue*> args;
    Error want;
  };
  auto four = make(F32, {4});
  auto i8 = make_typed<int8_t>(I8, {1}, {2});
  auto u8 = make_typed<uint8_t>(U8, {1}, {2});
  auto f16 = make_typed<Half>(F16, {1}, {Half(1.0f)});
  const Case cases[] = {
      {"comparison writing float", "aten::eq.Tensor_out", {f->ev(), f->ev(), fo->ev(), fo->ev()},
       Error::NotSupported},
      {"bitwise on float", "aten::bitwise_or.Tensor_out", {f->ev(), i->ev(), fo->ev(), fo->ev()},
       Error::NotSupported},
      {"bitwise with a float Scalar", "aten::bitwise_xor.Scalar_out",
       {i->ev(), v.real(1.5), fo->ev(), fo->ev()}, Error::NotSupported},
      {"where with a float condition", "aten::where.self_out",
       {f->ev(), f->ev(), f->ev(), fo->ev(), fo->ev()}, Error::NotSupported},
      {"sub with a bool operand", "aten::sub.out",
       {f->ev(), bits->ev(), v.integer(1), fo->ev(), fo->ev()}, Error::NotSupported},
      {"remainder of bools", "aten::remainder.Tensor_out",
       {bits->ev(), bits->ev(), bo->ev(), bo->ev()}, Error::NotSupported},
      {"int to a negative int power", "aten::pow.Tensor_Scalar_out",
       {i->ev(), v.integer(-2), io->ev(), io->ev()}, Error::InvalidArgument},
      {"exponent overflowing int8", "aten::pow.Tensor_Scalar_out",
       {i8->ev(), v.integer(300), i8->ev(), i8->ev()},
       Error::InvalidArgument},
      {"float alpha for ints", "aten::add.Scalar_out",
       {i->ev(), v.integer(1), v.real(2.0), io->ev(), io->ev()}, Error::InvalidArgument},
      {"alpha overflowing uint8 (as torch)", "aten::add.out",
       {u8->ev(), u8->ev(), v.integer(256), u8->ev(), u8->ev()}, Error::InvalidArgument},
      {"-alpha overflowing int8 (as torch)", "aten::sub.out",
       {i8->ev(), i8->ev(), v.integer(-128), i8->ev(), i8->ev()}, Error::InvalidArgument},
      {"alpha overflowing float16 (as torch)", "aten::add.out",
       {f16->ev(), f16->ev(), v.integer(70000), f16->ev(), f16->ev()}, Error::InvalidArgument},
      {"bool alpha for floats", "aten::add.out",
       {f->ev(), f->ev(), v.boolean(true), fo->ev(), fo->ev()}, Error::InvalidArgument},
      {"shapes that do not broadcast", "aten::maximum.out",
       {f->ev(), four->ev(), fo->ev(), fo->ev()}, Error::InvalidArgument},
      {"a static out of the wrong shape", "aten::atan2.out",
       {f->ev(), f->ev(), four->ev(), four->ev()}, Error::InvalidArgument},
      {"int atan2 writing int", "aten::atan2.out", {i->ev(), i->ev(), io->ev(), io->ev()},
       Error::NotSupported},
      {"a Tensor where a Scalar goes", "aten::mul.Scalar_out",
       {f->ev(), f->ev(), fo->ev(), fo->ev()}, Error::InvalidArgument},
      {"a Scalar where a Tensor goes", "aten::logical_and.out",
       {f->ev(), v.integer(1), bo->ev(), bo->ev()}, Error::InvalidArgument},
      {"a missing argument", "aten::where.self_out", {bits->ev(), f->ev(), fo->ev(), fo->ev()},
       Error::InvalidArgument},
      {"a bad rounding mode", "aten::div.Scalar_mode_out",
       {f->ev(), v.integer(2), v.str("round"), fo->ev(), fo->ev()}, Error::InvalidArgument},
  };
  for (const Case& c : cases) {
    LogCapture log;
    EXPECT_EQ(run(c.op, c.args), c.want) << c.what;
    EXPECT_TRUE(log.contains(c.op)) << c.what;
  }
}

}  // namespace
}  // namespace test
}  // namespace ember
