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

"""What heat-qinling does around python-qinlingclient, in one place.

Written against python-qinlingclient 5.1.1 (its last release), the only
version ``SUPPORTED_QINLINGCLIENT`` admits; ``check_client`` refuses a
client whose internals differ, naming the versions, and
``tests/unit/test_qinlingclient_compat.py`` fails when the installed library
changes. Three things:

* **Error answers.** The library's ``from_response`` crashes (KeyError,
  TypeError) on what Qinling really sends on errors, e.g. a 500 with an
  empty or plain-text body. ``adopt`` swaps the class of the client's one
  HTTP adapter (every manager shares it) for ``QinlingSessionClient``, which
  builds the library's own exception classes (its private ``_code_map``)
  from any answer, with a message a user can act on.
* **Function update.** ``functions.update`` spreads ``code`` into top-level
  form fields, which the server ignores (a swift object change would be
  lost): ``put_function`` sends the PUT itself, ``code`` as the JSON string
  field Qinling reads.
* **Runtime update.** The library has none: ``put_runtime`` sends the PUT.
"""
from importlib import metadata
import re

from keystoneclient import adapter as keystone_adapter
from oslo_serialization import jsonutils
from qinlingclient.common import exceptions as qinling_exc
from qinlingclient.common import http as qinling_http

from heat.common import exception
from heat.common.i18n import _

# The python-qinlingclient releases whose internals this module was written
# against (requirements.txt documents the same bound).
SUPPORTED_QINLINGCLIENT = '>=5.1.1,<5.2.0'

_DUPLICATE_RE = re.compile(r'Duplicate entry for (\w+): \[([^]]*)\]')
# What Qinling's internals look like when they leak into an error message:
# a database driver's exception with its SQL, or a Python traceback.
_INTERNALS_RE = re.compile(
    r'\[SQL: |\((pymysql|sqlite3|psycopg2|MySQLdb)\.|sqlalchemy\.|'
    r'IntegrityError|OperationalError|DataError|'
    r'Traceback \(most recent call last\)')


def error_from_response(response):
    """Build a qinlingclient exception from an error response.

    Unlike qinlingclient's own ``from_response`` this survives what Qinling
    really sends: a 500 with an empty or plain-text body (the client crashes
    with KeyError or TypeError there), and it rewrites the messages a user
    cannot act on.
    """
    cls = qinling_exc._code_map.get(response.status_code,
                                    qinling_exc.HTTPException)
    details = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        details = body.get('faultstring') or body.get('message')
    if not details:
        details = (response.text or '').strip() or (
            _('Qinling answered %(code)s %(reason)s with no explanation; '
              'see the qinling-api log.') % {
                'code': response.status_code,
                'reason': response.reason or ''})
    if _INTERNALS_RE.search(details):
        request_id = response.headers.get('x-openstack-request-id')
        details = _('Qinling failed with an internal (database) error that '
                    'it does not explain; the qinling-api log has it%s.') % (
            _(' under request %s') % request_id if request_id else '')
    duplicate = _DUPLICATE_RE.search(details)
    if response.status_code == 400 and duplicate:
        # The columns are the unique key's, as the database reports them.
        if 'name' in duplicate.group(2):
            details = _('An object of this name already exists in the '
                        'project (Qinling: %s). Choose another name.') % (
                details)
        else:
            details = _('This would duplicate an existing object (Qinling: '
                        '%s).') % details
    return cls(details=details)


def check_client(client):
    """Fail loudly if python-qinlingclient lacks the internals used here.

    The plugin swaps the class of the client's HTTP adapter and reads the
    library's private map of status codes to exceptions; a release that
    changes either would otherwise fail in obscure ways.
    """
    http_client = getattr(client, 'http_client', None)
    if (isinstance(getattr(qinling_exc, '_code_map', None), dict) and
            type(http_client) is qinling_http.SessionClient and
            isinstance(http_client, keystone_adapter.Adapter)):
        return
    raise exception.Error(
        _('python-qinlingclient %(installed)s is not supported by '
          'heat-qinling: it needs python-qinlingclient%(supported)s.') % {
            'installed': metadata.version('python-qinlingclient'),
            'supported': SUPPORTED_QINLINGCLIENT})


class QinlingSessionClient(qinling_http.SessionClient):
    """python-qinlingclient's keystone adapter with safe error handling."""

    def request(self, url, method, **kwargs):
        raise_exc = kwargs.pop('raise_exc', True)
        resp = keystone_adapter.Adapter.request(
            self, url, method, raise_exc=False, **kwargs)
        if raise_exc and resp.status_code >= 400:
            raise error_from_response(resp)
        return resp


def adopt(client):
    """Check ``client`` and give its HTTP adapter our error handling."""
    check_client(client)
    # All managers share this one adapter.
    client.http_client.__class__ = QinlingSessionClient
    return client


def put_function(client, function_id, data, package=None):
    """PUT a function's fields; ``package`` is a file object, if any.

    ``data['code']``, if given, is a dict: sent as the JSON string field
    the server reads. Returns the answer's body.
    """
    data = dict(data)
    if data.get('code') is not None:
        data['code'] = jsonutils.dumps(data['code'])
    kwargs = {'data': data}
    if package is not None:
        kwargs['files'] = {'package': package}
    resp = client.http_client.request(
        '/v1/functions/%s' % function_id, 'PUT', **kwargs)
    return jsonutils.loads(resp.text)


def put_runtime(client, runtime_id, fields):
    """PUT a runtime's fields; returns the answer's body."""
    resp = client.http_client.json_request(
        '/v1/runtimes/%s' % runtime_id, 'PUT', data=fields)[0]
    return jsonutils.loads(resp.text)
