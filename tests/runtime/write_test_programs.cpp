// ember_write_test_programs DIR: write the PteBuilder programs of
// test_programs.h as files (the committed copies in tests/runtime/data come
// from here; test_fuzz.cpp checks they are still identical).
#include <cstdio>
#include <string>
#include <vector>

#include "tests/runtime/test_programs.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ember_write_test_programs DIR\n");
    return 2;
  }
  const std::pair<const char*, std::vector<uint8_t>> files[] = {
      {"ember_delegate_inline.pte", ember::testing::delegated_add_program(false)},
      {"ember_delegate_segment.pte", ember::testing::delegated_add_program(true)},
      {"ember_no_kernels.pte", ember::testing::no_kernel_program()},
      {"ember_writes_constant.pte", ember::testing::writes_constant_program()},
      {"ember_endless_loop.pte", ember::testing::endless_loop_program()},
  };
  for (const auto& f : files) {
    const std::string path = std::string(argv[1]) + "/" + f.first;
    FILE* out = std::fopen(path.c_str(), "wb");
    if (out == nullptr || std::fwrite(f.second.data(), 1, f.second.size(), out) != f.second.size()) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
    std::fclose(out);
    std::printf("%s (%zu bytes)\n", path.c_str(), f.second.size());
  }
  return 0;
}
