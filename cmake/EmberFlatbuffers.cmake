# Generates the C++ reader/writer of the .pte schema with Debian's flatc.
# flatc and the flatbuffers headers must be the same version (2.0.8): the
# generated code asserts it, so the header is generated at build time.
find_program(FLATC_EXECUTABLE flatc REQUIRED)
find_path(FLATBUFFERS_INCLUDE_DIR flatbuffers/flatbuffers.h REQUIRED)

set(EMBER_PTE_SCHEMA ${CMAKE_SOURCE_DIR}/serializer/schema/program.fbs)
set(EMBER_PTE_SCHEMA_OUT ${CMAKE_BINARY_DIR}/generated/serializer/schema)
set(EMBER_PTE_SCHEMA_HEADER ${EMBER_PTE_SCHEMA_OUT}/program_generated.h)

add_custom_command(
  OUTPUT ${EMBER_PTE_SCHEMA_HEADER}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${EMBER_PTE_SCHEMA_OUT}
  COMMAND ${FLATC_EXECUTABLE} --cpp --scoped-enums -o ${EMBER_PTE_SCHEMA_OUT} ${EMBER_PTE_SCHEMA}
  DEPENDS ${EMBER_PTE_SCHEMA}
  COMMENT "Generating the .pte schema header with flatc"
  VERBATIM)
add_custom_target(ember_pte_schema_gen DEPENDS ${EMBER_PTE_SCHEMA_HEADER})

# Consumers include "serializer/schema/program_generated.h".
add_library(ember_pte_schema INTERFACE)
add_dependencies(ember_pte_schema ember_pte_schema_gen)
target_include_directories(ember_pte_schema INTERFACE
  ${CMAKE_BINARY_DIR}/generated ${FLATBUFFERS_INCLUDE_DIR})
