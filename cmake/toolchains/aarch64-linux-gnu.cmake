# Cross build for 64-bit Arm Linux (Raspberry Pi 5 / Raspberry Pi OS bookworm arm64) with Debian's cross compiler.
#   bash scripts/setup.sh            # g++-aarch64-linux-gnu, qemu-user-static, arm64 .debs -> .cache/sysroot-arm64
#   cmake --preset aarch64-cross && cmake --build --preset aarch64-cross
# The sysroot holds only the arm64 packages of the project's libraries (+ libc6/libstdc++6 for running); the compiler
# brings its own libc and libstdc++ headers and searches <sysroot>/usr/include[/aarch64-linux-gnu] and
# <sysroot>/usr/lib/aarch64-linux-gnu through --sysroot. Tests run under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR)
# pinned to a Cortex-A76 (the Pi 5 core): qemu's default CPU has SVE, which the Pi 5 lacks. See docs/arm64.md.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(EDGERUN_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${EDGERUN_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${EDGERUN_CROSS_TRIPLE}-g++)

# Sysroot: $EDGERUN_ARM64_SYSROOT, else <repo>/.cache/sysroot-arm64 (made by scripts/setup.sh).
if(DEFINED ENV{EDGERUN_ARM64_SYSROOT} AND NOT "$ENV{EDGERUN_ARM64_SYSROOT}" STREQUAL "")
  set(EDGERUN_ARM64_SYSROOT "$ENV{EDGERUN_ARM64_SYSROOT}")
else()
  get_filename_component(EDGERUN_ARM64_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../../.cache/sysroot-arm64" ABSOLUTE)
endif()
if(NOT EXISTS "${EDGERUN_ARM64_SYSROOT}/lib/ld-linux-aarch64.so.1")
  message(FATAL_ERROR "aarch64 sysroot not found at ${EDGERUN_ARM64_SYSROOT}: run 'bash scripts/setup.sh' "
                      "(or set EDGERUN_ARM64_SYSROOT)")
endif()
set(CMAKE_SYSROOT "${EDGERUN_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${EDGERUN_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config (for later backends): look only in the sysroot.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${EDGERUN_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${EDGERUN_ARM64_SYSROOT}/usr/lib/${EDGERUN_CROSS_TRIPLE}/pkgconfig:${EDGERUN_ARM64_SYSROOT}/usr/share/pkgconfig")

# Run target binaries (ctest, gtest discovery) under qemu-user with the sysroot as the dynamic loader's root.
find_program(EDGERUN_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(EDGERUN_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${EDGERUN_QEMU_AARCH64};-cpu;cortex-a76;-L;${EDGERUN_ARM64_SYSROOT}")
endif()
