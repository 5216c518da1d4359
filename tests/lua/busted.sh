#!/bin/sh
# Runs one busted spec under the configured Lua ($LUA), as TAP: the test
# driver of make check for tests/lua/*_spec.lua.
: "${LUA:?the Lua interpreter}"
if [ -z "${BUSTED:-}" ] || [ ! -f "$BUSTED" ]; then
	echo "1..1"
	echo "not ok 1 - busted not found: apt-get install lua-busted, or configure BUSTED=/path/to/busted"
	exit 1
fi
exec "$LUA" "$BUSTED" --output=TAP "$@"
