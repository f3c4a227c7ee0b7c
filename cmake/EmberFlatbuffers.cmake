# Generates the C++ reader/writer of the .pte schema with Debian's flatc.
# flatc and the flatbuffers headers must be the same version (2.0.8): the
# generated code asserts it, so the header is generated at build time.
include(EmberFlatbuffersHeaders)
find_path(FLATBUFFERS_INCLUDE_DIR flatbuffers/flatbuffers.h REQUIRED)
ember_flatbuffers_version("${FLATBUFFERS_INCLUDE_DIR}" EMBER_FLATBUFFERS_VERSION)

# flatc must be the headers' version. Other flatc binaries are often on PATH
# (executorch's wheel puts a newer one in the venv's bin/), so look beside
# the headers first, and check.
get_filename_component(_ember_fb_prefix "${FLATBUFFERS_INCLUDE_DIR}" DIRECTORY)
find_program(FLATC_EXECUTABLE flatc HINTS "${_ember_fb_prefix}/bin" NO_DEFAULT_PATH)
find_program(FLATC_EXECUTABLE flatc REQUIRED)
execute_process(COMMAND ${FLATC_EXECUTABLE} --version OUTPUT_VARIABLE _ember_flatc_version
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _ember_flatc_version MATCHES " ${EMBER_FLATBUFFERS_VERSION}$")
  message(FATAL_ERROR "${FLATC_EXECUTABLE} is '${_ember_flatc_version}', but the FlatBuffers "
          "headers in ${FLATBUFFERS_INCLUDE_DIR} are ${EMBER_FLATBUFFERS_VERSION}: the generated "
          "code only compiles with its own version. Pass -DFLATC_EXECUTABLE=<flatc "
          "${EMBER_FLATBUFFERS_VERSION}> (Debian: /usr/bin/flatc from flatbuffers-compiler).")
endif()

# ember_flatbuffers_schema(<target> <schema.fbs> <dir under the generated dir> <what>):
# an INTERFACE library <target> whose consumers include
# "<dir>/<schema>_generated.h", generated at build time with Debian's flatc.
function(ember_flatbuffers_schema target schema dir what)
  get_filename_component(_name ${schema} NAME_WE)
  set(_out ${EMBER_GENERATED_DIR}/${dir})
  add_custom_command(
    OUTPUT ${_out}/${_name}_generated.h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_out}
    COMMAND ${FLATC_EXECUTABLE} --cpp --scoped-enums -o ${_out} ${schema}
    DEPENDS ${schema}
    COMMENT "Generating the ${what} header with flatc"
    VERBATIM)
  add_custom_target(${target}_gen DEPENDS ${_out}/${_name}_generated.h)
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} INTERFACE
    $<BUILD_INTERFACE:${EMBER_GENERATED_DIR}> $<BUILD_INTERFACE:${FLATBUFFERS_INCLUDE_DIR}>)
endfunction()

# The .pte schema. Consumers include "serializer/schema/program_generated.h".
# Installed, the header sits in the include dir and EmberConfig.cmake finds
# the FlatBuffers headers again (Ember::flatbuffers_headers).
ember_flatbuffers_schema(ember_pte_schema ${EMBER_SOURCE_DIR}/serializer/schema/program.fbs
                         serializer/schema ".pte schema")
target_link_libraries(ember_pte_schema INTERFACE $<INSTALL_INTERFACE:Ember::flatbuffers_headers>)

# The bundled program (.bpte) schema: ExecuTorch's BundledProgram format, a
# .pte plus test inputs and expected outputs. Consumers include
# "serializer/schema/bundled_program_generated.h"; installed like the .pte's.
ember_flatbuffers_schema(ember_bpte_schema
                         ${EMBER_SOURCE_DIR}/serializer/schema/bundled_program.fbs
                         serializer/schema "bundled program schema")
target_link_libraries(ember_bpte_schema INTERFACE $<INSTALL_INTERFACE:Ember::flatbuffers_headers>)

# ETDump: ExecuTorch's file of runtime events, which its devtools Inspector
# reads; the module layer writes profiles in it (runtime/extension/etdump.h).
# Consumers include "serializer/schema/etdump_generated.h"; installed like the
# .pte's.
ember_flatbuffers_schema(ember_etdump_schema ${EMBER_SOURCE_DIR}/serializer/schema/etdump.fbs
                         serializer/schema "ETDump schema")
target_link_libraries(ember_etdump_schema INTERFACE $<INSTALL_INTERFACE:Ember::flatbuffers_headers>)

# The XNNPACK delegate blob's schema (ExecuTorch's XNNPACK graph format),
# shared by its compile side (partitioners/xnnpack) and its runtime side
# (runtime/backends/xnnpack). Consumers include
# "runtime/backends/xnnpack/xnnpack_graph_generated.h". Used only inside
# the build (not installed).
ember_flatbuffers_schema(ember_xnnpack_schema
                         ${EMBER_SOURCE_DIR}/runtime/backends/xnnpack/xnnpack_graph.fbs
                         runtime/backends/xnnpack "XNNPACK blob schema")
