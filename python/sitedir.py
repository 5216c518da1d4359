"""Where `make install` puts the park package for the Python running this:
the platform site directory that this interpreter imports from under the
exec prefix given as the only argument. Printed relative to ${exec_prefix}
so that make's variables (DESTDIR, distcheck's prefix) still apply.

Debian's python3 has its own schemes: /usr/lib/python3/dist-packages for
the system prefix, /usr/local/lib/python3.X/dist-packages for /usr/local.
Every other interpreter (pyenv, a venv, a Python built from source) uses the
standard posix_prefix scheme.
"""

import sys
import sysconfig

prefix = sys.argv[1].rstrip("/") or "/"
schemes = sysconfig.get_scheme_names()
base = prefix
if "deb_system" in schemes and prefix == "/usr":
    scheme = "deb_system"
elif "posix_local" in schemes and prefix.endswith("/local"):
    # posix_local adds the /local itself.
    scheme, base = "posix_local", prefix[: -len("/local")]
else:
    scheme = "posix_prefix"
path = sysconfig.get_path("platlib", scheme,
                          vars={"base": base, "platbase": base})
if path.startswith(prefix + "/"):
    path = "${exec_prefix}" + path[len(prefix):]
print(path)
