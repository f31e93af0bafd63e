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

"""heat-engine finds the plugin the way an operator installs it."""
import subprocess
import sys

import fixtures
from keystoneauth1 import fixture as ks_fixture
from oslo_config import cfg

from heat.common import exception
from heat.engine import clients
from heat.engine import environment
from heat.engine import resources

from heat_qinling import client as qinling_plugin
from heat_qinling import constraints as qinling_constraints
from heat_qinling.resources import function
from heat_qinling.resources import webhook
from tests.unit import base


class PluginLoadingTest(base.QinlingStackTestCase):

    def load_types(self, plugin_dirs):
        """The resource types heat-engine would load with plugin_dirs."""
        cfg.CONF.set_override('plugin_dirs', plugin_dirs)
        env = environment.Environment({}, user_env=False)
        resources._load_global_resources(env)
        return env.registry

    def test_types_come_from_the_plugin_dir_module(self):
        registry = self.load_types([base.PLUGIN_DIR])
        self.assertIs(function.QinlingFunction,
                      registry.get_class('OS::Qinling::Function'))
        self.assertIs(webhook.QinlingWebhook,
                      registry.get_class('OS::Qinling::Webhook'))
        registry = self.load_types([self.useFixture(
            fixtures.TempDir()).path])
        self.assertRaises(exception.EntityNotFound, registry.get_class,
                          'OS::Qinling::Function')

    def test_client_plugin_and_constraints_come_from_entry_points(self):
        self.assertIsInstance(
            clients.Clients(self.ctx).client_plugin('qinling'),
            qinling_plugin.QinlingClientPlugin)
        env = resources.global_env()
        self.assertIs(qinling_constraints.RuntimeConstraint,
                      env.get_constraint('qinling.runtime'))
        self.assertIs(qinling_constraints.FunctionConstraint,
                      env.get_constraint('qinling.function'))

    def test_types_listed_only_with_a_function_engine_endpoint(self):
        types = resources.global_env().get_types(self.ctx)
        self.assertIn('OS::Qinling::Function', types)
        self.assertIn('OS::Qinling::Webhook', types)

        token = ks_fixture.V3Token(project_id=base.PROJECT_ID)
        token.add_service('orchestration').add_standard_endpoints(
            public='http://127.0.0.1:8004/v1')
        ctx = base.context_with_catalog(token)
        types = resources.global_env().get_types(ctx)
        self.assertNotIn('OS::Qinling::Function', types)
        self.assertNotIn('OS::Qinling::Webhook', types)
        available, reason = function.QinlingFunction.is_service_available(
            ctx)
        self.assertFalse(available)
        self.assertIn('qinling', reason)


class ConfigGeneratorTest(base.QinlingStackTestCase):

    def test_generated_config_shows_clients_qinling(self):
        # The module rather than the console script: in a copied venv the
        # script's interpreter line names the venv it was installed in.
        out = subprocess.run([sys.executable, '-m', 'oslo_config.generator',
                              '--namespace', 'heat_qinling'],
                             capture_output=True, text=True, check=True,
                             timeout=60).stdout
        section = out.split('[clients_qinling]', 1)[1]
        self.assertIn('#endpoint_type = ', section)
        # TLS comes from Heat's Keystone session, not from this group.
        for option in ('ca_file', 'cert_file', 'key_file', 'insecure'):
            self.assertNotIn('#%s = ' % option, section)


class LoadingTest(base.QinlingStackTestCase):

    def test_types_and_alias_constraint_are_registered(self):
        from heat.engine import resources

        from heat_qinling import constraints
        from heat_qinling.resources import alias
        from heat_qinling.resources import version
        env = resources.global_env()
        self.assertIs(version.QinlingVersion,
                      env.registry.get_class('OS::Qinling::Version'))
        self.assertIs(alias.QinlingAlias,
                      env.registry.get_class('OS::Qinling::Alias'))
        self.assertIs(constraints.AliasConstraint,
                      env.get_constraint('qinling.alias'))
        types = env.get_types(self.ctx)
        self.assertIn('OS::Qinling::Version', types)
        self.assertIn('OS::Qinling::Alias', types)
