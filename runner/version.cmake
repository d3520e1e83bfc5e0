# Writes popek_version.h with the project version and the source tree's
# commit; run at every build, it rewrites the header only when a value
# changed, so an unchanged tree does not relink.
# -DSRC=source dir -DOUT=header -DVERSION=project version
execute_process(
  COMMAND git -C "${SRC}" describe --always --dirty --abbrev=12
  OUTPUT_VARIABLE commit
  OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
endif()
set(text "#define POPEK_VERSION \"${VERSION}\"\n#define POPEK_COMMIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
