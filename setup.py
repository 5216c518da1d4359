"""The pip build of the park package (pyproject.toml names setuptools).

libpark's C sources are compiled into the extension park._core, so a wheel
needs only libevent (libevent_core and libevent_pthreads), not an installed
libpark. Like configure, it picks the futex sleeper where <linux/futex.h>
exists and the condvar one elsewhere, and uses an eventfd wake channel where
<sys/eventfd.h> exists; the other sources are the ones libpark/include.am
lists. libpark's symbols stay hidden inside the extension.
The generated public header comes from libpark/libpark.h.in with the version
of configure.ac's AC_INIT, as configure makes it.

Needs a C compiler, swig and libevent's headers (Debian: build-essential
swig libevent-dev python3-dev). `make install` builds the same package with
autotools, linked to libpark.so instead.
"""

import glob
import os
import re
import shlex
import subprocess
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def package_version():
    with open("configure.ac") as f:
        m = re.search(r"AC_INIT\(\[libpark\],\s*\[([0-9]+\.[0-9]+\.[0-9]+)\]",
                      f.read())
    if not m:
        raise SystemExit("setup.py: no version in configure.ac's AC_INIT")
    return m.group(1)


def core_sources():
    """libpark's sources common to every sleeper, as libpark/include.am
    lists them (park_core_sources), so that the two builds cannot drift."""
    with open("libpark/include.am") as f:
        text = f.read()
    m = re.search(r"^park_core_sources = ((?:.*\\\n)*.*)$", text, re.M)
    if not m:
        raise SystemExit("setup.py: no park_core_sources in libpark/include.am")
    return m.group(1).replace("\\", " ").split()


def libevent_flags():
    """(cflags, libs) from LIBEVENT_CFLAGS/LIBEVENT_LIBS, as configure
    takes them, else pkg-config, else the plain library names."""
    env = (os.environ.get("LIBEVENT_CFLAGS"), os.environ.get("LIBEVENT_LIBS"))
    if env != (None, None):
        return shlex.split(env[0] or ""), shlex.split(env[1] or "")
    mods = ["libevent_core >= 2.1", "libevent_pthreads"]
    try:
        run = [subprocess.run(["pkg-config", flag] + mods, check=True,
                              stdout=subprocess.PIPE, text=True).stdout
               for flag in ("--cflags", "--libs")]
        return shlex.split(run[0]), shlex.split(run[1])
    except (OSError, subprocess.CalledProcessError):
        return [], ["-levent_core", "-levent_pthreads"]


class BuildCore(build_ext):
    """Generates libpark.h and config.h, runs swig, compiles."""

    def header_exists(self, header):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "probe.c")
            with open(src, "w") as f:
                f.write(f"#include <{header}>\nint main(void) {{ return 0; }}\n")
            try:
                self.compiler.compile([src], output_dir=tmp)
            except Exception:  # distutils' CompileError, by any name
                return False
        return True

    def generate(self, gen):
        os.makedirs(gen, exist_ok=True)
        version = package_version()
        major, minor, patch = version.split(".")
        with open("libpark/libpark.h.in") as f:
            header = f.read()
        for name, value in (("PARK_VERSION_MAJOR", major),
                            ("PARK_VERSION_MINOR", minor),
                            ("PARK_VERSION_PATCH", patch),
                            ("PACKAGE_VERSION", version)):
            header = header.replace(f"@{name}@", value)
        with open(os.path.join(gen, "libpark.h"), "w") as f:
            f.write(header)
        config = ["#define _GNU_SOURCE 1"]
        if self.header_exists("sys/eventfd.h"):
            config.append("#define HAVE_SYS_EVENTFD_H 1")
            config.append("#define PARK_WAKE_EVENTFD 1")
        with open(os.path.join(gen, "config.h"), "w") as f:
            f.write("/* Written by setup.py, as configure would. */\n"
                    + "\n".join(config) + "\n")
        return "futex" if self.header_exists("linux/futex.h") else "condvar"

    def build_extension(self, ext):
        gen = os.path.join(self.build_temp, "park-generated")
        sleeper = self.generate(gen)
        wrapper = os.path.join(gen, "core_wrap.c")
        package_dir = os.path.dirname(self.get_ext_fullpath(ext.name))
        os.makedirs(package_dir, exist_ok=True)
        self.spawn(["swig", "-python", "-builtin", "-I" + gen, "-Ilibpark",
                    "-Ibindings", "-outdir", package_dir, "-o", wrapper,
                    "bindings/park-python.i"])
        cflags, libs = libevent_flags()
        ext.sources = [wrapper] + core_sources() + [
            f"libpark/sleeper-{sleeper}.c"] + sorted(
            glob.glob("bindings/python/*.c"))
        ext.include_dirs = [gen, "libpark", "bindings"]
        ext.define_macros = [("PARK_SLEEPER_" + sleeper.upper(), "1")]
        ext.extra_compile_args = ["-std=gnu11", "-fvisibility=hidden",
                                  "-fno-strict-aliasing", "-pthread"] + cflags
        ext.extra_link_args = libs + ["-pthread"]
        super().build_extension(ext)


setup(
    version=package_version(),
    packages=["park"],
    package_dir={"park": "python/park"},
    package_data={"park": ["__init__.pyi", "py.typed"]},
    ext_modules=[Extension("park._core", sources=[])],
    cmdclass={"build_ext": BuildCore},
)
