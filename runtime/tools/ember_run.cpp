// ember_run: load a .pte, feed inputs (files or deterministic random values),
// run a method, print the outputs, the load time, the time per run and the
// process's peak resident memory; with --profile, a per-op table of the timed
// runs, with --trace, a Chrome trace of them, with --etdump, an ETDump of them
// (ExecuTorch's Inspector reads it). A bundled program (.bpte) runs
// the program inside, on its first test case's inputs; with --verify, every
// test case is run and compared with its expected outputs (exit 1 on a
// difference, with the worst one printed).
//
//   ember_run model.pte [--method NAME] [--input FILE]... [--output-dir DIR]
//             [--iterations N] [--warmup N] [--seed S] [--print-limit K]
//             [--max-steps N] [--threads N] [--profile] [--trace FILE]
//             [--etdump FILE]
//   ember_run model.bpte --verify [--method NAME] [--rtol R] [--atol A]
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifdef EMBER_HAVE_TEST_BACKEND
#include "runtime/backends/test/test_backend.h"
#endif
#ifdef EMBER_HAVE_XNNPACK
#include "runtime/backends/xnnpack/xnnpack_backend.h"
#endif
#include "runtime/core/threadpool.h"
#include "runtime/extension/bundled_verify.h"
#include "runtime/extension/etdump.h"
#include "runtime/extension/module.h"
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/kernel_libraries.h"
#include "runtime/platform/platform.h"
#include "runtime/tools/npy.h"

namespace {

struct Options {
  std::string model;
  std::string method;
  std::vector<std::string> inputs;
  std::string output_dir;
  long iterations = 1;
  long warmup = 0;
  uint64_t seed = 0;
  long print_limit = 16;
  uint64_t max_steps = ember::Method::kDefaultStepLimit;
  long threads = -1;  ///< -1: not given (the default, one per core)
  bool profile = false;
  std::string trace;
  std::string etdump;
  bool verify = false;
  double rtol = -1;  ///< -1: not given (kDefaultRtol)
  double atol = -1;
};

void usage() {
  std::fprintf(stderr,
               "usage: ember_run model.pte [--method NAME] [--input FILE]... [--output-dir DIR]\n"
               "                 [--iterations N] [--warmup N] [--seed S] [--print-limit K]\n"
               "                 [--max-steps N] [--threads N] [--profile] [--trace FILE]\n"
               "                 [--etdump FILE]\n"
               "       ember_run model.bpte --verify [--method NAME] [--rtol R] [--atol A]\n"
               "  --input FILE      one per method input, in order: .npy, or raw bytes of the\n"
               "                    planned size; without --input, a .bpte's first test case\n"
               "                    gives them, else they are random\n"
               "  --output-dir DIR  write output_<i>.npy for every tensor output (DIR is made\n"
               "                    if missing)\n"
               "  --iterations N    timed runs (default 1); --warmup N untimed runs (default 0)\n"
               "  --seed S          seed of the random inputs (default 0)\n"
               "  --print-limit K   values printed per output (default 16)\n"
               "  --max-steps N     fail a run after N instructions, for loops that never end\n"
               "                    (default 100000000; 0: no limit)\n"
               "  --threads N       threads of the process's pool (0: one per core, the default)\n"
               "  --profile         print a per-op table of the timed runs (calls, total ms,\n"
               "                    share of execute), sorted by time\n"
               "  --trace FILE      write the timed runs as a Chrome trace (JSON; Perfetto,\n"
               "                    chrome://tracing)\n"
               "  --etdump FILE     write the timed runs as an ETDump (one run block per run;\n"
               "                    ExecuTorch's devtools Inspector reads it)\n"
               "  --verify          run every test case of a bundled program (.bpte; of\n"
               "                    --method only, if given) and compare the outputs: exit 0\n"
               "                    when all match, 1 with the worst difference otherwise\n"
               "  --rtol R, --atol A  tolerances of --verify: |got - expected| <= A + R *\n"
               "                    |expected| (default R 1e-05, A 1e-08: ExecuTorch's)\n");
}

int fail(const std::string& message) {
  std::fprintf(stderr, "ember_run: %s\n", message.c_str());
  return 1;
}

bool parse_long(const char* s, long min, long* out) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < min) return false;
  *out = v;
  return true;
}

bool parse_tolerance(const char* s, double* out) {
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || !(v >= 0) || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool parse_args(int argc, char** argv, Options* o, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        *error = std::string(flag) + " needs a value";
        return nullptr;
      }
      return argv[++i];
    };
    const char* v = nullptr;
    if (a == "--help" || a == "-h") {
      usage();
      std::exit(0);
    } else if (a == "--method") {
      if ((v = next("--method")) == nullptr) return false;
      o->method = v;
    } else if (a == "--input") {
      if ((v = next("--input")) == nullptr) return false;
      o->inputs.push_back(v);
    } else if (a == "--output-dir") {
      if ((v = next("--output-dir")) == nullptr) return false;
      o->output_dir = v;
    } else if (a == "--iterations" || a == "--warmup" || a == "--print-limit") {
      if ((v = next(a.c_str())) == nullptr) return false;
      long* dst = a == "--iterations" ? &o->iterations : a == "--warmup" ? &o->warmup : &o->print_limit;
      if (!parse_long(v, a == "--iterations" ? 1 : 0, dst)) {
        *error = "bad value for " + a + ": " + v;
        return false;
      }
    } else if (a == "--profile") {
      o->profile = true;
    } else if (a == "--verify") {
      o->verify = true;
    } else if (a == "--rtol" || a == "--atol") {
      if ((v = next(a.c_str())) == nullptr) return false;
      if (!parse_tolerance(v, a == "--rtol" ? &o->rtol : &o->atol)) {
        *error = "bad value for " + a + ": " + v + " (a number >= 0)";
        return false;
      }
    } else if (a == "--trace") {
      if ((v = next("--trace")) == nullptr) return false;
      o->trace = v;
    } else if (a == "--etdump") {
      if ((v = next("--etdump")) == nullptr) return false;
      o->etdump = v;
    } else if (a == "--threads") {
      if ((v = next("--threads")) == nullptr) return false;
      if (!parse_long(v, 0, &o->threads) || o->threads > static_cast<long>(ember::kMaxThreads)) {
        *error = "bad value for --threads: " + std::string(v) + " (0 to " +
                 std::to_string(ember::kMaxThreads) + ")";
        return false;
      }
    } else if (a == "--seed" || a == "--max-steps") {
      long s = 0;
      if ((v = next(a.c_str())) == nullptr) return false;
      if (!parse_long(v, 0, &s)) {
        *error = "bad value for " + a + ": " + v;
        return false;
      }
      (a == "--seed" ? o->seed : o->max_steps) = static_cast<uint64_t>(s);
    } else if (!a.empty() && a[0] == '-') {
      *error = "unknown flag " + a;
      return false;
    } else if (o->model.empty()) {
      o->model = a;
    } else {
      *error = "unexpected argument " + a;
      return false;
    }
  }
  if (o->model.empty()) {
    *error = "no model given";
    return false;
  }
  if (!o->verify && (o->rtol >= 0 || o->atol >= 0)) {
    *error = "--rtol and --atol apply to --verify";
    return false;
  }
  if (o->verify && (!o->inputs.empty() || !o->output_dir.empty() || o->profile ||
                    !o->trace.empty() || !o->etdump.empty())) {
    *error = "--verify runs the bundle's own inputs: no --input, --output-dir, --profile, "
             "--trace or --etdump";
    return false;
  }
  return true;
}

/// --verify: every test case of the bundle, one line each, then the verdict.
int verify(ember::Module* module, const Options& opt) {
  const double rtol = opt.rtol >= 0 ? opt.rtol : ember::kDefaultRtol;
  const double atol = opt.atol >= 0 ? opt.atol : ember::kDefaultAtol;
  ember::VerifyReport report;
  const ember::Status st = ember::verify_bundled_program(module, opt.method, rtol, atol, &report);
  if (!st.ok()) return fail(st.text());
  for (const ember::TestCaseResult& r : report.cases) {
    const char* verdict = !r.compared ? "skipped" : r.check.matched ? "ok" : "MISMATCH";
    std::printf("verify: method '%s' test case %zu: %s, %s\n", r.method.c_str(), r.test_case,
                verdict, r.describe().c_str());
  }
  char tol[64];
  std::snprintf(tol, sizeof tol, "rtol %g, atol %g", rtol, atol);
  if (report.num_compared() == 0) {
    return fail("no test case has expected outputs: nothing to verify");
  }
  const ember::TestCaseResult* worst = report.worst();
  if (worst == nullptr) {
    std::printf("verify: passed: %zu test case%s (%s)\n", report.num_compared(),
                report.num_compared() == 1 ? " matches" : "s match", tol);
    return 0;
  }
  std::printf("verify: FAILED: %zu of %zu test cases differ (%s)\n", report.num_failed(),
              report.num_compared(), tol);
  return fail("verify failed; worst difference: method '" + worst->method + "' test case " +
              std::to_string(worst->test_case) + ", " + worst->describe());
}

// The process's peak resident set (VmHWM of /proc/self/status), or -1 where
// the system does not say. Not getrusage's ru_maxrss: on Linux that keeps the
// high-water mark of the process this one was forked from.
long peak_resident_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

bool read_file(const std::string& path, std::vector<uint8_t>* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return !f.bad();
}

/// splitmix64: deterministic on every platform, unlike <random>'s distributions.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
};

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  const int32_t exp = static_cast<int32_t>((x >> 23) & 0xff) - 127 + 15;
  const uint32_t mant = x & 0x7fffff;
  if (exp <= 0) return static_cast<uint16_t>(sign);  // inputs in [-1, 1): flush tiny values
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00);
  return static_cast<uint16_t>(sign | (exp << 10) | (mant >> 13));
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  uint32_t x;
  if (exp == 0) {
    const float f = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -f : f;
  }
  if (exp == 31) x = sign | 0x7f800000u | (mant << 13);
  else x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

/// Random values: floats uniform in [-1, 1), integers in [0, 10), bools 0/1.
void fill_random(ember::ScalarType dtype, void* data, size_t numel, Rng* rng) {
  using ember::ScalarType;
  for (size_t i = 0; i < numel; ++i) {
    const double u = rng->uniform() * 2.0 - 1.0;
    const int64_t k = static_cast<int64_t>(rng->next() % 10);
    switch (dtype) {
      case ScalarType::Float: static_cast<float*>(data)[i] = static_cast<float>(u); break;
      case ScalarType::Double: static_cast<double*>(data)[i] = u; break;
      case ScalarType::Half: static_cast<uint16_t*>(data)[i] = float_to_half(static_cast<float>(u)); break;
      case ScalarType::BFloat16: {
        const float f = static_cast<float>(u);
        uint32_t x;
        std::memcpy(&x, &f, 4);
        static_cast<uint16_t*>(data)[i] = static_cast<uint16_t>(x >> 16);
        break;
      }
      case ScalarType::Bool: static_cast<uint8_t*>(data)[i] = static_cast<uint8_t>(k & 1); break;
      default: {
        const size_t elem = ember::element_size(dtype);
        std::memcpy(static_cast<uint8_t*>(data) + i * elem, &k, elem);  // little-endian
      }
    }
  }
}

/// Element i of a tensor as text.
std::string format_element(ember::ScalarType dtype, const void* data, size_t i) {
  using ember::ScalarType;
  char buf[64];
  const uint8_t* p = static_cast<const uint8_t*>(data);
  switch (dtype) {
    case ScalarType::Float: {
      float v;
      std::memcpy(&v, p + 4 * i, 4);
      std::snprintf(buf, sizeof(buf), "%.6g", static_cast<double>(v));
      break;
    }
    case ScalarType::Double: {
      double v;
      std::memcpy(&v, p + 8 * i, 8);
      std::snprintf(buf, sizeof(buf), "%.6g", v);
      break;
    }
    case ScalarType::Half: {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      std::snprintf(buf, sizeof(buf), "%.4g", static_cast<double>(half_to_float(h)));
      break;
    }
    case ScalarType::BFloat16: {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      const uint32_t x = static_cast<uint32_t>(h) << 16;
      float f;
      std::memcpy(&f, &x, 4);
      std::snprintf(buf, sizeof(buf), "%.4g", static_cast<double>(f));
      break;
    }
    case ScalarType::Bool: return p[i] ? "true" : "false";
    case ScalarType::Char: std::snprintf(buf, sizeof(buf), "%d", static_cast<int>(static_cast<int8_t>(p[i]))); break;
    case ScalarType::Short: {
      int16_t v;
      std::memcpy(&v, p + 2 * i, 2);
      std::snprintf(buf, sizeof(buf), "%d", static_cast<int>(v));
      break;
    }
    case ScalarType::Int:
    case ScalarType::QInt32: {
      int32_t v;
      std::memcpy(&v, p + 4 * i, 4);
      std::snprintf(buf, sizeof(buf), "%" PRId32, v);
      break;
    }
    case ScalarType::Long: {
      int64_t v;
      std::memcpy(&v, p + 8 * i, 8);
      std::snprintf(buf, sizeof(buf), "%" PRId64, v);
      break;
    }
    default: {  // unsigned types and quantized bytes
      const size_t elem = ember::element_size(dtype);
      uint64_t v = 0;
      std::memcpy(&v, p + elem * i, elem);
      std::snprintf(buf, sizeof(buf), "%" PRIu64, v);
    }
  }
  return buf;
}

std::string format_shape(const std::vector<int64_t>& sizes) {
  std::string s = "[";
  for (size_t d = 0; d < sizes.size(); ++d) s += (d ? ", " : "") + std::to_string(sizes[d]);
  return s + "]";
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  std::string error;
  if (!parse_args(argc, argv, &opt, &error)) {
    usage();
    return fail(error);
  }
  // The optimized kernels over the portable ones, unless EMBER_KERNELS=portable.
  std::string kernels = "none";
#ifdef EMBER_HAVE_PORTABLE_KERNELS
  if (ember::register_kernel_libraries() != ember::Error::Ok) {
    return fail("cannot register the kernel libraries");
  }
  char library[64];
  ember::describe_kernel_libraries(library, sizeof(library));
  kernels = std::strcmp(library, "portable") == 0 ? library : std::string(library) + " over portable";
#endif
#ifdef EMBER_HAVE_TEST_BACKEND
  if (ember::register_test_backend() != ember::Error::Ok) {
    return fail("cannot register the EmberTestBackend backend");
  }
#endif
#ifdef EMBER_HAVE_XNNPACK
  if (ember::register_xnnpack_backend() != ember::Error::Ok) {
    return fail("cannot register the XnnpackBackend backend");
  }
#endif

  std::ofstream trace_file;  // opened first: a bad path fails before the runs
  if (!opt.trace.empty()) {
    trace_file.open(opt.trace, std::ios::binary);
    if (!trace_file) return fail("cannot write " + opt.trace);
  }
  std::ofstream etdump_file;
  if (!opt.etdump.empty()) {
    etdump_file.open(opt.etdump, std::ios::binary);
    if (!etdump_file) return fail("cannot write " + opt.etdump);
  }
  if (!opt.output_dir.empty()) {  // made here, like `mkdir -p`: a bad path fails before the runs
    std::error_code ec;
    std::filesystem::create_directories(opt.output_dir, ec);
    if (ec) return fail("cannot make the folder " + opt.output_dir + ": " + ec.message());
  }

  // 1. The thread pool (before loading: a backend binds it at init), the
  //    program and the method.
  if (opt.threads >= 0 && ember::set_num_threads(static_cast<size_t>(opt.threads)) != ember::Error::Ok) {
    return fail("cannot use " + std::to_string(opt.threads) + " threads");
  }
  const uint64_t load_start = ember::platform::now_ns();
  ember::Status st;
  std::unique_ptr<ember::Module> module = ember::Module::load(opt.model, &st);
  if (!module) return fail(st.text());
  module->set_step_limit(opt.max_steps);
  if (opt.verify) {
    if (module->bundled_program() == nullptr) {
      return fail(opt.model + ": no test cases: not a bundled program (--verify needs a .bpte)");
    }
    return verify(module.get(), opt);
  }
  const std::vector<std::string> names = module->method_names();
  if (names.empty()) return fail("the program has no methods");
  if (opt.method.empty()) {
    opt.method = std::find(names.begin(), names.end(), "forward") != names.end() ? "forward" : names[0];
  }
  ember::MethodInfo info;
  st = module->method_info(opt.method, &info);
  if (!st.ok()) return fail(st.text());
  st = module->load_method(opt.method);
  if (!st.ok()) return fail(st.text());
  const double load_ms = static_cast<double>(ember::platform::now_ns() - load_start) / 1e6;

  // 2. Inputs: files or random values at the planned sizes.
  if (!opt.inputs.empty() && opt.inputs.size() != info.inputs.size()) {
    return fail(std::to_string(opt.inputs.size()) + " --input files given, method '" +
                opt.method + "' has " + std::to_string(info.inputs.size()) + " inputs");
  }
  Rng rng{opt.seed};
  std::vector<std::vector<uint8_t>> storage(info.inputs.size());
  std::vector<ember::Value> inputs;
  const bool bundled = opt.inputs.empty() && module->bundled_program() != nullptr &&
                       ember::bundled_inputs(*module, opt.method, 0, &inputs).ok();
  if (bundled) std::printf("inputs: test case 0 of the bundled program\n");
  for (size_t i = 0; !bundled && i < info.inputs.size(); ++i) {
    const ember::ValueInfo& in = info.inputs[i];
    const std::string where = "input " + std::to_string(i);
    if (in.tag != ember::Tag::Tensor) {
      if (!opt.inputs.empty()) return fail(where + " is a scalar; files are for tensor inputs");
      if (in.tag == ember::Tag::Int) inputs.push_back(ember::Value::from_int(1));
      else if (in.tag == ember::Tag::Double) inputs.push_back(ember::Value::from_double(1.0));
      else if (in.tag == ember::Tag::Bool) inputs.push_back(ember::Value::from_bool(true));
      else return fail(where + " has a kind ember_run cannot provide");
      continue;
    }
    ember::TensorView view;
    view.dtype = in.dtype;
    view.dim_order = in.dim_order;
    if (opt.inputs.empty()) {
      view.sizes = in.sizes;
      storage[i].assign(in.nbytes, 0);
      const size_t elem = ember::element_size(in.dtype);
      fill_random(in.dtype, storage[i].data(), elem ? in.nbytes / elem : 0, &rng);
    } else {
      std::vector<uint8_t> bytes;
      const std::string& path = opt.inputs[i];
      if (!read_file(path, &bytes)) return fail("cannot read " + path);
      ember::npy::Array arr;
      const bool is_npy = bytes.size() >= 6 && std::memcmp(bytes.data(), "\x93NUMPY", 6) == 0;
      if (is_npy) {
        if (!ember::npy::parse(bytes, &arr, &error)) return fail(path + ": " + error);
        if (arr.dtype != in.dtype) {
          return fail(path + ": dtype " + ember::scalar_type_name(arr.dtype) + ", " + where +
                      " expects " + ember::scalar_type_name(in.dtype));
        }
        if (arr.shape.size() != in.sizes.size()) {
          std::vector<int64_t> expected(in.sizes.begin(), in.sizes.end());
          return fail(path + ": shape " + format_shape(arr.shape) + ", " + where + " expects " +
                      format_shape(expected));
        }
        view.sizes = arr.shape;
        storage[i] = std::move(arr.data);
      } else {
        if (bytes.size() != in.nbytes) {
          return fail(path + ": " + std::to_string(bytes.size()) + " raw bytes, " + where +
                      " needs " + std::to_string(in.nbytes));
        }
        view.sizes = in.sizes;
        storage[i] = std::move(bytes);
      }
    }
    view.data = storage[i].data();
    view.nbytes = storage[i].size();
    inputs.push_back(ember::Value::from_tensor(std::move(view)));
  }

  // 3. Run: warm-up, then timed iterations.
  std::vector<ember::Value> outputs;
  for (long w = 0; w < opt.warmup; ++w) {
    st = module->execute(opt.method, inputs, &outputs);
    if (!st.ok()) return fail(st.text());
  }
  std::vector<double> times_ms;
  ember::Profile profile;
  const bool profiling = opt.profile || !opt.trace.empty() || !opt.etdump.empty();
  if (profiling) {
    // The timed runs under the tracer; their times are execute()'s own.
    st = module->profile(opt.method, inputs, static_cast<size_t>(opt.iterations), 0, &profile,
                         &outputs);
    if (!st.ok()) return fail(st.text());
    times_ms = profile.run_times_ms();
    if (times_ms.empty()) return fail("the profile recorded no run");
  }
  for (long it = 0; !profiling && it < opt.iterations; ++it) {
    const uint64_t t0 = ember::platform::now_ns();
    st = module->execute(opt.method, inputs, &outputs);
    const uint64_t t1 = ember::platform::now_ns();
    if (!st.ok()) return fail(st.text());
    times_ms.push_back(static_cast<double>(t1 - t0) / 1e6);
  }

  // 4. Outputs.
  for (size_t i = 0; i < outputs.size(); ++i) {
    const ember::Value& out = outputs[i];
    if (out.tag == ember::Tag::Int) {
      std::printf("output[%zu]: int = %" PRId64 "\n", i, out.int_value);
    } else if (out.tag == ember::Tag::Double) {
      std::printf("output[%zu]: double = %.6g\n", i, out.double_value);
    } else if (out.tag == ember::Tag::Bool) {
      std::printf("output[%zu]: bool = %s\n", i, out.bool_value ? "true" : "false");
    } else if (out.tag == ember::Tag::String) {
      std::printf("output[%zu]: str = \"%s\"\n", i, out.string_value.c_str());
    } else if (out.tag == ember::Tag::IntList || out.tag == ember::Tag::DoubleList ||
               out.tag == ember::Tag::BoolList) {
      std::string items;
      char buf[32];
      for (int64_t x : out.int_list) items += (items.empty() ? "" : ", ") + std::to_string(x);
      for (double x : out.double_list) {
        std::snprintf(buf, sizeof buf, "%.6g", x);
        items += (items.empty() ? "" : ", ") + std::string(buf);
      }
      for (bool x : out.bool_list) items += (items.empty() ? "" : ", ") + std::string(x ? "true" : "false");
      const char* kind = out.tag == ember::Tag::IntList ? "int list"
                         : out.tag == ember::Tag::DoubleList ? "double list" : "bool list";
      std::printf("output[%zu]: %s = [%s]\n", i, kind, items.c_str());
    } else if (out.tag != ember::Tag::Tensor) {
      std::printf("output[%zu]: (value of kind %u)\n", i, static_cast<unsigned>(out.tag));
    } else {
      const ember::TensorView& t = out.tensor;
      const size_t elem = ember::element_size(t.dtype);
      const size_t numel = elem ? t.nbytes / elem : 0;
      const size_t shown = std::min(numel, static_cast<size_t>(opt.print_limit));
      std::string values;
      for (size_t k = 0; k < shown; ++k) values += (k ? ", " : "") + format_element(t.dtype, t.data, k);
      if (shown < numel) values += shown ? ", ..." : "...";
      std::printf("output[%zu]: %s %s = [%s]\n", i, ember::scalar_type_name(t.dtype),
                  format_shape(t.sizes).c_str(), values.c_str());
      if (!opt.output_dir.empty()) {
        const std::string path = opt.output_dir + "/output_" + std::to_string(i) + ".npy";
        const std::vector<uint8_t> bytes = ember::npy::serialize(t.dtype, t.sizes, t.data, t.nbytes);
        std::ofstream f(path, std::ios::binary);
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (!f) return fail("cannot write " + path);
      }
    }
  }
  std::sort(times_ms.begin(), times_ms.end());
  const size_t n = times_ms.size();
  const double median = n % 2 ? times_ms[n / 2] : (times_ms[n / 2 - 1] + times_ms[n / 2]) / 2;
  std::printf("load time: %.3f ms (program and method)\n", load_ms);
  std::printf("time per run: min %.3f ms, median %.3f ms over %zu runs%s\n", times_ms[0], median, n,
              profiling ? " (execute only, profiled)" : "");
  std::printf("threads: %zu\n", ember::get_num_threads());
  std::printf("kernels: %s\n", kernels.c_str());
  const long peak_kib = peak_resident_kib();
  if (peak_kib >= 0) std::printf("peak resident memory: %ld KiB\n", peak_kib);
  if (opt.profile) std::printf("\n%s", profile.table().c_str());
  if (!opt.trace.empty()) {
    const std::string json = profile.chrome_trace();
    trace_file.write(json.data(), static_cast<std::streamsize>(json.size()));
    trace_file.close();
    if (!trace_file) return fail("cannot write " + opt.trace);
    std::printf("trace: %s written (%zu events)\n", opt.trace.c_str(), profile.events.size());
  }
  if (!opt.etdump.empty()) {
    std::vector<uint8_t> bytes;
    st = ember::write_etdump(profile, &bytes, bundled ? 0 : ember::kNoBundledInput);
    if (!st.ok()) return fail(st.text());
    etdump_file.write(reinterpret_cast<const char*>(bytes.data()),
                      static_cast<std::streamsize>(bytes.size()));
    etdump_file.close();
    if (!etdump_file) return fail("cannot write " + opt.etdump);
    std::printf("etdump: %s written (%zu runs, %zu events)\n", opt.etdump.c_str(), profile.runs,
                profile.events.size());
  }
  return 0;
}
