# Builds and runs tests/consumer/project in one MODE, as a user would.
# find_package first installs lossfn from LOSSFN_BUILD_DIR into a temporary prefix.
file(REMOVE_RECURSE "${WORK_DIR}")
set(_args -DMODE=${MODE} -DLOSSFN_SOURCE_DIR=${LOSSFN_SOURCE_DIR}
          -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER})
if(MODE STREQUAL "find_package")
  execute_process(COMMAND "${CMAKE_COMMAND}" --install "${LOSSFN_BUILD_DIR}"
                          --prefix "${WORK_DIR}/prefix"
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "cmake --install failed: ${rc}")
  endif()
  list(APPEND _args "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
endif()
foreach(step
    "${CMAKE_COMMAND};-S;${CMAKE_CURRENT_LIST_DIR}/project;-B;${WORK_DIR}/build;${_args}"
    "${CMAKE_COMMAND};--build;${WORK_DIR}/build"
    "${WORK_DIR}/build/consumer")
  execute_process(COMMAND ${step} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "consumer (${MODE}) step failed (${rc}): ${step}")
  endif()
endforeach()
