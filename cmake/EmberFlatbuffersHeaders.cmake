# The FlatBuffers headers' version, read from flatbuffers/base.h. Shared by
# the build (cmake/EmberFlatbuffers.cmake) and the installed EmberConfig.cmake:
# the generated schema header asserts the exact version it was made with, so
# an app must compile against the same headers as the runtime.
function(ember_flatbuffers_version include_dir out_var)
  file(STRINGS "${include_dir}/flatbuffers/base.h" _defines
       REGEX "#define FLATBUFFERS_VERSION_(MAJOR|MINOR|REVISION) ")
  string(REGEX REPLACE ".*MAJOR ([0-9]+).*MINOR ([0-9]+).*REVISION ([0-9]+).*" "\\1.\\2.\\3"
         _version "${_defines}")
  set(${out_var} "${_version}" PARENT_SCOPE)
endfunction()
