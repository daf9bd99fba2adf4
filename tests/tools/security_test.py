#!/usr/bin/env python3
"""security_test.py — who may talk to a server. Two test users: the server
runs as one; under the default 0600 socket the other can neither query it nor
hand it a ring (its tracked program falls back to in-process accounting and
never shows in the server's books); with --group, members of the group can.

Needs root to make the users (CI runs as root); exits 77 (skipped) otherwise.
usage: security_test.py BIN_DIR
"""
import grp
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

from checks import Checker
from server_process import start_server, stop

OWNER, OTHER, GROUP = "memledger-owner", "memledger-other", "memledger-share"


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


def main():
    bin_dir = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        print("skipped: making test users needs root")
        return 77
    ensure_users()
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        os.chmod(work, 0o777)  # the owner user creates its socket here
        # The build tree may not be readable by the test users: run copies.
        for sub, names in (("bin", ["memledger", "memledger-sim"]), ("lib", None)):
            source = os.path.join(os.path.dirname(bin_dir), sub)
            os.makedirs(os.path.join(work, sub), mode=0o755)
            for name in names or [n for n in os.listdir(source) if n.startswith("libmemledger.so")]:
                shutil.copy2(os.path.join(source, name), os.path.join(work, sub, name), follow_symlinks=True)
        os.environ["LD_LIBRARY_PATH"] = os.path.join(work, "lib")
        memledger = os.path.join(work, "bin", "memledger")
        sim = os.path.join(work, "bin", "memledger-sim")
        for group in ("", GROUP):
            sock = os.path.join(work, f"ml{'-group' if group else ''}.sock")
            server = start_server(os.path.dirname(memledger), sock, ["--group", group] if group else [],
                                 prefix=as_user(OWNER, []))
            mode = os.stat(sock).st_mode & 0o777
            check.true(f"socket mode ({group or 'default'})", mode == (0o660 if group else 0o600), oct(mode))

            status = subprocess.run(as_user(OWNER, [memledger, "status", "--socket", sock, "--json"]),
                                    capture_output=True, text=True)
            check.true("the owner can query", status.returncode == 0, status.stderr)

            other = subprocess.run(as_user(OTHER, [memledger, "status", "--socket", sock]),
                                   capture_output=True, text=True)
            env = {k: v for k, v in os.environ.items() if not k.startswith("MEMLEDGER")}
            env.update(MEMLEDGER="1", MEMLEDGER_SOCKET=sock)
            tracked = subprocess.run(as_user(OTHER, [sim, "leaky", "--leaks", "2", "--iterations", "50"]), env=env,
                                     capture_output=True, text=True, timeout=120)
            check.true("the other user's program runs", tracked.returncode == 0, tracked.stderr[-500:])
            books = subprocess.run(as_user(OWNER, [memledger, "status", "--socket", sock, "--json"]),
                                   capture_output=True, text=True).stdout
            if group:
                check.true("a group member can query", other.returncode == 0, other.stderr)
                check.true("a group member's program is in the books", "memledger-sim" in books)
            else:
                check.true("another user cannot query", other.returncode == 1 and "Permission denied" in other.stderr,
                      other.stderr)
                check.true("another user's program accounts in-process", "memledger: pid" in tracked.stderr,
                      tracked.stderr[-500:])
                check.true("and never shows in the server's books", "memledger-sim" not in books)
            stop(server)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
