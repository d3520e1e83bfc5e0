# Guest images: freestanding C and assembly built with the host gcc in
# -m32 / -m64 mode (gcc-multilib). A 64-bit image is linked as ELF64 and then
# converted to ELF32 (objcopy -O elf32-i386) so QEMU's Multiboot loader,
# which refuses ELF64, takes it. docs/protocol.md describes the result.

find_program(POPEK_OBJCOPY objcopy REQUIRED)
# With POPEK_GUEST_IMAGES off the targets still exist (the CMakeLists
# files add to them) but are not part of `all`.
if(POPEK_GUEST_IMAGES)
  set(POPEK_GUEST_EXCLUDE)
else()
  set(POPEK_GUEST_EXCLUDE EXCLUDE_FROM_ALL)
endif()

set(POPEK_GUEST_COMMON_FLAGS
  -ffreestanding -fno-pic -fno-pie -fno-stack-protector -fno-common
  -fno-omit-frame-pointer -fno-strict-aliasing -mgeneral-regs-only
  -fcf-protection=none -fno-toplevel-reorder -O2 -g ${POPEK_WARNING_FLAGS})
set(POPEK_GUEST32_FLAGS -m32 -march=i686 ${POPEK_GUEST_COMMON_FLAGS})
set(POPEK_GUEST64_FLAGS -m64 -mno-red-zone -mcmodel=small ${POPEK_GUEST_COMMON_FLAGS})

# popek_guest_library(NAME WIDTH SOURCES...)
function(popek_guest_library name width)
  add_library(${name} STATIC ${POPEK_GUEST_EXCLUDE} ${ARGN})
  target_compile_options(${name} PRIVATE ${POPEK_GUEST${width}_FLAGS})
  target_include_directories(${name} PUBLIC
    ${CMAKE_SOURCE_DIR}/guest/include ${CMAKE_SOURCE_DIR}/include)
endfunction()

# popek_image(NAME WIDTH [SELFTEST|PERF] SOURCES...)
# Builds images/NAME.elf (or test-images/NAME.elf for SELFTEST images,
# which exist only to prove the runner's error paths, or
# perf-images/NAME.elf for the benchmarks `popek bench` times).
function(popek_image name width)
  cmake_parse_arguments(IMG "SELFTEST;PERF" "" "" ${ARGN})
  set(exe ${name}.image)
  add_executable(${exe} ${POPEK_GUEST_EXCLUDE} ${IMG_UNPARSED_ARGUMENTS})
  target_compile_options(${exe} PRIVATE ${POPEK_GUEST${width}_FLAGS})
  target_include_directories(${exe} PRIVATE
    ${CMAKE_SOURCE_DIR}/guest/include ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(${exe} PRIVATE popek_guest${width} gcc)
  target_link_options(${exe} PRIVATE -m${width} -nostdlib -static -no-pie
    -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack
    -Wl,--no-warn-rwx-segments -Wl,-u,_start
    -T ${CMAKE_SOURCE_DIR}/guest/image${width}.ld)
  set_target_properties(${exe} PROPERTIES
    LINK_DEPENDS ${CMAKE_SOURCE_DIR}/guest/image${width}.ld
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/guest-elf
    OUTPUT_NAME ${name} SUFFIX .elf${width})
  if(IMG_SELFTEST)
    set(out ${POPEK_TEST_IMAGE_DIR}/${name}.elf)
    set_property(GLOBAL APPEND PROPERTY POPEK_TEST_IMAGES ${name})
  elseif(IMG_PERF)
    set(out ${POPEK_PERF_IMAGE_DIR}/${name}.elf)
    set_property(GLOBAL APPEND PROPERTY POPEK_PERF_IMAGES ${name})
  else()
    set(out ${POPEK_IMAGE_DIR}/${name}.elf)
    set_property(GLOBAL APPEND PROPERTY POPEK_IMAGES ${name})
  endif()
  if(width EQUAL 64)
    add_custom_command(TARGET ${exe} POST_BUILD
      COMMAND ${POPEK_OBJCOPY} -O elf32-i386 $<TARGET_FILE:${exe}> ${out}
      VERBATIM)
  else()
    add_custom_command(TARGET ${exe} POST_BUILD
      COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:${exe}> ${out}
      VERBATIM)
  endif()
endfunction()
