# Compiles one source that must NOT compile and checks the compiler's FIRST
# error line against the source's `// first error: <regex>` comment: a trap is
# only caught well if the message that explains it comes before any other.
#   cmake -DCXX=<compiler> -DSOURCE=<file.cpp> -DINCLUDES=<dir;dir> -P check.cmake
# Exit code 77 (a skip for CTest) when the compiler is missing.
if(NOT CXX OR NOT EXISTS "${CXX}")
  message("compiler '${CXX}' not found: skipped")
  cmake_language(EXIT 77)
endif()
file(STRINGS "${SOURCE}" _expected REGEX "^// first error: ")
if(NOT _expected)
  message(FATAL_ERROR "${SOURCE} has no '// first error: <regex>' line")
endif()
list(GET _expected 0 _expected)
string(REGEX REPLACE "^// first error: " "" _expected "${_expected}")
set(_flags -std=c++17 -fsyntax-only)
foreach(dir ${INCLUDES})
  list(APPEND _flags -isystem "${dir}")
endforeach()
execute_process(COMMAND "${CXX}" ${_flags} "${SOURCE}" RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled with ${CXX}; it must not")
endif()
string(REGEX MATCH "[^\n]*error:[^\n]*" _first "${err}")
if(NOT _first MATCHES "${_expected}")
  message(FATAL_ERROR "${CXX}: the first error line of ${SOURCE} does not match '${_expected}':\n"
                      "${_first}\n\nfull output:\n${err}")
endif()
message("${CXX}: ${_first}")
