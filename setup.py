"""The pip build of the park package (pyproject.toml names setuptools).

libpark's C sources are compiled into the extension park._core, so a wheel
needs only libevent (libevent_core and libevent_pthreads), not an installed
libpark. Like configure, it picks the futex sleeper where <linux/futex.h>
exists and the condvar one elsewhere, and uses an eventfd wake channel where
<sys/eventfd.h> exists; the other sources are the ones libpark/include.am
lists. libpark's symbols stay hidden inside the extension.
The generated public header comes from libpark/libpark.h.in with the version
of configure.ac's AC_INIT, as configure makes it.

Needs a C compiler and libevent's headers (Debian: build-essential
libevent-dev python3-dev), and swig only where the SWIG output
(python/park/core_wrap.c and core.py) is missing or older than the
interface: a release tarball and the sdist made here ship it, so they build
without swig. `make install` builds the same package with autotools, linked
to libpark.so instead.
"""

import glob
import os
import re
import shlex
import shutil
import subprocess
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.sdist import sdist

# Paths below are relative to the directory of this file, wherever pip runs.
os.chdir(os.path.dirname(os.path.abspath(__file__)))

# SWIG's output for the package, as make dist ships it (python/include.am).
WRAPPER = "python/park/core_wrap.c"
WRAPPER_PY = "python/park/core.py"


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


def binding_sources():
    """The binding's own C beside SWIG's wrapper (bindings/python/*.c),
    whichever of them this tree has."""
    return sorted(glob.glob("bindings/python/*.c"))


def shipped_wrapper_usable():
    """Whether the SWIG output in python/park can be compiled as it is:
    present and newer than every interface file, or present where there
    is no swig to remake it."""
    if not (os.path.exists(WRAPPER) and os.path.exists(WRAPPER_PY)):
        return False
    if shutil.which("swig") is None:
        return True
    built = min(os.path.getmtime(WRAPPER), os.path.getmtime(WRAPPER_PY))
    inputs = glob.glob("bindings/*.i") + glob.glob("bindings/python/*.i")
    return all(os.path.getmtime(i) <= built for i in inputs)


def generate_header(gen):
    """libpark.h from libpark.h.in, with configure.ac's version."""
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


def run_swig(spawn, gen, outdir, wrapper):
    """SWIG's wrapper (C) and its core.py, into outdir."""
    os.makedirs(outdir, exist_ok=True)
    spawn(["swig", "-python", "-builtin", "-I" + gen, "-Ilibpark",
           "-Ibindings", "-outdir", outdir, "-o", wrapper,
           "bindings/park-python.i"])


class SdistWithWrapper(sdist):
    """The sdist carries SWIG's output, as make dist's tarball does, so
    that installing it needs no swig."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        target = os.path.join(base_dir, "python", "park")
        if shipped_wrapper_usable():
            for f in (WRAPPER, WRAPPER_PY):
                dest = os.path.join(base_dir, f)
                if os.path.exists(dest):
                    os.unlink(dest)  # a hard link to the tree's copy
                shutil.copy2(f, dest)
            return
        with tempfile.TemporaryDirectory() as gen:
            generate_header(gen)
            run_swig(self.spawn, gen, target,
                     os.path.join(base_dir, WRAPPER))


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
        generate_header(gen)
        config = ["#define _GNU_SOURCE 1"]
        if self.header_exists("sys/eventfd.h"):
            config.append("#define HAVE_SYS_EVENTFD_H 1")
            config.append("#define PARK_WAKE_EVENTFD 1")
        with open(os.path.join(gen, "config.h"), "w") as f:
            f.write("/* Written by setup.py, as configure would. */\n"
                    + "\n".join(config) + "\n")
        return "futex" if self.header_exists("linux/futex.h") else "condvar"

    # SWIG's core.py is an output of this command beside the extension: an
    # in-place build (pip install -e) must copy it to python/park too, or
    # the editable package finds no park.core.
    def core_py_mapping(self):
        built = os.path.join(self.build_lib, "park", "core.py")
        return built, WRAPPER_PY

    def _get_output_mapping(self):
        yield from super()._get_output_mapping()
        if self.inplace:
            yield self.core_py_mapping()

    def copy_extensions_to_source(self):
        super().copy_extensions_to_source()
        built, inplace = self.core_py_mapping()
        if not os.path.exists(inplace) or not os.path.samefile(built, inplace):
            self.copy_file(built, inplace, level=self.verbose)

    def build_extension(self, ext):
        gen = os.path.join(self.build_temp, "park-generated")
        sleeper = self.generate(gen)
        package_dir = os.path.dirname(self.get_ext_fullpath(ext.name))
        os.makedirs(package_dir, exist_ok=True)
        if shipped_wrapper_usable():
            wrapper = WRAPPER
            if not os.path.samefile(os.path.dirname(WRAPPER_PY), package_dir):
                shutil.copy2(WRAPPER_PY, package_dir)
        else:
            wrapper = os.path.join(gen, "core_wrap.c")
            run_swig(self.spawn, gen, package_dir, wrapper)
        cflags, libs = libevent_flags()
        ext.sources = [wrapper] + binding_sources() + core_sources() + [
            f"libpark/sleeper-{sleeper}.c"]
        ext.include_dirs = [gen, "libpark", "bindings"]
        ext.define_macros = [("PARK_SLEEPER_" + sleeper.upper(), "1")]
        ext.extra_compile_args = ["-std=gnu11", "-fvisibility=hidden",
                                  "-fno-strict-aliasing", "-pthread"] + cflags
        ext.extra_link_args = libs + ["-pthread"]
        # An interpreter built with --enable-shared (pyenv's) links its
        # extensions with an rpath to its own lib directory; a wheel must
        # not carry a path of the machine that built it.
        self.compiler.linker_so = [
            a for a in self.compiler.linker_so
            if not a.startswith(("-Wl,-rpath", "-Wl,-R", "-R/"))]
        super().build_extension(ext)


setup(
    version=package_version(),
    packages=["park"],
    package_dir={"park": "python/park"},
    package_data={"park": ["__init__.pyi", "py.typed"]},
    ext_modules=[Extension("park._core", sources=[])],
    cmdclass={"build_ext": BuildCore, "sdist": SdistWithWrapper},
)
