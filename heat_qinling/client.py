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

"""Heat client plugin for Qinling.

Every quirk of the Qinling API is handled here (or, for what concerns
python-qinlingclient itself, in ``qinlingclient_compat``), so the resources
can stay declarative. The errors are in ``exceptions``, the custom
constraints in ``constraints``.
"""
import io
import re
from urllib import parse

from keystoneauth1 import exceptions as ks_exceptions
from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import uuidutils
from qinlingclient.common import exceptions as qinling_exc
from qinlingclient.v1 import client as qinling_client

from heat.common import config as heat_config
from heat.common import exception
from heat.common.i18n import _
from heat.engine.clients import client_plugin
from heat.engine.clients import os as os_client

from heat_qinling import exceptions as qinling_errors
from heat_qinling import qinlingclient_compat

LOG = logging.getLogger(__name__)

CLIENT_NAME = 'qinling'

# [clients_qinling] in heat.conf. Only endpoint_type: it is the one option of
# Heat's per-client set (heat.common.config.clients_opts) that this plugin
# reads, and an unset value falls back to [clients]. The client is built on
# Heat's Keystone session, so TLS settings come from Heat's Keystone options,
# not from ca_file, cert_file, key_file or insecure here.
CONFIG_GROUP = 'clients_' + CLIENT_NAME
OPTS = [opt for opt in heat_config.clients_opts
        if opt.dest == 'endpoint_type']
cfg.CONF.register_opts(OPTS, group=CONFIG_GROUP)


def list_opts():
    """The options of heat-qinling, for oslo-config-generator."""
    yield CONFIG_GROUP, OPTS


# What a delete names as holding an object when Qinling refuses it but the
# caller can list nothing that does (e.g. another project's webhook).
UNSEEN = _('an object this user cannot see')

# Job statuses after which a job never runs again.
JOB_FINISHED = ('done', 'cancelled')


class QinlingClientPlugin(client_plugin.ClientPlugin):

    exceptions_module = [qinling_exc, ks_exceptions]

    service_types = [FUNCTION_ENGINE] = ['function-engine']

    def _create(self, version=None):
        interface = self._get_client_option(CLIENT_NAME, 'endpoint_type')
        client = qinling_client.Client(
            session=self.context.keystone_session,
            service_type=self.FUNCTION_ENGINE,
            endpoint_type=interface,
            region_name=self._get_region_name())
        return qinlingclient_compat.adopt(client)

    @staticmethod
    def http_status(ex):
        """The HTTP status of a Qinling or Keystone error, or None."""
        if isinstance(ex, qinling_exc.HTTPException):
            return ex.code
        if isinstance(ex, ks_exceptions.HttpError):
            return ex.http_status
        return None

    def is_not_found(self, ex):
        return self.http_status(ex) == 404

    def is_over_limit(self, ex):
        return self.http_status(ex) == 413

    def is_conflict(self, ex):
        return self.http_status(ex) == 409

    def is_unreachable(self, ex):
        """True when Qinling did not answer (down, or a gateway said so)."""
        return (isinstance(ex, ks_exceptions.ConnectionError) or
                self.http_status(ex) in (502, 503, 504))

    # Lookups ---------------------------------------------------------------

    @staticmethod
    def _match(kind, name_or_id, items):
        matches = [i for i in items if i.id == name_or_id]
        if not matches:
            matches = [i for i in items
                       if getattr(i, 'name', None) == name_or_id]
        if not matches:
            raise exception.EntityNotFound(entity='Qinling %s' % kind,
                                           name=name_or_id)
        if len(matches) > 1:
            raise exception.PhysicalResourceNameAmbiguity(name=name_or_id)
        return matches[0]

    def get_runtime(self, name_or_id):
        return self._match('runtime', name_or_id,
                           self.client().runtimes.list())

    def get_runtime_id(self, name_or_id):
        return self.find_runtime_by_name_or_id(name_or_id)

    # The IDs found for names (and IDs) are memoized by Heat's finder
    # cache, as Heat's own client plugins do (glance.py): with [cache]
    # enabled, a property's constraint and its translation into an ID, and
    # the next actions of the same project for [resource_finder_cache]
    # expiration_time, share one lookup. The project ID is part of the key:
    # names are per project.

    def find_runtime_by_name_or_id(self, name_or_id):
        return self._found_also_by_id(
            QinlingClientPlugin._find_runtime_id, name_or_id,
            self._find_runtime_id(self.context.project_id, name_or_id))

    def _found_also_by_id(self, finder, name_or_id, found_id):
        """Let ``finder``'s memo answer for the ID it found by name too.

        Heat checks a property's constraint on the value translated into
        an ID: with the memo primed, that check reads nothing.
        """
        if (found_id != name_or_id and
                os_client.MEMOIZE_FINDER.should_cache(found_id)):
            finder.set(found_id, self, self.context.project_id, found_id)
        return found_id

    @os_client.MEMOIZE_FINDER
    def _find_runtime_id(self, project_id, name_or_id):
        return self.get_runtime(name_or_id).id

    def find_function_by_name_or_id(self, name_or_id):
        return self._found_also_by_id(
            QinlingClientPlugin._find_function_id, name_or_id,
            self._find_function_id(self.context.project_id, name_or_id))

    @os_client.MEMOIZE_FINDER
    def _find_function_id(self, project_id, name_or_id):
        return self.get_function(name_or_id).id

    # Finders of the resources' translation rules. Heat resolves them on
    # every update, also of a resource that does not change (and in a
    # rollback): when Qinling does not answer, the value stays as given. An
    # ID, as {get_resource: ...} gives, is then right as it is; a name
    # differs from the stored ID, and the update that sends it to Qinling
    # fails with Qinling's connection error.

    def _resolved(self, find, name_or_id):
        try:
            return find(name_or_id)
        except Exception as ex:
            if not self.is_unreachable(ex):
                raise
            LOG.warning('Qinling did not answer the lookup of %(value)s '
                        '(%(ex)s); kept as given', {'value': name_or_id,
                                                    'ex': ex})
            return name_or_id

    def resolve_runtime_id(self, name_or_id):
        return self._resolved(self.get_runtime_id, name_or_id)

    def resolve_function_id(self, name_or_id):
        return self._resolved(self.get_function_id, name_or_id)

    def get_function(self, name_or_id):
        if uuidutils.is_uuid_like(name_or_id):
            try:
                return self.client().functions.get(name_or_id)
            except Exception as ex:
                if not self.is_not_found(ex):
                    raise
        return self._match('function', name_or_id,
                           self.client().functions.list())

    def get_function_id(self, name_or_id):
        return self.find_function_by_name_or_id(name_or_id)

    # What holds an object ------------------------------------------------

    # The objects that run a function, a function version or an alias (and
    # the functions on a runtime), the field that names each, and how a
    # message lists them.
    KINDS = (WEBHOOKS, ALIASES, JOBS, FUNCTIONS) = (
        'webhooks', 'function_aliases', 'jobs', 'functions')
    _NAMED_BY = {ALIASES: 'name'}
    _LISTED_AS = {WEBHOOKS: _('webhook(s) %s'), ALIASES: _('alias(es) %s'),
                  JOBS: _('job(s) %s'), FUNCTIONS: _('function(s) %s')}

    def holding(self, kind, finished_jobs=True, **target):
        """The objects of ``kind`` whose fields equal ``target``, sorted.

        A job is listed as "<id> (<status>)": a finished job still blocks
        the deletion of its function (with a 500), while only running and
        paused ones block a code update or the deletion of a version or an
        alias; ``finished_jobs=False`` leaves done and cancelled jobs out.
        """
        found = []
        for obj in getattr(self.client(), kind).list():
            if any(getattr(obj, field, None) != value
                   for field, value in target.items()):
                continue
            if kind == self.JOBS:
                if finished_jobs or obj.status not in JOB_FINISHED:
                    found.append('%s (%s)' % (obj.id, obj.status))
            else:
                found.append(getattr(obj, self._NAMED_BY.get(kind, 'id')))
        return sorted(found)

    def holders(self, kinds=(WEBHOOKS, ALIASES, JOBS), finished_jobs=True,
                **target):
        """Describe what in Qinling refers to ``target``.

        E.g. "webhook(s) W; job(s) J (running)", or '' if the caller sees
        nothing of ``kinds`` that does.
        """
        parts = []
        for kind in kinds:
            found = self.holding(kind, finished_jobs, **target)
            if found:
                parts.append(self._LISTED_AS[kind] % ', '.join(found))
        return '; '.join(parts)

    # Functions -------------------------------------------------------------

    def create_function(self, code, package=None, **fields):
        """Create a function; ``package`` is the zip as bytes, if any."""
        return self.client().functions.create(
            code=code,
            package=io.BytesIO(package) if package is not None else None,
            **fields)

    def update_function(self, function_id, code=None, package=None,
                        **fields):
        """Update a function in place.

        qinlingclient 5.1.1 spreads ``code`` into top-level form fields,
        which the server ignores, so a swift object change would be lost.
        Send ``code`` as the JSON string field the server reads.
        """
        data = {k: v for k, v in fields.items() if v is not None}
        data['code'] = code
        try:
            return qinlingclient_compat.put_function(
                self.client(), function_id, data,
                package=io.BytesIO(package) if package is not None else None)
        except qinling_exc.HTTPForbidden as ex:
            jobs = self.holding(self.JOBS, finished_jobs=False,
                                function_id=function_id)
            if not jobs:
                raise
            raise qinling_errors.JobsBlockFunctionUpdate(
                function=function_id, jobs=', '.join(jobs),
                reason=ex.details)

    def download_function(self, function_id):
        """The function's package as bytes."""
        resp = self.client().functions.get(function_id, download=True)
        return resp.content

    def delete_function(self, function_id):
        try:
            self.client().functions.delete(function_id)
        except qinling_exc.HTTPForbidden as ex:
            raise qinling_errors.FunctionInUse(
                function=function_id, reason=ex.details,
                holders=self.holders(function_id=function_id) or UNSEEN)
        except qinling_exc.HTTPException as ex:
            # A finished job keeps its foreign key to the function, and
            # Qinling answers that with a 500 from the database.
            jobs = ''
            if ex.code == 500:
                jobs = self.holders((self.JOBS,), function_id=function_id)
            if not jobs:
                raise
            raise qinling_errors.FunctionInUse(
                function=function_id, holders=jobs, reason=ex.details)

    # Jobs (OS::Qinling::Job) -------------------------------------------

    def update_job(self, job_id, **fields):
        """PUT the fields Qinling updates (name, input, pattern, status).

        A new pattern alone would leave next_execution_time on the old
        schedule (Qinling only recomputes it on a paused -> running
        transition), and a resume sent with a new pattern computes the next
        time from the old one. So the pattern goes first, then a running
        job is paused and resumed to start the new schedule now.
        """
        jobs = self.client().jobs
        status = fields.pop('status', None)
        job = jobs.get(job_id)
        if fields:
            job = jobs.update(job_id, **fields)
        if fields.get('pattern') and job.status == 'running' and (
                status in (None, 'running')):
            jobs.update(job_id, status='paused')
            job = jobs.update(job_id, status='running')
        elif status is not None and status != job.status:
            job = jobs.update(job_id, status=status)
        return job

    # Runtimes (OS::Qinling::Runtime) -----------------------------------

    def update_runtime(self, runtime_id, **fields):
        """PUT name, description and image (qinlingclient has no update).

        Qinling 5.0.0 refuses an image change while a function of the
        runtime has a worker with a 403 "Runtime <that function's ID> is
        still in use", and answers it with a 404 naming one of the
        functions when none has (it reuses the runtime's ``id`` as a loop
        variable): both are turned into RuntimeInUse.
        """
        try:
            return qinlingclient_compat.put_runtime(self.client(), runtime_id,
                                                    fields)
        except (qinling_exc.HTTPNotFound, qinling_exc.HTTPForbidden) as ex:
            if 'image' not in fields or (
                    isinstance(ex, qinling_exc.HTTPNotFound) and
                    runtime_id in (ex.details or '')):
                raise
            raise qinling_errors.RuntimeInUse(
                runtime=runtime_id,
                holders=self._runtime_holders(runtime_id),
                action=_('given a new image'), detail=self._said(ex))

    @staticmethod
    def _said(ex):
        return _('Qinling said: %s') % ex.details

    def delete_runtime(self, runtime_id):
        try:
            self.client().runtimes.delete(runtime_id)
        except qinling_exc.HTTPForbidden as ex:
            raise qinling_errors.RuntimeInUse(
                runtime=runtime_id,
                holders=self._runtime_holders(runtime_id),
                action=_('deleted'), detail=self._said(ex))

    def _runtime_holders(self, runtime_id):
        return (self.holders((self.FUNCTIONS,), runtime_id=runtime_id) or
                _('functions of other projects'))

    # Versions and aliases ------------------------------------------------

    # qinling/utils/constants.py MAX_VERSION_NUMBER: versions per function.
    MAX_VERSIONS = 10

    _NOT_CHANGED_RE = re.compile(r'not changed since the latest version')

    def get_alias(self, name):
        # qinlingclient puts the name into the URL as it is: quoted, a name
        # with "/", "?" or "#" still reads that alias and no other.
        return self.client().function_aliases.get(
            parse.quote(name, safe=''))

    def get_version(self, function_id, number):
        return self.client().function_versions.get(function_id, number)

    def list_versions(self, function_id):
        return self.client().function_versions.list(function_id)

    def create_version(self, function_id, description, versions=None):
        """Publish the function's current package as a new version.

        Qinling checks the version cap and the "same package" rule only
        with a 403 that does not say what to do; explain both. ``versions``
        is the function's list of versions, if just read.
        """
        if versions is None:
            versions = self.list_versions(function_id)
        if len(versions) >= self.MAX_VERSIONS:
            raise qinling_errors.TooManyVersions(
                function=function_id, max=self.MAX_VERSIONS,
                numbers=', '.join(str(v.version_number) for v in versions))
        try:
            return self.client().function_versions.create(
                function_id, description=description)
        except qinling_exc.HTTPForbidden as ex:
            if self._NOT_CHANGED_RE.search(ex.details or ''):
                raise qinling_errors.CodeUnchanged(function=function_id,
                                                   reason=ex.details)
            raise

    def delete_version(self, function_id, number):
        try:
            self.client().function_versions.delete(function_id, number)
        except qinling_exc.HTTPForbidden as ex:
            raise qinling_errors.VersionInUse(
                function=function_id, version=number, reason=ex.details,
                holders=self.holders(
                    finished_jobs=False, function_id=function_id,
                    function_version=number) or UNSEEN)

    def delete_alias(self, name):
        # Qinling deletes an alias even while webhooks or jobs use it: the
        # webhooks then answer 404, and the job scheduler fails on such a
        # job at every tick before it reaches the jobs due after it.
        holders = self.holders((self.WEBHOOKS, self.JOBS),
                               finished_jobs=False, function_alias=name)
        if holders:
            raise qinling_errors.AliasInUse(alias=name, holders=holders)
        self.client().function_aliases.delete(name)

    def check_version_exists(self, function_id, version):
        """Refuse a version the function does not have.

        Qinling makes an alias on a missing version (201), and every
        invocation through it then fails.
        """
        if not version:
            return
        try:
            self.get_version(function_id, version)
        except qinling_exc.HTTPNotFound:
            numbers = [v.version_number
                       for v in self.list_versions(function_id)]
            raise qinling_errors.VersionMissing(
                function=function_id, version=version,
                numbers=', '.join(str(n) for n in numbers) or _('none'))

    def check_alias_free(self, function_id, version, alias_name=None,
                         ignore=(), aliases=None):
        """Refuse a function version that another alias already holds.

        Qinling allows one alias per function version, and says so with a
        400 on create but an untranslated 500 (with its SQL) on update.
        ``alias_name`` is the alias being moved, ``ignore`` aliases that
        will move away in the same stack update, ``aliases`` the list of
        aliases if just read.
        """
        if aliases is None:
            aliases = self.client().function_aliases.list()
        for alias in aliases:
            if (alias.name != alias_name and alias.name not in ignore and
                    alias.function_id == function_id and
                    (alias.function_version or 0) == version):
                raise qinling_errors.VersionTaken(
                    other=alias.name, version=version, function=function_id)

    def update_alias_bound_webhook(self, webhook_id, alias_name,
                                   description):
        """Change the description of a webhook that runs an alias.

        Qinling 5.0.0 answers 404 "Function not found [id=None]" to any PUT
        on an alias-bound webhook that does not name a different alias
        (webhook.py put reads the webhook's NULL function_id). Bind it to
        the alias's current target for a moment, then back to the alias:
        both PUTs keep the webhook's ID and URL, and in between it runs the
        same function version as through the alias.
        """
        alias = self.get_alias(alias_name)
        webhooks = self.client().webhooks
        webhooks.update(webhook_id, function_id=alias.function_id,
                        function_version=alias.function_version or 0)
        return webhooks.update(webhook_id, function_alias=alias_name,
                               description=description)
