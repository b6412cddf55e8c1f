# mongomigrate_add_migrator(<target> SOURCES <file or glob>...)
#
# Builds <target>: the full mongo-migrate command line plus the C++
# migrations in SOURCES, one migration per file. Each file gets its name and
# the SHA-256 of its content as compile definitions (MONGOMIGRATE_FILE_NAME,
# MONGOMIGRATE_FILE_SHA256), and is a configure dependency, so editing it and
# rebuilding changes the checksum the migrator records.
function(mongomigrate_add_migrator target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "mongomigrate_add_migrator(${target}): no SOURCES")
  endif()
  set(files "")
  foreach(pattern IN LISTS ARG_SOURCES)
    if(pattern MATCHES "[*?]")
      file(GLOB matched CONFIGURE_DEPENDS "${pattern}")
      list(SORT matched)
      list(APPEND files ${matched})
    else()
      get_filename_component(path "${pattern}" ABSOLUTE)
      list(APPEND files "${path}")
    endif()
  endforeach()
  if(NOT files)
    message(FATAL_ERROR "mongomigrate_add_migrator(${target}): SOURCES matched no files")
  endif()
  add_executable(${target} ${files})
  target_link_libraries(${target} PRIVATE mongomigrate::main)
  foreach(path IN LISTS files)
    get_filename_component(name "${path}" NAME)
    file(SHA256 "${path}" checksum)
    set_property(SOURCE "${path}" DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" APPEND PROPERTY COMPILE_DEFINITIONS
                 "MONGOMIGRATE_FILE_NAME=\"${name}\"" "MONGOMIGRATE_FILE_SHA256=\"${checksum}\"")
    set_property(DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${path}")
  endforeach()
endfunction()
