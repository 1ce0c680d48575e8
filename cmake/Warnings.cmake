# Compiler warnings for every shardis target (not for third-party code).
function(shardis_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
    -Wnull-dereference -Wimplicit-fallthrough -Wformat=2)
  if(SHARDIS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# shardis_library(NAME SOURCES... DEPS ...): a module library under src/.
function(shardis_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  shardis_warnings(${name})
endfunction()
