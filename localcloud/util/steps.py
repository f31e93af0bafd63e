#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Steps that print what they do and how long they took, and short commands
run with their output kept for the error message.

Every step's time is also recorded (``timings``), so that a caller (the
benchmark, ``lifecycle.install``) can report where the time went.
"""
import contextlib
import os
import subprocess
import sys
import threading
import time

from localcloud import exceptions

_TIMINGS_LOCK = threading.Lock()
_TIMINGS = []


def say(msg):
    # one write per line: services start in threads
    sys.stdout.write('localcloud: %s\n' % msg)
    sys.stdout.flush()


@contextlib.contextmanager
def step(what):
    """Print what a long step does and how long it took."""
    say(what + ' ...')
    started = time.monotonic()
    yield
    took = time.monotonic() - started
    with _TIMINGS_LOCK:
        _TIMINGS.append((what, took))
    say('%s: done in %.1f s' % (what, took))


def timings():
    """[(step, seconds)] of the steps finished in this process so far."""
    with _TIMINGS_LOCK:
        return list(_TIMINGS)


def run(argv, what=None, env=None, cwd=None, check=True):
    """Run a short command; on failure raise CommandFailed with its output.
    Returns CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [str(a) for a in argv],
        env=full_env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if check and proc.returncode != 0:
        raise exceptions.CommandFailed('%s failed (exit %d): %s\n%s%s' % (
            what or argv[0], proc.returncode, ' '.join(map(str, argv)),
            proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc
