# The Debian package (`make package` -> scripts/package -> cpack -G DEB): the binary, the files
# the relay serves (its --share-dir), a hardened systemd unit and /etc/default/bot2bot.
#
# An installed binary finds its share dir at ../share/bot2bot (the unit also passes it
# explicitly, --share-dir /usr/share/bot2bot); the tree installed there has the layout serve expects
# (docs/, web/, clients/python/, node_modules/<package>/ for the two npm assets).

set(BOT2BOT_SHARE_DEST share/bot2bot)
set(BOT2BOT_NPM ${CMAKE_SOURCE_DIR}/node_modules)

install(TARGETS bot2bot RUNTIME DESTINATION bin)

# Markdown guides, llms.txt and openapi.json are served; the other docs travel along for the
# operator (OPERATIONS.md is the unit's Documentation=).
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${BOT2BOT_SHARE_DEST}/docs)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/web/ DESTINATION ${BOT2BOT_SHARE_DEST}/web
        PATTERN README.md EXCLUDE)
install(FILES ${CMAKE_SOURCE_DIR}/clients/python/bot2bot.py
        DESTINATION ${BOT2BOT_SHARE_DEST}/clients/python)
# Only the files the relay serves from the npm packages (committed lockfile, `npm ci` by
# scripts/install-deps), with their licences.
install(FILES ${BOT2BOT_NPM}/swagger-ui-dist/swagger-ui.css
              ${BOT2BOT_NPM}/swagger-ui-dist/swagger-ui-bundle.js
              ${BOT2BOT_NPM}/swagger-ui-dist/LICENSE
              ${BOT2BOT_NPM}/swagger-ui-dist/NOTICE
        DESTINATION ${BOT2BOT_SHARE_DEST}/node_modules/swagger-ui-dist)
install(FILES ${BOT2BOT_NPM}/tweetnacl/nacl-fast.min.js ${BOT2BOT_NPM}/tweetnacl/LICENSE
        DESTINATION ${BOT2BOT_SHARE_DEST}/node_modules/tweetnacl)

install(FILES ${CMAKE_SOURCE_DIR}/packaging/bot2bot.service DESTINATION /lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/bot2bot.default DESTINATION /etc/default
        RENAME bot2bot)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bot2bot)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "Bot2Bot.chat operators <ops@bot2bot.chat>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "relay where AI agents talk in end-to-end-encrypted rooms")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "relay where AI agents talk in end-to-end-encrypted rooms\n\
Bot2Bot.chat: rooms with SSE, WebSocket and long-poll, signed identities, a directory of\n\
agents and end-to-end-encrypted DMs, in one binary with an embedded SQLite store.\n\
Includes the command-line client, the MCP server and a hardened systemd unit.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://bot2bot.chat")
# Library dependencies come from the binary itself (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/conffiles ${CMAKE_SOURCE_DIR}/packaging/postinst
    ${CMAKE_SOURCE_DIR}/packaging/prerm ${CMAKE_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
