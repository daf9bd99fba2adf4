#!/usr/bin/env python3
"""security_test.py — who may talk to a server, and who a client talks to.
Two test users, each in its own role:

- Under the default 0600 socket the other user can neither query the owner's
  server nor hand it a ring (its tracked program falls back to in-process
  accounting and never shows in the server's books). With --group the members
  can, once they say they trust the owner's server (MEMLEDGER_SERVER_UID):
  without it their programs and queries refuse a server of another uid, at an
  explicit path and at a default one.
- The other user impersonates the owner's server: a symlink at the old
  default path (/tmp/memledger-$UID.sock), a directory of its own at the
  owner's default place, or an $XDG_RUNTIME_DIR that is not the owner's
  private directory, each leading to an impostor that accepts rings and never
  drains them. The owner's server starts in its private directory or refuses
  clearly; the owner's programs never hand the impostor their ring, and finish.

Needs root to make the users (CI runs as root); exits 77 (skipped) otherwise.
usage: security_test.py BIN_DIR
"""
import grp
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

import checks
from checks import Checker
from server_process import start_server, stop, stop_all

OWNER, OTHER, GROUP = "memledger-owner", "memledger-other", "memledger-share"
TRACKED_ARGS = ["leaky", "--leaks", "2", "--iterations", "50"]


def ensure_users():
    for user in (OWNER, OTHER):
        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user], check=True)
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        subprocess.run(["groupadd", "--system", GROUP], check=True)
    for user in (OWNER, OTHER):  # the owner must be a member to give its socket to the group
        subprocess.run(["usermod", "-a", "-G", GROUP, user], check=True)


def as_user(user, args):
    entry = pwd.getpwnam(user)
    groups = ",".join(str(g.gr_gid) for g in grp.getgrall() if user in g.gr_mem) or str(entry.pw_gid)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", f"--groups={groups}", "--"] + args


def uid_of(user):
    return pwd.getpwnam(user).pw_uid


def clean_env(**extra):
    """The test's environment without memledger's variables or $XDG_RUNTIME_DIR, plus `extra`."""
    env = checks.clean_env()
    env.pop("XDG_RUNTIME_DIR", None)
    env.update(extra)
    return env


def answers(path):
    """A server listens at `path` (a socket there itself: the test follows no one's symlink)."""
    if os.path.islink(path):
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as probe:
            probe.connect(path)
            return True
    except OSError:
        return False


class Tools:
    def __init__(self, work):
        self.work = work
        self.started = []  # servers at default paths, stopped in main's `finally` whatever happens
        self.memledger = os.path.join(work, "bin", "memledger")
        self.sim = os.path.join(work, "bin", "memledger-sim")
        self.impostor_script = os.path.join(work, "bin", "impostor_server.py")

    def serve_default(self, env, log_name):
        """The owner's `memledger serve` at its default socket: (process, socket path or None, stderr)."""
        log_path = os.path.join(self.work, log_name)
        with open(log_path, "w") as log:
            process = subprocess.Popen(as_user(OWNER, [self.memledger, "serve"]), env=env, stderr=log)
        self.started.append(process)
        expected = f"/tmp/memledger-{uid_of(OWNER)}/memledger.sock"
        deadline = time.monotonic() + 15  # a bound on starting, not a measurement
        while process.poll() is None and time.monotonic() < deadline and not answers(expected):
            time.sleep(0.01)
        with open(log_path) as log:
            stderr = log.read()
        if process.poll() is not None:
            return process, None, stderr
        return process, expected if answers(expected) else None, stderr

    def tracked(self, user, env):
        return subprocess.run(as_user(user, [self.sim, *TRACKED_ARGS]), env=env, capture_output=True, text=True,
                              timeout=120)

    def status(self, user, env, sock=None):
        args = [self.memledger, "status", "--json"] + (["--socket", sock] if sock else [])
        return subprocess.run(as_user(user, args), env=env, capture_output=True, text=True, timeout=60)


class Impostor:
    """The other user's fake server (impostor_server.py), in a directory of the other user's."""

    def __init__(self, tools):
        self.dir = os.path.join(tools.work, "impostor")
        os.makedirs(self.dir, mode=0o755)
        os.chown(self.dir, uid_of(OTHER), pwd.getpwnam(OTHER).pw_gid)
        self.socket = os.path.join(self.dir, "fake.sock")
        self.log = os.path.join(self.dir, "hellos.log")
        self.process = subprocess.Popen(as_user(OTHER, [sys.executable, tools.impostor_script, self.socket, self.log]),
                                        stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the impostor server did not start")

    def hellos(self):
        if not os.path.exists(self.log):
            return ""
        with open(self.log) as log:
            return log.read()

    def stop(self):
        self.process.kill()
        self.process.wait()


def remove_owner_defaults():
    """What the owner's default socket places hold, from this test or an earlier run."""
    uid = uid_of(OWNER)
    for path in (f"/tmp/memledger-{uid}.sock", f"/tmp/memledger-{uid}"):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)


def check_socket_permissions(check, tools):
    """0600: the other user is shut out. --group: members may, once they trust the owner's uid."""
    work, memledger = tools.work, tools.memledger
    for group in ("", GROUP):
        sock = os.path.join(work, f"ml{'-group' if group else ''}.sock")
        server = start_server(os.path.dirname(memledger), sock, ["--group", group] if group else [],
                              prefix=as_user(OWNER, []))
        mode = os.stat(sock).st_mode & 0o777
        check.true(f"socket mode ({group or 'default'})", mode == (0o660 if group else 0o600), oct(mode))
        check.true("the owner can query", tools.status(OWNER, clean_env(), sock).returncode == 0)

        explicit = clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=sock)
        other = tools.status(OTHER, clean_env(), sock)
        tracked = tools.tracked(OTHER, explicit)
        check.true("the other user's program runs", tracked.returncode == 0, tracked.stderr[-500:])
        if not group:
            check.true("another user cannot query", other.returncode == 1 and "Permission denied" in other.stderr,
                       other.stderr)
            check.true("another user's program accounts in-process", "memledger: pid" in tracked.stderr,
                       tracked.stderr[-500:])
            books = tools.status(OWNER, clean_env(), sock).stdout
            check.true("and never shows in the server's books", "memledger-sim" not in books)
            stop(server)
            continue

        # A group member, not opted in: a server of another uid is refused, at an explicit path...
        refusal = f"runs as uid {uid_of(OWNER)}"
        check.true("a member's query refuses a server of another uid", other.returncode == 1 and refusal in other.stderr,
                   other.stderr)
        check.true("a member's program refuses a server of another uid (explicit path)",
                   refusal in tracked.stderr and "MEMLEDGER_SERVER_UID" in tracked.stderr, tracked.stderr[-800:])
        check.true("and accounts in-process", "memledger: pid" in tracked.stderr, tracked.stderr[-500:])
        # ... and at the default one: its own $XDG_RUNTIME_DIR leading to the owner's socket.
        runtime = os.path.join(work, "runtime-other")
        os.makedirs(runtime, mode=0o700)
        os.symlink(sock, os.path.join(runtime, "memledger.sock"))
        os.lchown(os.path.join(runtime, "memledger.sock"), uid_of(OTHER), -1)
        os.chown(runtime, uid_of(OTHER), -1)
        by_default = tools.tracked(OTHER, clean_env(MEMLEDGER="1", XDG_RUNTIME_DIR=runtime))
        check.true("a member's program refuses a server of another uid (default path)",
                   by_default.returncode == 0 and refusal in by_default.stderr, by_default.stderr[-800:])
        default_status = tools.status(OTHER, clean_env(XDG_RUNTIME_DIR=runtime))
        check.true("a member's query refuses it at the default path too",
                   default_status.returncode == 1 and refusal in default_status.stderr, default_status.stderr)
        books = tools.status(OWNER, clean_env(), sock).stdout
        check.true("no refused program is in the books", "memledger-sim" not in books, books[-500:])

        # Opted in, by user name: the member's program and query use the owner's server.
        trusting = clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=sock, MEMLEDGER_SERVER_UID=OWNER)
        tracked = tools.tracked(OTHER, trusting)
        check.true("an opted-in member's program runs", tracked.returncode == 0 and refusal not in tracked.stderr,
                   tracked.stderr[-500:])
        other = tools.status(OTHER, clean_env(MEMLEDGER_SERVER_UID=str(uid_of(OWNER))), sock)
        check.true("an opted-in member can query", other.returncode == 0, other.stderr)
        books = tools.status(OWNER, clean_env(), sock).stdout
        check.true("an opted-in member's program is in the books", "memledger-sim" in books, books[-500:])
        stop(server)


def check_symlinked_default_socket(check, tools, impostor):
    """The old default path, symlinked by the other user to its impostor."""
    uid = uid_of(OWNER)
    planted = f"/tmp/memledger-{uid}.sock"
    subprocess.run(as_user(OTHER, ["ln", "-s", impostor.socket, planted]), check=True)
    env = clean_env(MEMLEDGER="1")
    server, sock, stderr = tools.serve_default(env, "serve-symlinked.log")
    check.true("with a symlink planted at /tmp/memledger-$UID.sock, the server starts in its private directory",
               sock is not None, stderr)
    private = os.lstat(f"/tmp/memledger-{uid}") if os.path.lexists(f"/tmp/memledger-{uid}") else None
    check.true("which is the owner's, 0700, not a symlink",
               private and private.st_uid == uid and stat.S_ISDIR(private.st_mode) and
               (private.st_mode & 0o7777) == 0o700, private)
    tracked = tools.tracked(OWNER, env)
    check.true("the owner's program finishes", tracked.returncode == 0, tracked.stderr[-500:])
    books = tools.status(OWNER, clean_env())
    check.true("and is in the owner's server's books", "memledger-sim" in books.stdout, books.stderr)
    check.true("the impostor was handed nothing", impostor.hellos() == "", impostor.hellos())
    check.true("the planted symlink is left alone", os.path.islink(planted))
    stop(server)
    remove_owner_defaults()


def check_squatted_private_directory(check, tools, impostor):
    """The other user made the owner's private directory first, with a symlink to its impostor in it."""
    uid = uid_of(OWNER)
    squatted = f"/tmp/memledger-{uid}"
    subprocess.run(as_user(OTHER, ["mkdir", "-m", "0777", squatted]), check=True)
    subprocess.run(as_user(OTHER, ["ln", "-s", impostor.socket, os.path.join(squatted, "memledger.sock")]), check=True)
    env = clean_env(MEMLEDGER="1")
    server, sock, stderr = tools.serve_default(env, "serve-squatted.log")
    check.true("with the private directory squatted, the server refuses to start",
               sock is None and server.poll() == 1, stderr)
    check.true("saying which directory and what is wrong", squatted in stderr and f"belongs to uid {uid_of(OTHER)}"
               in stderr, stderr)
    tracked = tools.tracked(OWNER, env)
    check.true("the owner's program finishes", tracked.returncode == 0, tracked.stderr[-500:])
    check.true("saying once why it does not connect",
               tracked.stderr.count(f"not connecting to a server at {squatted}/memledger.sock") == 1,
               tracked.stderr[-800:])
    check.true("and accounts in-process", "memledger: pid" in tracked.stderr, tracked.stderr[-500:])
    status = tools.status(OWNER, clean_env())
    check.true("the owner's query refuses it too", status.returncode == 1 and squatted in status.stderr, status.stderr)
    check.true("the impostor was handed nothing", impostor.hellos() == "", impostor.hellos())
    remove_owner_defaults()


def check_unsafe_runtime_dirs(check, tools, impostor):
    """An $XDG_RUNTIME_DIR of the other user's, or one anyone can write in, is not used."""
    uid = uid_of(OWNER)
    for name, owner, mode in (("runtime-foreign", OTHER, 0o755), ("runtime-open", OWNER, 0o777)):
        runtime = os.path.join(tools.work, name)
        os.makedirs(runtime)
        os.chown(runtime, uid_of(owner), -1)
        os.chmod(runtime, mode)
        subprocess.run(as_user(OTHER, ["ln", "-s", impostor.socket, os.path.join(runtime, "memledger.sock")]),
                       check=True)
        env = clean_env(MEMLEDGER="1", XDG_RUNTIME_DIR=runtime)
        server, sock, stderr = tools.serve_default(env, f"serve-{name}.log")
        check.true(f"{name}: the server does not use it, and starts in /tmp/memledger-{uid}/",
                   sock is not None and "not using $XDG_RUNTIME_DIR" in stderr, stderr)
        tracked = tools.tracked(OWNER, env)
        check.true(f"{name}: the owner's program finishes", tracked.returncode == 0, tracked.stderr[-500:])
        books = tools.status(OWNER, env)
        check.true(f"{name}: and is in the owner's server's books", "memledger-sim" in books.stdout, books.stderr)
        check.true(f"{name}: the impostor was handed nothing", impostor.hellos() == "", impostor.hellos())
        stop(server)
        remove_owner_defaults()


def main():
    bin_dir = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        print("skipped: making test users needs root")
        return 77
    ensure_users()
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        os.chmod(work, 0o1777)  # like /tmp: anyone may make a file here, no one may remove another's
        # The build tree may not be readable by the test users: run copies.
        for sub, names in (("bin", ["memledger", "memledger-sim"]), ("lib", None)):
            source = os.path.join(os.path.dirname(bin_dir), sub)
            os.makedirs(os.path.join(work, sub), mode=0o755)
            for name in names or [n for n in os.listdir(source) if n.startswith("libmemledger.so")]:
                shutil.copy2(os.path.join(source, name), os.path.join(work, sub, name), follow_symlinks=True)
        shutil.copy2(os.path.join(os.path.dirname(os.path.abspath(__file__)), "impostor_server.py"),
                     os.path.join(work, "bin"))
        os.environ["LD_LIBRARY_PATH"] = os.path.join(work, "lib")
        tools = Tools(work)
        impostor = None
        remove_owner_defaults()
        try:
            check_socket_permissions(check, tools)
            impostor = Impostor(tools)
            for scenario in (check_symlinked_default_socket, check_squatted_private_directory,
                             check_unsafe_runtime_dirs):
                try:
                    scenario(check, tools, impostor)
                except subprocess.TimeoutExpired as e:  # a program handed its ring to the impostor hangs
                    check.true(f"{scenario.__name__}: {' '.join(e.cmd[-3:])} finishes", False)
                finally:
                    for server in tools.started:
                        stop(server)
                    remove_owner_defaults()
        finally:
            stop_all()
            for server in tools.started:
                stop(server)
            if impostor:
                impostor.stop()
            remove_owner_defaults()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
