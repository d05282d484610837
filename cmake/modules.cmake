# beacon_module(NAME SOURCES... DEPS ...) declares src/NAME as a static library whose
# target_link_libraries are exactly the module dependencies the architecture allows
# (see src/README.md). A module including a header of a module it does not list fails to
# build, so the dependency direction is checked by the compiler, not by review.
function(beacon_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;EXTERNAL" ${ARGN})
  add_library(beacon_${name} STATIC ${M_SOURCES})
  target_link_libraries(beacon_${name} PUBLIC ${M_DEPS} ${M_EXTERNAL} PRIVATE beacon_flags)
  target_include_directories(beacon_${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)
endfunction()
