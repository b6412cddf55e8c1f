# mongomigrate_driver: the MongoDB C driver (libmongoc, libbson) and OpenSSL's
# libcrypto as the in-tree targets link them. Internal to this build: the
# installed package names Debian's shared libmongoc instead (CMakeLists.txt).
#
# libmongoc always comes from Debian's static archive, with one change made
# here: mongoc-init.c.o loses its .init_array/.fini_array entries. Debian
# builds the driver with automatic initialization, a constructor that runs
# mongoc_init() (OpenSSL, the SASL plugins, the shared-memory counters) before
# main() in every program linking it, whether it will talk to a server or not.
# Without it the driver is initialized by src/mongo/client.cc when the first
# client is made, after our log handler is set, so `--version` and `help`
# never touch it. mongoc_init() is idempotent, so code that calls it itself
# (or links Debian's shared libmongoc, whose constructor stays) is unaffected.
#
# With MONGOMIGRATE_STATIC the driver's own dependencies are linked from
# Debian's static archives too (docs/packaging.md lists them and says which
# stay dynamic: glibc's libraries only).

set(_mm_archive_dir /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE})
get_target_property(_mm_mongoc_archive mongo::mongoc_static IMPORTED_LOCATION_NONE)
if(NOT _mm_mongoc_archive)
  get_target_property(_mm_mongoc_archive mongo::mongoc_static LOCATION)
endif()
if(NOT EXISTS "${_mm_mongoc_archive}")
  message(FATAL_ERROR "libmongoc's static archive is missing (${_mm_mongoc_archive}): install libmongoc-dev")
endif()
if(NOT CMAKE_OBJCOPY OR NOT CMAKE_AR)
  message(FATAL_ERROR "objcopy and ar are needed to prepare libmongoc's static archive")
endif()

# The archive without the constructor, made at configure time (the input is a
# system file) and checked: no init or fini array may remain.
set(_mm_lazy_dir ${CMAKE_CURRENT_BINARY_DIR}/mongoc-lazy)
set(_mm_lazy_archive ${_mm_lazy_dir}/libmongoc-lazy-1.0.a)
file(SHA256 "${_mm_mongoc_archive}" _mm_mongoc_sum)
string(APPEND _mm_mongoc_sum "-static=${MONGOMIGRATE_STATIC}")
if(NOT EXISTS "${_mm_lazy_archive}" OR NOT MONGOMIGRATE_LAZY_MONGOC_SOURCE STREQUAL _mm_mongoc_sum)
  file(REMOVE_RECURSE ${_mm_lazy_dir})
  file(MAKE_DIRECTORY ${_mm_lazy_dir})
  file(COPY_FILE "${_mm_mongoc_archive}" ${_mm_lazy_dir}/work.a)
  execute_process(COMMAND ${CMAKE_AR} x work.a mongoc-init.c.o WORKING_DIRECTORY ${_mm_lazy_dir}
                  RESULT_VARIABLE _mm_rc)
  if(NOT _mm_rc EQUAL 0 OR NOT EXISTS ${_mm_lazy_dir}/mongoc-init.c.o)
    message(FATAL_ERROR "mongoc-init.c.o is not in ${_mm_mongoc_archive}: a libmongoc this build does not know")
  endif()
  # With MONGOMIGRATE_STATIC, kms-message comes from libmongocrypt's archive,
  # a newer superset of the copy in libmongoc's, which would clash with it.
  if(MONGOMIGRATE_STATIC)
    execute_process(COMMAND ${CMAKE_AR} t work.a WORKING_DIRECTORY ${_mm_lazy_dir} OUTPUT_VARIABLE _mm_members)
    string(REGEX MATCHALL "kms_[a-z0-9_]+\\.c\\.o" _mm_kms "${_mm_members}")
    if(_mm_kms)
      execute_process(COMMAND ${CMAKE_AR} d work.a ${_mm_kms} WORKING_DIRECTORY ${_mm_lazy_dir})
    endif()
  endif()
  execute_process(COMMAND ${CMAKE_OBJCOPY} --remove-section=.init_array --remove-section=.rela.init_array
                          --remove-section=.fini_array --remove-section=.rela.fini_array mongoc-init.c.o
                  COMMAND ${CMAKE_AR} r work.a mongoc-init.c.o
                  WORKING_DIRECTORY ${_mm_lazy_dir} RESULT_VARIABLE _mm_rc)
  execute_process(COMMAND ${CMAKE_OBJDUMP} -h mongoc-init.c.o WORKING_DIRECTORY ${_mm_lazy_dir}
                  OUTPUT_VARIABLE _mm_sections)
  if(NOT _mm_rc EQUAL 0 OR _mm_sections MATCHES "init_array|fini_array|\\.ctors|\\.dtors")
    message(FATAL_ERROR "could not remove libmongoc's constructor from mongoc-init.c.o")
  endif()
  file(RENAME ${_mm_lazy_dir}/work.a ${_mm_lazy_archive})
  file(REMOVE ${_mm_lazy_dir}/mongoc-init.c.o)
  set(MONGOMIGRATE_LAZY_MONGOC_SOURCE "${_mm_mongoc_sum}" CACHE INTERNAL "")
endif()

get_target_property(_mm_mongoc_includes mongo::mongoc_static INTERFACE_INCLUDE_DIRECTORIES)
get_target_property(_mm_bson_includes mongo::bson_static INTERFACE_INCLUDE_DIRECTORIES)
add_library(mongomigrate_mongoc STATIC IMPORTED)
set_target_properties(mongomigrate_mongoc PROPERTIES
  IMPORTED_LOCATION ${_mm_lazy_archive}
  INTERFACE_INCLUDE_DIRECTORIES "${_mm_mongoc_includes};${_mm_bson_includes}"
  INTERFACE_COMPILE_DEFINITIONS "MONGOC_STATIC;BSON_STATIC")

add_library(mongomigrate_driver INTERFACE)
if(MONGOMIGRATE_STATIC)
  # In link order. libmongoc's own list (mongo::mongoc_static) names the
  # shared libraries; these are their archives. libmongocrypt (client-side
  # encryption, unused but referenced by libmongoc) carries its own private
  # copy of libbson; libicuuc needs libicudata (ICU's tables, most of the size).
  # Cyrus SASL stays shared: Debian's libsasl2.a has its plugins built in, one
  # of them (ldapdb) needing OpenLDAP, of which Debian ships no archive; and
  # libmongoc uses it only for GSSAPI (Kerberos), whose plugin is a shared
  # object loaded at run time anyway (docs/packaging.md).
  set(_mm_static_names
    mongocrypt-static kms_message-static bson-static-for-libmongocrypt bidgcc000 bson-static-1.0
    ssl crypto snappy z zstd icuuc icudata)
  set(_mm_static_archives "")
  foreach(name IN LISTS _mm_static_names)
    find_file(MONGOMIGRATE_ARCHIVE_${name} lib${name}.a HINTS ${_mm_archive_dir} NO_CACHE)
    if(NOT MONGOMIGRATE_ARCHIVE_${name})
      message(FATAL_ERROR "MONGOMIGRATE_STATIC: lib${name}.a not found in ${_mm_archive_dir} "
                          "(scripts/install-deps.sh installs the -dev packages that ship it)")
    endif()
    list(APPEND _mm_static_archives ${MONGOMIGRATE_ARCHIVE_${name}})
  endforeach()
  find_library(MONGOMIGRATE_SASL2 NAMES libsasl2.so.2 sasl2 HINTS ${_mm_archive_dir})
  target_link_libraries(mongomigrate_driver INTERFACE mongomigrate_mongoc ${_mm_static_archives}
                        ${MONGOMIGRATE_SASL2} Threads::Threads ${CMAKE_DL_LIBS} rt resolv)
else()
  get_target_property(_mm_mongoc_deps mongo::mongoc_static INTERFACE_LINK_LIBRARIES)
  target_link_libraries(mongomigrate_driver INTERFACE mongomigrate_mongoc ${_mm_mongoc_deps} OpenSSL::Crypto)
endif()
