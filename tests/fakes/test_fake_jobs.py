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

"""Self-tests of the fake Qinling's jobs and runtime updates, through the
real python-qinlingclient: what Qinling 5.0.0's job.py, utils/jobs.py,
runtime.py and function.py answer."""
import datetime
import io
import json
import zipfile

from keystoneauth1 import session
from keystoneauth1 import token_endpoint
from oslotest import base
from qinlingclient.common import exceptions as qinling_exc
from qinlingclient.v1 import client as qinling_client
import requests

from tests.fakes import qinling


def _zip(text='def main(**kw):\n    return kw\n'):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as archive:
        archive.writestr('main.py', text)
    return buf.getvalue()


def _in(seconds):
    return (qinling._utcnow() + datetime.timedelta(seconds=seconds)).strftime(
        '%Y-%m-%dT%H:%M:%S')


def _time(text):
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ')


class FakeQinlingJobsTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.fake = self.useFixture(qinling.FakeQinling())
        self.client = qinling_client.Client(self.fake.url, session=session.
                                            Session(auth=token_endpoint.Token(
                                                self.fake.url, 'fake')))
        self.runtime_id = self.fake.add_runtime()
        self.function = self.client.functions.create(
            {'source': 'package'}, runtime=self.runtime_id,
            package=io.BytesIO(_zip()))

    def _raises(self, code, message, call, *args, **kwargs):
        error = self.assertRaises(qinling_exc.HTTPException, call, *args,
                                  **kwargs)
        self.assertEqual((code, message), (error.code, error.details))
        return error

    def test_cron_job_with_seconds_field(self):
        job = self.client.jobs.create(function_id=self.function.id,
                                      pattern='* * * * * */2', name='tick',
                                      function_input='{"a": 1}')
        self.assertEqual(('running', None, 0, '{"a": 1}'),
                         (job.status, job.count, job.function_version,
                          job.function_input))
        ahead = _time(job.next_execution_time) - qinling._utcnow()
        self.assertLessEqual(ahead.total_seconds(), 2)
        self.assertEqual(job.first_execution_time, job.next_execution_time)

    def test_create_rules(self):
        fid = self.function.id
        for kwargs, message in (
                ({}, 'pattern or first_execution_time must be specified.'),
                ({'pattern': 'every minute'},
                 'The specified pattern is not valid: every minute'),
                ({'first_execution_time': _in(30)},
                 'Execution time must be at least 1 minute in the future.'),
                ({'first_execution_time': _in(120), 'count': 2},
                 'pattern must be provided if count is greater than 1.')):
            self._raises(400, message, self.client.jobs.create,
                         function_id=fid, **kwargs)
        self._raises(400, 'Either function_alias or function_id must be '
                          'provided.', self.client.jobs.create,
                     pattern='* * * * *')
        self._raises(404, 'FunctionAlias not found [name=nope]',
                     self.client.jobs.create, function_alias='nope',
                     pattern='* * * * *')
        self.assertEqual({}, self.fake.jobs)

    def test_one_shot_job_has_count_1_and_fires_once(self):
        job = self.client.jobs.create(function_id=self.function.id,
                                      first_execution_time=_in(120))
        self.assertEqual((1, None), (job.count, job.pattern))
        execution = self.fake.fire_job(job.id)
        self.assertEqual('Created by Job %s' % job.id,
                         execution['description'])
        job = self.client.jobs.get(job.id)
        self.assertEqual(('done', 0), (job.status, job.count))
        self._raises(400, 'Can not update a finished job.',
                     self.client.jobs.update, job.id, name='x')

    def test_put_ignores_what_it_does_not_allow(self):
        self.fake.add_alias('live', self.function.id)
        job = self.client.jobs.create(function_id=self.function.id,
                                      pattern='* * * * *')
        updated = self.client.jobs.update(job.id, function_alias='live',
                                          count=5, name='renamed')
        self.assertEqual(('renamed', None, self.function.id, None),
                         (updated.name, updated.function_alias,
                          updated.function_id, updated.count))

    def test_job_type_cannot_change(self):
        cron = self.client.jobs.create(function_id=self.function.id,
                                       pattern='* * * * *')
        once = self.client.jobs.create(function_id=self.function.id,
                                       first_execution_time=_in(120))
        self._raises(400, 'Can not change job type.',
                     self.client.jobs.update, once.id, pattern='* * * * *')
        self._raises(400, 'Can not change job type.',
                     self.client.jobs.update, cron.id, pattern='')
        self._raises(400, 'Invalid status.',
                     self.client.jobs.update, cron.id, status='done')

    def test_resume_recomputes_from_the_stored_pattern(self):
        job = self.client.jobs.create(function_id=self.function.id,
                                      pattern='0 0 1 1 *')
        self.client.jobs.update(job.id, status='paused')
        # A pattern sent with the resume is stored, but the next time still
        # comes from the old one.
        resumed = self.client.jobs.update(job.id, status='running',
                                          pattern='* * * * * */2')
        self.assertEqual('* * * * * */2', resumed.pattern)
        ahead = _time(resumed.next_execution_time) - qinling._utcnow()
        self.assertGreater(ahead.total_seconds(), 60)
        self.client.jobs.update(job.id, status='paused')
        resumed = self.client.jobs.update(job.id, status='running')
        ahead = _time(resumed.next_execution_time) - qinling._utcnow()
        self.assertLessEqual(ahead.total_seconds(), 2)

    def test_one_shot_cannot_resume_within_a_minute(self):
        job = self.client.jobs.create(function_id=self.function.id,
                                      first_execution_time=_in(120))
        self.client.jobs.update(job.id, status='paused')
        self.fake.jobs[job.id]['next_execution_time'] = (
            qinling._utcnow() + datetime.timedelta(seconds=30))
        self._raises(400, 'Execution time must be at least 1 minute in the '
                          'future.',
                     self.client.jobs.update, job.id, status='running')

    def test_jobs_block_function_updates_unless_on_an_alias(self):
        job = self.client.jobs.create(function_id=self.function.id,
                                      pattern='* * * * *')
        self.client.jobs.update(job.id, status='paused')
        url = '%s/v1/functions/%s' % (self.fake.url, self.function.id)
        response = requests.put(url, data={'cpu': '200'})
        self.assertEqual((403, {'faultstring': 'The function is still '
                                'associated with running job(s).'}),
                         (response.status_code, response.json()))
        self.assertEqual(200, requests.put(url, data={
            'timeout': '9'}).status_code)
        self.client.jobs.delete(job.id)
        self.fake.add_alias('live', self.function.id)
        self.client.jobs.create(function_alias='live', pattern='* * * * *')
        self.assertEqual(200, requests.put(url, data={
            'cpu': '200'}).status_code)

    def test_finished_job_blocks_function_delete_with_500(self):
        job = self.client.jobs.create(function_id=self.function.id,
                                      pattern='* * * * *', count=1)
        self.fake.fire_job(job.id)
        response = requests.delete('%s/v1/functions/%s'
                                   % (self.fake.url, self.function.id))
        self.assertEqual(500, response.status_code)
        self.assertEqual('Server', response.json()['faultcode'])
        self.client.jobs.delete(job.id)
        self.client.functions.delete(self.function.id)

    def test_runtime_image_update(self):
        runtime = self.client.runtimes.create('openstackqinling/python3-a')
        self.client.runtimes.get(runtime.id)
        url = '%s/v1/runtimes/%s' % (self.fake.url, runtime.id)
        updated = requests.put(url, json={'image': 'b/python3'}).json()
        self.assertEqual(('upgrading', 'b/python3'),
                         (updated['status'], updated['image']))
        self.assertEqual(409, requests.put(url, json={
            'image': 'c'}).status_code)
        self.assertEqual('available', self.client.runtimes.get(
            runtime.id).status)
        self.fake.runtime_outcome = 'error'
        requests.put(url, json={'image': 'not-python'})
        runtime = self.client.runtimes.get(runtime.id)
        self.assertEqual(('available', 'b/python3'),
                         (runtime.status, runtime.image))
        renamed = requests.put(url, json={'name': 'r2'}).json()
        self.assertEqual(('r2', 'available'),
                         (renamed['name'], renamed['status']))

    def test_runtime_image_update_with_functions_is_404(self):
        url = '%s/v1/runtimes/%s' % (self.fake.url, self.runtime_id)
        response = requests.put(url, json={'image': 'other/python3'})
        self.assertEqual((404, 'Runtime not found [id=%s]'
                          % self.function.id),
                         (response.status_code,
                          response.json()['faultstring']))
        self.assertEqual(200, requests.put(url, json={
            'description': 'd'}).status_code)
        self.assertEqual('d', json.loads(requests.get(url).text)[
            'description'])
