# Installing Balancer Lab like a desktop application, and the Debian package (cpack -G DEB).
# `cmake --install build [--prefix DIR]` puts the program in bin/, the desktop entry, the icon and the
# AppStream metainfo where desktops look for them, the man page (made by `balancer-lab manpage` from every
# command's --help) in share/man/man1, and the docs, lessons and examples in share/doc/balancer-lab.


set(LAB_APP_ID io.github.balancerlab.BalancerLab)
set(lab_linux ${PROJECT_SOURCE_DIR}/resources/linux)

install(FILES ${lab_linux}/${LAB_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${lab_linux}/${LAB_APP_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES ${lab_linux}/${LAB_APP_ID}.svg DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)

# Debian wants man pages and changelogs compressed with gzip -9n (no timestamp: the same bytes every build).
set(lab_man ${CMAKE_BINARY_DIR}/balancer-lab.1)
add_custom_command(
  OUTPUT ${lab_man}.gz
  COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen $<TARGET_FILE:balancer-lab> manpage --out ${lab_man}
  COMMAND gzip -9nf ${lab_man}
  DEPENDS balancer-lab
  COMMENT "Making balancer-lab.1 from every command's --help")
configure_file(${lab_linux}/changelog.in ${CMAKE_BINARY_DIR}/changelog @ONLY)
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/changelog.gz
  COMMAND gzip -9nkf ${CMAKE_BINARY_DIR}/changelog
  DEPENDS ${CMAKE_BINARY_DIR}/changelog)
add_custom_target(lab_install_files ALL DEPENDS ${lab_man}.gz ${CMAKE_BINARY_DIR}/changelog.gz)
install(FILES ${lab_man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

set(lab_doc ${CMAKE_INSTALL_DATADIR}/doc/balancer-lab)
install(FILES ${lab_linux}/copyright ${CMAKE_BINARY_DIR}/changelog.gz DESTINATION ${lab_doc})
install(FILES README.md DESTINATION ${lab_doc})
install(DIRECTORY docs/ DESTINATION ${lab_doc}/docs FILES_MATCHING PATTERN "*.md" PATTERN "*.json" PATTERN "*.png")
install(DIRECTORY resources/lessons resources/experiments resources/labs DESTINATION ${lab_doc}/examples)

# The Debian package: dependencies from the shared libraries the program links (dpkg-shlibdeps), so they
# are exactly the Debian 12 packages it needs.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME balancer-lab)
set(CPACK_PACKAGE_VENDOR "The Balancer Lab authors")
set(CPACK_PACKAGE_CONTACT "The Balancer Lab authors <balancer-lab@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "desktop laboratory for load balancing with a real proxy inside")
# CPack writes the summary as the synopsis line and indents this, the long description, below it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Balancer Lab runs a real HTTP/1.1 reverse proxy and TCP relay in front of
fake backends, with health checks, nine balancing algorithms, outlier
ejection, a circuit breaker, slow start and draining, and shows every
request live in a window. Guided lessons and side-by-side experiments
teach how load balancing works; the same core runs headless as a small
load balancer and test rig.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/balancerlab/balancer-lab")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
# The fonts the window draws with on a machine without a desktop (Qt finds no fonts otherwise).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-dejavu-core")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
