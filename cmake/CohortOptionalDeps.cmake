# Dependencies of the upper layers (datasets, distill configs, CLI). Found here once so every folder can use them.
find_package(PkgConfig REQUIRED)
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
find_package(PNG REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(ZLIB REQUIRED)
target_link_libraries(cohort PUBLIC PkgConfig::TURBOJPEG PNG::PNG ZLIB::ZLIB)
# distill/config_yaml.cpp: YAML run configs (the CLI and the Python package load them alike).
target_link_libraries(cohort PRIVATE yaml-cpp)
