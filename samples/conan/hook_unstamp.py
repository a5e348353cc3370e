"""Conan 2 hook: run unstamp over what a recipe builds and packages.

Install: copy this file into <conan home>/extensions/hooks/ (`conan config home` prints
<conan home>, by default ~/.conan2). Conan loads every file there whose name starts with
hook_, so keep the name hook_unstamp.py. To share it, put it under extensions/hooks/ in a
config repository or folder and run `conan config install <it>`.

  post_build(conanfile)    after build(): unstamp <build_folder> (objects, archives, DLLs...)
  post_package(conanfile)  after package(): unstamp <package_folder>. Conan computes the
                           package manifest and revision after this hook, so they are made
                           from the normalized files.

The command is the environment variable UNSTAMP_COMMAND, split with shlex
(UNSTAMP_COMMAND='node /opt/unstamp/bin/unstamp.js --pdb-path basename'), else
`npx --no-install unstamp`, which uses an unstamp from a node_modules above the current
directory or from `npm install -g unstamp` and never downloads one. The epoch is
$SOURCE_DATE_EPOCH, else 0, as for unstamp itself.

Reporting goes through conanfile.output: info with unstamp's summary line on success; a
warning when some files could not be normalized (unstamp exit 3; it still did the others);
an error when unstamp could not run or stopped (missing command, exit 2: usage). The hook never
raises for an unstamp failure, so the build goes on (Conan itself raises on output.error
when core:warnings_as_errors is set).
"""

import os
import shlex
import subprocess


def _command():
    """The unstamp command as a list of words."""
    line = os.environ.get("UNSTAMP_COMMAND", "").strip()
    if not line:
        return ["npx.cmd" if os.name == "nt" else "npx", "--no-install", "unstamp"]
    if os.name != "nt":
        return shlex.split(line)
    # Windows: keep backslashes, drop the quotes around a word.
    return [w[1:-1] if len(w) > 1 and w[0] == w[-1] == '"' else w for w in shlex.split(line, posix=False)]


def _summary(stdout):
    """unstamp's last line: 'unstamp: N files scanned (...), ... failed; ... s'."""
    lines = [l for l in stdout.splitlines() if l.startswith("unstamp: ")]
    return lines[-1] if lines else "unstamp: done"


def _run(conanfile, what, folder):
    out = conanfile.output
    if not folder or not os.path.isdir(folder):
        out.info("unstamp: no %s folder, nothing to do" % what)
        return
    cmd = _command()
    try:
        proc = subprocess.run(cmd + [folder], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, errors="replace")
    except OSError as e:
        out.error("unstamp: could not run %s on the %s folder: %s (set UNSTAMP_COMMAND)"
                  % (" ".join(cmd), what, e))
        return
    problems = proc.stderr.strip()
    if proc.returncode == 0:
        out.info("%s [%s folder]" % (_summary(proc.stdout), what))
        if problems:  # warnings, e.g. a PE whose PDB was not in the run
            out.warning(problems)
    elif proc.returncode == 3:
        out.warning("unstamp: some files in the %s folder were not normalized (exit 3):\n%s\n%s"
                    % (what, problems, _summary(proc.stdout)))
    else:
        out.error("unstamp: %s failed (exit %s) on the %s folder:\n%s"
                  % (" ".join(cmd), proc.returncode, what, problems or proc.stdout.strip()))


def post_build(conanfile):
    _run(conanfile, "build", getattr(conanfile, "build_folder", None))


def post_package(conanfile):
    _run(conanfile, "package", getattr(conanfile, "package_folder", None))
