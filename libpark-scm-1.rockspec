-- luarocks make: the Lua module "park" against an installed libpark, found
-- with pkg-config (set PKG_CONFIG_PATH for a libpark outside the default
-- paths). No autotools: bindings/lua/rock.mk compiles the SWIG wrapper,
-- which a release tarball ships and a checkout makes with swig.
rockspec_format = "3.0"
package = "libpark"
version = "scm-1"
source = {
   -- luarocks make builds the directory it runs in and never fetches this;
   -- make dist writes libpark-VERSION-1.rockspec, whose source is the
   -- release tarball (bindings/lua/release-rockspec.sh).
   url = "git+file:///dev/null",
}
description = {
   summary = "Park threads in one shared libevent loop, tokio style",
   detailed = [[
      Lua binding of libpark: Parker, Unparker and Driver; parks that
      return "token", "timeout", "events" or "shutdown"; timers, fd
      readiness and signals served by whichever parker sleeps in the
      driver's event loop.
   ]],
   license = "MIT",
}
dependencies = {
   "lua >= 5.1, < 5.5",
}
build = {
   type = "make",
   makefile = "bindings/lua/rock.mk",
   build_variables = {
      CC = "$(CC)",
      CFLAGS = "$(CFLAGS)",
      LIBFLAG = "$(LIBFLAG)",
      LUA_INCDIR = "$(LUA_INCDIR)",
   },
   install_variables = {
      INST_LIBDIR = "$(LIBDIR)",
      -- rock.mk's build directory is per Lua: install must name the same.
      LUA_INCDIR = "$(LUA_INCDIR)",
   },
}
