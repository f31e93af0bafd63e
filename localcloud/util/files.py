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

"""Files: atomic writes that leave unchanged files alone, ini rendering,
markers of idempotent steps, locks.

Standard library only: the Qinling runtime (in Qinling's venv) uses it.
"""
import configparser
import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import stat


def write_ini(path, sections):
    """Render ``{section: {key: value}}`` to an ini file (values str()-ed, no
    interpolation)."""
    parser = configparser.RawConfigParser()
    parser.optionxform = str
    for section, options in sections.items():
        if section != 'DEFAULT':
            parser.add_section(section)
        for key, value in options.items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = 'true' if value else 'false'
            parser.set(section, key, str(value))
    write_file(path, None, writer=parser.write)


def write_file(path, text, mode=0o644, writer=None):
    """Write atomically (tmp + rename) with ``mode``; ``writer(f)``, if
    given, writes the text instead.

    A file that already has this text and mode is left alone: rewriting it
    would change its directory's mtime on every ``up``, and stevedore keys
    its entry-point cache on the mtimes of ``sys.path``, where gunicorn and
    ``python -m`` put the service's directory.
    """
    if writer:
        buf = io.StringIO()
        writer(buf)
        text = buf.getvalue()
    try:
        with open(path) as f:
            unchanged = (f.read() == text and
                         stat.S_IMODE(os.fstat(f.fileno()).st_mode) == mode)
    except (FileNotFoundError, UnicodeDecodeError):
        unchanged = False
    if unchanged:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


class Marker:
    """A file recording that an idempotent step ran with a given input
    (fingerprint)."""

    def __init__(self, path, data=''):
        self.path = path
        self.fingerprint = hashlib.sha256(
            json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    def done(self):
        try:
            with open(self.path) as f:
                return f.read().strip() == self.fingerprint
        except FileNotFoundError:
            return False

    def mark(self):
        write_file(self.path, self.fingerprint + '\n')


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def file_lock(path):
    """Hold an exclusive flock on ``path`` (created if missing) for the
    block."""
    with open(path, 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
