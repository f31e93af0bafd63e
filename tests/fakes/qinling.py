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

"""An in-memory Qinling v1 API that answers like the 5.0.0 server.

It answers as the real 5.0.0 server was seen to answer (the fakes'
self-tests in this directory pin each behaviour): the same status codes,
messages and both error body formats (WSME endpoints answer
{"faultcode", "faultstring", "debuginfo"}, pecan endpoints {"faultstring"} and
an empty text/plain 500 for a crash). One project, no auth, no engine:
runtimes change status when read, executions stay `running`.
"""

import datetime
import hashlib
import io
import json
import re
from urllib import parse
import uuid
import zipfile

import croniter
from dateutil import parser as dateutil_parser

from tests.fakes import server
from tests.fakes.server import Fault
from tests.fakes.server import Response

WSME, PECAN = 'wsme', 'pecan'
LIMITS = {'cpu': (100, 300, 'millicpu'),
          'memory': (33554432, 134217728, 'bytes'),
          'timeout': (1, 300, 'seconds')}
FUNCTION_DEFAULTS = {'entry': 'main.main', 'cpu': 100,
                     'memory_size': 33554432, 'timeout': 5}
FUNCTION_UPDATE_ALLOWED = ('name', 'description', 'code', 'package', 'entry',
                           'cpu', 'memory_size', 'timeout')
CODE_SOURCES = ('package', 'swift', 'image')
MAX_VERSIONS = 10
FINISHED_JOB = ('done', 'cancelled')
# An INTEGER column of MySQL, where the local cloud's Qinling stores counts.
INT_MAX = 2 ** 31 - 1
ID = r'(?P<id>[^/]+)'
FID = r'(?P<function_id>[^/]+)'


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def _utcnow():
    """Naive UTC, as Qinling's timeutils.utcnow() (job times are naive)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def _int_in_range(name, value):
    low, high, unit = LIMITS[name]
    try:
        number = int(value)
    except ValueError:
        raise Fault(400, 'Invalid %s resource specified. An integer is '
                         'required.' % name)
    if not low <= number <= high:
        raise Fault(400, '%s resource limitation not within the allowable '
                         'range: %s ~ %s(%s).' % (name, low, high, unit))
    return number


def _multipart(body, content_type):
    """Split a multipart/form-data body into (text fields, file parts)."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type).group(1)
    fields, files = {}, {}
    for part in body.split(b'--' + boundary.encode())[1:]:
        if part.startswith(b'--'):
            break
        head, _, content = part.strip(b'\r\n').partition(b'\r\n\r\n')
        head = head.decode('utf-8')
        name = re.search(r'\bname="([^"]*)"', head).group(1)
        if 'filename=' in head:
            files[name] = content
        else:
            fields[name] = content.decode('utf-8')
    return fields, files


def _pecan_kwargs(request):
    """What pecan passes as **kwargs: query, then form or JSON object body."""
    kwargs, files = dict(request.query), {}
    if request.content_type.startswith('multipart/form-data'):
        fields, files = _multipart(request.body, request.content_type)
        kwargs.update(fields)
    elif request.content_type.startswith(
            'application/x-www-form-urlencoded'):
        kwargs.update(parse.parse_qsl(request.body.decode('utf-8')))
    elif request.body:
        try:
            body = request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            kwargs.update(body)
    return kwargs, files


class FakeQinling(server.FakeAPI):
    """Qinling v1 API: runtimes, functions, versions, aliases, webhooks.

    Knob: `runtime_outcome` is the status a `creating` runtime shows from its
    next GET on ('available' by default, 'error', or None to stay creating).
    Helpers put things into the state without HTTP: `add_runtime`,
    `add_alias`, `add_job`. State is public: `runtimes`, `functions`,
    `packages` (zip bytes by function id), `versions` ((function id, number)
    -> version), `aliases` (by name), `webhooks`, `executions`, `jobs`,
    `workers` ((function id, version) pairs that have run).
    """

    routes = (
        ('GET', '/v1/runtimes', 'list_runtimes', WSME),
        ('POST', '/v1/runtimes', 'create_runtime', WSME),
        ('GET', '/v1/runtimes/' + ID, 'get_runtime', WSME),
        ('PUT', '/v1/runtimes/' + ID, 'update_runtime', WSME),
        ('DELETE', '/v1/runtimes/' + ID, 'delete_runtime', WSME),
        ('GET', '/v1/functions', 'list_functions', WSME),
        ('POST', '/v1/functions', 'create_function', PECAN),
        ('GET', '/v1/functions/' + ID, 'get_function', PECAN),
        ('PUT', '/v1/functions/' + ID, 'update_function', PECAN),
        ('DELETE', '/v1/functions/' + ID, 'delete_function', WSME),
        ('GET', '/v1/functions/%s/versions' % FID, 'list_versions', WSME),
        ('POST', '/v1/functions/%s/versions' % FID, 'create_version', WSME),
        ('GET', '/v1/functions/%s/versions/(?P<number>[^/]+)' % FID,
         'get_version', PECAN),
        ('DELETE', '/v1/functions/%s/versions/(?P<number>[^/]+)' % FID,
         'delete_version', WSME),
        ('GET', '/v1/aliases', 'list_aliases', WSME),
        ('POST', '/v1/aliases', 'create_alias', WSME),
        ('GET', '/v1/aliases/(?P<name>[^/]+)', 'get_alias', WSME),
        ('PUT', '/v1/aliases/(?P<name>[^/]+)', 'update_alias', WSME),
        ('DELETE', '/v1/aliases/(?P<name>[^/]+)', 'delete_alias', WSME),
        ('GET', '/v1/webhooks', 'list_webhooks', WSME),
        ('POST', '/v1/webhooks', 'create_webhook', WSME),
        ('GET', '/v1/webhooks/' + ID, 'get_webhook', WSME),
        ('PUT', '/v1/webhooks/' + ID, 'update_webhook', WSME),
        ('DELETE', '/v1/webhooks/' + ID, 'delete_webhook', WSME),
        ('POST', '/v1/webhooks/%s/invoke' % ID, 'invoke_webhook', PECAN),
        ('GET', '/v1/executions', 'list_executions', WSME),
        ('POST', '/v1/executions', 'create_execution', WSME),
        ('GET', '/v1/jobs', 'list_jobs', WSME),
        ('POST', '/v1/jobs', 'create_job', WSME),
        ('GET', '/v1/jobs/' + ID, 'get_job', WSME),
        ('PUT', '/v1/jobs/' + ID, 'update_job', WSME),
        ('DELETE', '/v1/jobs/' + ID, 'delete_job', WSME),
        ('GET', '/v1/executions/' + ID, 'get_execution', WSME),
    )

    def __init__(self, project_id='default'):
        super().__init__()
        self.project_id = project_id
        self.runtime_outcome = 'available'
        self.runtimes, self.functions, self.packages = {}, {}, {}
        self.versions, self.aliases, self.webhooks = {}, {}, {}
        self.executions, self.jobs = {}, {}
        # Functions (and versions) with a worker, i.e. a service URL in
        # etcd: made by their first execution.
        self.workers = set()

    # -- error formats ----------------------------------------------------

    def fault_response(self, style, fault):
        if style == PECAN:
            return Response(fault.status, {'faultstring': fault.message})
        return Response(fault.status, {
            'faultcode': 'Client' if fault.status < 500 else 'Server',
            'faultstring': fault.message, 'debuginfo': None})

    def crash_response(self, style, exc):
        if style == PECAN:
            return Response(500, b'', 'text/plain')
        return self.fault_response(style, Fault(500, str(exc)))

    # -- shared helpers ---------------------------------------------------

    def _new(self, **fields):
        return dict(id=str(uuid.uuid4()), project_id=self.project_id,
                    created_at=_now(), updated_at=None, **fields)

    @staticmethod
    def _uuid_arg(name, value):
        """A WSME path argument typed as uuid."""
        if not _is_uuid(value):
            raise Fault(400, "Invalid input for field/attribute %s. Value: "
                             "'%s'. unable to convert to uuid. Error: "
                             "Expected a uuid but received %s."
                        % (name, value, value))

    @staticmethod
    def _wsme_body(request, argument, allowed, uuids=()):
        """A WSME JSON body: unknown attributes and bad uuids are 400."""
        body = request.json() or {}
        unknown = sorted(set(body) - set(allowed))
        if unknown:
            raise Fault(400, 'Unknown attribute for argument %s: %s'
                        % (argument, ', '.join(unknown)))
        for key in uuids:
            if body.get(key) is not None and not _is_uuid(body[key]):
                raise Fault(400, 'Expected a uuid but received %s.'
                            % body[key])
        return body

    @staticmethod
    def _lookup(table, key, what, label='id'):
        if key not in table:
            raise Fault(404, '%s not found [%s=%s]' % (what, label, key))
        return table[key]

    def _function(self, function_id):
        return self._lookup(self.functions, function_id, 'Function')

    def _version(self, function_id, number):
        key = (function_id, number)
        if key not in self.versions:
            raise Fault(404, 'FunctionVersion not found [function_id=%s, '
                             'version_number=%s]' % key)
        return self.versions[key]

    def _alias(self, name):
        return self._lookup(self.aliases, name, 'FunctionAlias', 'name')

    def _users(self, table, function_id, version=None):
        """Rows of `table` that point at a function (and version)."""
        return [row for row in table.values()
                if row['function_id'] == function_id and
                (version is None or row['function_version'] == version) and
                row.get('status') not in FINISHED_JOB]

    @staticmethod
    def _wsme_row(row, json_fields):
        """WSME sends jsontype fields (code, result) as JSON strings."""
        return dict(row, **{f: json.dumps(row[f]) for f in json_fields
                            if row[f] is not None})

    def leftovers(self):
        """What the tests' stacks may have left behind, by kind."""
        kinds = {'functions': self.functions, 'webhooks': self.webhooks,
                 'aliases': self.aliases, 'jobs': self.jobs}
        return {kind: sorted(rows) for kind, rows in kinds.items() if rows}

    # -- test helpers -----------------------------------------------------

    def add_runtime(self, status='available', image='openstackqinling/'
                    'python3-runtime', name='python3'):
        runtime = self._new(name=name, image=image, description=None,
                            is_public=True, trusted=True, status=status)
        self.runtimes[runtime['id']] = runtime
        return runtime['id']

    def add_alias(self, name, function_id, function_version=0,
                  description=''):
        return self._create_alias(dict(
            name=name, function_id=function_id,
            function_version=function_version, description=description))

    def add_job(self, function_id, status='running', function_version=0,
                function_alias=None, pattern='* * * * *'):
        job = self._new(name=None, function_id=function_id,
                        function_alias=function_alias,
                        function_version=function_version,
                        function_input=None, status=status, pattern=pattern,
                        count=None, first_execution_time=None,
                        next_execution_time=None)
        self.jobs[job['id']] = job
        return job['id']

    # -- runtimes ---------------------------------------------------------

    def list_runtimes(self, request):
        return Response(200, {'runtimes': [
            {k: v for k, v in r.items() if not k.startswith('_')}
            for r in self.runtimes.values()]})

    def create_runtime(self, request):
        body = self._wsme_body(request, 'runtime', (
            'name', 'image', 'description', 'is_public', 'trusted'))
        if 'image' not in body:
            raise Fault(400, 'Required param is missing. Required: %s'
                        % {'image'})
        values = dict(name=None, description=None, is_public=True,
                      trusted=True)
        values.update(body, status='creating')
        runtime = self._new(**values)
        self.runtimes[runtime['id']] = runtime
        return Response(201, runtime)

    def get_runtime(self, request, id):
        self._uuid_arg('id', id)
        runtime = self._lookup(self.runtimes, id, 'Runtime')
        if runtime['status'] == 'deleting':
            del self.runtimes[id]
        elif runtime['status'] == 'creating' and self.runtime_outcome:
            runtime['status'] = self.runtime_outcome
        elif runtime['status'] == 'upgrading' and self.runtime_outcome:
            # The engine never leaves a runtime in error after an image
            # update: it puts the previous image back (update_runtime).
            if self.runtime_outcome == 'error':
                runtime['image'] = runtime.pop('_pre_image')
            runtime.pop('_pre_image', None)
            runtime['status'] = 'available'
        return Response(200, {k: v for k, v in runtime.items()
                              if not k.startswith('_')})

    def update_runtime(self, request, id):
        self._uuid_arg('id', id)
        body = self._wsme_body(request, 'runtime', (
            'name', 'image', 'description', 'is_public', 'trusted'))
        values = {k: body[k] for k in ('name', 'description', 'image')
                  if body.get(k) is not None}
        runtime = self._lookup(self.runtimes, id, 'Runtime')
        image = values.get('image')
        if image is not None:
            if runtime['status'] != 'available':
                raise Fault(409, 'Runtime %s is not available.' % id)
            if image != runtime['image']:
                users = [f['id'] for f in self.functions.values()
                         if f['runtime_id'] == id]
                for user in users:
                    if (user, 0) in self.workers:
                        # The loop variable again: its message names the
                        # function, not the runtime.
                        raise Fault(403, 'Runtime %s is still in use by '
                                         'functions.' % user)
                if users:
                    # 5.0.0 reuses `id` as the loop variable over the
                    # runtime's functions, then updates "runtime <last
                    # function id>".
                    raise Fault(404, 'Runtime not found [id=%s]'
                                % users[-1])
                values['status'] = 'upgrading'
                runtime['_pre_image'] = runtime['image']
        runtime.update(values, updated_at=_now())
        return Response(200, {k: v for k, v in runtime.items()
                              if not k.startswith('_')})

    def delete_runtime(self, request, id):
        self._uuid_arg('id', id)
        runtime = self._lookup(self.runtimes, id, 'Runtime')
        if any(f['runtime_id'] == id for f in self.functions.values()):
            raise Fault(403, 'Runtime %s is still in use.' % id)
        runtime['status'] = 'deleting'
        return Response(204, content_type=None)

    # -- functions --------------------------------------------------------

    @staticmethod
    def _checked_md5(data, md5sum):
        actual = hashlib.md5(data).hexdigest()
        if md5sum and md5sum != actual:
            raise Fault(400, 'Package md5 mismatch.')
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise Fault(400, 'Package is not a valid ZIP package.')
        return actual

    def list_functions(self, request):
        return Response(200, {'functions': [
            self._wsme_row(f, ('code',)) for f in self.functions.values()]})

    def create_function(self, request):
        kwargs, files = _pecan_kwargs(request)
        if 'code' not in kwargs:
            raise Fault(400, 'Required param is missing. Required: %s'
                        % {'code'})
        values = dict(FUNCTION_DEFAULTS, name=None, description=None,
                      runtime_id=None)
        values.update({k: kwargs[k] for k in list(values) if k in kwargs})
        values['code'] = json.loads(kwargs['code'])
        for name, key in (('timeout', 'timeout'), ('cpu', 'cpu'),
                          ('memory', 'memory_size')):
            values[key] = _int_in_range(name, values[key])
        source = values['code'].get('source')
        if source not in CODE_SOURCES:
            raise Fault(400, 'Invalid code source specified, available '
                             'sources: %s' % ', '.join(CODE_SOURCES))
        if source != 'image':
            if not values['runtime_id']:
                raise Fault(400, '"runtime_id" must be specified.')
            runtime = self._lookup(self.runtimes, values['runtime_id'],
                                   'Runtime')
            if runtime['status'] != 'available':
                raise Fault(400, 'Runtime %s is not available.'
                            % values['runtime_id'])
        if source == 'swift':
            swift = values['code'].get('swift', {})
            if not (swift.get('container') and swift.get('object')):
                raise Fault(400, 'Both container and object must be '
                                 'provided for swift type function.')
            raise Fault(400, 'Swift object not supported.')
        if source == 'image':
            values['entry'] = None
        else:
            data = files['package']
            values['code']['md5sum'] = self._checked_md5(
                data, values['code'].get('md5sum'))
        function = self._new(count=0, latest_version=0, **values)
        self.functions[function['id']] = function
        if source == 'package':
            self.packages[function['id']] = data
        return Response(201, function)

    def get_function(self, request, id):
        function = self._function(id)
        if request.query.get('download', '').lower() not in ('true', '1'):
            return Response(200, function)
        if function['code']['source'] == 'image':
            return Response(405, '<html><body><h1>405 Method Not Allowed'
                                 '</h1>Download image function is not '
                                 'allowed.</body></html>', 'text/html')
        return Response(200, self.packages[id], 'application/zip', [
            ('Content-Disposition', 'attachment; filename="%s"' % id)])

    def update_function(self, request, id):
        kwargs, files = _pecan_kwargs(request)
        kwargs.update(files)
        values = {}
        try:
            for key in FUNCTION_UPDATE_ALLOWED:
                if kwargs.get(key) is not None:
                    values[key] = (json.loads(kwargs[key]) if key == 'code'
                                   else kwargs[key])
        except Exception as e:
            raise Fault(400, 'Invalid input, %s' % e)
        if values.get('timeout'):
            values['timeout'] = _int_in_range('timeout', values['timeout'])
        if not set(values) <= {'name', 'description', 'timeout'}:
            for name, key in (('cpu', 'cpu'), ('memory', 'memory_size')):
                if key in values:
                    values[key] = _int_in_range(name, values[key])
            function = self._function(id)
            if self._users(self.jobs, id):
                raise Fault(403, 'The function is still associated with '
                                 'running job(s).')
            code = values.get('code', {})
            previous = function['code']
            if code.get('source') and code['source'] != previous['source']:
                raise Fault(400, 'The function code type can not be changed.')
            if previous['source'] == 'image':
                raise Fault(400, 'The image type function code can not be '
                                 'changed.')
            if 'package' in values:
                md5sum = code.get('md5sum')
                if md5sum and md5sum == previous.get('md5sum'):
                    raise Fault(400, 'The function code checksum is not '
                                     'changed.')
                data = values.pop('package')
                values.setdefault('code', {}).update(
                    md5sum=self._checked_md5(data, md5sum), source='package')
                self.packages[id] = data
        function = self._function(id)
        function.update(values, updated_at=_now())
        return Response(200, function)

    def delete_function(self, request, id):
        self._uuid_arg('id', id)
        self._function(id)
        for table, what in ((self.jobs, 'running job(s)'),
                            (self.webhooks, 'webhook(s)'),
                            (self.aliases, 'function alias(es)')):
            if self._users(table, id):
                raise Fault(403, 'The function is still associated with %s.'
                            % what)
        if any(j['function_id'] == id for j in self.jobs.values()):
            # A finished job keeps its foreign key to the function.
            raise Fault(500, '(sqlite3.IntegrityError) FOREIGN KEY '
                             'constraint failed')
        del self.functions[id]
        self.packages.pop(id, None)
        for key in [k for k in self.versions if k[0] == id]:
            del self.versions[key]
        return Response(204, content_type=None)

    # -- function versions ------------------------------------------------

    def list_versions(self, request, function_id):
        self._uuid_arg('function_id', function_id)
        self._function(function_id)
        return Response(200, {'function_versions': [
            v for k, v in sorted(self.versions.items())
            if k[0] == function_id]})

    def create_version(self, request, function_id):
        self._uuid_arg('function_id', function_id)
        body = self._wsme_body(request, 'body', ('description',))
        function = self._function(function_id)
        if function['code']['source'] != 'package':
            raise Fault(403, 'Function versioning only allowed for package '
                             'type function.')
        numbers = [k[1] for k in self.versions if k[0] == function_id]
        if len(numbers) >= MAX_VERSIONS:
            raise Fault(403, 'Can not exceed maximum number(%s) of versions'
                        % MAX_VERSIONS)
        latest = function['latest_version']
        # Compared with the latest version's package only, and only if that
        # version still exists (storage/file_system.py changed_since).
        previous = self.versions.get((function_id, latest), {})
        if latest and previous.get('_md5sum') == function['code']['md5sum']:
            raise Fault(403, 'Function package not changed since the latest '
                             'version %s.' % latest)
        version = self._new(description=body.get('description'),
                            function_id=function_id,
                            version_number=latest + 1, count=0)
        self.versions[(function_id, latest + 1)] = dict(
            version, _md5sum=function['code']['md5sum'])
        function['latest_version'] = latest + 1
        return Response(201, version)

    def get_version(self, request, function_id, number):
        version = self._version(function_id, int(number))
        return Response(200, {k: v for k, v in version.items()
                              if not k.startswith('_')})

    def delete_version(self, request, function_id, number):
        self._uuid_arg('function_id', function_id)
        number = int(number)
        self._version(function_id, number)
        for table, what in ((self.jobs, 'running job(s)'),
                            (self.webhooks, 'webhook'),
                            (self.aliases, 'alias')):
            if self._users(table, function_id, number):
                raise Fault(403, 'The function version is still associated '
                                 'with %s.' % what)
        del self.versions[(function_id, number)]
        function = self.functions[function_id]
        if function['latest_version'] == number:
            function['latest_version'] = number - 1
        return Response(204, content_type=None)

    # -- aliases ----------------------------------------------------------

    def _create_alias(self, values):
        # The column default: an omitted or null version is stored as 0.
        if values.get('function_version') is None:
            values['function_version'] = 0
        if values['function_id'] not in self.functions:
            raise Fault(500, '(sqlite3.IntegrityError) FOREIGN KEY '
                             'constraint failed')
        # oslo.db names the columns of MySQL's unique key by the key's name
        # (a key is named after its first column), as on the local cloud.
        for columns in (('name',), ('function_id', 'function_version')):
            if any(all(a[c] == values[c] for c in columns)
                   for a in self.aliases.values()):
                raise Fault(400, 'Duplicate entry for function_aliases: %s'
                            % [columns[0]])
        alias = self._new(**values)
        self.aliases[alias['name']] = alias
        return alias

    def list_aliases(self, request):
        return Response(200, {'function_aliases': list(
            self.aliases.values())})

    def create_alias(self, request):
        body = self._wsme_body(request, 'body', (
            'name', 'function_id', 'function_version', 'description'),
            uuids=('function_id',))
        if not {'name', 'function_id'} <= set(body):
            raise Fault(400, 'Required param is missing. Required: %s'
                        % {'name', 'function_id'})
        return Response(201, self._create_alias(dict(
            dict(function_version=None, description=None), **body)))

    def get_alias(self, request, name):
        return Response(200, self._alias(name))

    def update_alias(self, request, name):
        body = self._wsme_body(request, 'body', (
            'function_id', 'function_version', 'description'),
            uuids=('function_id',))
        alias = self._alias(name)
        values = {k: v for k, v in body.items() if v is not None}
        target = dict(alias, **values)
        # The unique constraint is not translated on update: a 500 with
        # the database's message and SQL (MySQL's, as on the local cloud).
        if any(a['name'] != name and
               (a['function_id'], a['function_version']) ==
               (target['function_id'], target['function_version'])
               for a in self.aliases.values()):
            raise Fault(500, '(pymysql.err.IntegrityError) (1062, '
                             '"Duplicate entry \'%s-%s-%s\' for key '
                             '\'function_id\'")\n[SQL: UPDATE '
                             'function_aliases SET updated_at=%%(updated_at)s'
                             ' WHERE function_aliases.id = '
                             '%%(function_aliases_id)s]'
                        % (target['function_id'], target['function_version'],
                           self.project_id))
        alias.update(values, updated_at=_now())
        return Response(200, alias)

    def delete_alias(self, request, name):
        self._alias(name)
        del self.aliases[name]
        return Response(204, content_type=None)

    # -- webhooks ---------------------------------------------------------

    def _shown_webhook(self, webhook):
        return dict(webhook, webhook_url='%s/v1/webhooks/%s/invoke'
                    % (self.url, webhook['id']))

    def _webhook_body(self, request):
        return self._wsme_body(request, 'webhook', (
            'function_id', 'function_alias', 'function_version',
            'description'), uuids=('function_id',))

    def list_webhooks(self, request):
        return Response(200, {'webhooks': [
            self._shown_webhook(w) for w in self.webhooks.values()]})

    def create_webhook(self, request):
        params = self._webhook_body(request)
        if not (params.get('function_id') or params.get('function_alias')):
            raise Fault(400, 'Either function_alias or function_id must be '
                             'provided.')
        function_id = params.get('function_id', '')
        version = params.get('function_version', 0)
        if params.get('function_alias'):
            alias = self._alias(params['function_alias'])
            function_id = alias['function_id']
            version = alias['function_version']
            params.update(function_id=None, function_version=None)
        self._function(function_id)
        if version > 0:
            self._version(function_id, version)
        webhook = self._new(**dict(dict(
            function_id=None, function_alias=None, function_version=None,
            description=None), **params))
        self.webhooks[webhook['id']] = webhook
        return Response(201, self._shown_webhook(webhook))

    def get_webhook(self, request, id):
        self._uuid_arg('id', id)
        return Response(200, self._shown_webhook(
            self._lookup(self.webhooks, id, 'Webhook')))

    def update_webhook(self, request, id):
        self._uuid_arg('id', id)
        values = {k: v for k, v in self._webhook_body(request).items()
                  if v is not None}
        webhook = self._lookup(self.webhooks, id, 'Webhook')
        function_id = webhook['function_id']
        version = webhook['function_version']
        new_alias = values.get('function_alias')
        new_id = values.get('function_id', function_id)
        new_version = values.get('function_version', version)
        if new_alias and new_alias != webhook['function_alias']:
            alias = self._alias(new_alias)
            function_id = alias['function_id']
            version = alias['function_version']
            values.update(function_id=None, function_version=None)
        elif new_id != function_id or new_version != version:
            function_id, version = new_id, new_version
            values['function_alias'] = None
        self._function(function_id)
        if version and version > 0:
            self._version(function_id, version)
        webhook.update(values, updated_at=_now())
        return Response(200, self._shown_webhook(webhook))

    def delete_webhook(self, request, id):
        self._uuid_arg('id', id)
        self._lookup(self.webhooks, id, 'Webhook')
        del self.webhooks[id]
        return Response(204, content_type=None)

    def invoke_webhook(self, request, id):
        webhook = self._lookup(self.webhooks, id, 'Webhook')
        if webhook['function_alias']:
            alias = self._alias(webhook['function_alias'])
            function_id = alias['function_id']
            version = alias['function_version']
        else:
            function_id = webhook['function_id']
            version = webhook['function_version']
        kwargs, _ = _pecan_kwargs(request)
        execution = self._create_execution(
            function_id, version, input=json.dumps(kwargs), sync=False,
            description='Created by Webhook %s' % id)
        return Response(202, {'execution_id': execution['id']})

    # -- jobs -------------------------------------------------------------
    # As api/controllers/v1/job.py and utils/jobs.py: times are naive UTC,
    # a one-shot job must be at least a minute away, PUT silently ignores
    # the keys it does not allow. `fire_job` is what the 3 s periodic task
    # (services/periodics.py handle_job) does to a due job.

    @staticmethod
    def _job_time(value):
        try:
            when = dateutil_parser.parse(value, ignoretz=True)
        except (ValueError, OverflowError) as e:
            raise Fault(400, str(e))
        if _utcnow() + datetime.timedelta(seconds=60) > when:
            raise Fault(400, 'Execution time must be at least 1 minute in '
                             'the future.')
        return when

    @staticmethod
    def _job_pattern(pattern):
        try:
            croniter.croniter(pattern)
        except (ValueError, KeyError):
            raise Fault(400, 'The specified pattern is not valid: %s'
                        % pattern)

    @staticmethod
    def _next_tick(pattern, start):
        return croniter.croniter(pattern, start).get_next(datetime.datetime)

    def list_jobs(self, request):
        return Response(200, {'jobs': [self._shown_job(j)
                                       for j in self.jobs.values()]})

    @staticmethod
    def _shown_job(job):
        return {k: (v.strftime('%Y-%m-%dT%H:%M:%SZ')
                    if isinstance(v, datetime.datetime) else v)
                for k, v in job.items()}

    def create_job(self, request):
        params = {k: v for k, v in self._wsme_body(request, 'job', (
            'name', 'function_id', 'function_alias', 'function_version',
            'function_input', 'pattern', 'count', 'first_execution_time'),
            uuids=('function_id',)).items() if v is not None}
        if not (params.get('function_id') or params.get('function_alias')):
            raise Fault(400, 'Either function_alias or function_id must be '
                             'provided.')
        first, pattern = (params.get('first_execution_time'),
                          params.get('pattern'))
        count = params.get('count')
        if count is not None and count > INT_MAX:
            raise Fault(500, '(pymysql.err.DataError) (1264, "Out of range '
                             'value for column \'count\' at row 1")\n[SQL: '
                             'INSERT INTO jobs (created_at, updated_at, id, '
                             'project_id, name, pattern, `status`, count) '
                             'VALUES (%(created_at)s, ...)]')
        if not (first or pattern):
            raise Fault(400, 'pattern or first_execution_time must be '
                             'specified.')
        start = _utcnow()
        if first:
            first = self._job_time(first)
            if not pattern and count and count > 1:
                raise Fault(400, 'pattern must be provided if count is '
                                 'greater than 1.')
            next_time = first
            if not (pattern or count):
                count = 1
        if pattern:
            self._job_pattern(pattern)
            if first:
                start = first - datetime.timedelta(minutes=1)
            next_time = first = self._next_tick(pattern, start)
        version = params.get('function_version', 0)
        if params.get('function_alias'):
            self._alias(params['function_alias'])
        else:
            self._function(params['function_id'])
            if version > 0:
                self._version(params['function_id'], version)
        job = self._new(
            name=params.get('name'), pattern=pattern,
            first_execution_time=first, next_execution_time=next_time,
            count=count, function_alias=params.get('function_alias'),
            function_id=params.get('function_id'), function_version=version,
            function_input=params.get('function_input'), status='running')
        self.jobs[job['id']] = job
        return Response(201, self._shown_job(job))

    def get_job(self, request, id):
        self._uuid_arg('id', id)
        return Response(200, self._shown_job(
            self._lookup(self.jobs, id, 'Job')))

    def update_job(self, request, id):
        self._uuid_arg('id', id)
        body = self._wsme_body(request, 'job', (
            'name', 'function_id', 'function_alias', 'function_version',
            'function_input', 'pattern', 'count', 'first_execution_time',
            'next_execution_time', 'status'), uuids=('function_id',))
        values = {k: body[k] for k in ('name', 'function_input', 'status',
                                       'pattern', 'next_execution_time')
                  if body.get(k) is not None}
        job = self._lookup(self.jobs, id, 'Job')
        if job['status'] in FINISHED_JOB:
            raise Fault(400, 'Can not update a finished job.')
        pattern = values.get('pattern')
        if pattern:
            if not job['pattern']:
                raise Fault(400, 'Can not change job type.')
            self._job_pattern(pattern)
        elif pattern == '' and job['pattern']:
            raise Fault(400, 'Can not change job type.')
        new_status = values.get('status')
        if new_status and new_status not in ('running', 'cancelled',
                                             'paused'):
            raise Fault(400, 'Invalid status.')
        if values.get('next_execution_time'):
            values['next_execution_time'] = self._job_time(
                values['next_execution_time'])
        elif job['status'] == 'paused' and new_status == 'running':
            # The stored pattern wins over one sent in the same PUT.
            tick = job['pattern'] or pattern
            if not tick:
                if _utcnow() + datetime.timedelta(seconds=60) > job[
                        'next_execution_time']:
                    raise Fault(400, 'Execution time must be at least 1 '
                                     'minute in the future.')
            else:
                values['next_execution_time'] = self._next_tick(
                    tick, _utcnow())
        job.update(values, updated_at=_now())
        return Response(200, self._shown_job(job))

    def delete_job(self, request, id):
        self._uuid_arg('id', id)
        self._lookup(self.jobs, id, 'Job')
        del self.jobs[id]
        return Response(204, content_type=None)

    def fire_job(self, job_id):
        """One run of a due job, as the periodic task does it."""
        job = self.jobs[job_id]
        if job['function_alias']:
            alias = self._alias(job['function_alias'])
            function_id = alias['function_id']
            version = alias['function_version']
        else:
            function_id = job['function_id']
            version = job['function_version']
        if job['count'] is not None and job['count'] > 0:
            job['count'] -= 1
        if job['count'] == 0:
            job['status'] = 'done'
        else:
            job['next_execution_time'] = self._next_tick(
                job['pattern'], job['next_execution_time'])
        return self._create_execution(
            function_id, version, input=job['function_input'], sync=False,
            description='Created by Job %s' % job_id)

    # -- executions -------------------------------------------------------

    def _create_execution(self, function_id, version, **fields):
        function = self._function(function_id)
        if function['runtime_id']:
            runtime = self._lookup(self.runtimes, function['runtime_id'],
                                   'Runtime')
            if runtime['status'] != 'available':
                raise Fault(409, 'Runtime %s is not available.'
                            % function['runtime_id'])
        if version > 0:
            if function['code']['source'] != 'package':
                raise Fault(400, 'Can not specify version for package type '
                                 'function.')
            self._version(function_id, version)['count'] += 1
        else:
            function['count'] += 1
        execution = self._new(function_id=function_id,
                              function_version=version, function_alias=None,
                              status='running', result=None, **fields)
        self.workers.add((function_id, version))
        self.executions[execution['id']] = execution
        return execution

    def create_execution(self, request):
        """An execution; a sync one finishes at once (with no output)."""
        body = self._wsme_body(request, 'execution', (
            'function_id', 'function_alias', 'function_version', 'sync',
            'input', 'description'), uuids=('function_id',))
        if body.get('function_alias'):
            alias = self._alias(body['function_alias'])
            function_id = alias['function_id']
            version = alias['function_version']
        elif body.get('function_id'):
            function_id = body['function_id']
            version = body.get('function_version') or 0
        else:
            raise Fault(400, 'Either function_alias or function_id must be '
                             'provided.')
        sync = body.get('sync', True)
        execution = self._create_execution(
            function_id, version, input=body.get('input'), sync=sync,
            description=body.get('description'))
        if sync:
            execution.update(status='success',
                             result={'output': None, 'duration': 0})
        return Response(201, self._wsme_row(execution, ('result',)))

    def list_executions(self, request):
        filters = {k: request.query[k] for k in
                   ('function_id', 'status', 'description')
                   if k in request.query}
        return Response(200, {'executions': [
            self._wsme_row(e, ('result',)) for e in self.executions.values()
            if all(e[k] == v for k, v in filters.items())]})

    def get_execution(self, request, id):
        self._uuid_arg('id', id)
        return Response(200, self._wsme_row(
            self._lookup(self.executions, id, 'Execution'), ('result',)))
