## Installs a tachyon build into a fresh prefix, then configures, builds and runs the consumer
## project against it: find_package(tachyon) from outside the source tree.
##   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DGENERATOR=... -DCXX=...
##         -DBUILD_TYPE=... -DCXX_FLAGS=... -DLINKER_FLAGS=... -P run.cmake
function(run)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "consumer: ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer: failed (${rc}): ${shown}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
if(NOT EXISTS ${prefix}/lib/cmake/tachyon/tachyonConfig.cmake
   AND NOT EXISTS ${prefix}/lib64/cmake/tachyon/tachyonConfig.cmake)
  file(GLOB_RECURSE found ${prefix}/*Config.cmake)
  message(FATAL_ERROR "consumer: no tachyonConfig.cmake under ${prefix} (found: ${found})")
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
