# The runtime as a package an app builds against (docs/runtime.md, "Embedding
# the runtime in a C++ app"):
#   1. Ember::<name> targets, the same names whether the app uses
#      find_package(Ember) or add_subdirectory(<ember> ember);
#   2. with EMBER_INSTALL: the static libraries, the public headers (the
#      source layout, "runtime/core/tensor.h", under the include dir), the
#      generated schema header, ember_run, and EmberConfig.cmake with its
#      version file and exported targets;
#   3. in the Python package build (scikit-build-core): ember_run into the
#      wheel's scripts, so that it is on PATH after `pip install`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# 1. Library target -> Ember::<name without the ember_ prefix>.
set(EMBER_EXPORTED_LIBRARIES
  ember_pte_schema
  ember_bpte_schema
  ember_etdump_schema
  ember_runtime_core
  ember_bundled_program
  ember_runtime_loader
  ember_runtime_module
  ember_prim_ops
  ember_portable_kernels
  ember_kernels_common
  ember_test_backend)
if(TARGET ember_optimized_kernels)
  list(APPEND EMBER_EXPORTED_LIBRARIES ember_gemm ember_qgemm ember_lowbit ember_optimized_kernels)
endif()
if(TARGET ember_xnnpack_backend)
  list(APPEND EMBER_EXPORTED_LIBRARIES ember_xnnpack_backend)
endif()
foreach(_target IN LISTS EMBER_EXPORTED_LIBRARIES)
  string(REGEX REPLACE "^ember_" "" _name ${_target})
  set_target_properties(${_target} PROPERTIES EXPORT_NAME ${_name})
  add_library(Ember::${_name} ALIAS ${_target})
endforeach()

# 3. The wheel: only ember_run and ember_llm (python/CMakeLists.txt installs _C).
if(SKBUILD)
  install(TARGETS ember_run RUNTIME DESTINATION ${SKBUILD_SCRIPTS_DIR})
  if(TARGET ember_llm)
    install(TARGETS ember_llm RUNTIME DESTINATION ${SKBUILD_SCRIPTS_DIR})
  endif()
endif()

if(NOT EMBER_INSTALL)
  return()
endif()

# 2. A runtime install: lib/, include/, bin/ember_run, lib/cmake/Ember/.
set(EMBER_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Ember)
install(TARGETS ${EMBER_EXPORTED_LIBRARIES} EXPORT EmberTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ember_run RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET ember_llm)
  install(TARGETS ember_llm RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
# The runtime's own headers; tools/ and fuzz/ hold programs, not API.
install(DIRECTORY ${EMBER_SOURCE_DIR}/runtime/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/runtime
  FILES_MATCHING PATTERN "*.h"
  PATTERN "tools" EXCLUDE
  PATTERN "fuzz" EXCLUDE)
install(FILES ${EMBER_GENERATED_DIR}/serializer/schema/program_generated.h
  ${EMBER_GENERATED_DIR}/serializer/schema/bundled_program_generated.h
  ${EMBER_GENERATED_DIR}/serializer/schema/etdump_generated.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/serializer/schema)
install(EXPORT EmberTargets NAMESPACE Ember:: DESTINATION ${EMBER_INSTALL_CMAKEDIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/EmberConfig.cmake.in
  ${EMBER_BINARY_DIR}/EmberConfig.cmake
  INSTALL_DESTINATION ${EMBER_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_BINDIR)
# 0.x: a minor release may change the API, so only the same minor matches.
write_basic_package_version_file(${EMBER_BINARY_DIR}/EmberConfigVersion.cmake
  VERSION ${ember_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${EMBER_BINARY_DIR}/EmberConfig.cmake
  ${EMBER_BINARY_DIR}/EmberConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/EmberFlatbuffersHeaders.cmake
  DESTINATION ${EMBER_INSTALL_CMAKEDIR})
