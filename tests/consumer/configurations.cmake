# Compiles (and runs) one configuration of a lossfn consumer, as a user would:
#   cmake -DCHECK=<warnings|no_exceptions|eigen_no_debug|eigen_dont_vectorize>
#         -DCXX=<compiler> [-DSTD=17|20] -DLOSSFN_SOURCE_DIR=... -DWORK_DIR=... -P configurations.cmake
# Exit code 77 (a skip for CTest) when the compiler is missing.
if(NOT CXX OR NOT EXISTS "${CXX}")
  message("compiler '${CXX}' not found: skipped")
  cmake_language(EXIT 77)
endif()
if(NOT STD)
  set(STD 17)
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(_here "${CMAKE_CURRENT_LIST_DIR}/configurations")
set(_common -std=c++${STD} -I${LOSSFN_SOURCE_DIR}/include -isystem /usr/include/eigen3 -O1)

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

if(CHECK STREQUAL "warnings")
  # One translation unit including every public header, then using them all.
  file(GLOB_RECURSE _headers RELATIVE "${LOSSFN_SOURCE_DIR}/include"
       "${LOSSFN_SOURCE_DIR}/include/lossfn/*.hpp")
  set(_tu "")
  foreach(h ${_headers})
    string(APPEND _tu "#include <${h}>\n")
  endforeach()
  file(READ "${_here}/use.cpp" _use)
  file(WRITE "${WORK_DIR}/all_headers.cpp" "${_tu}${_use}")
  # C++17 compiles to code, so the optimiser's warnings (-Wmaybe-uninitialized,
  # -Warray-bounds) are seen too; C++20 changes only what the front end
  # checks, so its configurations stop after it, at a tenth of the time.
  if(STD STREQUAL "17")
    set(_stage -c "${WORK_DIR}/all_headers.cpp" -o "${WORK_DIR}/all_headers.o")
  else()
    set(_stage -fsyntax-only "${WORK_DIR}/all_headers.cpp")
  endif()
  run_step("${CXX}" ${_common} -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror ${_stage})
elseif(CHECK STREQUAL "no_exceptions")
  run_step("${CXX}" ${_common} -fno-exceptions "${_here}/no_exceptions.cpp" -o "${WORK_DIR}/app")
  execute_process(COMMAND "${WORK_DIR}/app" RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT err MATCHES "SoftmaxCrossEntropy: target\\[3\\] = 7 is outside \\[0, 5\\)")
    message(FATAL_ERROR "expected lossfn's message on stderr and an abort; got exit '${rc}', "
                        "stdout '${out}', stderr '${err}'")
  endif()
  message("aborted as expected (${rc}): ${err}")
elseif(CHECK STREQUAL "eigen_no_debug" OR CHECK STREQUAL "eigen_dont_vectorize")
  string(TOUPPER "${CHECK}" _define)
  run_step("${CXX}" ${_common} -D${_define} -Wall -Wextra "${_here}/use.cpp" -o "${WORK_DIR}/app")
  run_step("${WORK_DIR}/app")
else()
  message(FATAL_ERROR "unknown CHECK '${CHECK}'")
endif()
