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

"""Heat's own engine, in-process, with the plugin loaded as heat-engine does.

The plugin is found through ``plugin_dirs`` (the one-line module that setup.cfg
installs under ``<prefix>/lib/heat``) and the ``heat.clients`` and
``heat.constraints`` entry points. Qinling and Aodh are fake HTTP servers
reached through the real python-qinlingclient and aodhclient; the service
catalog comes from a Keystone token, like a request to heat-api.
"""
import os
import sys

from dogpile.cache.backends import memory as cache_memory
import fixtures
from keystoneauth1 import fixture as ks_fixture
from oslo_config import cfg

from heat.common import cache as heat_cache
from heat.common import config as heat_config  # noqa: F401 (registers opts)
from heat.common import exception
from heat.common import template_format
from heat.engine import environment
from heat.engine import resources
from heat.engine import stack as heat_stack
from heat.engine import template
from heat.tests import common
from heat.tests import utils

from heat_qinling import package
from tests.fakes import aodh as fake_aodh
from tests.fakes import qinling as fake_qinling

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TEMPLATES = os.path.join(REPO, 'templates')
# The source tree's one-line module, or the directory an install put it in
# (the install test runs these tests against the installed package).
PLUGIN_DIR = os.environ.get('HEAT_QINLING_TEST_PLUGIN_DIR',
                            os.path.join(REPO, 'etc', 'heat-plugin'))
PROJECT_ID = 'test_tenant_id'

# A stack of one function, for the tests to add to (copy it first).
FUNCTION_ONLY = {
    'heat_template_version': '2018-08-31',
    'resources': {
        'fn': {
            'type': 'OS::Qinling::Function',
            'properties': {
                'runtime': 'python3',
                'entry': 'hello_world.main',
                'files': {'hello_world.py': 'def main(**kw):\n    pass\n'},
            },
        },
    },
}


def _configure_heat_once():
    # The wheel installs Heat's environment and templates under
    # <prefix>/etc/heat, where HeatTestCase does not look for them.
    etc = os.path.join(sys.prefix, 'etc', 'heat')
    cfg.CONF.set_default('environment_dir',
                         os.path.join(etc, 'environment.d'))
    cfg.CONF.set_default('template_dir', os.path.join(etc, 'templates'))
    cfg.CONF.set_default('plugin_dirs', [PLUGIN_DIR])
    # The global environment (types, constraints, clients) is built once per
    # process, from the options above.
    resources.initialise()


_configure_heat_once()


class FinderCache(fixtures.Fixture):
    """Heat's finder cache on, as a heat.conf with ``[cache] enabled``.

    Heat's default leaves it off (every lookup reads). The region is
    configured once per process with the null backend: a memory backend
    stands in for this test, emptied after it.
    """

    def _setUp(self):
        cfg.CONF.set_override('enabled', True, group='cache')
        self.addCleanup(cfg.CONF.clear_override, 'enabled', group='cache')
        region = heat_cache.get_cache_region()
        self.useFixture(fixtures.MockPatchObject(
            region, 'backend', cache_memory.MemoryBackend({})))


def read_template(name):
    with open(os.path.join(TEMPLATES, name)) as f:
        return template_format.parse(f.read())


def template_files(name):
    """The files a template get_files, keyed as the template names them."""
    files = {}
    tmpl = read_template(name)
    for rsrc in tmpl.get('resources', {}).values():
        for value in (rsrc.get('properties') or {}).values():
            if isinstance(value, dict):
                for item in value.values():
                    if isinstance(item, dict) and 'get_file' in item:
                        path = item['get_file']
                        with open(os.path.join(TEMPLATES, path)) as f:
                            files[path] = f.read()
    return files


def context_with_catalog(token):
    """A request context whose service catalog is that of a Keystone token."""
    ctx = utils.dummy_context(tenant_id=PROJECT_ID)
    ctx.auth_token_info = token
    ctx.reload_auth_plugin()
    return ctx


class QinlingStackTestCase(common.HeatTestCase):
    """Runs stacks against fake Qinling and Aodh servers."""

    def setUp(self):
        super().setUp()
        self.qinling = self.useFixture(fake_qinling.FakeQinling())
        self.aodh = self.useFixture(fake_aodh.FakeAodh())
        self.runtime_id = self.qinling.add_runtime(name='python3')
        self.ctx = self.make_context()

    def make_context(self):
        token = ks_fixture.V3Token(project_id=PROJECT_ID,
                                   project_name='test_tenant',
                                   user_id='test_user_id')
        for service_type, name, url in (
                ('function-engine', 'qinling', self.qinling.url),
                ('alarming', 'aodh', self.aodh.url)):
            service = token.add_service(service_type, name=name)
            service.add_standard_endpoints(public=url, internal=url,
                                           admin=url, region='RegionOne')
        return context_with_catalog(token)

    def add_function(self, name):
        """A function made outside any stack, through the real client."""
        code = {'hello_world.py': 'def main(**kwargs):\n    pass\n'}
        function = self.ctx.clients.client_plugin('qinling').create_function(
            code={'source': 'package'}, package=package.build_zip(code),
            runtime=self.runtime_id, name=name, entry='hello_world.main')
        del self.qinling.requests[:]
        return function.id

    def parse_stack(self, tmpl, params=None, files=None, name='seed',
                    disable_rollback=True):
        templ = template.Template(tmpl, files=files or {},
                                  env=environment.Environment(params or {}))
        return heat_stack.Stack(self.ctx, name, templ,
                                disable_rollback=disable_rollback)

    def seed_stack(self, params=None,
                   template_name='function-webhook-event-alarm.yaml',
                   **kwargs):
        """The seed chain (code inline), or its get_file twin."""
        return self.parse_stack(read_template(template_name), params=params,
                                files=template_files(template_name),
                                **kwargs)

    @staticmethod
    def as_update_of(stk, updated):
        """``updated``, as heat-engine builds the new stack of an update.

        It has the stored credentials of the current stack, and knows it as
        its OS::stack_id.
        """
        updated.user_creds_id = stk.user_creds_id
        updated.parameters.set_stack_id(stk.identifier())
        return updated

    def reload(self, stk):
        """The stack as heat-engine loads it for its next action."""
        return heat_stack.Stack.load(self.ctx, stack_id=stk.id)

    def create(self, stk):
        stk.store()
        stk.create()
        self.assertCompletes(stk, stk.CREATE)
        return stk

    def assertCompletes(self, stk, action):
        self.assertEqual((action, stk.COMPLETE), stk.state,
                         stk.status_reason)

    def assertFailsWith(self, stk, action, *fragments):
        """The action failed, and its reason names each fragment."""
        self.assertEqual((action, stk.FAILED), stk.state)
        for fragment in fragments:
            self.assertIn(fragment, stk.status_reason)

    def assertValidationFails(self, stk, *fragments):
        """Validation fails naming each fragment, and writes nothing."""
        ex = self.assertRaises(exception.StackValidationFailed, stk.validate)
        for fragment in fragments:
            self.assertIn(fragment, str(ex))
        self.assertEqual([], self.qinling.write_requests())
        self.assertEqual([], self.aodh.write_requests())
        return ex
