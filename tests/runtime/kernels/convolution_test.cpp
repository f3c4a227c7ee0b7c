// Tests for aten::convolution.out: forward and transposed, 1-d and 2-d,
// against direct 7-loop references over random inputs for many
// stride/padding/dilation/groups combinations; both the im2col path (with
// scratch memory) and the direct path (without); plus rejections.
#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

struct ConvCase {
  int n, c_in, h, w, c_out, kh, kw, sh, sw, ph, pw, dh, dw, groups;
  bool bias;
  int oph = 0, opw = 0;  // transposed only
};

/// Plain forward convolution: out[n][oc][oh][ow] = bias + sum w * in.
std::vector<float> ref_conv(const ConvCase& c, const std::vector<float>& in,
                            const std::vector<float>& wt, const std::vector<float>& bias, int oh_n,
                            int ow_n) {
  const int icg = c.c_in / c.groups, ocg = c.c_out / c.groups;
  std::vector<float> out(static_cast<size_t>(c.n) * c.c_out * oh_n * ow_n);
  for (int b = 0; b < c.n; ++b)
    for (int oc = 0; oc < c.c_out; ++oc)
      for (int oh = 0; oh < oh_n; ++oh)
        for (int ow = 0; ow < ow_n; ++ow) {
          double acc = c.bias ? bias[oc] : 0.0;
          const int g = oc / ocg;
          for (int ic = 0; ic < icg; ++ic)
            for (int ki = 0; ki < c.kh; ++ki)
              for (int kj = 0; kj < c.kw; ++kj) {
                const int ih = oh * c.sh - c.ph + ki * c.dh;
                const int iw = ow * c.sw - c.pw + kj * c.dw;
                if (ih < 0 || ih >= c.h || iw < 0 || iw >= c.w) continue;
                acc += static_cast<double>(
                           in[((b * c.c_in + g * icg + ic) * c.h + ih) * c.w + iw]) *
                       wt[((oc * icg + ic) * c.kh + ki) * c.kw + kj];
              }
          out[((b * c.c_out + oc) * oh_n + oh) * ow_n + ow] = static_cast<float>(acc);
        }
  return out;
}

/// Plain transposed convolution (scatter form); weight [c_in, c_out/g, kh, kw].
std::vector<float> ref_conv_t(const ConvCase& c, const std::vector<float>& in,
                              const std::vector<float>& wt, const std::vector<float>& bias,
                              int oh_n, int ow_n) {
  const int icg = c.c_in / c.groups, ocg = c.c_out / c.groups;
  std::vector<double> acc(static_cast<size_t>(c.n) * c.c_out * oh_n * ow_n, 0.0);
  for (int b = 0; b < c.n; ++b)
    for (int ic = 0; ic < c.c_in; ++ic)
      for (int ih = 0; ih < c.h; ++ih)
        for (int iw = 0; iw < c.w; ++iw)
          for (int oc = 0; oc < ocg; ++oc)
            for (int ki = 0; ki < c.kh; ++ki)
              for (int kj = 0; kj < c.kw; ++kj) {
                const int oh = ih * c.sh - c.ph + ki * c.dh;
                const int ow = iw * c.sw - c.pw + kj * c.dw;
                if (oh < 0 || oh >= oh_n || ow < 0 || ow >= ow_n) continue;
                const int g = ic / icg;
                acc[((b * c.c_out + g * ocg + oc) * oh_n + oh) * ow_n + ow] +=
                    static_cast<double>(in[((b * c.c_in + ic) * c.h + ih) * c.w + iw]) *
                    wt[((ic * ocg + oc) * c.kh + ki) * c.kw + kj];
              }
  std::vector<float> out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) {
    const int oc = static_cast<int>((i / (static_cast<size_t>(oh_n) * ow_n)) % c.c_out);
    out[i] = static_cast<float>(acc[i] + (c.bias ? bias[oc] : 0.0));
  }
  return out;
}

/// Runs one case through the kernel (as 1-d when h == 1 && one_d) and
/// compares with the reference.
void check_case(const ConvCase& c, bool transposed, bool one_d, size_t temp_bytes,
                uint32_t seed) {
  SCOPED_TRACE(testing::Message() << "case n=" << c.n << " c_in=" << c.c_in << " h=" << c.h
                                  << " w=" << c.w << " c_out=" << c.c_out << " k=" << c.kh << "x"
                                  << c.kw << " s=" << c.sh << "," << c.sw << " p=" << c.ph << ","
                                  << c.pw << " d=" << c.dh << "," << c.dw << " g=" << c.groups
                                  << " transposed=" << transposed << " 1d=" << one_d
                                  << " temp=" << temp_bytes);
  int oh, ow;
  if (!transposed) {
    oh = (c.h + 2 * c.ph - c.dh * (c.kh - 1) - 1) / c.sh + 1;
    ow = (c.w + 2 * c.pw - c.dw * (c.kw - 1) - 1) / c.sw + 1;
  } else {
    oh = (c.h - 1) * c.sh - 2 * c.ph + c.dh * (c.kh - 1) + c.oph + 1;
    ow = (c.w - 1) * c.sw - 2 * c.pw + c.dw * (c.kw - 1) + c.opw + 1;
  }
  const int w0 = transposed ? c.c_in : c.c_out;
  const int w1 = transposed ? c.c_out / c.groups : c.c_in / c.groups;
  const std::vector<float> in = random_floats(static_cast<size_t>(c.n) * c.c_in * c.h * c.w, seed);
  const std::vector<float> wt = random_floats(static_cast<size_t>(w0) * w1 * c.kh * c.kw, seed + 1);
  const std::vector<float> bias = random_floats(static_cast<size_t>(c.c_out), seed + 2);
  TensorPtr t_in, t_w, t_out;
  if (one_d) {
    t_in = make_f({c.n, c.c_in, c.w}, in);
    t_w = make_f({w0, w1, c.kw}, wt);
    t_out = make(ScalarType::Float, {c.n, c.c_out, ow});
  } else {
    t_in = make_f({c.n, c.c_in, c.h, c.w}, in);
    t_w = make_f({w0, w1, c.kh, c.kw}, wt);
    t_out = make(ScalarType::Float, {c.n, c.c_out, oh, ow});
  }
  auto t_b = make_f({c.c_out}, bias);
  Values v;
  auto list = [&](int a, int b) {
    return one_d ? v.ints({b}) : v.ints({a, b});
  };
  const Error err = run("aten::convolution.out",
                        {t_in->ev(), t_w->ev(), c.bias ? t_b->ev() : v.none(), list(c.sh, c.sw),
                         list(c.ph, c.pw), list(c.dh, c.dw), v.boolean(transposed),
                         list(c.oph, c.opw), v.integer(c.groups), t_out->ev(), t_out->ev()},
                        temp_bytes);
  ASSERT_EQ(err, Error::Ok);
  const std::vector<float> want =
      transposed ? ref_conv_t(c, in, wt, bias, oh, ow) : ref_conv(c, in, wt, bias, oh, ow);
  expect_close(t_out->get<float>(), want, 1e-4f);
}

const ConvCase kForwardCases[] = {
    // n c_in h  w  c_out kh kw sh sw ph pw dh dw g  bias
    {1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1, false},
    {2, 3, 8, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},
    {1, 4, 9, 9, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2, true},
    {2, 4, 10, 8, 4, 3, 3, 1, 1, 2, 2, 2, 2, 4, true},   // depthwise, dilated
    {1, 3, 7, 11, 5, 2, 4, 3, 2, 1, 2, 1, 2, 1, false},  // asymmetric everything
    {1, 8, 6, 6, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1, true},   // pointwise gemm path
    {2, 6, 5, 5, 6, 1, 1, 2, 2, 0, 0, 1, 1, 3, true},    // strided 1x1, groups
    {1, 3, 17, 23, 8, 5, 5, 2, 1, 2, 2, 1, 1, 1, true},
    {1, 2, 4, 4, 2, 4, 4, 1, 1, 0, 0, 1, 1, 1, true},    // kernel covers input
    {1, 2, 3, 3, 2, 3, 3, 4, 4, 1, 1, 1, 1, 2, false},   // stride larger than kernel
    {1, 16, 20, 20, 20, 3, 3, 1, 1, 1, 1, 1, 1, 4, true},
};

TEST(Convolution, Forward2dMatchesReferenceIm2col) {
  uint32_t seed = 100;
  for (const ConvCase& c : kForwardCases) check_case(c, false, false, 8 << 20, seed += 3);
}

TEST(Convolution, Forward2dMatchesReferenceDirectWithoutScratch) {
  uint32_t seed = 200;
  for (const ConvCase& c : kForwardCases) check_case(c, false, false, 0, seed += 3);
}

TEST(Convolution, Forward2dWithSmallScratchUsesChunks) {
  // 2 KiB of scratch forces several small im2col chunks.
  uint32_t seed = 300;
  for (const ConvCase& c : kForwardCases) check_case(c, false, false, 2048, seed += 3);
}

TEST(Convolution, LargerImageSpansManyChunks) {
  const ConvCase c{1, 32, 40, 40, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, true};
  check_case(c, false, false, 8 << 20, 7);
  check_case(c, false, false, 64 << 10, 8);
}

TEST(Convolution, Forward1dMatchesReference) {
  const ConvCase cases[] = {
      {2, 3, 1, 10, 4, 1, 3, 1, 1, 0, 1, 1, 1, 1, true},
      {1, 4, 1, 17, 4, 1, 5, 1, 3, 0, 2, 1, 2, 2, false},
      {1, 6, 1, 9, 3, 1, 1, 1, 1, 0, 0, 1, 1, 3, true},
  };
  uint32_t seed = 400;
  for (const ConvCase& c : cases) {
    check_case(c, false, true, 1 << 20, seed += 3);
    check_case(c, false, true, 0, seed += 3);
  }
}

TEST(Convolution, Transposed2dMatchesReference) {
  const ConvCase cases[] = {
      // n c_in h w c_out kh kw sh sw ph pw dh dw g bias oph opw
      {1, 2, 3, 3, 3, 3, 3, 1, 1, 0, 0, 1, 1, 1, true, 0, 0},
      {2, 4, 4, 5, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2, true, 1, 1},
      {1, 3, 5, 4, 2, 2, 4, 3, 2, 0, 1, 2, 1, 1, false, 2, 0},
      {1, 4, 3, 3, 4, 3, 3, 2, 2, 1, 1, 2, 2, 4, true, 1, 0},  // depthwise, dilated
      {1, 2, 6, 6, 2, 4, 4, 2, 2, 1, 1, 1, 1, 1, true, 0, 1},
  };
  uint32_t seed = 500;
  for (const ConvCase& c : cases) check_case(c, true, false, 1 << 20, seed += 3);
}

TEST(Convolution, Transposed1dMatchesReference) {
  const ConvCase cases[] = {
      {1, 3, 1, 7, 2, 1, 3, 1, 2, 0, 1, 1, 1, 1, true, 0, 1},
      {2, 4, 1, 5, 4, 1, 2, 1, 3, 0, 0, 1, 2, 2, false, 0, 2},
  };
  uint32_t seed = 600;
  for (const ConvCase& c : cases) check_case(c, true, true, 0, seed += 3);
}

TEST(Convolution, HandCheckedSmallCase) {
  // 3x3 input, 2x2 all-ones kernel, bias 1: each output = window sum + 1.
  auto in = make_f({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto w = make_f({1, 1, 2, 2}, {1, 1, 1, 1});
  auto b = make_f({1}, {1});
  auto out = make_dynamic(ScalarType::Float, 4, 16);
  Values v;
  ASSERT_EQ(run("aten::convolution.out",
                {in->ev(), w->ev(), b->ev(), v.ints({1, 1}), v.ints({0, 0}), v.ints({1, 1}),
                 v.boolean(false), v.ints({0, 0}), v.integer(1), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->shape(), (std::vector<int32_t>{1, 1, 2, 2}));
  EXPECT_EQ(out->get<float>(), (std::vector<float>{13, 17, 25, 29}));
}

TEST(Convolution, Rejections) {
  Values v;
  auto in = make_f({1, 2, 5, 5}, std::vector<float>(50, 1.0f));
  auto w = make_f({4, 2, 3, 3}, std::vector<float>(72, 1.0f));
  auto good_out = make(ScalarType::Float, {1, 4, 3, 3});
  auto call = [&](EValue* input, EValue* weight, EValue* bias, EValue* groups, TestTensor* out,
                  EValue* stride) {
    return run("aten::convolution.out",
               {input, weight, bias, stride, v.ints({0, 0}), v.ints({1, 1}), v.boolean(false),
                v.ints({0, 0}), groups, out->ev(), out->ev()});
  };
  ASSERT_EQ(call(in->ev(), w->ev(), v.none(), v.integer(1), good_out.get(), v.ints({1, 1})),
            Error::Ok);
  {
    LogCapture log;
    auto bad_out = make(ScalarType::Float, {1, 4, 4, 4});
    EXPECT_EQ(call(in->ev(), w->ev(), v.none(), v.integer(1), bad_out.get(), v.ints({1, 1})),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::convolution.out"));
  }
  auto int_out = make(ScalarType::Int, {1, 4, 3, 3});
  EXPECT_EQ(call(in->ev(), w->ev(), v.none(), v.integer(1), int_out.get(), v.ints({1, 1})),
            Error::NotSupported);
  EXPECT_EQ(call(in->ev(), w->ev(), v.none(), v.integer(3), good_out.get(), v.ints({1, 1})),
            Error::InvalidArgument);  // groups do not divide channels
  EXPECT_EQ(call(in->ev(), w->ev(), v.none(), v.integer(0), good_out.get(), v.ints({1, 1})),
            Error::InvalidArgument);
  EXPECT_EQ(call(in->ev(), w->ev(), v.none(), v.integer(1), good_out.get(), v.ints({0, 1})),
            Error::InvalidArgument);  // zero stride
  EXPECT_EQ(call(in->ev(), w->ev(), v.none(), v.integer(1), good_out.get(), v.ints({1, 1, 1})),
            Error::InvalidArgument);  // 3 strides for 2-d
  auto bad_bias = make_f({3}, {0, 0, 0});
  EXPECT_EQ(call(in->ev(), w->ev(), bad_bias->ev(), v.integer(1), good_out.get(), v.ints({1, 1})),
            Error::InvalidArgument);
  auto big_w = make_f({4, 2, 7, 7}, std::vector<float>(392, 1.0f));
  EXPECT_EQ(call(in->ev(), big_w->ev(), v.none(), v.integer(1), good_out.get(), v.ints({1, 1})),
            Error::InvalidArgument);  // kernel larger than input
  auto in_cl = make(ScalarType::Float, {1, 2, 5, 5}, {0, 2, 3, 1});
  EXPECT_EQ(call(in_cl->ev(), w->ev(), v.none(), v.integer(1), good_out.get(), v.ints({1, 1})),
            Error::NotSupported);  // channels-last input
  auto in5 = make(ScalarType::Float, {1, 2, 3, 3, 3});
  EXPECT_EQ(call(in5->ev(), w->ev(), v.none(), v.integer(1), good_out.get(), v.ints({1, 1})),
            Error::NotSupported);  // 3-d convolution
  EXPECT_EQ(call(in->ev(), v.integer(1), v.none(), v.integer(1), good_out.get(), v.ints({1, 1})),
            Error::InvalidArgument);  // weight not a tensor
  // Transposed with output_padding >= stride and dilation.
  auto t_out = make_dynamic(ScalarType::Float, 4, 1000);
  EXPECT_EQ(run("aten::convolution.out",
                {in->ev(), make_f({2, 2, 3, 3}, std::vector<float>(36, 1.0f))->ev(), v.none(),
                 v.ints({1, 1}), v.ints({0, 0}), v.ints({1, 1}), v.boolean(true), v.ints({1, 1}),
                 v.integer(1), t_out->ev(), t_out->ev()}),
            Error::InvalidArgument);
}

}  // namespace
}  // namespace test
}  // namespace ember
