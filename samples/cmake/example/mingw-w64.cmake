# Toolchain file: cross-compile the example for 64-bit Windows with mingw-w64 (Debian package
# gcc-mingw-w64-x86-64). cmake -DCMAKE_TOOLCHAIN_FILE=mingw-w64.cmake ...
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
