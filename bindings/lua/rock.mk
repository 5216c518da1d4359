# The Lua module park.so for luarocks (libpark-scm-1.rockspec), run from
# the top of the source tree. libpark itself must be installed: its flags
# come from pkg-config. The SWIG wrapper is made only when it is missing or
# older than the interface (a checkout; a release tarball ships it).
# Each Lua's module is built in its own directory, named after its
# headers' directory: luarocks --lua-version=5.1 make, then 5.4, must
# compile twice (one park.so for both would load into neither).

CC ?= cc
CFLAGS ?= -O2 -fPIC
LIBFLAG ?= -shared
PKG_CONFIG ?= pkg-config
SWIG ?= swig
LUA_INCDIR ?= /usr/include

wrapper = bindings/park_lua_wrap.c
sources = $(wrapper) bindings/lua/fail.c bindings/lua/driver-methods.c \
	bindings/lua/events.c bindings/lua/raw.c
headers = bindings/lua/park-lua.h bindings/lua/compat.h
builddir = bindings/lua/build$(subst /,-,$(LUA_INCDIR))
module = $(builddir)/park.so

all: $(module)

$(module): $(sources) $(headers) bindings/lua/rock.mk
	@$(PKG_CONFIG) --exists libpark libevent_core || { \
	  echo "rock.mk: pkg-config finds no libpark (install it, or set PKG_CONFIG_PATH)" >&2; \
	  exit 1; }
	mkdir -p $(builddir)
	$(CC) $(CFLAGS) -pthread -fvisibility=hidden -I$(LUA_INCDIR) -Ibindings \
	  `$(PKG_CONFIG) --cflags libpark libevent_core` \
	  $(LIBFLAG) -o $@ $(sources) \
	  `$(PKG_CONFIG) --libs libpark libevent_core` -ldl

$(wrapper): bindings/park.i bindings/park-lua.i
	$(SWIG) -lua -Ibindings -o $@ bindings/park-lua.i

install: $(module)
	mkdir -p $(INST_LIBDIR)
	cp $(module) $(INST_LIBDIR)/park.so

.PHONY: all install
