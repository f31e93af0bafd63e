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

"""Bad input to Alias, Version, Job and Runtime (and targets given by name),
refused by stack validation naming the property, before anything is
written; and the creates that heat-engine may lose (a crash, a lost answer),
found again by the delete."""
import copy
from unittest import mock

from keystoneauth1 import exceptions as ks_exceptions
from qinlingclient.v1 import function_alias
from qinlingclient.v1 import job
from qinlingclient.v1 import runtime

from heat.objects import resource as resource_objects

from heat_qinling import client
from tests.unit import base

OUTSIDE = 'outside-fn'   # a function made outside the stack, by name
MADE = 'fn'              # the function the stack makes

FUNCTION = {'type': 'OS::Qinling::Function',
            'properties': {'runtime': 'python3', 'entry': 'hello_world.main',
                           'files': {'hello_world.py':
                                     'def main(**kw):\n    return 1\n'}}}


def lose_answer(real):
    """``real``, whose answer is lost after it reached Qinling."""
    def create_then_lose(*args, **kwargs):
        real(*args, **kwargs)
        raise ks_exceptions.ConnectFailure('connection lost')
    return create_then_lose


def stack_of(**resources):
    tmpl = {'heat_template_version': '2018-08-31',
            'resources': {'fn': copy.deepcopy(FUNCTION)}}
    for name, (rtype, props) in resources.items():
        tmpl['resources'][name] = {'type': rtype, 'properties': props}
    return tmpl


def alias(**props):
    return {'res': ('OS::Qinling::Alias',
                    dict({'function': OUTSIDE}, **props))}


def version(**props):
    return {'res': ('OS::Qinling::Version',
                    dict({'function': OUTSIDE}, **props))}


def job_props(**props):
    return {'res': ('OS::Qinling::Job',
                    dict({'function': OUTSIDE, 'pattern': '0 * * * *'},
                         **props))}


def runtime_props(**props):
    return {'res': ('OS::Qinling::Runtime',
                    dict({'image': 'openstackqinling/python3-runtime'},
                         **props))}


def webhook(**props):
    return {'res': ('OS::Qinling::Webhook',
                    dict({'function': OUTSIDE}, **props))}


class RefusedAtValidationTest(base.QinlingStackTestCase):
    """Each case fails stack validation naming the property.

    Nothing is written to Qinling.
    """

    scenarios = [
        ('alias_named_dot', dict(
            resources=alias(name='.'), prop='name',
            fragments=['cannot be "." or ".."'])),
        ('alias_named_dot_dot', dict(
            resources=alias(name='..'), prop='name',
            fragments=['cannot be "." or ".."'])),
        ('alias_description_with_newline', dict(
            resources=alias(description='two\nlines'), prop='description',
            fragments=['control characters'])),
        ('alias_name_taken', dict(
            resources=alias(name='taken'), prop='name',
            fragments=['Alias taken already exists'])),
        ('alias_version_missing_by_name', dict(
            resources=alias(function_version=4), prop='function_version',
            fragments=['has no version 4', 'its versions: 1'])),
        ('alias_version_taken_by_name', dict(
            resources=alias(function_version=1), prop='function_version',
            fragments=['Alias taken already points at version 1'])),
        ('version_description_with_tab', dict(
            resources=version(description='a\tb'), prop='description',
            fragments=['control characters'])),
        ('version_md5_by_name', dict(
            resources=version(code_md5sum='0' * 32), prop='code_md5sum',
            fragments=['not 00000000000000000000000000000000'])),
        ('job_name_with_escape', dict(
            resources=job_props(name='a\x1bb'), prop='name',
            fragments=['control characters'])),
        ('job_pattern_of_seven_fields', dict(
            resources=job_props(pattern='0 0 1 1 * 0 2030'), prop='pattern',
            fragments=['has 7 fields', '5 (minute hour day month weekday)'])),
        ('job_pattern_that_never_fires', dict(
            resources=job_props(pattern='0 0 30 2 *'), prop='pattern',
            fragments=['never fires'])),
        ('job_count_beyond_qinling', dict(
            resources=job_props(count=2 ** 31), prop='count',
            fragments=['at most 2147483647'])),
        ('job_version_missing_by_name', dict(
            resources=job_props(function_version=3),
            prop='function_version',
            fragments=['has no version 3'])),
        ('job_version_missing_by_id', dict(
            resources=job_props(function_version=3), by_id=True,
            prop='function_version', fragments=['has no version 3'])),
        ('job_version_of_the_stacks_function', dict(
            resources=job_props(function={'get_resource': MADE},
                                function_version=2),
            prop='function_version',
            fragments=['fn has no version 2', 'its versions: none'])),
        ('webhook_version_missing_by_name', dict(
            resources=webhook(function_version=6), prop='function_version',
            fragments=['has no version 6'])),
        ('runtime_named_like_another', dict(
            resources=runtime_props(name='python3'), prop='name',
            fragments=['already named "python3"', 'ambiguous'])),
        ('runtime_description_with_newline', dict(
            resources=runtime_props(description='a\nb'),
            prop='description', fragments=['control characters'])),
    ]
    by_id = False

    def setUp(self):
        super().setUp()
        self.outside = self.add_function(OUTSIDE)
        plugin = self.ctx.clients.client_plugin('qinling')
        plugin.create_version(self.outside, '')
        self.qinling.add_alias('taken', self.outside, 1)
        del self.qinling.requests[:]

    def test_refused_naming_the_property(self):
        resources = copy.deepcopy(self.resources)
        if self.by_id:
            resources['res'][1]['function'] = self.outside
        self.assertValidationFails(
            self.parse_stack(stack_of(**resources)),
            'resources.res.properties.%s' % self.prop, *self.fragments)


class AliasTargetInUpdateTest(base.QinlingStackTestCase):
    """In an update, the stack's own alias does not take its version.

    Another alias does.
    """

    def alias_stack(self, version):
        return self.parse_stack(stack_of(res=('OS::Qinling::Alias', {
            'function': OUTSIDE, 'function_version': version})))

    def test_own_alias_is_ignored_another_is_not(self):
        outside = self.add_function(OUTSIDE)
        plugin = self.ctx.clients.client_plugin('qinling')
        for _n in range(2):
            plugin.create_version(outside, '')
            self.qinling.functions[outside]['code']['md5sum'] += 'x'
        stk = self.create(self.alias_stack(1))
        del self.qinling.requests[:]
        self.as_update_of(stk, self.alias_stack(1)).validate()
        self.qinling.add_alias('other', outside, 2)
        del self.qinling.requests[:]
        self.assertValidationFails(
            self.as_update_of(stk, self.alias_stack(2)),
            'properties.function_version',
            'Alias other already points at version 2')


class InterruptedCreateTest(base.QinlingStackTestCase):
    """The create reached Qinling, but heat-engine never stored the ID.

    It died, or the answer was lost: the delete, or the next update, finds
    the object by the marker recorded before the create.
    """

    scenarios = [
        ('version', dict(
            owner=client.QinlingClientPlugin, method='create_version',
            table='versions', resources={'res': ('OS::Qinling::Version', {
                'function': {'get_resource': MADE}})})),
        ('alias', dict(
            owner=function_alias.FunctionAliasManager, method='create',
            table='aliases', resources={'res': ('OS::Qinling::Alias', {
                'function': {'get_resource': MADE}})})),
        ('job', dict(
            owner=job.JobManager, method='create', table='jobs',
            resources={'res': ('OS::Qinling::Job', {
                'function': {'get_resource': MADE},
                'pattern': '0 * * * *'})})),
        ('named_job', dict(
            owner=job.JobManager, method='create', table='jobs',
            resources={'res': ('OS::Qinling::Job', {
                'function': {'get_resource': MADE}, 'name': 'nightly',
                'pattern': '0 * * * *'})})),
        ('runtime', dict(
            owner=runtime.RuntimeManager, method='create', table='runtimes',
            resources={'res': ('OS::Qinling::Runtime', {
                'image': 'openstackqinling/python3-runtime'})})),
    ]

    def failed_stack(self):
        real = getattr(self.owner, self.method)
        before = set(getattr(self.qinling, self.table))
        with mock.patch.object(self.owner, self.method, lose_answer(real)):
            stk = self.parse_stack(stack_of(**self.resources))
            stk.store()
            stk.create()
        self.assertEqual((stk.CREATE, stk.FAILED), stk.state)
        self.assertIsNone(stk['res'].resource_id)
        [made] = set(getattr(self.qinling, self.table)) - before
        return stk, before, made

    def test_delete_finds_what_the_create_made(self):
        stk, before, made = self.failed_stack()
        stk = self.reload(stk)
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual(before, set(getattr(self.qinling, self.table)))
        self.assertEqual({}, self.qinling.leftovers())

    def test_next_update_takes_it_back(self):
        stk, before, made = self.failed_stack()
        stk.update(self.as_update_of(stk, self.parse_stack(
            stack_of(**self.resources))))
        self.assertCompletes(stk, stk.UPDATE)
        self.assertEqual(before | {made},
                         set(getattr(self.qinling, self.table)))
        stk = self.reload(stk)
        resource_id = stk['res'].resource_id
        if self.table == 'versions':
            function_id, number = resource_id.split('/')
            resource_id = (function_id, int(number))
        self.assertEqual(made, resource_id)


class NamesakeJobTest(base.QinlingStackTestCase):

    def test_a_job_of_the_same_name_made_before_is_not_taken(self):
        namesake = self.qinling.add_job(self.add_function('other'))
        self.qinling.jobs[namesake]['name'] = 'nightly'
        with mock.patch.object(job.JobManager, 'create', side_effect=(
                ks_exceptions.ConnectFailure('lost before Qinling'))):
            stk = self.parse_stack(stack_of(res=('OS::Qinling::Job', {
                'function': {'get_resource': MADE}, 'name': 'nightly',
                'pattern': '0 * * * *'})))
            stk.store()
            stk.create()
        self.assertEqual((stk.CREATE, stk.FAILED), stk.state)
        stk = self.reload(stk)
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual([namesake], list(self.qinling.jobs))


class VersionTakenBackByReplacementTest(base.QinlingStackTestCase):
    """The replacement of a Version whose create was interrupted.

    With ``observe_on_update``, Heat's convergence engine replaces a resource
    that has no ID instead of asking the plugin; the replacement cannot
    publish the same code again. It takes the version the interrupted create
    made, and the delete of the failed resource then leaves it. (The
    in-process engine keeps the failed resource in a backup stack, not
    beside its replacement as convergence does: the replacement row is made
    here as convergence makes it.)
    """

    def test_replacement_takes_back_the_version(self):
        resources = {'res': ('OS::Qinling::Version', {
            'function': {'get_resource': MADE}})}
        real = client.QinlingClientPlugin.create_version
        with mock.patch.object(client.QinlingClientPlugin, 'create_version',
                               lose_answer(real)):
            stk = self.parse_stack(stack_of(**resources))
            stk.store()
            stk.create()
        self.assertEqual((stk.CREATE, stk.FAILED), stk.state)
        [made] = list(self.qinling.versions)
        failed = stk['res']
        row = resource_objects.Resource.create(self.ctx, {
            'stack_id': stk.id, 'name': 'res', 'action': 'INIT',
            'status': 'COMPLETE', 'replaces': failed.id,
            'current_template_id': stk.t.id, 'stack_name': stk.name,
            'root_stack_id': stk.id, 'requires': [], 'needed_by': []})
        replacement = type(failed)('res', failed.t, stk)
        replacement.id = row.id
        replacement.handle_create()
        self.assertEqual('%s/%s' % made, replacement.resource_id)
        # The failed resource's delete leaves what its replacement holds.
        failed.handle_delete()
        self.assertEqual([made], list(self.qinling.versions))
