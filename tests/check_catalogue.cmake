# Compares the catalogue generated from the built images with the
# committed docs/catalogue.tsv and prints what differs.
execute_process(COMMAND ${POPEK} list --catalogue --images ${IMAGES}
  OUTPUT_VARIABLE now RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "popek list --catalogue failed: ${err}")
endif()
if(NOT EXISTS ${CATALOGUE})
  message(FATAL_ERROR "${CATALOGUE} is missing: cmake --build build --target catalogue")
endif()
file(READ ${CATALOGUE} committed)
if(NOT now STREQUAL committed)
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/catalogue.now "${now}")
  execute_process(COMMAND diff -u ${CATALOGUE} ${CMAKE_CURRENT_BINARY_DIR}/catalogue.now
    OUTPUT_VARIABLE d)
  message(FATAL_ERROR "check ids changed without docs/catalogue.tsv being "
    "updated (an id disappeared, appeared or changed meaning).\n${d}\n"
    "If intended: cmake --build build --target catalogue, and commit it.")
endif()
