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

"""A function package built from a template's ``files`` map.

The same map must always give the same zip, byte for byte: Qinling compares
md5 sums to tell whether the code changed, and Heat compares the map itself.
So entries are sorted, and timestamps and permissions are fixed.
"""
import base64
import binascii
import hashlib
import io
import posixpath
import re
import zipfile

from heat.common.i18n import _

# The earliest time a zip entry can carry; any fixed value would do.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16
# What python-heatclient sends for a file that is not UTF-8 text: the bytes
# base64-encoded with base64.encodebytes, in lines of 76 characters.
_BASE64_LINES_RE = re.compile(r'\A(?:[A-Za-z0-9+/]{76}\n)*'
                              r'[A-Za-z0-9+/]{0,76}={0,2}\n?\Z')
# Control characters other than tab, newline, form feed and carriage return:
# code and text files have none, binary files almost always do.
_BINARY_CHAR_RE = re.compile('[\x00-\x08\x0b\x0e-\x1f\x7f]')
_BINARY_HOWTO = _('Heat templates carry text only. Ship binary code as a zip '
                  'package in Swift (the "swift" property) or as a container '
                  'image (the "image" property).')
_ENTRY_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*'
                       r'\.[A-Za-z_][A-Za-z0-9_]*$')


class InvalidPackage(ValueError):
    """The files map or the entry cannot make a working package."""


def validate_path(path):
    """Check that one key of ``files`` is a clean relative path."""
    if not path or not path.strip():
        raise InvalidPackage(_('A file path must not be empty.'))
    if '\\' in path:
        raise InvalidPackage(
            _('File path "%s" contains a backslash; use "/" between '
              'directories.') % path)
    if path.startswith('/'):
        raise InvalidPackage(
            _('File path "%s" is absolute; give a path relative to the '
              'package root, e.g. "hello_world.py".') % path)
    parts = path.split('/')
    if '..' in parts:
        raise InvalidPackage(
            _('File path "%s" contains "..": paths must stay inside the '
              'package.') % path)
    if any(part in ('', '.') for part in parts):
        raise InvalidPackage(
            _('File path "%s" has an empty or "." component; write it '
              'without "//" or "./".') % path)


def validate_files(files):
    if not files:
        raise InvalidPackage(
            _('"files" is empty; give at least the module named in "entry", '
              'e.g. {hello_world.py: {get_file: hello_world.py}}.'))
    for path in files:
        validate_path(path)
    for path in sorted(files):
        validate_content(path, files[path])


def _looks_base64_binary(content):
    """True for what heatclient makes of a binary file given to get_file."""
    if len(content) < 16 or not _BASE64_LINES_RE.match(content):
        return False
    try:
        data = base64.b64decode(content, validate=False)
    except (binascii.Error, ValueError):
        return False
    try:
        data.decode('utf-8')
    except UnicodeDecodeError:
        return True
    return False


def validate_content(path, content):
    """Check that one value of ``files`` is the text of a file."""
    if not isinstance(content, str):
        kind = {bool: _('a boolean'), int: _('a number'),
                float: _('a number'), list: _('a list'),
                dict: _('a map')}.get(type(content), type(content).__name__)
        raise InvalidPackage(
            _('The content of file "%(path)s" is %(kind)s, not text. Give '
              'the file text, e.g. {%(path)s: {get_file: %(path)s}}, or a '
              'string; quote a literal such as "42".') % {
                'path': path, 'kind': kind})
    if _BINARY_CHAR_RE.search(content):
        raise InvalidPackage(
            _('File "%(path)s" is binary (it contains control characters), '
              'but "files" holds text. %(howto)s') % {
                'path': path, 'howto': _BINARY_HOWTO})
    if _looks_base64_binary(content):
        raise InvalidPackage(
            _('File "%(path)s" is binary: the client sent it base64-encoded '
              '(python-heatclient does so for a get_file of a file that is '
              'not UTF-8 text), and "files" holds text. %(howto)s') % {
                'path': path, 'howto': _BINARY_HOWTO})


def validate_entry(entry):
    """Check that ``entry`` has the form ``module.function``."""
    if not entry or not _ENTRY_RE.match(entry):
        raise InvalidPackage(
            _('"%s" is not of the form "module.function" (for example '
              '"hello_world.main", or "pkg.module.function").') % entry)


def entry_module_paths(entry):
    """The files that can provide the module named in ``entry``."""
    module = entry.rsplit('.', 1)[0].replace('.', '/')
    return (module + '.py', posixpath.join(module, '__init__.py'))


def validate_entry_in_files(entry, files):
    candidates = entry_module_paths(entry)
    if not any(path in files for path in candidates):
        raise InvalidPackage(
            _('"entry" names module "%(module)s", but "files" has no '
              '%(paths)s. Files given: %(given)s.') % {
                'module': entry.rsplit('.', 1)[0],
                'paths': ' or '.join(candidates),
                'given': ', '.join(sorted(files))})


def build_zip(files):
    """Return the zip archive (bytes) of a validated ``files`` map."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=_ZIP_EPOCH)
            info.external_attr = _FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            content = files[path]
            if isinstance(content, str):
                content = content.encode('utf-8')
            archive.writestr(info, content)
    return buf.getvalue()


def md5sum(data):
    # Qinling identifies packages by md5; this is not a security use.
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def read_zip(data):
    """Return the files map held in a zip archive (text files only).

    Returns None when an entry is not UTF-8 text: such a package cannot be
    expressed as a ``files`` map.
    """
    files = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            try:
                files[info.filename] = archive.read(info).decode('utf-8')
            except UnicodeDecodeError:
                return None
    return files
