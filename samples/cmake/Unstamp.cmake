# Unstamp.cmake: run unstamp on build outputs from CMake (CMake >= 3.17).
#
#   include(path/to/Unstamp.cmake)
#   add_library(foo SHARED foo.c)
#   unstamp_target(foo)      # after every link of foo: unstamp its file (+ PDB, import library)
#   install(TARGETS foo)
#   unstamp_directory(.)     # at the end of `cmake --install`: unstamp the installed tree
#
# unstamp_target(<target>)
#   Adds a POST_BUILD command that normalizes $<TARGET_FILE:target> in place. For an
#   executable or shared library linked by an MSVC-style linker (link.exe, lld-link,
#   clang-cl: CMAKE_<LANG>_LINKER_SUPPORTS_PDB) its $<TARGET_PDB_FILE> is passed in the same
#   run, so the PDB keeps matching the image; a shared library on a DLL platform also gets its
#   import library ($<TARGET_LINKER_FILE>). These two are passed only if they exist after the
#   link (no /DEBUG means no PDB). GNU toolchains and static libraries get just the file.
#
# unstamp_directory(<dir> [COMPONENT <c>] [EXCLUDE_FROM_ALL])
#   Adds an install(CODE) step that normalizes <dir> recursively. A relative <dir> is taken
#   under CMAKE_INSTALL_PREFIX as it is at install time (`cmake --install --prefix` works), and
#   $ENV{DESTDIR} is put in front as install() does. Install steps run in the order they are
#   declared: call it after the install() rules whose files it should see (<dir> must exist).
#
# The command, decided when either function is called (re-run cmake after changing it):
#   1. the CMake variable UNSTAMP_COMMAND, a list: -DUNSTAMP_COMMAND="node;/opt/unstamp/bin/unstamp.js".
#      A single word with spaces that is not an existing file is split like a command line;
#   2. else the environment variable UNSTAMP_COMMAND, split like a command line (quotes work);
#   3. else `npx --no-install unstamp` (npx.cmd on Windows).
#      npx looks in node_modules/.bin of the working directory (the build tree) and its
#      parents, then in the global prefix (npm install -g unstamp); it never downloads.
# Options for unstamp go in the command too, e.g. "npx;--no-install;unstamp;--pdb-path;basename".
# The epoch is $SOURCE_DATE_EPOCH of the build (or install) environment, else 0.
#
# A non-zero exit of unstamp (2: usage, 3: a file failed) fails the build step or the install.
# The POST_BUILD command runs `cmake -P` on this same file, which is how a PDB that may not
# exist is skipped and every file of a target is normalized in one unstamp run.

if(CMAKE_VERSION VERSION_LESS 3.17)
  message(FATAL_ERROR "Unstamp.cmake needs CMake 3.17 or newer")
endif()

# --- script mode: cmake -DUNSTAMP_FILE=<f> [-DUNSTAMP_PDB=<p>] [-DUNSTAMP_IMPLIB=<i>] -P Unstamp.cmake -- <command...>
if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  set(_cmd "")
  set(_in_cmd FALSE)
  math(EXPR _last "${CMAKE_ARGC} - 1")
  foreach(_i RANGE ${_last})
    if(_in_cmd)
      list(APPEND _cmd "${CMAKE_ARGV${_i}}")
    elseif(CMAKE_ARGV${_i} STREQUAL "--")
      set(_in_cmd TRUE)
    endif()
  endforeach()
  if(NOT _cmd OR NOT DEFINED UNSTAMP_FILE)
    message(FATAL_ERROR "usage: cmake -DUNSTAMP_FILE=<file> [-DUNSTAMP_PDB=<pdb>] [-DUNSTAMP_IMPLIB=<lib>] -P Unstamp.cmake -- <unstamp command...>")
  endif()
  set(_paths "${UNSTAMP_FILE}")
  foreach(_optional IN ITEMS "${UNSTAMP_PDB}" "${UNSTAMP_IMPLIB}")
    if(NOT _optional STREQUAL "" AND EXISTS "${_optional}" AND NOT _optional STREQUAL UNSTAMP_FILE)
      list(APPEND _paths "${_optional}")
    endif()
  endforeach()
  execute_process(COMMAND ${_cmd} ${_paths} RESULT_VARIABLE _rc)
  if(NOT _rc STREQUAL "0")
    list(JOIN _cmd " " _shown)
    message(FATAL_ERROR "unstamp failed (${_rc}): ${_shown} ${_paths}")
  endif()
  return()
endif()

# The unstamp command as a list, in <out>.
function(_unstamp_command out)
  if(DEFINED UNSTAMP_COMMAND AND NOT UNSTAMP_COMMAND STREQUAL "")
    set(cmd "${UNSTAMP_COMMAND}")
    list(LENGTH cmd n)
    if(n EQUAL 1 AND cmd MATCHES " " AND NOT EXISTS "${cmd}")
      separate_arguments(cmd NATIVE_COMMAND "${cmd}")
    endif()
  elseif(NOT "$ENV{UNSTAMP_COMMAND}" STREQUAL "")
    separate_arguments(cmd NATIVE_COMMAND "$ENV{UNSTAMP_COMMAND}")
  elseif(CMAKE_HOST_WIN32)
    set(cmd npx.cmd --no-install unstamp)
  else()
    set(cmd npx --no-install unstamp)
  endif()
  set(${out} "${cmd}" PARENT_SCOPE)
endfunction()

function(unstamp_target tgt)
  if(NOT TARGET "${tgt}")
    message(FATAL_ERROR "unstamp_target: no target named '${tgt}'")
  endif()
  _unstamp_command(cmd)
  get_target_property(type "${tgt}" TYPE)
  if(NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY)$")
    message(FATAL_ERROR "unstamp_target: '${tgt}' is a ${type}, which has no file of its own")
  endif()
  set(defs "-DUNSTAMP_FILE=$<TARGET_FILE:${tgt}>")
  if(type STREQUAL "EXECUTABLE" OR type STREQUAL "SHARED_LIBRARY" OR type STREQUAL "MODULE_LIBRARY")
    # $<TARGET_PDB_FILE> is an error unless the linker writes PDBs.
    get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
    set(pdb FALSE)
    foreach(lang IN LISTS languages)
      if(CMAKE_${lang}_LINKER_SUPPORTS_PDB)
        set(pdb TRUE)
      endif()
    endforeach()
    if(pdb)
      list(APPEND defs "-DUNSTAMP_PDB=$<TARGET_PDB_FILE:${tgt}>")
    endif()
  endif()
  if(type STREQUAL "SHARED_LIBRARY" AND CMAKE_IMPORT_LIBRARY_SUFFIX)
    list(APPEND defs "-DUNSTAMP_IMPLIB=$<TARGET_LINKER_FILE:${tgt}>")
  endif()
  add_custom_command(TARGET "${tgt}" POST_BUILD
    COMMAND "${CMAKE_COMMAND}" ${defs} -P "${CMAKE_CURRENT_FUNCTION_LIST_FILE}" -- ${cmd}
    COMMENT "unstamp ${tgt}"
    VERBATIM)
endfunction()

function(unstamp_directory dir)
  _unstamp_command(cmd)
  set(words "")
  foreach(word IN LISTS cmd)
    string(APPEND words " [==[${word}]==]")
  endforeach()
  install(CODE "
get_filename_component(_unstamp_dir [==[${dir}]==] ABSOLUTE BASE_DIR \"\${CMAKE_INSTALL_PREFIX}\")
if(DEFINED ENV{DESTDIR})
  string(REGEX REPLACE \"^[A-Za-z]:\" \"\" _unstamp_dir \"\${_unstamp_dir}\")
  set(_unstamp_dir \"\$ENV{DESTDIR}\${_unstamp_dir}\")
endif()
message(STATUS \"unstamp: \${_unstamp_dir}\")
execute_process(COMMAND${words} \"\${_unstamp_dir}\" RESULT_VARIABLE _unstamp_rc)
if(NOT _unstamp_rc STREQUAL \"0\")
  message(FATAL_ERROR \"unstamp failed (\${_unstamp_rc}) on \${_unstamp_dir}\")
endif()
" ${ARGN})
endfunction()
