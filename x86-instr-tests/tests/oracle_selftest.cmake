# Runs the deliberately corrupted image on qemu-tcg and checks that the
# failures are exactly the variants of the corrupted case (CASE.64 and
# CASE.cpl3.64) and that every other check passed.
find_program(QEMU qemu-system-x86_64)
if(NOT QEMU)
  message("qemu-system-x86_64 not found: oracle self-test not run")
  # CTest's SKIP_RETURN_CODE 77
  execute_process(COMMAND ${CMAKE_COMMAND} -E false)
  cmake_language(EXIT 77)
endif()
execute_process(COMMAND ${POPEK} run -t qemu-tcg --images ${IMAGES} --quiet
    --json ${OUT} x86-instr-selftest-64
  RESULT_VARIABLE rc)
file(READ ${OUT} json)
string(JSON n LENGTH "${json}" checks)
set(failed "")
set(other "")
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  string(JSON id GET "${json}" checks ${i} id)
  string(JSON res GET "${json}" checks ${i} result)
  if(res STREQUAL "fail")
    list(APPEND failed ${id})
  elseif(NOT res STREQUAL "pass")
    list(APPEND other "${id}=${res}")
  endif()
endforeach()
list(SORT failed)
set(want "${CASE}.64;${CASE}.cpl3.64")
if(NOT failed STREQUAL want OR other)
  message(FATAL_ERROR "oracle self-test: expected failures '${want}', got '${failed}'; not passing: '${other}' (popek exit ${rc})")
endif()
message("oracle self-test: ${n} checks, exactly ${failed} failed")
