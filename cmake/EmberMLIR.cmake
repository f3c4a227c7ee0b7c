# Finds MLIR 19 (Debian) and prepares its static libraries for a
# self-contained link: the imported MLIR targets name the shared libLLVM as a
# dependency, which would pull libLLVM.so (and with it a second copy of LLVM's
# globals) into every binary. Rewrite that to the static LLVMSupport, which
# needs only what is listed below. See docs/build.md.
find_package(MLIR REQUIRED CONFIG
  HINTS /usr/lib/llvm-19/lib/cmake/mlir)
message(STATUS "Using MLIR ${LLVM_PACKAGE_VERSION} from ${MLIR_DIR}")

list(APPEND CMAKE_MODULE_PATH ${MLIR_CMAKE_DIR} ${LLVM_CMAKE_DIR})
# As LLVM itself does: otherwise every TableGen step re-runs on each build.
cmake_policy(SET CMP0116 OLD)
include(TableGen)
include(AddLLVM)
include(AddMLIR)

find_package(Threads REQUIRED)
set_target_properties(LLVMSupport PROPERTIES
  INTERFACE_LINK_LIBRARIES "rt;dl;m;Threads::Threads;LLVMDemangle")
get_directory_property(_ember_imported IMPORTED_TARGETS)
foreach(_target IN LISTS _ember_imported)
  if(_target MATCHES "^MLIR")
    get_target_property(_deps ${_target} INTERFACE_LINK_LIBRARIES)
    if(_deps)
      list(TRANSFORM _deps REPLACE "^LLVM$" "LLVMSupport")
      set_target_properties(${_target} PROPERTIES INTERFACE_LINK_LIBRARIES "${_deps}")
    endif()
  endif()
endforeach()

set(EMBER_MLIR_INCLUDES ${MLIR_INCLUDE_DIRS} ${LLVM_INCLUDE_DIRS})
separate_arguments(EMBER_LLVM_DEFINITIONS NATIVE_COMMAND "${LLVM_DEFINITIONS}")

# Compiler-core libraries follow LLVM's conventions: no exceptions; RTTI off
# (LLVM is built with it on, so either works; off keeps objects small).
function(ember_compiler_library name)
  add_library(${name} STATIC ${ARGN})
  target_include_directories(${name} PUBLIC ${EMBER_SOURCE_DIR} ${EMBER_GENERATED_DIR})
  target_include_directories(${name} SYSTEM PUBLIC ${EMBER_MLIR_INCLUDES})
  target_compile_definitions(${name} PUBLIC ${EMBER_LLVM_DEFINITIONS})
  target_compile_options(${name} PRIVATE -fno-exceptions -fno-rtti)
endfunction()

find_package(Python REQUIRED COMPONENTS Interpreter)
