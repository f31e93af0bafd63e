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

"""Behaviours of Qinling 5.0.0 that the plugin relies on or guards against,
as tests that run against the fake (``tests/fakes/test_fakes.py``, in the
unit step) and against the real
qinling-api of the local cloud (``tests/e2e/test_qinling_contract.py``): the
day the fake drifts from the real service, one of the two fails.

A test case class mixes ``QinlingContract`` in and provides ``client`` (a
python-qinlingclient of a project member), ``admin`` (one of an admin),
``runtime_id`` (an available python3 runtime), ``runtime_image`` (an image
a new runtime can have), ``unique_name(prefix)`` and ``wait_until(predicate,
what)``. Every test deletes what it made.
"""
import datetime
import io
from urllib import parse
import zipfile

from qinlingclient.common import exceptions as qinling_exc

CODE = 'def main(**kw):\n    return "ran"\n'


def package(text=CODE):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as archive:
        archive.writestr('main.py', text)
    return buf.getvalue()


class QinlingContract(object):

    def make_function(self, name=None, client=None, runtime_id=None):
        client = client or self.client
        function = client.functions.create(
            {'source': 'package'}, runtime=runtime_id or self.runtime_id,
            package=io.BytesIO(package()), entry='main.main',
            name=name or self.unique_name('contract'))
        self.addCleanup(self._quietly, client.functions.delete, function.id)
        return function

    @staticmethod
    def _quietly(call, *args):
        try:
            call(*args)
        except qinling_exc.HTTPNotFound:
            pass

    def jobs_of(self, function_id):
        return [j for j in self.client.jobs.list()
                if j.function_id == function_id]

    def new_code(self, function, text, client=None):
        (client or self.client).functions.update(
            function.id, package=io.BytesIO(package(text)))

    def make_alias(self, function_id, version=0, **kwargs):
        name = self.unique_name('contract-alias')
        self.client.function_aliases.create(name, function_id, version,
                                            **kwargs)
        self.addCleanup(self._quietly, self.client.function_aliases.delete,
                        name)
        return name

    def make_webhook(self, function_id=None, **kwargs):
        webhook = self.client.webhooks.create(function_id, **kwargs)
        self.addCleanup(self._quietly, self.client.webhooks.delete,
                        webhook.id)
        return webhook

    # Functions -------------------------------------------------------

    def test_function_names_are_not_unique(self):
        name = self.unique_name('contract-twin')
        first = self.make_function(name)
        second = self.make_function(name)
        self.assertEqual(
            sorted([first.id, second.id]),
            sorted(f.id for f in self.client.functions.list()
                   if f.name == name))

    def test_function_delete_refused_while_a_webhook_runs_it(self):
        # heat_qinling.exceptions.FunctionInUse explains this 403.
        function = self.make_function()
        webhook = self.make_webhook(function.id)
        ex = self.assertRaises(qinling_exc.HTTPForbidden,
                               self.client.functions.delete, function.id)
        self.assertEqual('The function is still associated with '
                         'webhook(s).', ex.details)
        self.client.webhooks.delete(webhook.id)
        self.client.functions.delete(function.id)
        self.assertRaises(qinling_exc.HTTPNotFound,
                          self.client.functions.get, function.id)

    def test_code_update_refused_while_a_job_runs_the_function(self):
        # JobsBlockFunctionUpdate explains this 403.
        function = self.make_function()
        job = self.client.jobs.create(function_id=function.id,
                                      pattern='0 0 1 1 *')
        self.addCleanup(self._quietly, self.client.jobs.delete, job.id)
        ex = self.assertRaises(qinling_exc.HTTPForbidden, self.new_code,
                               function, 'def main(**kw):\n    pass\n')
        self.assertEqual('The function is still associated with running '
                         'job(s).', ex.details)

    # Webhooks --------------------------------------------------------

    def test_webhook_url_names_the_webhook(self):
        # A webhook's delete finds the alarms that call it by this path.
        function = self.make_function()
        webhook = self.make_webhook(function.id, function_version=0)
        self.assertTrue(parse.urlsplit(webhook.webhook_url).path.endswith(
            '/v1/webhooks/%s/invoke' % webhook.id), webhook.webhook_url)
        self.assertEqual(webhook.webhook_url,
                         self.client.webhooks.get(webhook.id).webhook_url)

    def test_description_update_of_a_webhook_on_an_alias_is_a_404(self):
        # QinlingClientPlugin.update_alias_bound_webhook works around it.
        function = self.make_function()
        alias = self.make_alias(function.id)
        webhook = self.make_webhook(None, function_alias=alias,
                                    description='d')
        self.assertEqual((None, alias),
                         (webhook.function_id, webhook.function_alias))
        ex = self.assertRaises(qinling_exc.HTTPNotFound,
                               self.client.webhooks.update, webhook.id,
                               description='e')
        self.assertEqual('Function not found [id=None]', ex.details)
        self.client.webhooks.update(webhook.id, function_id=function.id,
                                    function_version=0)
        back = self.client.webhooks.update(webhook.id, function_alias=alias,
                                           description='e')
        self.assertEqual((webhook.id, None, alias, 'e'),
                         (back.id, back.function_id, back.function_alias,
                          back.description))
        self.assertEqual(webhook.webhook_url, back.webhook_url)

    # Versions and aliases --------------------------------------------

    def test_version_only_from_new_code(self):
        # CodeUnchanged explains this 403 (the plugin reads its words).
        function = self.make_function()
        self.assertEqual(1, self.client.function_versions.create(
            function.id).version_number)
        ex = self.assertRaises(qinling_exc.HTTPForbidden,
                               self.client.function_versions.create,
                               function.id)
        self.assertEqual('Function package not changed since the latest '
                         'version 1.', ex.details)

    def test_version_delete_refused_while_an_alias_holds_it(self):
        # VersionInUse explains this 403.
        function = self.make_function()
        self.client.function_versions.create(function.id)
        alias = self.make_alias(function.id, 1)
        ex = self.assertRaises(qinling_exc.HTTPForbidden,
                               self.client.function_versions.delete,
                               function.id, 1)
        self.assertEqual('The function version is still associated with '
                         'alias.', ex.details)
        self.client.function_aliases.delete(alias)
        self.client.function_versions.delete(function.id, 1)

    def test_alias_names_are_unique_in_a_project(self):
        # The plugin refuses a taken name before it writes.
        function = self.make_function()
        self.client.function_versions.create(function.id)
        alias = self.make_alias(function.id)
        ex = self.assertRaises(qinling_exc.HTTPBadRequest,
                               self.client.function_aliases.create, alias,
                               function.id, 1)
        self.assertEqual("Duplicate entry for function_aliases: "
                         "['name']", ex.details)

    def test_alias_on_a_missing_version_is_made(self):
        # So the plugin checks that the version exists (VersionMissing).
        function = self.make_function()
        alias = self.make_alias(function.id, 9)
        self.assertEqual(9, self.client.function_aliases.get(
            alias).function_version)

    def test_alias_on_a_taken_version_is_a_400(self):
        # VersionTaken explains it before Qinling is asked.
        function = self.make_function()
        self.make_alias(function.id)
        ex = self.assertRaises(qinling_exc.HTTPBadRequest,
                               self.client.function_aliases.create,
                               self.unique_name('contract-alias'),
                               function.id, 0)
        self.assertEqual("Duplicate entry for function_aliases: "
                         "['function_id']", ex.details)

    def test_alias_delete_not_refused_while_a_webhook_runs_it(self):
        # So the plugin refuses it (AliasInUse).
        function = self.make_function()
        alias = self.make_alias(function.id)
        webhook = self.make_webhook(None, function_alias=alias)
        self.client.function_aliases.delete(alias)
        self.assertRaises(qinling_exc.HTTPNotFound,
                          self.client.function_aliases.get, alias)
        self.assertEqual(alias,
                         self.client.webhooks.get(webhook.id).function_alias)

    # Jobs ------------------------------------------------------------

    def make_job(self, **kwargs):
        job = self.client.jobs.create(**kwargs)
        self.addCleanup(self._quietly, self.client.jobs.delete, job.id)
        return job

    def test_new_pattern_keeps_the_next_time_until_a_resume(self):
        # QinlingClientPlugin.update_job pauses and resumes a running job
        # whose pattern changed, to start the new schedule.
        function = self.make_function()
        job = self.make_job(function_id=function.id, pattern='0 0 1 1 *')
        first = self.client.jobs.get(job.id).next_execution_time
        self.client.jobs.update(job.id, pattern='0 0 1 6 *')
        self.assertEqual(first,
                         self.client.jobs.get(job.id).next_execution_time)
        self.client.jobs.update(job.id, status='paused')
        self.client.jobs.update(job.id, status='running')
        resumed = self.client.jobs.get(job.id)
        self.assertEqual(('running', '0 0 1 6 *'),
                         (resumed.status, resumed.pattern))
        self.assertIn('-06-01', resumed.next_execution_time)

    def test_first_time_less_than_a_minute_ahead_is_a_400(self):
        # The plugin checks it before it writes.
        function = self.make_function()
        soon = (datetime.datetime.utcnow() + datetime.timedelta(
            seconds=10)).strftime('%Y-%m-%dT%H:%M:%SZ')
        ex = self.assertRaises(
            qinling_exc.HTTPBadRequest, self.client.jobs.create,
            function_id=function.id, first_execution_time=soon)
        self.assertEqual('Execution time must be at least 1 minute in the '
                         'future.', ex.details)
        self.assertEqual([], self.jobs_of(function.id))

    def test_job_type_cannot_change(self):
        # So a pattern added or removed replaces the job.
        function = self.make_function()
        job = self.make_job(function_id=function.id, pattern='0 0 1 1 *')
        ex = self.assertRaises(qinling_exc.HTTPBadRequest,
                               self.client.jobs.update, job.id, pattern='')
        self.assertEqual('Can not change job type.', ex.details)

    def test_job_count_beyond_the_column_answers_its_sql(self):
        function = self.make_function()
        ex = self.assertRaises(
            qinling_exc.HTTPException, self.client.jobs.create,
            function_id=function.id, pattern='0 0 1 1 *', count=2 ** 31)
        self.assertEqual(500, ex.code)
        self.assertIn("Out of range value for column 'count'", ex.details)
        self.assertIn('[SQL: INSERT INTO jobs', ex.details)
        self.assertEqual([], self.jobs_of(function.id))

    def test_pattern_that_never_fires_is_a_500(self):
        function = self.make_function()
        ex = self.assertRaises(
            qinling_exc.HTTPException, self.client.jobs.create,
            function_id=function.id, pattern='0 0 30 2 *')
        self.assertEqual((500, 'failed to find next date'),
                         (ex.code, ex.details))
        self.assertEqual([], self.jobs_of(function.id))

    def test_job_on_a_missing_version_is_a_404(self):
        function = self.make_function()
        ex = self.assertRaises(
            qinling_exc.HTTPNotFound, self.client.jobs.create,
            function_id=function.id, pattern='0 0 1 1 *',
            function_version=5)
        self.assertIn('FunctionVersion not found', ex.details)
        self.assertEqual([], self.jobs_of(function.id))

    def test_alias_moved_onto_a_taken_version_answers_its_sql(self):
        function = self.make_function()
        self.client.function_versions.create(function.id)
        names = [self.unique_name('contract-%s' % x) for x in 'ab']
        for name, version in zip(names, (0, 1)):
            self.client.function_aliases.create(name, function.id, version)
            self.addCleanup(self.client.function_aliases.delete, name)
        ex = self.assertRaises(
            qinling_exc.HTTPException, self.client.function_aliases.update,
            names[1], function_version=0)
        self.assertEqual(500, ex.code)
        self.assertIn('IntegrityError', ex.details)
        self.assertIn('[SQL: UPDATE function_aliases', ex.details)
        self.assertEqual(1, self.client.function_aliases.get(
            names[1]).function_version)

    def make_runtime(self):
        """A runtime of the test's own (as admin), once available."""
        runtime = self.admin.runtimes.create(
            image=self.runtime_image, name=self.unique_name('contract-rt'))
        self.addCleanup(self._quietly, self.admin.runtimes.delete,
                        runtime.id)
        self.wait_until(
            lambda: self.admin.runtimes.get(runtime.id).status ==
            'available', 'runtime %s to be available' % runtime.id)
        return runtime

    def test_runtime_delete_refused_while_a_function_uses_it(self):
        # RuntimeInUse explains this 403.
        runtime = self.make_runtime()
        function = self.make_function(client=self.admin,
                                      runtime_id=runtime.id)
        ex = self.assertRaises(qinling_exc.HTTPForbidden,
                               self.admin.runtimes.delete, runtime.id)
        self.assertEqual('Runtime %s is still in use.' % runtime.id,
                         ex.details)
        self.admin.functions.delete(function.id)

    def test_runtime_image_change_names_a_function_that_has_run(self):
        runtime = self.make_runtime()
        function = self.make_function(client=self.admin,
                                      runtime_id=runtime.id)
        self.admin.function_executions.create(function_id=function.id,
                                              sync=True)
        ex = self.assertRaises(
            qinling_exc.HTTPForbidden, self.admin.http_client.json_request,
            '/v1/runtimes/%s' % runtime.id, 'PUT',
            data={'image': self.runtime_image + '-new'})
        # Qinling 5.0.0 names the function where it means the runtime.
        self.assertEqual('Runtime %s is still in use by functions.'
                         % function.id, ex.details)
        self.assertEqual(self.runtime_image,
                         self.admin.runtimes.get(runtime.id).image)
